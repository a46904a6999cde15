#include "version/windows.h"

#include <gtest/gtest.h>

#include "version/tests/order_table.h"
#include "version/version.h"

namespace pk::version {
namespace {

using testing::InvalidCase;
using testing::OrderCase;

class WindowsOrder : public ::testing::TestWithParam<OrderCase> {};

TEST_P(WindowsOrder, ComparesPartsByValue) {
  const OrderCase& test = GetParam();
  ASSERT_TRUE(windows::parse(test.a).has_value()) << test.a;
  ASSERT_TRUE(windows::parse(test.b).has_value()) << test.b;
  EXPECT_EQ(testing::symbolOf(windows::compare(test.a, test.b)), test.expected);
  EXPECT_EQ(testing::symbolOf(windows::compare(test.b, test.a)), testing::mirrored(test.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Builds, WindowsOrder,
    ::testing::Values(
        // Windows 10 22H2 cumulative updates raise the revision.
        OrderCase{"10.0.19045.6456", '<', "10.0.19045.7058"},
        // Numeric, not byte-wise: 9999 < 10000 in every part.
        OrderCase{"10.0.19045.9999", '<', "10.0.19045.10000"},
        OrderCase{"10.0.9999.1", '<', "10.0.10240.1"}, OrderCase{"9.0.1.1", '<', "10.0.1.1"},
        // A newer feature release wins over any revision of an older one.
        OrderCase{"10.0.19044.99999", '<', "10.0.19045.1"},
        OrderCase{"10.0.22631.5624", '<', "10.0.26100.4349"},
        OrderCase{"6.3.9600.22134", '<', "10.0.14393.8148"},
        OrderCase{"6.1.7601.27769", '<', "6.2.9200.25522"},
        // A missing revision counts as 0.
        OrderCase{"10.0.19045", '=', "10.0.19045.0"}, OrderCase{"10.0.19045", '<', "10.0.19045.1"},
        OrderCase{"10.0.26100.1", '>', "10.0.26100"},
        // Leading zeros do not change the value.
        OrderCase{"10.0.019045.07058", '=', "10.0.19045.7058"},
        OrderCase{"4294967295.0.0.0", '>', "4294967294.4294967295.4294967295.4294967295"},
        OrderCase{"0.0.0", '=', "0.0.0.0"}));

class WindowsInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(WindowsInvalid, RejectedWithReason) {
  const InvalidCase& test = GetParam();
  auto build = windows::parse(test.version);
  ASSERT_FALSE(build.has_value()) << test.version;
  EXPECT_EQ(build.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(build.error().message.find("invalid Windows build"), std::string::npos)
      << build.error().message;
  EXPECT_NE(build.error().message.find(test.rule), std::string::npos) << build.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, WindowsInvalid,
    ::testing::Values(
        InvalidCase{"", "version string is empty"}, InvalidCase{"10", "fewer than three parts"},
        InvalidCase{"10.0", "fewer than three parts"},
        InvalidCase{"10.0.19045.7058.1", "more than four parts"},
        InvalidCase{".0.19045", "part 1 is empty"}, InvalidCase{"10..19045", "part 2 is empty"},
        InvalidCase{"10.0.19045.", "part 4 is empty"}, InvalidCase{"10.0.", "part 3 is empty"},
        InvalidCase{"+10.0.19045", "part 1 may contain only the digits"},
        InvalidCase{"10.0.-1", "part 3 may contain only the digits"},
        InvalidCase{"10.0.19045.7058 ", "part 4 may contain only the digits"},
        InvalidCase{" 10.0.19045", "part 1 may contain only the digits"},
        InvalidCase{"10.0.19045.7058-1", "part 4 may contain only the digits"},
        InvalidCase{"10.0.19045a", "part 3 may contain only the digits"},
        InvalidCase{"v10.0.19045", "part 1 may contain only the digits"},
        InvalidCase{"10.0.4294967296", "part 3 is larger than 4294967295"},
        InvalidCase{"10.0.1.99999999999999999999999", "part 4 is larger than 4294967295"}));

TEST(WindowsParse, ReturnsFourNumbers) {
  auto build = windows::parse("6.3.9600.22134");
  ASSERT_TRUE(build.has_value()) << build.error().message;
  EXPECT_EQ(build->major, 6u);
  EXPECT_EQ(build->minor, 3u);
  EXPECT_EQ(build->build, 9600u);
  EXPECT_EQ(build->revision, 22134u);
}

TEST(WindowsParse, ThreePartsHaveRevisionZero) {
  auto build = windows::parse("10.0.26100");
  ASSERT_TRUE(build.has_value()) << build.error().message;
  EXPECT_EQ(build->build, 26100u);
  EXPECT_EQ(build->revision, 0u);
}

TEST(WindowsParse, AcceptsLargestPartValue) {
  auto build = windows::parse("10.0.19045.4294967295");
  ASSERT_TRUE(build.has_value()) << build.error().message;
  EXPECT_EQ(build->revision, 4294967295u);
}

TEST(WindowsParse, QuotesControlBytes) {
  auto build = windows::parse("10.0.19045\n");
  ASSERT_FALSE(build.has_value());
  EXPECT_NE(build.error().message.find("'10.0.19045\\x0a'"), std::string::npos)
      << build.error().message;
}

TEST(WindowsScheme, ReachableThroughVersionApi) {
  EXPECT_EQ(schemeName(Scheme::kWindows), "windows");
  ASSERT_EQ(parseSchemeName("windows"), Scheme::kWindows);

  auto order = compare(Scheme::kWindows, "10.0.19045.6456", "10.0.19045.7058");
  ASSERT_TRUE(order.has_value()) << order.error().message;
  EXPECT_TRUE(*order < 0);

  auto invalid = compare(Scheme::kWindows, "10.0.19045.7058", "KB5060533");
  ASSERT_FALSE(invalid.has_value());
  EXPECT_NE(invalid.error().message.find("'KB5060533'"), std::string::npos);
  EXPECT_FALSE(validate(Scheme::kWindows, "10.0").has_value());
  EXPECT_TRUE(validate(Scheme::kWindows, "10.0.19045").has_value());
}

// SemVer rejects four-part builds, so the Windows scheme cannot borrow its rules.
TEST(WindowsScheme, UnlikeSemverAcceptsFourParts) {
  EXPECT_FALSE(validate(Scheme::kSemver, "10.0.19045.7058").has_value());
  EXPECT_TRUE(validate(Scheme::kWindows, "10.0.19045.7058").has_value());
}

TEST(WindowsCompare, AntisymmetricOnInvalidInput) {
  const std::string_view inputs[] = {"",           ".",     "10.0.x",
                                     "10.0.x.1",   "a.b",   "10.0.19045.",
                                     "10.0.19045", "10..1", std::string_view("10\0.1", 5)};
  for (std::string_view a : inputs) {
    EXPECT_EQ(testing::symbolOf(windows::compare(a, a)), '=') << a;
    for (std::string_view b : inputs) {
      EXPECT_EQ(testing::symbolOf(windows::compare(a, b)),
                testing::mirrored(testing::symbolOf(windows::compare(b, a))))
          << a << " vs " << b;
    }
  }
}

}  // namespace
}  // namespace pk::version
