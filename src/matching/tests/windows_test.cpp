// Matching Windows hosts by build and KBs, on small hand-made advisories.
// windows_real_data_test.cpp matches real MSRC documents.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "advisory/advisory.h"
#include "matching/index.h"

namespace pk::matching {
namespace {

using advisory::AffectedPackage;

AffectedPackage::KbFix fix(std::string kb, std::string build, std::string type = "Security Update",
                           std::vector<std::string> supersedes = {}) {
  AffectedPackage::KbFix result;
  result.kb = std::move(kb);
  result.fixed_build = std::move(build);
  result.update_type = std::move(type);
  result.supersedes = std::move(supersedes);
  result.restart_required = "yes";
  return result;
}

advisory::Advisory windowsAdvisory(std::string cve, std::string product,
                                   std::vector<AffectedPackage::KbFix> fixes,
                                   std::string source = "msrc-cvrf") {
  advisory::Advisory advisory;
  advisory.id = std::move(cve);
  advisory.source = std::move(source);
  advisory.severity = advisory::Severity::kHigh;
  AffectedPackage entry;
  entry.ecosystem = std::string(advisory::kWindowsEcosystem);
  entry.name = std::move(product);
  entry.kb_fixes = std::move(fixes);
  advisory.affected.push_back(std::move(entry));
  return advisory;
}

inventory::HostInventory windowsHost(std::string build, std::vector<std::string> kbs = {},
                                     std::string type = "Server") {
  inventory::HostInventory host;
  host.scheme = version::Scheme::kWindows;
  host.os.id = "windows";
  inventory::WindowsFacts facts;
  facts.edition = "Windows Server 2019 Datacenter";
  facts.build = std::move(build);
  facts.installation_type = std::move(type);
  facts.architecture = "x64";
  facts.installed_kbs = std::move(kbs);
  host.windows = std::move(facts);
  return host;
}

class WindowsMatchTest : public ::testing::Test {
 protected:
  void add(advisory::Advisory advisory) {
    advisory::LoadReport report;
    index_.add(std::move(advisory), report);
    ASSERT_TRUE(report.issues.empty());
  }

  AdvisoryIndex index_;
};

TEST_F(WindowsMatchTest, BuildBelowFixIsAffected) {
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019",
                      {fix("5060531", "10.0.17763.7434", "Security Update", {"5058392"})}));
  auto match = index_.matchWindows(windowsHost("10.0.17763.7314", {"5058392"}));
  ASSERT_EQ(match.product, "Windows Server 2019");
  ASSERT_EQ(match.findings.size(), 1u);
  const Finding& finding = match.findings.front();
  EXPECT_EQ(finding.advisory_id, "CVE-2025-1");
  EXPECT_EQ(finding.package, "Windows Server 2019");
  EXPECT_EQ(finding.installed_version, "10.0.17763.7314");
  EXPECT_EQ(finding.fixed_version, "10.0.17763.7434");
  EXPECT_EQ(finding.fix_kb, "5060531");
  EXPECT_EQ(finding.ecosystem, "Windows");
  EXPECT_EQ(finding.severity, advisory::Severity::kHigh);
  EXPECT_TRUE(match.cleared.empty());
}

TEST_F(WindowsMatchTest, BuildAtFixClearsIt) {
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019", {fix("5060531", "10.0.17763.7434")}));
  for (std::string build : {"10.0.17763.7434", "10.0.17763.8000"}) {
    auto match = index_.matchWindows(windowsHost(build));
    EXPECT_TRUE(match.findings.empty()) << build;
    EXPECT_EQ(match.cleared.count("CVE-2025-1"), 1u) << build;
  }
}

TEST_F(WindowsMatchTest, InstalledKbClearsAnyBuild) {
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019", {fix("5060531", "10.0.17763.7434")}));
  // A build reported without its update revision compares as .0.
  auto match = index_.matchWindows(windowsHost("10.0.17763", {"5060531"}));
  EXPECT_TRUE(match.findings.empty());
  EXPECT_EQ(match.cleared.count("CVE-2025-1"), 1u);
}

TEST_F(WindowsMatchTest, SupersedenceChainCountsAsInstalled) {
  // Fixes whose builds are not Windows builds of the host's line, as
  // Internet Explorer cumulative updates for Extended Security Updates
  // list "1.000": only the KBs can decide.
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019", {fix("100", "1.000", "IE Cumulative")}));
  add(windowsAdvisory("CVE-2025-2", "Windows Server 2019",
                      {fix("200", "1.000", "IE Cumulative", {"100"})}));
  add(windowsAdvisory("CVE-2025-3", "Windows Server 2019",
                      {fix("300", "1.000", "IE Cumulative", {"200"})}));
  auto match = index_.matchWindows(windowsHost("10.0.17763.9000", {"300"}));
  EXPECT_TRUE(match.findings.empty());
  EXPECT_EQ(match.cleared.size(), 3u);

  auto without = index_.matchWindows(windowsHost("10.0.17763.9000", {"200"}));
  ASSERT_EQ(without.findings.size(), 1u);
  EXPECT_EQ(without.findings.front().advisory_id, "CVE-2025-3");
}

TEST_F(WindowsMatchTest, InstalledCumulativeKbImpliesItsBuild) {
  // No supersedence links the two KBs, and the host reports no revision.
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019", {fix("100", "10.0.17763.100")}));
  add(windowsAdvisory("CVE-2025-3", "Windows Server 2019", {fix("300", "10.0.17763.300")}));
  auto match = index_.matchWindows(windowsHost("10.0.17763", {"300"}));
  EXPECT_TRUE(match.findings.empty());
  EXPECT_EQ(match.cleared.count("CVE-2025-1"), 1u);

  // A security-only KB implies nothing about the build.
  add(windowsAdvisory(
      "CVE-2025-4", "Windows Server 2019",
      {fix("400", "10.0.17763.400"), fix("401", "10.0.17763.400", "Security Only")}));
  auto security_only = index_.matchWindows(windowsHost("10.0.17763", {"401"}));
  ASSERT_EQ(security_only.findings.size(), 2u);
  EXPECT_EQ(security_only.cleared.count("CVE-2025-4"), 1u);
}

TEST_F(WindowsMatchTest, SecurityOnlyBuildIsNotProof) {
  // KB 902 is security-only for Windows 11 24H2 and a plain security
  // update for Windows Server 2025 at the hotpatch base build 26100.400;
  // the month's cumulative update is KB 903.
  add(windowsAdvisory(
      "CVE-2025-1", "Windows 11 24H2",
      {fix("902", "10.0.26100.400", "Security Only"), fix("903", "10.0.26100.500")}));
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2025",
                      {fix("902", "10.0.26100.400"), fix("903", "10.0.26100.500")}));
  auto server = index_.matchWindows(windowsHost("10.0.26100.400", {"800"}));
  ASSERT_EQ(server.product, "Windows Server 2025");
  ASSERT_EQ(server.findings.size(), 1u);
  EXPECT_EQ(server.findings.front().fixed_version, "10.0.26100.500");
  EXPECT_EQ(server.findings.front().fix_kb, "903");

  EXPECT_TRUE(index_.matchWindows(windowsHost("10.0.26100.400", {"902"})).findings.empty());
}

TEST_F(WindowsMatchTest, RollupReplacesSecurityOnly) {
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2012 R2",
                      {fix("500", "6.3.9600.500", "Monthly Rollup", {"400"}),
                       fix("501", "6.3.9600.490", "Security Only")}));
  auto rollup = windowsHost("6.3.9600", {"500"});
  rollup.windows->edition = "Windows Server 2012 R2 Standard";
  EXPECT_TRUE(index_.matchWindows(rollup).findings.empty());

  auto security_only = windowsHost("6.3.9600", {"501"});
  EXPECT_TRUE(index_.matchWindows(security_only).findings.empty());

  auto neither = windowsHost("6.3.9600.400", {"400"});
  auto match = index_.matchWindows(neither);
  ASSERT_EQ(match.findings.size(), 1u);
  // The rollup is named, not the security-only update, and its build is the
  // fixed version.
  EXPECT_EQ(match.findings.front().fix_kb, "500");
  EXPECT_EQ(match.findings.front().fixed_version, "6.3.9600.500");
}

TEST_F(WindowsMatchTest, HotpatchCountsOnlyWhenInstalled) {
  add(windowsAdvisory(
      "CVE-2025-1", "Windows Server 2022",
      {fix("600", "10.0.20348.3692"), fix("601", "10.0.20348.3630", "Security Hotpatch Update")}));
  // Above the hotpatch build, below the cumulative one: still affected.
  auto match = index_.matchWindows(windowsHost("10.0.20348.3650"));
  ASSERT_EQ(match.findings.size(), 1u);
  EXPECT_EQ(match.findings.front().fix_kb, "600");
  EXPECT_EQ(match.findings.front().fixed_version, "10.0.20348.3692");

  EXPECT_TRUE(index_.matchWindows(windowsHost("10.0.20348.3630", {"601"})).findings.empty());
}

TEST_F(WindowsMatchTest, FindingNamesNewestCumulativeKb) {
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019", {fix("100", "10.0.17763.100")}));
  add(windowsAdvisory("CVE-2025-2", "Windows Server 2019",
                      {fix("200", "10.0.17763.200", "Security Update", {"100"})}));
  add(windowsAdvisory("CVE-2025-3", "Windows Server 2019",
                      {fix("300", "10.0.17763.300", "Security Update", {"200"}),
                       fix("301", "10.0.17763.290", "Security Hotpatch Update", {"200"})}));
  // A KB superseding the fix on another product is not offered here.
  add(windowsAdvisory("CVE-2025-4", "Windows Server 2022",
                      {fix("900", "10.0.20348.900", "Security Update", {"100"})}));

  auto match = index_.matchWindows(windowsHost("10.0.17763.50"));
  ASSERT_EQ(match.findings.size(), 3u);
  for (const auto& finding : match.findings) {
    EXPECT_EQ(finding.fix_kb, "300") << finding.advisory_id;
  }
}

TEST_F(WindowsMatchTest, OtherBuildLineIsNotCompared) {
  // A fixed build of another line (a Windows 10 21H2 build listed for 22H2,
  // say) proves nothing about this host's build.
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019", {fix("700", "10.0.17000.1")}));
  auto match = index_.matchWindows(windowsHost("10.0.17763.9000"));
  ASSERT_EQ(match.findings.size(), 1u);
  EXPECT_EQ(match.findings.front().fixed_version, "");
  EXPECT_EQ(match.findings.front().fix_kb, "700");
}

TEST_F(WindowsMatchTest, KbBuildFromOtherEntryIsUsed) {
  // MSRC lists one CVE's fix with the other line's build of a shared KB.
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019", {fix("700", "10.0.17000.500")}));
  add(windowsAdvisory("CVE-2025-2", "Windows Server 2019", {fix("700", "10.0.17763.500")}));
  EXPECT_TRUE(index_.matchWindows(windowsHost("10.0.17763.600")).findings.empty());

  auto match = index_.matchWindows(windowsHost("10.0.17763.400"));
  ASSERT_EQ(match.findings.size(), 2u);
  for (const auto& finding : match.findings) {
    EXPECT_EQ(finding.fixed_version, "10.0.17763.500") << finding.advisory_id;
  }
}

TEST_F(WindowsMatchTest, OtherProductsGiveNothing) {
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2022", {fix("600", "10.0.20348.3692")}));
  auto match = index_.matchWindows(windowsHost("10.0.17763.1"));
  EXPECT_EQ(match.product, "Windows Server 2019");
  EXPECT_TRUE(match.findings.empty());
  EXPECT_TRUE(match.cleared.empty());

  auto unknown = index_.matchWindows(windowsHost("10.0.12345.1"));
  EXPECT_FALSE(unknown.product.has_value());
  EXPECT_TRUE(unknown.findings.empty());

  inventory::HostInventory linux_host;
  EXPECT_TRUE(index_.matchWindows(linux_host).findings.empty());
}

TEST_F(WindowsMatchTest, TwoFeedsGiveOneFinding) {
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019", {fix("5060531", "10.0.17763.7434")}));
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019", {fix("5060531", "10.0.17763.7434")},
                      "kb-mapping"));
  auto match = index_.match(windowsHost("10.0.17763.1"));
  ASSERT_EQ(match.size(), 1u);
  EXPECT_EQ(match.front().advisory_id, "CVE-2025-1");
}

TEST_F(WindowsMatchTest, FindingsCarryKevAndEpss) {
  add(windowsAdvisory("CVE-2025-1", "Windows Server 2019", {fix("5060531", "10.0.17763.7434")}));
  advisory::Enrichment enrichment;
  enrichment.kev["CVE-2025-1"] = advisory::KevEntry{"CVE-2025-1", "Microsoft",  "Windows", "name",
                                                    "2025-06-10", "2025-07-01", false};
  enrichment.epss["CVE-2025-1"] = advisory::EpssScore{0.42, 0.9};
  index_.setEnrichment(enrichment);
  auto match = index_.matchWindows(windowsHost("10.0.17763.1"));
  ASSERT_EQ(match.findings.size(), 1u);
  EXPECT_TRUE(match.findings.front().known_exploited);
  EXPECT_EQ(match.findings.front().kev_due_date, "2025-07-01");
  EXPECT_EQ(match.findings.front().epss, 0.42);
}

TEST(WindowsUpdateTypes, HotpatchAndSecurityOnlyAreRecognised) {
  EXPECT_TRUE(isHotpatch("Security Hotpatch Update"));
  EXPECT_TRUE(isHotpatch("SecurityHotpatchUpdate"));
  EXPECT_FALSE(isHotpatch("Security Update"));
  EXPECT_TRUE(isSecurityOnly("Security Only"));
  EXPECT_FALSE(isSecurityOnly("Monthly Rollup"));
}

}  // namespace
}  // namespace pk::matching
