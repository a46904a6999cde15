#include "apt/release.h"

#include <gtest/gtest.h>

#include <string>

#include "apt/tests/sandbox.h"

namespace pk::apt {
namespace {

constexpr std::string_view kSignedRelease =
    "-----BEGIN PGP SIGNED MESSAGE-----\n"
    "Hash: SHA256\n"
    "\n"
    "Origin: Ubuntu\n"
    "Label: Ubuntu\n"
    "Suite: noble-security\n"
    "Version: 24.04\n"
    "Codename: noble\n"
    "- -dash-escaped: line\n"
    "-----BEGIN PGP SIGNATURE-----\n"
    "\n"
    "iQIzBAEBCAAdFiEE\n"
    "-----END PGP SIGNATURE-----\n";

TEST(StripPgpArmour, KeepsSignedText) {
  auto text = stripPgpArmour(kSignedRelease);
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_EQ(*text,
            "Origin: Ubuntu\nLabel: Ubuntu\nSuite: noble-security\nVersion: 24.04\n"
            "Codename: noble\n-dash-escaped: line\n");
}

TEST(StripPgpArmour, PlainTextUnchanged) {
  auto text = stripPgpArmour("Origin: Debian\nSuite: stable\n");
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, "Origin: Debian\nSuite: stable\n");
}

TEST(StripPgpArmour, RejectsBrokenArmour) {
  const std::string_view broken[] = {
      "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n",
      "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSuite: x\n",
  };
  for (const auto text : broken) {
    auto stripped = stripPgpArmour(text);
    ASSERT_FALSE(stripped.has_value()) << text;
    EXPECT_EQ(stripped.error().code, ErrorCode::kMalformedInput);
  }
}

TEST(ParseRelease, SignedUbuntu) {
  auto release = parseRelease(kSignedRelease);
  ASSERT_TRUE(release.has_value()) << release.error().message;
  EXPECT_EQ(release->origin, "Ubuntu");
  EXPECT_EQ(release->label, "Ubuntu");
  EXPECT_EQ(release->suite, "noble-security");
  EXPECT_EQ(release->codename, "noble");
  EXPECT_EQ(release->version, "24.04");
}

TEST(ParseRelease, CaseInsensitiveCrlfFirstStanzaOnly) {
  auto release = parseRelease(
      "\r\norigin: Debian\r\nSUITE: stable\r\ncodename:  bookworm \r\n\r\nLabel: Other\r\n");
  ASSERT_TRUE(release.has_value()) << release.error().message;
  EXPECT_EQ(release->origin, "Debian");
  EXPECT_EQ(release->suite, "stable");
  EXPECT_EQ(release->codename, "bookworm");
  EXPECT_EQ(release->label, "");
}

TEST(ParseRelease, RejectsMissingSuiteAndCodename) {
  auto release = parseRelease("Origin: Debian\nLabel: Debian\n");
  ASSERT_FALSE(release.has_value());
  EXPECT_EQ(release.error().code, ErrorCode::kMalformedInput);
}

TEST(ParseRelease, RealBookwormSecurityInRelease) {
  const auto path = testing::sharedData() / "debian/bookworm-security/apt-lists" /
                    "deb.debian.org_debian-security_dists_bookworm-security_InRelease";
  auto release = parseRelease(testing::readFile(path));
  ASSERT_TRUE(release.has_value()) << release.error().message;
  EXPECT_EQ(release->origin, "Debian");
  EXPECT_EQ(release->label, "Debian-Security");
  EXPECT_EQ(release->suite, "oldstable-security");
  EXPECT_EQ(release->codename, "bookworm-security");
  EXPECT_EQ(release->version, "12");
  EXPECT_TRUE(isSecurityArchive(*release));
}

TEST(IsSecurityArchive, Table) {
  struct Case {
    Release release;
    bool expected;
  };
  const Case cases[] = {
      {{"Debian", "Debian-Security", "oldstable-security", "bookworm-security", "12"}, true},
      {{"Debian", "Debian-Security", "", "bookworm", ""}, true},
      {{"Debian", "Debian", "oldstable-security", "", ""}, true},
      {{"Ubuntu", "Ubuntu", "noble-security", "noble", "24.04"}, true},
      {{"Debian", "Debian", "", "trixie-security", ""}, true},
      {{"Debian", "Debian", "oldstable", "bookworm", "12.12"}, false},
      {{"Debian", "Debian", "oldstable-updates", "bookworm-updates", ""}, false},
      {{"Ubuntu", "Ubuntu", "noble-updates", "noble", ""}, false},
      {{"Example", "security", "security-stable", "security", ""}, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(isSecurityArchive(c.release), c.expected)
        << c.release.label << " " << c.release.suite << " " << c.release.codename;
  }
}

}  // namespace
}  // namespace pk::apt
