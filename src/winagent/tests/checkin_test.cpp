#include "winagent/checkin.h"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "protocol/messages.h"
#include "winagent/state_file.h"
#include "winagent/tests/temporary_folder.h"

namespace pk::winagent {
namespace {

using testing::TemporaryFolder;

const SystemTime kNow = SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 6 / 10));
const std::string kHostId = "h-00112233aabbccdd";
const std::string kToken(64, 'e');

// A transport that plays the server's part of enrolment and reports. It
// reads every request body with the server's own parsers, so a request
// the server would reject fails the test.
class ServerTransport final : public Transport {
 public:
  Result<HttpResponse> send(const HttpRequest& request) override {
    requests.push_back(request);
    if (request.path == "/api/v1/enrol") {
      auto enrol = protocol::parseEnrolRequest(request.body);
      if (!enrol) return HttpResponse{400, enrol.error().message, "text/plain"};
      enrolments.push_back(*enrol);
      return HttpResponse{enrol_status,
                          protocol::toJson(protocol::EnrolResponse{kHostId, kToken}).dump(),
                          "application/json"};
    }
    if (request.path == "/api/v1/hosts/" + kHostId + "/reports") {
      if (request.bearer_token != kToken) return HttpResponse{401, "", ""};
      auto report = protocol::parseReport(request.body);
      if (!report) return HttpResponse{400, report.error().message, "text/plain"};
      reports.push_back(*report);
      protocol::ReportResponse response;
      response.inventory_needed = answer_inventory_needed && !report->windows.has_value();
      response.next_checkin_seconds = 1800;
      return HttpResponse{report_status, protocol::toJson(response).dump(), "application/json"};
    }
    return HttpResponse{404, "", ""};
  }

  int enrol_status = 201;
  int report_status = 200;
  bool answer_inventory_needed = false;
  std::vector<HttpRequest> requests;
  std::vector<protocol::EnrolRequest> enrolments;
  std::vector<protocol::Report> reports;
};

inventory::WindowsInventory windows11(std::vector<std::string> installed_kbs) {
  inventory::WindowsInventory document;
  document.hostname = "WS-0042";
  document.collected_at = kNow;
  document.facts.edition = "Windows 11 Enterprise";
  document.facts.release = "24H2";
  document.facts.build = "10.0.26100.4061";
  document.facts.installation_type = "Client";
  document.facts.architecture = "x64";
  document.facts.installed_kbs = std::move(installed_kbs);
  inventory::WindowsPendingUpdate update;
  update.kb = "5060842";
  update.cve_ids = {"CVE-2025-33073"};
  update.restart_required = true;
  document.facts.pending_updates.push_back(update);
  return document;
}

struct Harness {
  TemporaryFolder folder;
  ServerTransport server;
  FakeClock clock{kNow};
  inventory::WindowsInventory document = windows11({"5058411"});
  int next_report = 0;
  WindowsCheckin checkin{server, folder.path(),
                         [this]() -> Result<CollectedInventory> {
                           return CollectedInventory{document, {}};
                         },
                         [this] { return fmt::format("{:032x}", ++next_report); }, clock};

  Harness() { preparePrivateDirectory(folder.path()); }
};

TEST(Checkin, EnrolStoresIdentity) {
  Harness harness;
  auto identity = harness.checkin.enrol("secret-1", "WS-0042", "9f1c2d3e-machine");
  ASSERT_TRUE(identity.has_value()) << identity.error().message;
  ASSERT_EQ(harness.server.enrolments.size(), 1u);
  EXPECT_EQ(harness.server.enrolments[0].secret, "secret-1");
  EXPECT_EQ(harness.server.enrolments[0].machine_id, "9f1c2d3e-machine");
  auto stored = harness.checkin.identity();
  ASSERT_TRUE(stored.has_value());
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->host_id, kHostId);
  EXPECT_EQ((*stored)->token, kToken);
}

TEST(Checkin, EnrolConflictIsExplained) {
  Harness harness;
  harness.server.enrol_status = 409;
  auto identity = harness.checkin.enrol("secret-1", "WS-0042", "machine");
  ASSERT_FALSE(identity.has_value());
  EXPECT_NE(identity.error().message.find("approve re-enrolment"), std::string::npos);
  auto stored = harness.checkin.identity();
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->has_value());
}

TEST(Checkin, ReportBeforeEnrolFails) {
  Harness harness;
  auto outcome = harness.checkin.report();
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(harness.server.requests.empty());
}

TEST(Checkin, FirstReportCarriesDocument) {
  Harness harness;
  ASSERT_TRUE(harness.checkin.enrol("secret-1", "WS-0042", "machine").has_value());
  auto outcome = harness.checkin.report();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(outcome->inventory_sent);
  EXPECT_EQ(outcome->next_checkin_seconds, 1800);
  ASSERT_EQ(harness.server.reports.size(), 1u);
  const protocol::Report& report = harness.server.reports[0];
  ASSERT_TRUE(report.windows.has_value());
  EXPECT_EQ(*report.windows, harness.document);
  EXPECT_EQ(report.os.id, "windows");
  EXPECT_EQ(report.hostname, "WS-0042");
}

TEST(Checkin, UnchangedInventorySendsHashOnly) {
  Harness harness;
  ASSERT_TRUE(harness.checkin.enrol("secret-1", "WS-0042", "machine").has_value());
  ASSERT_TRUE(harness.checkin.report().has_value());
  auto outcome = harness.checkin.report();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_FALSE(outcome->inventory_sent);
  ASSERT_EQ(harness.server.reports.size(), 2u);
  EXPECT_FALSE(harness.server.reports[1].windows.has_value());
  EXPECT_EQ(harness.server.reports[1].inventory_hash, harness.server.reports[0].inventory_hash);
  EXPECT_NE(harness.server.reports[1].report_id, harness.server.reports[0].report_id);
}

TEST(Checkin, ChangedInventorySendsDocument) {
  Harness harness;
  ASSERT_TRUE(harness.checkin.enrol("secret-1", "WS-0042", "machine").has_value());
  ASSERT_TRUE(harness.checkin.report().has_value());
  harness.document = windows11({"5058411", "5060842"});
  auto outcome = harness.checkin.report();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(outcome->inventory_sent);
  EXPECT_NE(harness.server.reports[1].inventory_hash, harness.server.reports[0].inventory_hash);
}

TEST(Checkin, InventoryNeededResends) {
  Harness harness;
  ASSERT_TRUE(harness.checkin.enrol("secret-1", "WS-0042", "machine").has_value());
  ASSERT_TRUE(harness.checkin.report().has_value());
  harness.server.answer_inventory_needed = true;
  auto outcome = harness.checkin.report();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  ASSERT_EQ(harness.server.reports.size(), 3u);
  EXPECT_FALSE(harness.server.reports[1].windows.has_value());
  EXPECT_TRUE(harness.server.reports[2].windows.has_value());
  EXPECT_TRUE(outcome->inventory_sent);
}

TEST(Checkin, RevokedTokenIsExplained) {
  Harness harness;
  ASSERT_TRUE(harness.checkin.enrol("secret-1", "WS-0042", "machine").has_value());
  harness.server.report_status = 401;
  auto outcome = harness.checkin.report();
  ASSERT_FALSE(outcome.has_value());
  EXPECT_NE(outcome.error().message.find("enrol again"), std::string::npos);
}

TEST(Checkin, FailedReportKeepsAcknowledgedHash) {
  Harness harness;
  ASSERT_TRUE(harness.checkin.enrol("secret-1", "WS-0042", "machine").has_value());
  harness.server.report_status = 503;
  ASSERT_FALSE(harness.checkin.report().has_value());
  harness.server.report_status = 200;
  auto outcome = harness.checkin.report();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(outcome->inventory_sent);
}

}  // namespace
}  // namespace pk::winagent
