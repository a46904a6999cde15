#include "version/semver.h"

#include <gtest/gtest.h>

#include "version/tests/order_table.h"

namespace pk::version {
namespace {

using testing::InvalidCase;
using testing::OrderCase;

class SemverOrder : public ::testing::TestWithParam<OrderCase> {};

TEST_P(SemverOrder, FollowsPrecedence) {
  const OrderCase& test = GetParam();
  ASSERT_TRUE(semver::validate(test.a).has_value()) << test.a;
  ASSERT_TRUE(semver::validate(test.b).has_value()) << test.b;
  EXPECT_EQ(testing::symbolOf(semver::compare(test.a, test.b)), test.expected);
  EXPECT_EQ(testing::symbolOf(semver::compare(test.b, test.a)), testing::mirrored(test.expected));
}

// The chain from the SemVer 2.0.0 specification, item 11, and more.
INSTANTIATE_TEST_SUITE_P(
    Rules, SemverOrder,
    ::testing::Values(OrderCase{"1.0.0-alpha", '<', "1.0.0-alpha.1"},
                      OrderCase{"1.0.0-alpha.1", '<', "1.0.0-alpha.beta"},
                      OrderCase{"1.0.0-alpha.beta", '<', "1.0.0-beta"},
                      OrderCase{"1.0.0-beta", '<', "1.0.0-beta.2"},
                      OrderCase{"1.0.0-beta.2", '<', "1.0.0-beta.11"},
                      OrderCase{"1.0.0-beta.11", '<', "1.0.0-rc.1"},
                      OrderCase{"1.0.0-rc.1", '<', "1.0.0"}, OrderCase{"1.0.0", '<', "2.0.0"},
                      OrderCase{"2.0.0", '<', "2.1.0"}, OrderCase{"2.1.0", '<', "2.1.1"},
                      OrderCase{"1.9.0", '<', "1.10.0"},
                      OrderCase{"1.0.0+build.1", '=', "1.0.0+build.2"},
                      OrderCase{"1.0.0-rc.1+build.1", '<', "1.0.0"},
                      OrderCase{"1.0.0-x-y", '>', "1.0.0-x"}, OrderCase{"1.0.0-1", '<', "1.0.0-a"},
                      OrderCase{"18446744073709551616.0.0", '>', "18446744073709551615.0.0"}));

class SemverInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(SemverInvalid, RejectedWithReason) {
  const InvalidCase& test = GetParam();
  auto valid = semver::validate(test.version);
  ASSERT_FALSE(valid.has_value()) << test.version;
  EXPECT_EQ(valid.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(valid.error().message.find(test.rule), std::string::npos) << valid.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, SemverInvalid,
    ::testing::Values(InvalidCase{"", "version string is empty"},
                      InvalidCase{"1.0", "expected MAJOR.MINOR.PATCH"},
                      InvalidCase{"1.0.0.0", "expected MAJOR.MINOR.PATCH"},
                      InvalidCase{"v1.0.0", "must be non-negative integers"},
                      InvalidCase{"01.0.0", "may not have leading zeros"},
                      InvalidCase{"1.0.0-", "pre-release: empty identifier"},
                      InvalidCase{"1.0.0-01", "leading zero"},
                      InvalidCase{"1.0.0-a..b", "pre-release: empty identifier"},
                      InvalidCase{"1.0.0+", "build metadata: empty identifier"},
                      InvalidCase{"1.0.0-a_b", "only [0-9A-Za-z-]"}));

TEST(SemverValidate, AllowsLeadingZeroInBuild) {
  EXPECT_TRUE(semver::validate("1.0.0+001").has_value());
}

}  // namespace
}  // namespace pk::version
