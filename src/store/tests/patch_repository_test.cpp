#include "store/patch_repository.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "store/host_repository.h"
#include "store/tests/conformance.h"
#include "store/ticket_repository.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::hours;

constexpr const char* kHostA = "h-000000000000000a";
constexpr const char* kHostB = "h-000000000000000b";
constexpr const char* kCurlPatch = "p-00000000000000c1";
constexpr const char* kXzPatch = "p-00000000000000d2";

class PatchRepositoryTest : public conformance::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    addHost(kHostA, "alpha");
    addHost(kHostB, "beta");
  }

  void write(const std::function<Result<void>(Session&)>& work) {
    auto written = database().write(work);
    ASSERT_TRUE(written) << errorText(written);
  }

  template <typename T>
  T read(const std::function<Result<T>(Session&)>& work) {
    T value{};
    auto done = database().read([&](Session& session) -> Result<void> {
      auto result = work(session);
      if (!result) return tl::unexpected(result.error());
      value = std::move(*result);
      return {};
    });
    EXPECT_TRUE(done) << errorText(done);
    return value;
  }

  void addHost(const std::string& id, const std::string& hostname) {
    HostRecord host;
    host.id = id;
    host.hostname = hostname;
    host.machine_id = "machine-" + id;
    host.kind = "server";
    host.enrolled_at = clock_.now();
    write([&](Session& session) { return insertHost(session, host); });
  }

  std::int64_t addFinding(const std::string& host_id, const std::string& advisory_id,
                          const std::string& package, const std::string& severity,
                          FindingSource source = FindingSource::kAdvisory, bool kev = false,
                          std::string kev_due = "", std::optional<double> epss = std::nullopt) {
    StoredFinding finding;
    finding.host_id = host_id;
    finding.source = source;
    finding.advisory_id = advisory_id;
    finding.package = package;
    finding.source_package = "curl";
    finding.installed_version = "1";
    finding.compared_version = "1";
    finding.fixed_version = "2";
    finding.ecosystem = "Debian:12";
    finding.severity = severity;
    finding.known_exploited = kev;
    finding.kev_due_date = std::move(kev_due);
    finding.epss = epss;
    finding.aliases = {"CVE-2024-0001", "GHSA-xxxx"};
    finding.first_seen_at = clock_.now();
    finding.last_seen_at = clock_.now();
    std::int64_t id = 0;
    write([&](Session& session) -> Result<void> {
      auto inserted = insertFinding(session, finding);
      if (!inserted) return tl::unexpected(inserted.error());
      id = *inserted;
      return {};
    });
    return id;
  }

  void addPatch(const std::string& id, const std::string& ecosystem) {
    PatchRecord patch;
    patch.id = id;
    patch.kind = "source-package";
    patch.ecosystem = ecosystem;
    patch.name = "curl";
    patch.version = "2";
    patch.first_seen_at = clock_.now();
    write([&](Session& session) -> Result<void> {
      auto inserted = insertPatchIfMissing(session, patch);
      if (!inserted) return tl::unexpected(inserted.error());
      return {};
    });
  }

  void link(std::int64_t finding_id, const std::string& patch_id) {
    write([&](Session& session) { return linkFindingToPatch(session, finding_id, patch_id); });
  }

  std::vector<PatchSummary> list(const PatchQuery& query) {
    return read<std::vector<PatchSummary>>(
        [&](Session& session) { return listPatchSummaries(session, query); });
  }

  std::int64_t addTicket(const std::string& host_id) {
    TicketRecord ticket;
    ticket.type = "accept_risk";
    ticket.requester = "olivia";
    ticket.subject_hosts = {host_id};
    ticket.requested_change_json = "{}";
    ticket.justification = "compensating control";
    ticket.created_at = clock_.now();
    ticket.updated_at = clock_.now();
    std::int64_t id = 0;
    write([&](Session& session) -> Result<void> {
      auto inserted = insertTicket(session, ticket);
      if (!inserted) return tl::unexpected(inserted.error());
      id = *inserted;
      return {};
    });
    return id;
  }
};
PK_STORE_CONFORMANCE_SUITE(PatchRepositoryTest);

TEST_P(PatchRepositoryTest, InsertIfMissingKeepsFirst) {
  addPatch(kCurlPatch, "Debian:12");
  PatchRecord again;
  again.id = kCurlPatch;
  again.kind = "kb";
  again.ecosystem = "Windows";
  again.first_seen_at = clock_.now() + hours(5);
  bool second = true;
  write([&](Session& session) -> Result<void> {
    auto done = insertPatchIfMissing(session, again);
    if (!done) return tl::unexpected(done.error());
    second = *done;
    return {};
  });
  EXPECT_FALSE(second);
  const auto stored = read<std::optional<PatchRecord>>(
      [&](Session& session) { return getPatch(session, kCurlPatch); });
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->kind, "source-package");
  EXPECT_EQ(stored->ecosystem, "Debian:12");
  EXPECT_EQ(stored->decision, "pending");
  EXPECT_EQ(stored->first_seen_at, clock_.now());
}

TEST_P(PatchRepositoryTest, SummaryAggregatesOpenFindings) {
  addPatch(kCurlPatch, "Debian:12");
  link(addFinding(kHostA, "DSA-1", "curl", "medium", FindingSource::kAdvisory, false, "", 0.2),
       kCurlPatch);
  link(addFinding(kHostA, "DSA-1", "libcurl4", "high", FindingSource::kAdvisory, true, "2026-12-20",
                  0.7),
       kCurlPatch);
  link(addFinding(kHostB, "CVE-2024-0002", "curl", "low", FindingSource::kHostRepository, true,
                  "2026-12-10"),
       kCurlPatch);

  const auto summaries = list(PatchQuery{});
  ASSERT_EQ(summaries.size(), 1U);
  const PatchSummary& summary = summaries[0];
  EXPECT_EQ(summary.highest_severity, "high");
  EXPECT_TRUE(summary.known_exploited);
  EXPECT_EQ(summary.earliest_kev_due_date, "2026-12-10");
  ASSERT_TRUE(summary.highest_epss.has_value());
  EXPECT_DOUBLE_EQ(*summary.highest_epss, 0.7);
  EXPECT_EQ(summary.affected_hosts, 2);
  EXPECT_TRUE(summary.from_advisory);
  EXPECT_TRUE(summary.from_host_repository);
  EXPECT_EQ(summary.advisories, (std::vector<std::string>{"CVE-2024-0002", "DSA-1"}));
  EXPECT_EQ(summary.cve_ids, (std::vector<std::string>{"CVE-2024-0001", "CVE-2024-0002"}));
}

TEST_P(PatchRepositoryTest, ListSkipsResolvedUnlessAsked) {
  addPatch(kCurlPatch, "Debian:12");
  const std::int64_t finding = addFinding(kHostA, "DSA-1", "curl", "high");
  link(finding, kCurlPatch);
  write([&](Session& session) {
    return session.execute("UPDATE findings SET status = 'fixed' WHERE id = ?", {finding});
  });
  EXPECT_TRUE(list(PatchQuery{}).empty());
  PatchQuery query;
  query.include_resolved = true;
  const auto resolved = list(query);
  ASSERT_EQ(resolved.size(), 1U);
  EXPECT_EQ(resolved[0].affected_hosts, 0);
  EXPECT_EQ(resolved[0].highest_severity, "unknown");
}

TEST_P(PatchRepositoryTest, FiltersAndPaging) {
  addPatch(kCurlPatch, "Debian:12");
  addPatch(kXzPatch, "AlmaLinux:9");
  link(addFinding(kHostA, "DSA-1", "curl", "critical", FindingSource::kAdvisory, true), kCurlPatch);
  link(addFinding(kHostA, "ALSA-1", "xz", "low"), kXzPatch);

  PatchQuery by_ecosystem;
  by_ecosystem.ecosystem = "AlmaLinux:9";
  ASSERT_EQ(list(by_ecosystem).size(), 1U);
  EXPECT_EQ(list(by_ecosystem)[0].patch.id, kXzPatch);

  PatchQuery by_severity;
  by_severity.minimum_severity = "high";
  ASSERT_EQ(list(by_severity).size(), 1U);
  EXPECT_EQ(list(by_severity)[0].patch.id, kCurlPatch);

  PatchQuery by_kev;
  by_kev.known_exploited_only = true;
  ASSERT_EQ(list(by_kev).size(), 1U);
  EXPECT_EQ(list(by_kev)[0].patch.id, kCurlPatch);

  PatchQuery first_page;
  first_page.limit = 1;
  const auto first = list(first_page);
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(first[0].patch.id, kCurlPatch);
  PatchQuery second_page = first_page;
  second_page.after_id = first[0].patch.id;
  const auto second = list(second_page);
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(second[0].patch.id, kXzPatch);
}

TEST_P(PatchRepositoryTest, DecisionsKeepHistoryLatestWins) {
  addPatch(kCurlPatch, "Debian:12");
  link(addFinding(kHostA, "DSA-1", "curl", "high"), kCurlPatch);
  write([&](Session& session) -> Result<void> {
    auto first = recordPatchDecision(
        session, PatchDecisionRecord{0, kCurlPatch, "approved", "rule:1", clock_.now(), "rule"});
    if (!first) return tl::unexpected(first.error());
    auto second = recordPatchDecision(
        session, PatchDecisionRecord{0, kCurlPatch, "declined", "user:alice",
                                     clock_.now() + hours(1), "breaks the proxy"});
    if (!second) return tl::unexpected(second.error());
    return {};
  });

  const auto history = read<std::vector<PatchDecisionRecord>>(
      [&](Session& session) { return listPatchDecisions(session, kCurlPatch); });
  ASSERT_EQ(history.size(), 2U);
  EXPECT_EQ(history[0].decided_by, "rule:1");
  EXPECT_EQ(history[1].decision, "declined");

  PatchQuery declined;
  declined.decision = "declined";
  const auto summaries = list(declined);
  ASSERT_EQ(summaries.size(), 1U);
  EXPECT_EQ(summaries[0].patch.decided_by, "user:alice");
  EXPECT_EQ(summaries[0].patch.decision_reason, "breaks the proxy");
  ASSERT_TRUE(summaries[0].patch.decided_at.has_value());
  EXPECT_EQ(*summaries[0].patch.decided_at, clock_.now() + hours(1));
}

TEST_P(PatchRepositoryTest, DecisionOnUnknownPatchFails) {
  auto written = database().write([&](Session& session) -> Result<void> {
    auto recorded = recordPatchDecision(
        session, PatchDecisionRecord{0, kCurlPatch, "approved", "user:alice", clock_.now(), ""});
    if (!recorded) return tl::unexpected(recorded.error());
    return {};
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
}

TEST_P(PatchRepositoryTest, LinksReplaceAndUnlink) {
  addPatch(kCurlPatch, "Debian:12");
  addPatch(kXzPatch, "Debian:12");
  const std::int64_t finding = addFinding(kHostA, "DSA-1", "curl", "high");
  link(finding, kCurlPatch);
  link(finding, kXzPatch);
  auto links = read<std::map<std::int64_t, std::string>>(
      [&](Session& session) { return patchLinksOfHost(session, kHostA); });
  ASSERT_EQ(links.size(), 1U);
  EXPECT_EQ(links[finding], kXzPatch);

  write([&](Session& session) { return unlinkFinding(session, finding); });
  links = read<std::map<std::int64_t, std::string>>(
      [&](Session& session) { return patchLinksOfHost(session, kHostA); });
  EXPECT_TRUE(links.empty());
}

TEST_P(PatchRepositoryTest, HostsAndFindingsOfPatch) {
  addPatch(kCurlPatch, "Debian:12");
  link(addFinding(kHostA, "DSA-1", "curl", "high"), kCurlPatch);
  link(addFinding(kHostA, "DSA-1", "libcurl4", "high"), kCurlPatch);
  link(addFinding(kHostB, "DSA-1", "curl", "high"), kCurlPatch);

  const auto hosts = read<std::vector<PatchHost>>(
      [&](Session& session) { return listPatchHosts(session, kCurlPatch, 10); });
  ASSERT_EQ(hosts.size(), 2U);
  EXPECT_EQ(hosts[0].host_id, kHostA);
  EXPECT_EQ(hosts[0].hostname, "alpha");
  EXPECT_EQ(hosts[0].open_findings, 2);
  EXPECT_EQ(hosts[1].host_id, kHostB);

  const auto capped = read<std::vector<PatchHost>>(
      [&](Session& session) { return listPatchHosts(session, kCurlPatch, 1); });
  EXPECT_EQ(capped.size(), 1U);

  const auto findings = read<std::vector<StoredFinding>>(
      [&](Session& session) { return openFindingsOfPatchOnHost(session, kHostA, kCurlPatch); });
  ASSERT_EQ(findings.size(), 2U);
  EXPECT_EQ(findings[0].package, "curl");
  EXPECT_EQ(findings[1].package, "libcurl4");
}

TEST_P(PatchRepositoryTest, ApprovalRulesRoundTrip) {
  ApprovalRuleRecord rule;
  rule.name = "KEV everywhere";
  rule.minimum_severity = "high";
  rule.known_exploited_only = true;
  rule.include_host_repository = true;
  rule.enabled = false;
  rule.created_by = "user:alice";
  rule.created_at = clock_.now();
  std::int64_t id = 0;
  write([&](Session& session) -> Result<void> {
    auto inserted = insertApprovalRule(session, rule);
    if (!inserted) return tl::unexpected(inserted.error());
    id = *inserted;
    return {};
  });
  const auto rules = read<std::vector<ApprovalRuleRecord>>(
      [&](Session& session) { return listApprovalRules(session); });
  ASSERT_EQ(rules.size(), 1U);
  EXPECT_EQ(rules[0].id, id);
  EXPECT_EQ(rules[0].name, "KEV everywhere");
  EXPECT_EQ(rules[0].ecosystem, "");
  EXPECT_EQ(rules[0].minimum_severity, "high");
  EXPECT_TRUE(rules[0].known_exploited_only);
  EXPECT_TRUE(rules[0].include_host_repository);
  EXPECT_FALSE(rules[0].enabled);
  EXPECT_EQ(rules[0].created_at, clock_.now());

  write([&](Session& session) { return deleteApprovalRule(session, id); });
  const auto gone = read<std::optional<ApprovalRuleRecord>>(
      [&](Session& session) { return getApprovalRule(session, id); });
  EXPECT_FALSE(gone.has_value());
  auto again = database().write([&](Session& session) { return deleteApprovalRule(session, id); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

TEST_P(PatchRepositoryTest, ExceptionsExcludeFindingsUntilExpiry) {
  addFinding(kHostA, "DSA-1", "curl", "high");
  addFinding(kHostA, "DSA-2", "curl", "high");
  addFinding(kHostB, "DSA-1", "curl", "high");
  const std::int64_t ticket = addTicket(kHostA);
  const SystemTime expires_at = clock_.now() + hours(48);
  write([&](Session& session) {
    return insertRiskException(
        session, RiskExceptionRecord{ticket, kHostA, "DSA-1", expires_at, clock_.now()});
  });

  using Counts = std::map<std::string, std::int64_t>;
  auto counts = read<Counts>([&](Session& session) {
    return countOpenFindingsWithoutException(session, {kHostA, kHostB}, clock_.now());
  });
  EXPECT_EQ(counts[kHostA], 1);
  EXPECT_EQ(counts[kHostB], 1);

  using Exceptions = std::map<std::pair<std::string, std::string>, RiskExceptionRecord>;
  auto active = read<Exceptions>(
      [&](Session& session) { return activeRiskExceptions(session, {kHostA}, clock_.now()); });
  ASSERT_EQ(active.size(), 1U);
  EXPECT_EQ(active.begin()->second.ticket_id, ticket);
  EXPECT_EQ(active.begin()->second.expires_at, expires_at);

  counts = read<Counts>([&](Session& session) {
    return countOpenFindingsWithoutException(session, {kHostA}, expires_at);
  });
  EXPECT_EQ(counts[kHostA], 2);
  active = read<Exceptions>(
      [&](Session& session) { return activeRiskExceptions(session, {kHostA}, expires_at); });
  EXPECT_TRUE(active.empty());
}

TEST_P(PatchRepositoryTest, ExceptionNeedsTicket) {
  auto written = database().write([&](Session& session) {
    return insertRiskException(
        session, RiskExceptionRecord{999, kHostA, "DSA-1", clock_.now() + hours(1), clock_.now()});
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace pk::store
