#include "server/evaluation.h"

#include <gtest/gtest.h>

#include "server/tests/vulnerability_fixture.h"
#include "store/pending_update_repository.h"

namespace pk::server {
namespace {

using store::FindingEventType;
using store::FindingSource;
using store::FindingStatus;
using version::Scheme;
using vulns_testing::package;
using vulns_testing::sharedData;

constexpr const char* kHost = "h-00000000000000a1";
// AlmaLinux 9's xz update: xz, xz-devel, xz-libs and xz-lzma-compat are
// fixed in 5.2.5-8.el9_0 (CVE-2022-1271).
constexpr const char* kXzAdvisory = "osv/almalinux/advisories/almalinux9/ALSA-2022:4940.json";

class EvaluationTest : public vulns_testing::VulnerabilityTest {
 protected:
  void rebuild() {
    write([&](store::Session& session) { return evaluator_.rebuild(session); });
  }

  void evaluate(const std::string& host_id = kHost) {
    write([&](store::Session& session) {
      ++evaluate_runs_;
      return evaluator_.evaluateHost(session, host_id, clock_.now());
    });
  }

  void almaHostWithXz(const std::string& version) {
    addHost(kHost, "AlmaLinux:9");
    saveInventory(kHost, Scheme::kRpm,
                  {package("xz-libs", version, "xz", version.substr(version.find(':') + 1)),
                   package("bash", "5.1.8-6.el9_1")});
  }

  Evaluator evaluator_;
  // Runs of evaluate()'s write() work, which may run more than once
  // (PK_STORE_REPLAY_WRITES=1).
  std::uint64_t evaluate_runs_ = 0;
};

TEST_F(EvaluationTest, VulnerablePackageOpensFinding) {
  storeAdvisories("osv-alma", sharedData(kXzAdvisory));
  rebuild();
  EXPECT_EQ(evaluator_.advisoryCount(), 1u);
  almaHostWithXz("5.2.5-7.el9");

  evaluate();

  auto findings = findingsOf(kHost);
  ASSERT_EQ(findings.size(), 1u);
  const auto& finding = findings[0];
  EXPECT_EQ(finding.source, FindingSource::kAdvisory);
  EXPECT_EQ(finding.advisory_id, "ALSA-2022:4940");
  EXPECT_EQ(finding.package, "xz-libs");
  EXPECT_EQ(finding.installed_version, "5.2.5-7.el9");
  EXPECT_EQ(finding.fixed_version, "5.2.5-8.el9_0");
  EXPECT_EQ(finding.ecosystem, "AlmaLinux:9");
  EXPECT_EQ(finding.severity, "high");  // "Important: ..." in the summary
  EXPECT_EQ(finding.aliases, std::vector<std::string>{"CVE-2022-1271"});
  EXPECT_EQ(finding.status, FindingStatus::kOpen);
  EXPECT_EQ(finding.first_seen_at, clock_.now());

  auto events = eventsOf(finding.id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, FindingEventType::kOpened);
  EXPECT_EQ(events[0].installed_version, "5.2.5-7.el9");
  EXPECT_GE(evaluate_runs_, 1u);
  EXPECT_EQ(evaluator_.evaluationCount(), evaluate_runs_);
}

TEST_F(EvaluationTest, SavedInventoryIsEvaluatedWithoutReadingIt) {
  storeAdvisories("osv-alma", sharedData(kXzAdvisory));
  rebuild();
  addHost(kHost, "AlmaLinux:9");
  // Nothing is stored for the host: only the inventory passed in can open
  // the finding.
  inventory::HostInventory saved;
  saved.os.ecosystem = "AlmaLinux:9";
  saved.scheme = Scheme::kRpm;
  saved.packages = {package("bash", "5.1.8-6.el9_1"),
                    package("xz-libs", "5.2.5-7.el9", "xz", "5.2.5-7.el9")};

  write([&](store::Session& session) {
    return evaluator_.evaluateSavedInventory(session, kHost, saved, clock_.now());
  });

  auto findings = findingsOf(kHost);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].advisory_id, "ALSA-2022:4940");
  EXPECT_EQ(findings[0].installed_version, "5.2.5-7.el9");
  EXPECT_EQ(findings[0].ecosystem, "AlmaLinux:9");
}

TEST_F(EvaluationTest, ReevaluationKeepsFirstSeen) {
  storeAdvisories("osv-alma", sharedData(kXzAdvisory));
  rebuild();
  almaHostWithXz("5.2.5-7.el9");
  evaluate();
  SystemTime first = clock_.now();

  clock_.advance(std::chrono::hours(24));
  evaluate();

  auto findings = findingsOf(kHost);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].first_seen_at, first);
  EXPECT_EQ(findings[0].last_seen_at, clock_.now());
  EXPECT_EQ(eventsOf(findings[0].id).size(), 1u);
}

TEST_F(EvaluationTest, FindingTurnsFixedWhenInventoryPassesFix) {
  storeAdvisories("osv-alma", sharedData(kXzAdvisory));
  rebuild();
  almaHostWithXz("5.2.5-7.el9");
  evaluate();

  clock_.advance(std::chrono::hours(2));
  saveInventory(kHost, Scheme::kRpm,
                {package("xz-libs", "5.2.5-8.el9_0", "xz"), package("bash", "5.1.8-6.el9_1")});
  evaluate();

  auto finding = findingOf(kHost, "ALSA-2022:4940", "xz-libs");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->status, FindingStatus::kFixed);
  EXPECT_EQ(finding->fixed_at, clock_.now());
  EXPECT_EQ(finding->installed_version, "5.2.5-8.el9_0");
  auto events = eventsOf(finding->id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, FindingEventType::kFixed);
  EXPECT_EQ(events[1].installed_version, "5.2.5-8.el9_0");
}

TEST_F(EvaluationTest, DowngradeReopensFixedFinding) {
  storeAdvisories("osv-alma", sharedData(kXzAdvisory));
  rebuild();
  almaHostWithXz("5.2.5-7.el9");
  evaluate();
  saveInventory(kHost, Scheme::kRpm, {package("xz-libs", "5.2.5-8.el9_0", "xz")});
  evaluate();
  saveInventory(kHost, Scheme::kRpm, {package("xz-libs", "5.2.5-7.el9", "xz")});
  clock_.advance(std::chrono::hours(1));
  evaluate();

  auto finding = findingOf(kHost, "ALSA-2022:4940", "xz-libs");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->status, FindingStatus::kOpen);
  EXPECT_FALSE(finding->fixed_at);
  auto events = eventsOf(finding->id);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].type, FindingEventType::kReopened);
  // Still one finding for the key: reopening does not duplicate it.
  EXPECT_EQ(findingsOf(kHost).size(), 1u);
}

TEST_F(EvaluationTest, VanishedAdvisoryDoesNotCloseFinding) {
  storeAdvisories("osv-alma", sharedData(kXzAdvisory));
  rebuild();
  almaHostWithXz("5.2.5-7.el9");
  evaluate();

  write([](store::Session& session) {
    return store::deleteAdvisory(session, "osv-alma", "ALSA-2022:4940");
  });
  rebuild();
  EXPECT_EQ(evaluator_.advisoryCount(), 0u);
  evaluate();

  auto finding = findingOf(kHost, "ALSA-2022:4940", "xz-libs");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->status, FindingStatus::kOpen);

  // The fix still closes it, judged on the stored fixed version.
  saveInventory(kHost, Scheme::kRpm, {package("xz-libs", "5.2.5-8.el9_0", "xz")});
  evaluate();
  finding = findingOf(kHost, "ALSA-2022:4940", "xz-libs");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->status, FindingStatus::kFixed);
}

TEST_F(EvaluationTest, VanishedAdvisoryAndOlderVersionStaysOpen) {
  storeAdvisories("osv-alma", sharedData(kXzAdvisory));
  rebuild();
  almaHostWithXz("5.2.5-6.el9");
  evaluate();
  write([](store::Session& session) {
    return store::deleteAdvisory(session, "osv-alma", "ALSA-2022:4940");
  });
  rebuild();

  // An upgrade that does not reach the fix leaves it open.
  saveInventory(kHost, Scheme::kRpm, {package("xz-libs", "5.2.5-7.el9", "xz")});
  evaluate();
  auto finding = findingOf(kHost, "ALSA-2022:4940", "xz-libs");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->status, FindingStatus::kOpen);
}

TEST_F(EvaluationTest, RemovedPackageClosesFinding) {
  storeAdvisories("osv-alma", sharedData(kXzAdvisory));
  rebuild();
  almaHostWithXz("5.2.5-7.el9");
  evaluate();

  saveInventory(kHost, Scheme::kRpm, {package("bash", "5.1.8-6.el9_1")});
  evaluate();
  auto finding = findingOf(kHost, "ALSA-2022:4940", "xz-libs");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->status, FindingStatus::kFixed);
}

TEST_F(EvaluationTest, HostWithoutInventoryIsLeftAlone) {
  storeAdvisories("osv-alma", sharedData(kXzAdvisory));
  rebuild();
  addHost(kHost, "AlmaLinux:9");
  evaluate();
  EXPECT_TRUE(findingsOf(kHost).empty());
}

TEST_F(EvaluationTest, UbuntuSourceAdvisoryComparesSourceVersion) {
  // USN-7259-1 names the glibc source package; Ubuntu 24.04 is fixed in
  // 2.39-0ubuntu8.4.
  storeAdvisories("osv-ubuntu", sharedData("osv/ubuntu-samples/osv/usn/USN-7259-1.json"));
  rebuild();
  addHost(kHost, "Ubuntu:24.04:LTS");
  saveInventory(kHost, Scheme::kDpkg,
                {package("libc6", "2.39-0ubuntu8.3", "glibc", "2.39-0ubuntu8.3"),
                 package("libc-bin", "2.39-0ubuntu8.3", "glibc", "2.39-0ubuntu8.3")});
  evaluate();
  auto finding = findingOf(kHost, "USN-7259-1", "libc6");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->status, FindingStatus::kOpen);
  EXPECT_EQ(finding->source_package, "glibc");
  EXPECT_EQ(finding->fixed_version, "2.39-0ubuntu8.4");
  EXPECT_EQ(findingsOf(kHost).size(), 2u);

  saveInventory(kHost, Scheme::kDpkg,
                {package("libc6", "2.39-0ubuntu8.4", "glibc", "2.39-0ubuntu8.4"),
                 package("libc-bin", "2.39-0ubuntu8.4", "glibc", "2.39-0ubuntu8.4")});
  evaluate();
  for (const auto& item : findingsOf(kHost)) {
    EXPECT_EQ(item.status, FindingStatus::kFixed) << item.package;
  }
}

TEST_F(EvaluationTest, AlpineSecdbFinding) {
  storeAdvisories("alpine", sharedData("alpine-secdb/3.20/main.json"));
  rebuild();
  addHost(kHost, "Alpine:v3.20");
  saveInventory(kHost, Scheme::kApk, {package("aom-libs", "3.9.0-r0", "aom", "3.9.0-r0")});
  evaluate();

  bool found = false;
  for (const auto& finding : findingsOf(kHost)) {
    bool names_cve = finding.advisory_id == "CVE-2024-5171" ||
                     std::find(finding.aliases.begin(), finding.aliases.end(), "CVE-2024-5171") !=
                         finding.aliases.end();
    if (!names_cve) continue;
    found = true;
    EXPECT_EQ(finding.fixed_version, "3.9.1-r0");
    EXPECT_EQ(finding.status, FindingStatus::kOpen);
  }
  EXPECT_TRUE(found);
}

TEST_F(EvaluationTest, PendingSecurityUpdateIsFinding) {
  addHost(kHost, "Debian:12");
  saveInventory(kHost, Scheme::kDpkg,
                {package("libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1")});
  store::PendingUpdateRecord update;
  update.package = "libssl3";
  update.architecture = "amd64";
  update.source_package = "openssl";
  update.installed_version = "3.0.11-1~deb12u1";
  update.candidate_version = "3.0.11-1~deb12u2";
  update.archive = "bookworm-security";
  update.cve_ids = {"CVE-2023-5678"};
  write([&](store::Session& session) {
    return store::replacePendingUpdates(session, kHost, {update});
  });
  rebuild();
  evaluate();

  auto finding = findingOf(kHost, "security-update:openssl", "libssl3");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->source, FindingSource::kHostRepository);
  EXPECT_EQ(finding->fixed_version, "3.0.11-1~deb12u2");
  EXPECT_EQ(finding->aliases, std::vector<std::string>{"CVE-2023-5678"});
  EXPECT_EQ(finding->status, FindingStatus::kOpen);

  // The update list empties but nothing was installed: still open.
  write([&](store::Session& session) { return store::replacePendingUpdates(session, kHost, {}); });
  evaluate();
  EXPECT_EQ(findingOf(kHost, "security-update:openssl", "libssl3")->status, FindingStatus::kOpen);

  // Installing the candidate fixes it.
  saveInventory(kHost, Scheme::kDpkg,
                {package("libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2")});
  evaluate();
  EXPECT_EQ(findingOf(kHost, "security-update:openssl", "libssl3")->status, FindingStatus::kFixed);
}

TEST_F(EvaluationTest, KevEnrichmentMarksKnownExploited) {
  // ALSA-2022:6634 fixes CVE-2022-32893 in webkit2gtk3, which CISA's KEV
  // catalog lists.
  storeAdvisories("osv-alma",
                  sharedData("osv/almalinux/advisories/almalinux9/ALSA-2022:6634.json"));
  write([](store::Session& session) -> Result<void> {
    store::StoredKevEntry entry;
    entry.cve_id = "CVE-2022-32893";
    entry.content_hash = "h";
    entry.due_date = "2022-09-08";
    return store::upsertKevEntry(session, "osv-alma", entry);
  });
  rebuild();
  addHost(kHost, "AlmaLinux:9");
  saveInventory(kHost, Scheme::kRpm, {package("webkit2gtk3", "2.36.6-1.el9")});
  evaluate();

  auto finding = findingOf(kHost, "ALSA-2022:6634", "webkit2gtk3");
  ASSERT_TRUE(finding);
  EXPECT_TRUE(finding->known_exploited);
  EXPECT_EQ(finding->kev_due_date, "2022-09-08");
}

TEST_F(EvaluationTest, UndecodableAdvisoryKeepsPreviousIndex) {
  storeAdvisories("osv-alma", sharedData(kXzAdvisory));
  rebuild();
  write([](store::Session& session) {
    return store::upsertAdvisory(session, {"osv-alma", "BROKEN-1", "h", "{not json", {}});
  });
  auto rebuilt =
      database().write([&](store::Session& session) { return evaluator_.rebuild(session); });
  ASSERT_FALSE(rebuilt);
  EXPECT_NE(rebuilt.error().message.find("BROKEN-1"), std::string::npos);
  EXPECT_EQ(evaluator_.advisoryCount(), 1u);
}

}  // namespace
}  // namespace pk::server

namespace pk::server {
namespace {

constexpr const char* kWindowsHost = "h-00000000000000b1";

// Windows Server 2019 in March 2026's MSRC document: KB5078752 brings
// build 17763.8511 and fixes CVE-2026-24289.
class WindowsEvaluationTest : public EvaluationTest {
 protected:
  void SetUp() override {
    EvaluationTest::SetUp();
    storeAdvisories("msrc", sharedData("windows/msrc-cvrf/2026/xml-cvrf-document/"
                                       "cvrfDocument-2026-Mar.xml"));
    rebuild();
    addHost(kWindowsHost, "");
  }

  void report(const std::string& build, std::vector<std::string> kbs, bool offer_march) {
    inventory::HostInventory host;
    host.scheme = Scheme::kWindows;
    inventory::WindowsFacts facts;
    facts.edition = "Windows Server 2019 Standard";
    facts.build = build;
    facts.installation_type = "Server";
    facts.installed_kbs = std::move(kbs);
    if (offer_march) {
      inventory::WindowsPendingUpdate update;
      update.kb = "5078752";
      update.classification = "Security Updates";
      update.severity = "Important";
      update.cve_ids = {"CVE-2026-24289"};
      facts.pending_updates = {update};
    }
    host.windows = std::move(facts);
    write([&](store::Session& session) {
      return store::saveInventory(session, kWindowsHost, "w-" + build, host, clock_.now());
    });
    evaluate(kWindowsHost);
  }

  const store::StoredFinding* find(const std::vector<store::StoredFinding>& findings,
                                   const std::string& advisory) {
    for (const auto& finding : findings) {
      if (finding.advisory_id == advisory) return &finding;
    }
    return nullptr;
  }
};

TEST_F(WindowsEvaluationTest, FindingClosesWhenKbInstalled) {
  report("10.0.17763.8389", {"5075904"}, true);
  auto open = findingsOf(kWindowsHost);
  const auto* advisory = find(open, "CVE-2026-24289");
  ASSERT_NE(advisory, nullptr);
  EXPECT_EQ(advisory->source, FindingSource::kAdvisory);
  EXPECT_EQ(advisory->package, "Windows Server 2019");
  EXPECT_EQ(advisory->ecosystem, "Windows");
  EXPECT_EQ(advisory->fixed_version, "10.0.17763.8511");
  EXPECT_EQ(advisory->fix_kb, "5078752");
  EXPECT_EQ(advisory->status, FindingStatus::kOpen);
  const auto* offered = find(open, "security-update:KB5078752");
  ASSERT_NE(offered, nullptr);
  EXPECT_EQ(offered->source, FindingSource::kHostRepository);
  EXPECT_EQ(offered->fix_kb, "5078752");
  EXPECT_EQ(offered->severity, "high");
  EXPECT_EQ(offered->aliases, std::vector<std::string>{"CVE-2026-24289"});

  // The update installed: the build passes the fix and nothing is offered.
  clock_.advance(std::chrono::hours(26));
  report("10.0.17763.8511", {"5078752"}, false);
  auto after = findingsOf(kWindowsHost);
  ASSERT_FALSE(after.empty());
  for (const auto& finding : after) {
    EXPECT_EQ(finding.status, FindingStatus::kFixed) << finding.advisory_id;
    EXPECT_EQ(finding.fixed_at, clock_.now()) << finding.advisory_id;
  }
  auto events = eventsOf(find(after, "CVE-2026-24289")->id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, FindingEventType::kFixed);
  EXPECT_EQ(events[1].installed_version, "10.0.17763.8511");
}

TEST_F(WindowsEvaluationTest, UnknownProductKeepsFindingsOpen) {
  report("10.0.17763.8389", {"5075904"}, false);
  auto before = findingsOf(kWindowsHost);
  ASSERT_NE(find(before, "CVE-2026-24289"), nullptr);

  // A build the product table does not know proves nothing.
  report("10.0.99999.1", {}, false);
  auto after = findingsOf(kWindowsHost);
  const auto* kept = find(after, "CVE-2026-24289");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->status, FindingStatus::kOpen);
}

TEST_F(WindowsEvaluationTest, UpgradeClosesOldProductFindings) {
  report("10.0.17763.8389", {"5075904"}, false);
  auto before = findingsOf(kWindowsHost);
  ASSERT_NE(find(before, "CVE-2026-24289"), nullptr);

  // Moved to another product line (an in-place upgrade to Windows Server
  // 2022): the 2019 findings close, as a removed package's would.
  report("10.0.20348.4893", {}, false);
  auto after = findingsOf(kWindowsHost);
  const auto* moved = find(after, "CVE-2026-24289");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->package, "Windows Server 2019");
  EXPECT_EQ(moved->status, FindingStatus::kFixed);
}

}  // namespace
}  // namespace pk::server
