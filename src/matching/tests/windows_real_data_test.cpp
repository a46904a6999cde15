// Matching Windows hosts against real MSRC monthly documents: June 2025
// and September 2025 to March 2026. Builds, KB numbers and CVE ids below
// are taken from those documents.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "advisory/feed.h"
#include "matching/index.h"

namespace pk::matching {
namespace {

const std::filesystem::path kCvrf =
    std::filesystem::path(PK_SHARED_DATA_DIR) / "windows" / "msrc-cvrf";

std::filesystem::path monthly(const std::string& year, const std::string& month) {
  return kCvrf / year / "xml-cvrf-document" / ("cvrfDocument-" + year + "-" + month + ".xml");
}

class WindowsRealDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    index_ = new AdvisoryIndex();
    for (const auto& [year, month] :
         std::vector<std::pair<std::string, std::string>>{{"2025", "Jun"},
                                                          {"2025", "Sep"},
                                                          {"2025", "Nov"},
                                                          {"2025", "Dec"},
                                                          {"2026", "Jan"},
                                                          {"2026", "Feb"},
                                                          {"2026", "Mar"}}) {
      advisory::Enrichment enrichment;
      advisory::LoadReport report;
      auto loaded = advisory::loadFeed(
          monthly(year, month),
          [&](advisory::Advisory&& advisory) {
            advisory::LoadReport index_report;
            index_->add(std::move(advisory), index_report);
          },
          enrichment, report);
      ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    }
  }
  static void TearDownTestSuite() { delete index_; }

  static inventory::HostInventory host(std::string build, std::string installation_type,
                                       std::vector<std::string> kbs) {
    inventory::HostInventory host;
    host.scheme = version::Scheme::kWindows;
    inventory::WindowsFacts facts;
    facts.edition = installation_type == "Client" ? "Windows 10 Enterprise" : "Windows Server";
    facts.build = std::move(build);
    facts.installation_type = std::move(installation_type);
    facts.architecture = "x64";
    facts.installed_kbs = std::move(kbs);
    host.windows = std::move(facts);
    return host;
  }

  static std::set<std::string> cves(const WindowsMatch& match) {
    std::set<std::string> ids;
    for (const auto& finding : match.findings) ids.insert(finding.advisory_id);
    return ids;
  }

  static const Finding* findingFor(const WindowsMatch& match, const std::string& cve) {
    for (const auto& finding : match.findings) {
      if (finding.advisory_id == cve) return &finding;
    }
    return nullptr;
  }

  static AdvisoryIndex* index_;
};

AdvisoryIndex* WindowsRealDataTest::index_ = nullptr;

// Windows Server 2008 R2 SP1 in June 2025: CVE-2025-33053 is fixed by the
// Internet Explorer cumulative update KB5060996 (fixed build "1", not a
// Windows build) or by June's monthly rollup. September's IE cumulative
// update KB5065435 supersedes KB5060996. A host patched with security-only
// and IE cumulative updates, which has September's, is fixed by
// supersedence alone: neither its build nor its KBs' builds can decide.
TEST_F(WindowsRealDataTest, SupersededKbCountsAsInstalled) {
  auto september = index_->matchWindows(host("6.1.7601", "Server", {"5065435", "5065510"}));
  ASSERT_EQ(september.product, "Windows Server 2008 R2 SP1");
  EXPECT_EQ(findingFor(september, "CVE-2025-33053"), nullptr);
  EXPECT_EQ(september.cleared.count("CVE-2025-33053"), 1u);
  // September's own CVE, fixed by the IE update directly.
  EXPECT_EQ(findingFor(september, "CVE-2025-54107"), nullptr);

  // The security-only update alone does not cover June's CVE.
  auto security_only = index_->matchWindows(host("6.1.7601", "Server", {"5065510"}));
  const Finding* june = findingFor(security_only, "CVE-2025-33053");
  ASSERT_NE(june, nullptr);
  EXPECT_EQ(june->fix_kb, "5061078");
}

// Windows 10 22H2 takes one cumulative update a month, each superseding
// the last: KB5065429 (September 2025, build 6332), KB5066791 (October,
// 6456), KB5068781 (November, 6575), KB5071546 (December, 6691), KB5073724
// (January 2026, 6809), KB5075912 (February, 6937), KB5078885 (March,
// 7058). A host that lists only its newest cumulative update, as
// Get-HotFix does once older ones are superseded, and reports its build
// without the update revision, is fixed for every earlier month.
TEST_F(WindowsRealDataTest, NewestCumulativeUpdateCoversEarlierMonths) {
  auto march = index_->matchWindows(host("10.0.19045", "Client", {"5078885"}));
  ASSERT_EQ(march.product, "Windows 10 22H2");
  // Every CVE from June 2025 to March 2026 is fixed, through the chain of
  // supersessions and the build the March update brings.
  for (const auto& cve : {"CVE-2025-33073", "CVE-2025-54918", "CVE-2025-59505", "CVE-2026-20804",
                          "CVE-2026-21510", "CVE-2026-24289"}) {
    EXPECT_EQ(findingFor(march, cve), nullptr) << cve;
    EXPECT_EQ(march.cleared.count(cve), 1u) << cve;
  }

  // Without any KB the same build leaves all of them open.
  auto bare = index_->matchWindows(host("10.0.19045", "Client", {}));
  for (const auto& cve : {"CVE-2025-33073", "CVE-2025-54918", "CVE-2025-59505", "CVE-2026-20804",
                          "CVE-2026-21510", "CVE-2026-24289"}) {
    EXPECT_NE(findingFor(bare, cve), nullptr) << cve;
  }

  // With February's update installed, March's CVEs are still open.
  auto february = index_->matchWindows(host("10.0.19045", "Client", {"5075912"}));
  EXPECT_EQ(findingFor(february, "CVE-2026-21510"), nullptr);
  ASSERT_NE(findingFor(february, "CVE-2026-24289"), nullptr);
  EXPECT_EQ(findingFor(february, "CVE-2026-24289")->fix_kb, "5078885");
}

// November's cumulative update brings build 19045.6575. A host at that
// build that does not list the update (its list was cleaned, or it came
// from an image) is fixed for every CVE up to November, and still open for
// December's, whose fix is KB5071546 at 6691.
TEST_F(WindowsRealDataTest, BuildAboveFixWithoutKbIsFixed) {
  auto match = index_->matchWindows(host("10.0.19045.6575", "Client", {}));
  ASSERT_EQ(match.product, "Windows 10 22H2");
  // September's CVE-2025-59220 lists KB5065429 with the 21H2 build
  // 10.0.19044.6332 for 22H2; the same KB's 22H2 build 6332 decides it.
  for (const auto& cve : {"CVE-2025-54918", "CVE-2025-59220", "CVE-2025-59505"}) {
    EXPECT_EQ(findingFor(match, cve), nullptr) << cve;
    EXPECT_EQ(match.cleared.count(cve), 1u) << cve;
  }
  const Finding* december = findingFor(match, "CVE-2025-62221");
  ASSERT_NE(december, nullptr);
  EXPECT_EQ(december->installed_version, "10.0.19045.6575");
  EXPECT_EQ(december->fixed_version, "10.0.19045.6691");
  // The KB to install is the newest cumulative update that supersedes
  // December's: March 2026's.
  EXPECT_EQ(december->fix_kb, "5078885");

  auto current = index_->matchWindows(host("10.0.19045.7058", "Client", {}));
  for (const auto& cve : {"CVE-2025-62221", "CVE-2026-21510", "CVE-2026-24289"}) {
    EXPECT_EQ(findingFor(current, cve), nullptr) << cve;
  }
}

// Windows Server 2008 R2 SP1 reports build 6.1.7601 without an update
// revision, so only its KBs count. June 2025 offers a monthly rollup
// (KB5061078, superseding May's KB5058430) and a security-only update
// (KB5061036) for CVE-2025-32712; May's CVE-2025-32710 lists May's rollup
// KB5058430 and security-only KB5058454.
TEST_F(WindowsRealDataTest, RollupReplacesSecurityOnlyUpdate) {
  auto rollup = index_->matchWindows(host("6.1.7601", "Server", {"5061078"}));
  ASSERT_EQ(rollup.product, "Windows Server 2008 R2 SP1");
  EXPECT_EQ(findingFor(rollup, "CVE-2025-32712"), nullptr);
  // The rollup supersedes May's rollup, which fixes CVE-2025-32710.
  EXPECT_EQ(findingFor(rollup, "CVE-2025-32710"), nullptr);

  // A security-only update is not cumulative: June's fixes June's CVE, not
  // May's.
  auto security_only = index_->matchWindows(host("6.1.7601", "Server", {"5061036"}));
  EXPECT_EQ(findingFor(security_only, "CVE-2025-32712"), nullptr);
  const Finding* may = findingFor(security_only, "CVE-2025-32710");
  ASSERT_NE(may, nullptr);
  // The rollup that supersedes May's is named, not a security-only update.
  EXPECT_EQ(may->fix_kb, "5061078");

  auto none = index_->matchWindows(host("6.1.7601", "Server", {}));
  EXPECT_NE(findingFor(none, "CVE-2025-32712"), nullptr);
  EXPECT_NE(findingFor(none, "CVE-2025-32710"), nullptr);
}

// December 2025's CVE-2025-54100 lists, beside the cumulative updates, a
// security-only KB5074204 at Windows 11 24H2's hotpatch build 26100.7392
// (and as a security update for Windows Server 2025), and a security-only
// KB5074353 at Windows Server 2022's hotpatch build 20348.4467. Hosts at
// those builds through December's hotpatches (KB5072014, KB5071413) do not
// have the fix.
TEST_F(WindowsRealDataTest, SecurityOnlyBuildIsNotProof) {
  for (const auto& [build, type, hotpatch] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"10.0.26100.7392", "Client", "5072014"},
           {"10.0.26100.7392", "Server", "5072014"},
           {"10.0.20348.4467", "Server", "5071413"}}) {
    auto match = index_->matchWindows(host(build, type, {hotpatch}));
    const Finding* finding = findingFor(match, "CVE-2025-54100");
    ASSERT_NE(finding, nullptr) << build << " " << type;
    EXPECT_NE(finding->fix_kb, "5074204") << build << " " << type;
    EXPECT_NE(finding->fix_kb, "5074353") << build << " " << type;
  }
  EXPECT_EQ(findingFor(index_->matchWindows(host("10.0.26100.7392", "Client", {"5074204"})),
                       "CVE-2025-54100"),
            nullptr);
}

// Windows Server 2019 in three months: a fully patched host, and one a
// month behind.
TEST_F(WindowsRealDataTest, ServerFollowsMonthlyUpdates) {
  auto current = index_->matchWindows(host("10.0.17763.8511", "Server", {"5078752"}));
  ASSERT_EQ(current.product, "Windows Server 2019");
  std::set<std::string> open = cves(current);
  // June 2025 and later: every CVE with a Windows Server 2019 fix on the
  // 17763 line is fixed at March 2026's build.
  EXPECT_EQ(open.count("CVE-2025-33073"), 0u);
  EXPECT_EQ(open.count("CVE-2026-21510"), 0u);

  auto behind = index_->matchWindows(host("10.0.17763.8389", "Server Core", {"5075904"}));
  ASSERT_EQ(behind.product, "Windows Server 2019");
  const Finding* march = findingFor(behind, "CVE-2026-24289");
  ASSERT_NE(march, nullptr);
  EXPECT_EQ(march->fix_kb, "5078752");
  EXPECT_EQ(march->fixed_version, "10.0.17763.8511");
  EXPECT_EQ(findingFor(behind, "CVE-2026-21510"), nullptr);
}

}  // namespace
}  // namespace pk::matching
