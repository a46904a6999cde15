#include "version/version.h"

#include <gtest/gtest.h>

namespace pk::version {
namespace {

TEST(SchemeName, RoundTrips) {
  for (Scheme scheme :
       {Scheme::kDpkg, Scheme::kRpm, Scheme::kApk, Scheme::kSemver, Scheme::kWindows}) {
    auto parsed = parseSchemeName(schemeName(scheme));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, scheme);
  }
  EXPECT_FALSE(parseSchemeName("deb").has_value());
  EXPECT_FALSE(parseSchemeName("DPKG").has_value());
}

TEST(Compare, DispatchesToSchemeRules) {
  // "1.0~rc1" is older than "1.0" for dpkg and rpm, and malformed for apk.
  ASSERT_TRUE(compare(Scheme::kDpkg, "1.0~rc1", "1.0").has_value());
  EXPECT_TRUE(*compare(Scheme::kDpkg, "1.0~rc1", "1.0") < 0);
  EXPECT_TRUE(*compare(Scheme::kRpm, "1.0~rc1", "1.0") < 0);
  EXPECT_FALSE(compare(Scheme::kApk, "1.0~rc1", "1.0").has_value());
}

TEST(Compare, NoSchemeBorrowsAnother) {
  // "1.0a" vs "1.0+": dpkg puts letters before '+'; rpm ignores the '+'
  // separator and treats a letter segment as newer than nothing.
  EXPECT_TRUE(*compare(Scheme::kDpkg, "1.0a", "1.0+") < 0);
  EXPECT_TRUE(*compare(Scheme::kRpm, "1.0a", "1.0+") > 0);
  // "1.0_p1" is a post-release for apk and malformed for dpkg.
  EXPECT_TRUE(*compare(Scheme::kApk, "1.0_p1", "1.0") > 0);
  EXPECT_FALSE(compare(Scheme::kDpkg, "1.0_p1", "1.0").has_value());
}

TEST(Compare, ReportsFirstMalformedSide) {
  auto result = compare(Scheme::kDpkg, "1.0", "1.0-");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(result.error().message.find("'1.0-'"), std::string::npos);
}

TEST(Validate, QuotesControlBytes) {
  auto result = validate(Scheme::kRpm, "1.0\n");
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("'1.0\\x0a'"), std::string::npos) << result.error().message;
}

}  // namespace
}  // namespace pk::version
