#include "server/compliance.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

namespace pk::server {
namespace {

using std::chrono::days;
using std::chrono::hours;

const SystemTime kNow =
    SystemTime(std::chrono::sys_days(std::chrono::year(2026) / std::chrono::December / 10));
constexpr days kStaleAfter{7};

ComplianceFacts freshFacts() {
  return ComplianceFacts{
      .last_seen = kNow - hours(1),
      .inventory_received_at = kNow - days(30),
      .package_lists_updated_at = kNow - hours(5),
      .open_findings = 0,
  };
}

TEST(ComplianceTest, FreshHostWithoutFindingsIsCompliant) {
  Compliance result = computeCompliance(freshFacts(), kNow, kStaleAfter);
  EXPECT_EQ(result.status, ComplianceStatus::kCompliant);
  EXPECT_EQ(result.reason, "no open findings");
}

TEST(ComplianceTest, OpenFindingsMakeNotCompliant) {
  ComplianceFacts facts = freshFacts();
  facts.open_findings = 3;
  Compliance result = computeCompliance(facts, kNow, kStaleAfter);
  EXPECT_EQ(result.status, ComplianceStatus::kNotCompliant);
  EXPECT_EQ(result.reason, "3 open findings");

  facts.open_findings = 1;
  EXPECT_EQ(computeCompliance(facts, kNow, kStaleAfter).reason, "1 open finding");
}

TEST(ComplianceTest, OpenFindingsWinOverStaleData) {
  ComplianceFacts facts = freshFacts();
  facts.open_findings = 2;
  facts.last_seen = kNow - days(40);
  EXPECT_EQ(computeCompliance(facts, kNow, kStaleAfter).status, ComplianceStatus::kNotCompliant);
}

TEST(ComplianceTest, StaleCasesAreUnknown) {
  struct Case {
    const char* name;
    std::function<void(ComplianceFacts&)> change;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"never seen", [](ComplianceFacts& f) { f.last_seen.reset(); },
       "the host has never checked in"},
      {"not seen for 9 days", [](ComplianceFacts& f) { f.last_seen = kNow - days(9); },
       "not seen for 9 days"},
      {"no inventory", [](ComplianceFacts& f) { f.inventory_received_at.reset(); },
       "no inventory received yet"},
      {"old package lists",
       [](ComplianceFacts& f) { f.package_lists_updated_at = kNow - days(12); },
       "package lists are 12 days old"},
  };
  for (const auto& item : cases) {
    ComplianceFacts facts = freshFacts();
    item.change(facts);
    Compliance result = computeCompliance(facts, kNow, kStaleAfter);
    EXPECT_EQ(result.status, ComplianceStatus::kUnknown) << item.name;
    EXPECT_EQ(result.reason, item.reason) << item.name;
  }
}

TEST(ComplianceTest, StaleBoundaryIsExclusive) {
  ComplianceFacts facts = freshFacts();
  facts.last_seen = kNow - kStaleAfter;
  EXPECT_EQ(computeCompliance(facts, kNow, kStaleAfter).status, ComplianceStatus::kCompliant);
  facts.last_seen = kNow - kStaleAfter - std::chrono::seconds(1);
  EXPECT_EQ(computeCompliance(facts, kNow, kStaleAfter).status, ComplianceStatus::kUnknown);
}

TEST(ComplianceTest, OldUnchangedInventoryIsNotStale) {
  // Agents resend the inventory only when it changes; a month-old inventory
  // confirmed at every check-in is current.
  ComplianceFacts facts = freshFacts();
  facts.inventory_received_at = kNow - days(90);
  EXPECT_EQ(computeCompliance(facts, kNow, kStaleAfter).status, ComplianceStatus::kCompliant);
}

TEST(ComplianceTest, MissingPackageListTimeIsJudgedOnTheRest) {
  ComplianceFacts facts = freshFacts();
  facts.package_lists_updated_at.reset();
  Compliance result = computeCompliance(facts, kNow, kStaleAfter);
  EXPECT_EQ(result.status, ComplianceStatus::kCompliant);
  ASSERT_TRUE(result.data_age);
  EXPECT_EQ(*result.data_age, hours(1));
}

TEST(ComplianceTest, DataAgeIsTheOlderOfCheckInAndPackageLists) {
  Compliance result = computeCompliance(freshFacts(), kNow, kStaleAfter);
  ASSERT_TRUE(result.data_age);
  EXPECT_EQ(*result.data_age, hours(5));

  ComplianceFacts no_inventory = freshFacts();
  no_inventory.inventory_received_at.reset();
  EXPECT_FALSE(computeCompliance(no_inventory, kNow, kStaleAfter).data_age);
}

TEST(ComplianceTest, FutureTimesCountAsFresh) {
  ComplianceFacts facts = freshFacts();
  facts.last_seen = kNow + hours(3);
  facts.package_lists_updated_at = kNow + hours(2);
  Compliance result = computeCompliance(facts, kNow, kStaleAfter);
  EXPECT_EQ(result.status, ComplianceStatus::kCompliant);
  ASSERT_TRUE(result.data_age);
  EXPECT_EQ(*result.data_age, Elapsed{0});
}

TEST(ComplianceTest, StatusNamesRoundTrip) {
  for (auto status : {ComplianceStatus::kCompliant, ComplianceStatus::kNotCompliant,
                      ComplianceStatus::kUnknown}) {
    EXPECT_EQ(parseComplianceStatus(complianceStatusName(status)), status);
  }
  EXPECT_EQ(complianceStatusName(ComplianceStatus::kNotCompliant), "not compliant");
  EXPECT_EQ(parseComplianceStatus("not_compliant"), ComplianceStatus::kNotCompliant);
  EXPECT_EQ(parseComplianceStatus("not-compliant"), ComplianceStatus::kNotCompliant);
  EXPECT_FALSE(parseComplianceStatus("Compliant"));
}

}  // namespace
}  // namespace pk::server

namespace pk::server {
namespace {

TEST(ComplianceTest, UnknownWindowsProductIsUnknown) {
  ComplianceFacts facts = freshFacts();
  facts.unknown_windows_product = true;
  Compliance result = computeCompliance(facts, kNow, kStaleAfter);
  EXPECT_EQ(result.status, ComplianceStatus::kUnknown);
  EXPECT_EQ(result.reason, "its Windows build names no known product, so no advisory matches");

  facts.open_findings = 2;
  EXPECT_EQ(computeCompliance(facts, kNow, kStaleAfter).status, ComplianceStatus::kNotCompliant);
}

TEST(ComplianceTest, FactsComeFromTheHostRecord) {
  store::HostRecord host;
  host.last_seen_at = kNow - hours(1);
  host.inventory_received_at = kNow - days(2);
  EXPECT_FALSE(complianceFactsOf(host, 0).unknown_windows_product);
  host.windows_product = "Windows Server 2019";
  EXPECT_FALSE(complianceFactsOf(host, 0).unknown_windows_product);
  host.windows_product = "";
  const ComplianceFacts facts = complianceFactsOf(host, 4);
  EXPECT_TRUE(facts.unknown_windows_product);
  EXPECT_EQ(facts.open_findings, 4);
  EXPECT_EQ(facts.last_seen, host.last_seen_at);
  EXPECT_EQ(facts.inventory_received_at, host.inventory_received_at);
}

TEST(ComplianceTest, PendingRestartIsNotCompliant) {
  ComplianceFacts facts = freshFacts();
  facts.restart_pending = true;
  const Compliance result = computeCompliance(facts, kNow, kStaleAfter);
  EXPECT_EQ(result.status, ComplianceStatus::kNotCompliant);
  EXPECT_EQ(result.reason, "installed updates wait for a restart");
}

TEST(ComplianceTest, ServerWithoutWindowIsNotCompliant) {
  ComplianceFacts facts = freshFacts();
  facts.server_without_window = true;
  facts.last_seen.reset();
  const Compliance result = computeCompliance(facts, kNow, kStaleAfter);
  EXPECT_EQ(result.status, ComplianceStatus::kNotCompliant);
  EXPECT_EQ(result.reason, "the server is in no maintenance window");
}

TEST(ComplianceTest, WindowAndRestartComeFromTheHostRecord) {
  store::HostRecord host;
  host.kind = "server";
  EXPECT_TRUE(complianceFactsOf(host, 0).server_without_window);
  host.in_window = true;
  EXPECT_FALSE(complianceFactsOf(host, 0).server_without_window);
  host.kind = "endpoint";
  host.in_window = false;
  EXPECT_FALSE(complianceFactsOf(host, 0).server_without_window);
  host.restart_required = true;
  EXPECT_TRUE(complianceFactsOf(host, 0).restart_pending);
}

}  // namespace
}  // namespace pk::server
