// The changelog entries the collector sends with a pending security update,
// read from a real .deb in the root's apt cache.

#include <gtest/gtest.h>

#include <string>

#include "agent/collector.h"
#include "agent/tests/fakes.h"
#include "apt/deb_changelog.h"
#include "apt/security_updates.h"
#include "apt/tests/sandbox.h"
#include "tests/support/dpkg_sandbox.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using pk::test_support::DpkgStanza;

constexpr std::string_view kChangelog =
    "openssl (3.0.17-1~deb12u1) bookworm-security; urgency=high\n"
    "\n"
    "  * Fix CVE-2026-1111.\n"
    "\n"
    " -- Debian Security Team <team@security.debian.org>  Wed, 21 Oct 2026 16:54:24 +0700\n"
    "\n"
    "openssl (3.0.16-1~deb12u1) bookworm; urgency=medium\n"
    "\n"
    "  * New upstream release.\n"
    "\n"
    " -- Debian Maintainer <maint@debian.org>  Mon, 12 Oct 2026 09:00:00 +0000\n"
    "\n"
    "openssl (3.0.15-1~deb12u1) bookworm; urgency=low\n"
    "\n"
    "  * The installed version.\n"
    "\n"
    " -- Debian Maintainer <maint@debian.org>  Thu, 01 Oct 2026 09:00:00 +0000\n";

// Writes the security archive's lists offering openssl 3.0.17-1~deb12u1.
void writeSecurityLists(const fs::path& root) {
  const fs::path lists = root / "var/lib/apt/lists";
  apt::testing::writeFile(
      lists / "deb.debian.org_debian-security_dists_bookworm-security_InRelease",
      "Origin: Debian\nLabel: Debian-Security\nSuite: oldstable-security\n"
      "Codename: bookworm-security\n");
  apt::testing::writeFile(
      lists / "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages",
      "Package: openssl\nSource: openssl\nVersion: 3.0.17-1~deb12u1\nArchitecture: amd64\n"
      "Filename: pool/updates/main/o/openssl/openssl_3.0.17-1~deb12u1_amd64.deb\n");
}

// Builds openssl_3.0.17-1~deb12u1_amd64.deb with dpkg-deb into the root's
// apt cache, with kChangelog as its changelog.Debian.gz.
void buildOpensslDeb(const fs::path& root) {
  apt::testing::TempDir tree;
  const auto top = tree.path() / "pkg";
  apt::testing::writeFile(top / "DEBIAN/control",
                          "Package: openssl\nSource: openssl\nVersion: 3.0.17-1~deb12u1\n"
                          "Architecture: amd64\nMaintainer: Test <test@example.org>\n"
                          "Description: test package\n");
  const auto changelog = top / "usr/share/doc/openssl/changelog.Debian";
  apt::testing::writeFile(changelog, kChangelog);
  apt::testing::runTool({"gzip", "-9", "-n", changelog.string()});
  const auto archives = apt::archivesFolder(root);
  fs::create_directories(archives);
  apt::testing::runTool(
      {"dpkg-deb", "--root-owner-group", "-Zgzip", "--build", top.string(),
       (archives / apt::debFileName("openssl", "3.0.17-1~deb12u1", "amd64")).string()});
}

TEST(CollectorChangelog, SendsEntriesAboveInstalled) {
  apt::testing::TempDir folder;
  const fs::path root = folder.path();
  ASSERT_TRUE(pk::test_support::writeDebianRoot(
      root, "12", {DpkgStanza{.package = "openssl", .version = "3.0.15-1~deb12u1"}}));
  writeSecurityLists(root);
  buildOpensslDeb(root);
  ASSERT_FALSE(HasFatalFailure());

  FakeClock clock{*parseRfc3339("2026-12-04T23:24:08Z")};
  test_fakes::CountingRandom random;
  Collector collector({.root = root}, clock, random);
  auto report = collector.collect("", false);
  ASSERT_TRUE(report) << report.error().message;

  ASSERT_EQ(report->security_updates.size(), 1u);
  const auto& changelog = report->security_updates[0].changelog;
  ASSERT_EQ(changelog.size(), 2u);
  EXPECT_EQ(changelog[0].version, "3.0.17-1~deb12u1");
  EXPECT_EQ(changelog[0].distributions, "bookworm-security");
  EXPECT_EQ(changelog[0].urgency, "high");
  EXPECT_EQ(changelog[0].date, "Wed, 21 Oct 2026 16:54:24 +0700");
  EXPECT_NE(changelog[0].body.find("Fix CVE-2026-1111."), std::string::npos) << changelog[0].body;
  EXPECT_EQ(changelog[1].version, "3.0.16-1~deb12u1");
  EXPECT_EQ(changelog[1].urgency, "medium");
  EXPECT_EQ(report->security_updates[0].cve_ids, std::vector<std::string>{"CVE-2026-1111"});
}

}  // namespace
}  // namespace pk::agent
