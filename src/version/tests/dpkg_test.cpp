#include "version/dpkg.h"

#include <gtest/gtest.h>

#include "version/tests/order_table.h"

namespace pk::version {
namespace {

using testing::InvalidCase;
using testing::OrderCase;

class DpkgOrder : public ::testing::TestWithParam<OrderCase> {};

TEST_P(DpkgOrder, MatchesDpkg) {
  const OrderCase& test = GetParam();
  ASSERT_TRUE(dpkg::parse(test.a).has_value()) << test.a;
  ASSERT_TRUE(dpkg::parse(test.b).has_value()) << test.b;
  EXPECT_EQ(testing::symbolOf(dpkg::compare(test.a, test.b)), test.expected);
  EXPECT_EQ(testing::symbolOf(dpkg::compare(test.b, test.a)), testing::mirrored(test.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, DpkgOrder,
    ::testing::Values(
        // '~' sorts before anything, even the end of the string.
        OrderCase{"1.0~rc1", '<', "1.0"}, OrderCase{"1.0~~", '<', "1.0~"},
        OrderCase{"1.0~~a", '<', "1.0~"}, OrderCase{"1.0~rc1", '<', "1.0~rc2"},
        OrderCase{"1.0-1~bpo1", '<', "1.0-1"}, OrderCase{"2.36-9+deb12u7~", '<', "2.36-9+deb12u7"},
        // Epochs dominate everything else.
        OrderCase{"1:0.1-1", '>', "9.9"}, OrderCase{"2:1.02.185-2", '>', "1:9"},
        OrderCase{"0:1.0", '=', "1.0"}, OrderCase{"00:1.0", '=', "0:1.0"},
        // Letters sort before non-letters; digit runs compare by value.
        OrderCase{"1.0a", '<', "1.0+"}, OrderCase{"1.0a", '<', "1.0."},
        OrderCase{"1.0", '<', "1.0a"}, OrderCase{"1.0", '<', "1.0+"}, OrderCase{"1.2", '<', "1.10"},
        OrderCase{"1.002", '=', "1.2"}, OrderCase{"1.0", '=', "1.00"}, OrderCase{"1a", '<', "1b"},
        OrderCase{"1Z", '<', "1a"}, OrderCase{"99999999999999999999", '<', "100000000000000000000"},
        // A missing revision sorts lowest and equals "0".
        OrderCase{"1.0", '<', "1.0-1"}, OrderCase{"1.0", '=', "1.0-0"},
        OrderCase{"1.0-0", '<', "1.0-0.1"}, OrderCase{"1.0-1", '<', "1.0-1.1"},
        // Real Debian versions: security updates and backports.
        OrderCase{"3.0.11-1~deb12u2", '>', "3.0.11-1~deb12u1"},
        OrderCase{"3.0.11-1~deb12u2", '<', "3.0.11-1"},
        OrderCase{"1:2.38.1-5+deb12u1", '>', "1:2.38.1-5"},
        OrderCase{"2.36-9+deb12u7", '<', "2.36-9+deb12u10"},
        OrderCase{"1.2.3-1ubuntu0.1", '>', "1.2.3-1"},
        // The upstream part may contain '-' and ':'; the last '-' starts the revision.
        OrderCase{"1.0-2-3", '>', "1.0-2-2"}, OrderCase{"1:1:2-1", '>', "1:1:1-1"},
        // Surrounding blanks are ignored, as dpkg ignores them.
        OrderCase{" 1.0 ", '=', "1.0"}));

class DpkgInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(DpkgInvalid, RejectedWithDpkgReason) {
  const InvalidCase& test = GetParam();
  auto parts = dpkg::parse(test.version);
  ASSERT_FALSE(parts.has_value()) << test.version;
  EXPECT_EQ(parts.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(parts.error().message.find(test.rule), std::string::npos) << parts.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, DpkgInvalid,
    ::testing::Values(InvalidCase{"", "version string is empty"},
                      InvalidCase{"   ", "version string is empty"},
                      InvalidCase{"1.0 2", "version string has embedded spaces"},
                      InvalidCase{":1.0", "epoch in version is empty"},
                      InvalidCase{"a:1.0", "epoch in version is empty"},
                      InvalidCase{"1a:1.0", "epoch in version is not number"},
                      InvalidCase{"-1:1.0", "epoch in version is negative"},
                      InvalidCase{"99999999999:1.0", "epoch in version is too big"},
                      InvalidCase{"1:", "nothing after colon in version number"},
                      InvalidCase{"1.0-", "revision number is empty"},
                      InvalidCase{"-1", "version number is empty"},
                      InvalidCase{"a1.0", "version number does not start with digit"},
                      InvalidCase{"~1.0", "version number does not start with digit"},
                      InvalidCase{"1.0_1", "invalid character in version number"},
                      InvalidCase{"1:1.0-1:2", "invalid character in revision number"},
                      InvalidCase{"1.0-1_2", "invalid character in revision number"}));

TEST(DpkgParse, SplitsEpochUpstreamRevision) {
  auto parts = dpkg::parse("2:1.02.185-2");
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->epoch, 2);
  EXPECT_EQ(parts->upstream, "1.02.185");
  EXPECT_EQ(parts->revision, "2");
}

TEST(DpkgParse, AcceptsSignedZeroEpochLikeStrtol) {
  // dpkg reads the epoch with strtol(), which accepts a sign.
  auto parts = dpkg::parse("+1:1.0");
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->epoch, 1);
  EXPECT_TRUE(dpkg::parse("-0:1.0").has_value());
}

TEST(DpkgParse, ErrorQuotesVersion) {
  auto parts = dpkg::parse("1.0-");
  ASSERT_FALSE(parts.has_value());
  EXPECT_EQ(parts.error().message, "invalid dpkg version '1.0-': revision number is empty");
}

TEST(DpkgCompare, TruncatesAtNulLikeCStrings) {
  using namespace std::string_view_literals;
  EXPECT_EQ(dpkg::compare("1.0\0garbage"sv, "1.0"sv), std::weak_ordering::equivalent);
}

}  // namespace
}  // namespace pk::version
