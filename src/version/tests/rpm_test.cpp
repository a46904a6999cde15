#include "version/rpm.h"

#include <gtest/gtest.h>

#include "version/tests/order_table.h"

namespace pk::version {
namespace {

using testing::InvalidCase;
using testing::OrderCase;

class RpmOrder : public ::testing::TestWithParam<OrderCase> {};

TEST_P(RpmOrder, MatchesRpmVercmp) {
  const OrderCase& test = GetParam();
  ASSERT_TRUE(rpm::parse(test.a).has_value()) << test.a;
  ASSERT_TRUE(rpm::parse(test.b).has_value()) << test.b;
  EXPECT_EQ(testing::symbolOf(rpm::compare(test.a, test.b)), test.expected);
  EXPECT_EQ(testing::symbolOf(rpm::compare(test.b, test.a)), testing::mirrored(test.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, RpmOrder,
    ::testing::Values(
        // '^' sorts after the end of the string; '~' before it.
        OrderCase{"1.0^git1", '>', "1.0"}, OrderCase{"1.0^git1", '<', "1.0.1"},
        OrderCase{"1.0^git1", '<', "1.0^git2"}, OrderCase{"1.0^", '>', "1.0"},
        OrderCase{"1.0~rc1", '<', "1.0"}, OrderCase{"1.0~rc1", '<', "1.0~rc2"},
        OrderCase{"1.0~rc1^git1", '<', "1.0"}, OrderCase{"1.0~rc1^git1", '>', "1.0~rc1"},
        OrderCase{"1.0~~", '<', "1.0~"}, OrderCase{"1.0^", '>', "1.0~"},
        // Epochs: absent equals 0, and an epoch beats any version.
        OrderCase{"1:1.0", '>', "2.0"}, OrderCase{"0:1.0", '=', "1.0"},
        OrderCase{"01:1.0", '=', "1:1.0"}, OrderCase{"2:1.0-1", '>', "1:9.9-9"},
        // Segments: digits by value, digits newer than letters, separators ignored.
        OrderCase{"1.10", '>', "1.9"}, OrderCase{"1.01", '=', "1.1"}, OrderCase{"1.0a", '>', "1.0"},
        OrderCase{"1.0a", '<', "1.0.1"}, OrderCase{"1.0", '<', "1.0.0"}, OrderCase{"1a", '<', "11"},
        OrderCase{"a", '<', "1"}, OrderCase{"1.0_1", '=', "1.0.1"}, OrderCase{"1+1", '=', "1.1"},
        OrderCase{"alpha", '<', "beta"}, OrderCase{"A", '<', "a"},
        OrderCase{"12345678901234567890", '<', "123456789012345678901"},
        // Releases: compared only after equal versions; a present release is newer.
        OrderCase{"1.0-1", '<', "1.0-2"}, OrderCase{"1.0-1.el9", '<', "1.0-1.el9_1"},
        OrderCase{"1.0-1", '>', "1.0"}, OrderCase{"1.0-~", '>', "1.0"},
        OrderCase{"2.0-1", '>', "1.0-9"},
        // Real Red Hat family versions.
        OrderCase{"4.18.0-553.el8_10", '>', "4.18.0-513.24.1.el8_9"},
        OrderCase{"1:3.0.7-27.el9", '>', "1:3.0.7-25.el9_3"},
        OrderCase{"5.14.0-427.13.1.el9_4", '<', "5.14.0-427.16.1.el9_4"}));

class RpmInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(RpmInvalid, RejectedWithReason) {
  const InvalidCase& test = GetParam();
  auto parts = rpm::parse(test.version);
  ASSERT_FALSE(parts.has_value()) << test.version;
  EXPECT_EQ(parts.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(parts.error().message.find(test.rule), std::string::npos) << parts.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, RpmInvalid,
    ::testing::Values(InvalidCase{"", "version string is empty"},
                      InvalidCase{":1.0", "epoch before ':' is empty"},
                      InvalidCase{"a:1.0", "epoch before ':' is not an unsigned number"},
                      InvalidCase{"4294967296:1.0", "epoch does not fit in 32 bits"},
                      InvalidCase{"1:", "version is empty"}, InvalidCase{"-1", "version is empty"},
                      InvalidCase{"1.0-", "release after '-' is empty"},
                      InvalidCase{"1.0-1-2", "may not contain '-'"},
                      InvalidCase{"1.0 1", "invalid character ' ' in version"},
                      InvalidCase{"1.0-1/2", "invalid character '/' in release"},
                      InvalidCase{"1..0", "illegal sequence \"..\" in version"}));

TEST(RpmSplit, FollowsParseEvr) {
  rpm::Evr evr = rpm::split("1:2.3-4.el9");
  ASSERT_TRUE(evr.epoch.has_value());
  EXPECT_EQ(*evr.epoch, "1");
  EXPECT_EQ(evr.version, "2.3");
  ASSERT_TRUE(evr.release.has_value());
  EXPECT_EQ(*evr.release, "4.el9");

  rpm::Evr bare = rpm::split("2.3");
  EXPECT_FALSE(bare.epoch.has_value());
  EXPECT_FALSE(bare.release.has_value());
  EXPECT_EQ(bare.version, "2.3");
}

TEST(RpmParse, AcceptsMaxEpoch) {
  EXPECT_TRUE(rpm::parse("4294967295:1.0").has_value());
}

}  // namespace
}  // namespace pk::version
