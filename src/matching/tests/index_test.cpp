#include "matching/index.h"

#include <gtest/gtest.h>

#include "matching/tests/match_fixtures.h"

namespace pk::matching {
namespace {

using advisory::PackageNameKind;
using advisory::Severity;
using testing::advisoryWith;
using testing::fixedIn;
using testing::host;
using testing::package;

AdvisoryIndex indexOf(std::vector<advisory::Advisory> advisories) {
  AdvisoryIndex index;
  advisory::LoadReport report;
  for (auto& record : advisories) index.add(std::move(record), report);
  EXPECT_EQ(report.records_skipped, 0U);
  return index;
}

TEST(Match, DmsetupMatchedThroughLvm2Source) {
  // dmsetup 2:1.02.185-2 is built from lvm2 2.03.16-2; the tracker names
  // lvm2 and its source version, never the binary's epoch and version.
  auto index = indexOf({advisoryWith(
      "CVE-2099-0001", {fixedIn("Debian:12", "lvm2", PackageNameKind::kSource, "2.03.16-3")})});
  auto findings = index.match(host("Debian:12", version::Scheme::kDpkg,
                                   {package("dmsetup", "2:1.02.185-2", "lvm2", "2.03.16-2")}));
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].package, "dmsetup");
  EXPECT_EQ(findings[0].source_package, "lvm2");
  EXPECT_EQ(findings[0].installed_version, "2:1.02.185-2");
  EXPECT_EQ(findings[0].compared_version, "2.03.16-2");
  EXPECT_EQ(findings[0].fixed_version, "2.03.16-3");
}

TEST(Match, DmsetupNotAffectedWhenSourceFixed) {
  // The binary's epoch 2 must not make it look newer or older than the fix.
  auto index = indexOf({advisoryWith(
      "CVE-2099-0001", {fixedIn("Debian:12", "lvm2", PackageNameKind::kSource, "2.03.16-2")})});
  auto findings = index.match(host("Debian:12", version::Scheme::kDpkg,
                                   {package("dmsetup", "2:1.02.185-2", "lvm2", "2.03.16-2")}));
  EXPECT_TRUE(findings.empty());
}

TEST(Match, OtherEcosystemIgnored) {
  auto index = indexOf({advisoryWith(
      "CVE-2099-0002", {fixedIn("Debian:11", "openssl", PackageNameKind::kSource, "9.9")})});
  auto findings = index.match(
      host("Debian:12", version::Scheme::kDpkg, {package("libssl3", "3.0.11-1", "openssl")}));
  EXPECT_TRUE(findings.empty());
}

TEST(Match, ConfigFilesPackageIgnored) {
  auto index = indexOf({advisoryWith(
      "CVE-2099-0003", {fixedIn("Debian:12", "foo", PackageNameKind::kSource, "2.0")})});
  auto removed = package("foo", "1.0");
  removed.state = "config-files";
  auto half = package("bar", "1.0", "foo", "1.0");
  half.state = "half-configured";
  auto findings = index.match(host("Debian:12", version::Scheme::kDpkg, {removed, half}));
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].package, "bar");
}

TEST(Match, RpmBinaryWithOwnEpochAndVersion) {
  // AlmaLinux names binaries; the binary's own EVR is compared, whatever its
  // source rpm's version.
  auto index = indexOf({advisoryWith(
      "ALSA-2099:0001",
      {fixedIn("AlmaLinux:9", "python3-perf", PackageNameKind::kBinary, "0:5.14.0-427.el9")})});
  auto findings =
      index.match(host("AlmaLinux:9", version::Scheme::kRpm,
                       {package("python3-perf", "5.14.0-362.el9", "kernel", "5.14.0-362.el9"),
                        package("perl-Errno", "1.30-481.el9", "perl", "5.32.1-481.el9")}));
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].package, "python3-perf");
  EXPECT_EQ(findings[0].fixed_version, "0:5.14.0-427.el9");
}

TEST(Match, RpmSourceEpochFromNamesake) {
  // The feed names the source rpm perl with epoch 4. perl-Errno's own
  // version (1.30) and epoch are irrelevant; the installed perl binary
  // supplies the epoch for the source version 5.32.1-481.el9.
  auto index = indexOf({advisoryWith(
      "RLSA-2099:0002",
      {fixedIn("Rocky Linux:9", "perl", PackageNameKind::kSource, "4:5.32.1-482.el9")})});
  auto findings =
      index.match(host("Rocky Linux:9", version::Scheme::kRpm,
                       {package("perl", "4:5.32.1-481.el9", "perl", "5.32.1-481.el9"),
                        package("perl-Errno", "0:1.30-481.el9", "perl", "5.32.1-481.el9")}));
  ASSERT_EQ(findings.size(), 2U);
  for (const auto& finding : findings) {
    EXPECT_EQ(finding.compared_version, "4:5.32.1-481.el9") << finding.package;
    EXPECT_EQ(finding.fixed_version, "4:5.32.1-482.el9") << finding.package;
  }
}

TEST(Match, RpmSourceEpochDroppedWithoutNamesake) {
  // No installed binary is named "openssl", so neither side gets an epoch:
  // the source version 3.0.7-27.el9 equals the fix once its epoch 1 is
  // dropped, and is not mistaken for older than 1:3.0.7-27.el9.
  auto index = indexOf({advisoryWith(
      "RLSA-2099:0003",
      {fixedIn("Rocky Linux:9", "openssl", PackageNameKind::kSource, "1:3.0.7-27.el9")})});
  auto fixed_host = host("Rocky Linux:9", version::Scheme::kRpm,
                         {package("openssl-libs", "1:3.0.7-27.el9", "openssl", "3.0.7-27.el9")});
  EXPECT_TRUE(index.match(fixed_host).empty());

  auto old_host = host("Rocky Linux:9", version::Scheme::kRpm,
                       {package("openssl-libs", "1:3.0.7-25.el9", "openssl", "3.0.7-25.el9")});
  auto findings = index.match(old_host);
  ASSERT_EQ(findings.size(), 1U);
  // Both versions are reported as compared: without the epoch.
  EXPECT_EQ(findings[0].compared_version, "3.0.7-25.el9");
  EXPECT_EQ(findings[0].fixed_version, "3.0.7-27.el9");
}

TEST(Match, RpmBinariesPreferredOverSource) {
  // A CSAF document listing both the binary and the source rpm is matched on
  // the binaries only, so the source entry does not double-report.
  auto index = indexOf({advisoryWith(
      "RLSA-2099:0004",
      {fixedIn("Rocky Linux:9", "openssl-libs", PackageNameKind::kBinary, "1:3.0.7-27.el9"),
       fixedIn("Rocky Linux:9", "openssl", PackageNameKind::kSource, "1:3.0.7-27.el9")})});
  auto findings =
      index.match(host("Rocky Linux:9", version::Scheme::kRpm,
                       {package("openssl-libs", "1:3.0.7-25.el9", "openssl", "3.0.7-25.el9"),
                        package("openssl-devel", "1:3.0.7-25.el9", "openssl", "3.0.7-25.el9")}));
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].package, "openssl-libs");
}

TEST(Match, OneFindingPerPackageAndAdvisory) {
  auto index = indexOf({advisoryWith(
      "DSA-9999-1",
      {fixedIn("Debian:12", "openssl", PackageNameKind::kSource, "3.0.11-1~deb12u2"),
       fixedIn("Debian:12", "openssl", PackageNameKind::kSource, "3.0.11-1~deb12u2")})});
  auto findings = index.match(host(
      "Debian:12", version::Scheme::kDpkg,
      {package("libssl3", "3.0.11-1~deb12u1", "openssl"), package("openssl", "3.0.11-1~deb12u1")}));
  ASSERT_EQ(findings.size(), 2U);
  EXPECT_EQ(findings[0].package, "libssl3");
  EXPECT_EQ(findings[1].package, "openssl");
}

TEST(Match, EnrichedAndSortedMostUrgentFirst) {
  auto low =
      advisoryWith("CVE-2099-1000", {fixedIn("Debian:12", "aaa", PackageNameKind::kSource, "2")},
                   Severity::kLow);
  auto critical =
      advisoryWith("DSA-9999-2", {fixedIn("Debian:12", "zzz", PackageNameKind::kSource, "2")},
                   Severity::kCritical);
  critical.aliases = {"CVE-2099-2000"};
  auto high =
      advisoryWith("CVE-2099-3000", {fixedIn("Debian:12", "mmm", PackageNameKind::kSource, "2")},
                   Severity::kHigh);
  auto index = indexOf({low, critical, high});
  advisory::Enrichment enrichment;
  enrichment.kev["CVE-2099-2000"] =
      advisory::KevEntry{"CVE-2099-2000", "v", "p", "n", "2099-01-01", "2099-01-22", false};
  enrichment.epss["CVE-2099-3000"] = advisory::EpssScore{0.5, 0.9};
  index.setEnrichment(enrichment);

  auto findings =
      index.match(host("Debian:12", version::Scheme::kDpkg,
                       {package("aaa", "1"), package("mmm", "1"), package("zzz", "1")}));
  ASSERT_EQ(findings.size(), 3U);
  EXPECT_EQ(findings[0].advisory_id, "DSA-9999-2");
  EXPECT_TRUE(findings[0].known_exploited);
  EXPECT_EQ(findings[0].kev_due_date, "2099-01-22");
  EXPECT_EQ(findings[1].advisory_id, "CVE-2099-3000");
  ASSERT_TRUE(findings[1].epss.has_value());
  EXPECT_DOUBLE_EQ(*findings[1].epss, 0.5);
  EXPECT_EQ(findings[2].advisory_id, "CVE-2099-1000");
  EXPECT_FALSE(findings[2].known_exploited);
}

TEST(Match, UbuntuBinaryFixedVersionShown) {
  auto affected = fixedIn("Ubuntu:24.04:LTS", "lvm2", PackageNameKind::kSource, "2.03.16-3ubuntu1");
  affected.binaries = {{"dmsetup", "2:1.02.185-3ubuntu1"}, {"lvm2", "2.03.16-3ubuntu1"}};
  auto index = indexOf({advisoryWith("USN-9999-1", {affected})});
  auto findings = index.match(host("Ubuntu:24.04:LTS", version::Scheme::kDpkg,
                                   {package("dmsetup", "2:1.02.185-2", "lvm2", "2.03.16-2"),
                                    package("libdevmapper", "2:1.02.185-2", "lvm2", "2.03.16-2")}));
  ASSERT_EQ(findings.size(), 2U);
  EXPECT_EQ(findings[0].package, "dmsetup");
  EXPECT_EQ(findings[0].fixed_version, "2.03.16-3ubuntu1");
  EXPECT_EQ(findings[0].fixed_binary_version, "2:1.02.185-3ubuntu1");
  EXPECT_EQ(findings[1].package, "libdevmapper");
  EXPECT_EQ(findings[1].fixed_binary_version, "");
}

TEST(Match, SameAdvisoryFromTwoFeedsOnce) {
  auto record =
      advisoryWith("DSA-9999-3", {fixedIn("Debian:12", "openssl", PackageNameKind::kSource, "2")});
  auto index = indexOf({record, record});
  auto findings =
      index.match(host("Debian:12", version::Scheme::kDpkg, {package("libssl3", "1", "openssl")}));
  EXPECT_EQ(findings.size(), 1U);
}

TEST(Index, InvalidRangeReportedAndSkipped) {
  AdvisoryIndex index;
  advisory::LoadReport report;
  index.add(
      advisoryWith("CVE-2099-4000", {fixedIn("Debian:12", "good", PackageNameKind::kSource, "2.0"),
                                     fixedIn("Debian:12", "bad", PackageNameKind::kSource, "x.0")}),
      report);
  EXPECT_EQ(report.records_skipped, 1U);
  ASSERT_EQ(report.issues.size(), 1U);
  EXPECT_EQ(report.issues[0].record_id, "CVE-2099-4000");
  EXPECT_EQ(index.entryCount(), 1U);
}

}  // namespace
}  // namespace pk::matching
