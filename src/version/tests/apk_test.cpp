#include "version/apk.h"

#include <gtest/gtest.h>

#include "version/tests/order_table.h"

namespace pk::version {
namespace {

using testing::InvalidCase;
using testing::OrderCase;

class ApkOrder : public ::testing::TestWithParam<OrderCase> {};

TEST_P(ApkOrder, MatchesApkTools) {
  const OrderCase& test = GetParam();
  ASSERT_TRUE(apk::validate(test.a).has_value()) << test.a;
  ASSERT_TRUE(apk::validate(test.b).has_value()) << test.b;
  EXPECT_EQ(testing::symbolOf(apk::compare(test.a, test.b)), test.expected);
  EXPECT_EQ(testing::symbolOf(apk::compare(test.b, test.a)), testing::mirrored(test.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ApkOrder,
    ::testing::Values(
        // Pre-release suffixes sort before the release, in apk's order.
        OrderCase{"6.0_pre1", '<', "6.0"}, OrderCase{"1.0_alpha", '<', "1.0_beta"},
        OrderCase{"1.0_beta", '<', "1.0_pre"}, OrderCase{"1.0_pre", '<', "1.0_rc"},
        OrderCase{"1.0_rc", '<', "1.0"}, OrderCase{"1.0_rc1", '<', "1.0_rc2"},
        OrderCase{"1.0_alpha10", '>', "1.0_alpha9"},
        // Post-release suffixes sort after it.
        OrderCase{"1.0_git20240101", '>', "1.0"}, OrderCase{"1.0", '<', "1.0_cvs"},
        OrderCase{"1.0_cvs", '<', "1.0_svn"}, OrderCase{"1.0_svn", '<', "1.0_git"},
        OrderCase{"1.0_git", '<', "1.0_hg"}, OrderCase{"1.0_hg", '<', "1.0_p"},
        OrderCase{"1.0_p1", '<', "1.0_p2"}, OrderCase{"1.0_git20240101", '<', "1.0.1"},
        OrderCase{"1.0_rc1_p1", '>', "1.0_rc1"}, OrderCase{"1.0_rc1_p1", '<', "1.0"},
        // Revisions.
        OrderCase{"1.0-r1", '>', "1.0"}, OrderCase{"1.0-r10", '>', "1.0-r9"},
        OrderCase{"1.0-r0", '>', "1.0"}, OrderCase{"1.0_p1", '>', "1.0-r5"},
        // Letters and components.
        OrderCase{"1.0a", '>', "1.0"}, OrderCase{"1.0b", '>', "1.0a"},
        OrderCase{"1.0a", '<', "1.0.1"}, OrderCase{"1.10", '>', "1.9"}, OrderCase{"1.0", '>', "1"},
        OrderCase{"1.0.0", '>', "1.0"}, OrderCase{"2", '>', "1.9.9"},
        // A component with a leading zero compares like a decimal fraction.
        OrderCase{"1.05", '<', "1.1"}, OrderCase{"1.05", '>', "1.045"},
        OrderCase{"1.01", '<', "1.010"}, OrderCase{"1.001", '<', "1.01"},
        OrderCase{"8.2.0015", '<', "8.2.002"},
        // The first component ignores leading zeros.
        OrderCase{"01.0", '=', "1.0"},
        // Commit hashes.
        OrderCase{"1.0~abc", '>', "1.0"}, OrderCase{"1.0~abc", '<', "1.0~abd"},
        OrderCase{"1.0~abc-r1", '>', "1.0~abc"},
        // Real Alpine fixed versions.
        OrderCase{"3.0.8-r0", '<', "3.0.10-r0"}, OrderCase{"1.36.1-r2", '>', "1.36.1-r1"},
        OrderCase{"2.40.1_git20240319-r0", '>', "2.40.1-r0"},
        OrderCase{"99999999999999999999999", '>', "99999999999999999999998"}));

class ApkInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(ApkInvalid, RejectedWithReason) {
  const InvalidCase& test = GetParam();
  auto valid = apk::validate(test.version);
  ASSERT_FALSE(valid.has_value()) << test.version;
  EXPECT_EQ(valid.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(valid.error().message.find(test.rule), std::string::npos) << valid.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ApkInvalid,
    ::testing::Values(InvalidCase{"", "expected a number"},
                      InvalidCase{"a1.0", "expected a number"},
                      InvalidCase{"1.0_foo", "unknown suffix"},
                      InvalidCase{"1.0-1", "'-' must start a -rN revision"},
                      InvalidCase{"1.0-r", "expected a number"},
                      InvalidCase{"1.0-r1-r2", "only one -r revision is allowed"},
                      InvalidCase{"1.0-r1_p1", "'_' may not follow a hash or revision"},
                      InvalidCase{"1.0ab", "a letter may only follow a number"},
                      InvalidCase{"1.0a1", "a number may not follow a letter"},
                      InvalidCase{"1.0_rc1.2", "'.' may only follow a number"},
                      InvalidCase{"1.0~", "hexadecimal commit hash"},
                      InvalidCase{"1.0~ab~cd", "'~' may appear only once"},
                      InvalidCase{"1.0A", "unexpected character"},
                      InvalidCase{"1..0", "expected a number"}));

TEST(ApkValidate, ErrorNamesOffset) {
  auto valid = apk::validate("1.0_foo");
  ASSERT_FALSE(valid.has_value());
  EXPECT_EQ(valid.error().message,
            "invalid apk version '1.0_foo': unknown suffix; expected _alpha, _beta, _pre, _rc, "
            "_cvs, _svn, _git, _hg or _p at offset 7");
}

}  // namespace
}  // namespace pk::version
