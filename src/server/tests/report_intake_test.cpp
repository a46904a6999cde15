#include "server/report_intake.h"

#include <gtest/gtest.h>

#include "server/tests/host_server_fixture.h"
#include "store/inventory_repository.h"
#include "store/pending_update_repository.h"
#include "store/report_receipt_repository.h"

namespace pk::server::host_tests {
namespace {

using std::chrono::hours;

class ReportIntakeTest : public HostServerTest {
 protected:
  void SetUp() override {
    HostServerTest::SetUp();
    if (HasFatalFailure()) return;
    host_ = enrolHost("machine-1");
  }

  std::optional<inventory::HostInventory> storedInventory(const std::string& host_id) {
    std::optional<inventory::HostInventory> inventory;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      auto loaded = store::loadInventory(session, host_id);
      if (!loaded) return tl::unexpected(loaded.error());
      inventory = std::move(*loaded);
      return {};
    });
    EXPECT_TRUE(read) << read.error().message;
    return inventory;
  }

  std::vector<store::PendingUpdateRecord> storedUpdates(const std::string& host_id) {
    std::vector<store::PendingUpdateRecord> updates;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      auto loaded = store::loadPendingUpdates(session, host_id);
      if (!loaded) return tl::unexpected(loaded.error());
      updates = std::move(*loaded);
      return {};
    });
    EXPECT_TRUE(read) << read.error().message;
    return updates;
  }

  nlohmann::json showHost(const std::string& host_id) {
    return bodyOf(call("GET", "/api/v1/hosts/" + host_id, adminToken()));
  }

  // The value of the checkins counter for `result`, 0 when absent.
  double checkins(const std::string& result) {
    const std::string prefix = fmt::format("patchkeeper_checkins_total{{result=\"{}\"}} ", result);
    const std::string text = metrics_.render();
    const auto at = text.find(prefix);
    if (at == std::string::npos) return 0;
    return std::stod(text.substr(at + prefix.size()));
  }

  static protocol::PendingUpdate pendingUpdate(const std::string& package) {
    protocol::PendingUpdate update;
    update.package = package;
    update.architecture = "amd64";
    update.source_package = package;
    update.installed_version = "1.0-1";
    update.candidate_version = "1.0-1+deb12u1";
    update.archive = "bookworm-security";
    update.cve_ids = {"CVE-2024-0001"};
    return update;
  }

  protocol::EnrolResponse host_;
};

TEST_F(ReportIntakeTest, FirstReportStoresInventoryAndFacts) {
  auto report = makeReport(inventoryOf({"openssl", "bash"}), true);
  report.restart.required = true;
  report.restart.reason = "a new kernel is installed";
  report.restart.packages = {"linux-image-amd64"};
  report.security_updates = {pendingUpdate("openssl")};

  clock_.advance(hours(1));
  const auto response = sendReport(host_, report);
  ASSERT_EQ(response.status, 200) << response.body;
  const auto parsed = protocol::parseReportResponse(response.body);
  ASSERT_TRUE(parsed) << response.body;
  EXPECT_FALSE(parsed->duplicate);
  EXPECT_FALSE(parsed->inventory_needed);
  EXPECT_EQ(parsed->next_checkin_seconds, 3600);
  EXPECT_EQ(evaluatedHosts(), std::vector<std::string>{host_.host_id});

  const auto inventory = storedInventory(host_.host_id);
  ASSERT_TRUE(inventory);
  ASSERT_EQ(inventory->packages.size(), 2u);
  EXPECT_EQ(inventory->packages[0].name, "bash");
  EXPECT_EQ(inventory->os.ecosystem, "Debian:12");
  EXPECT_TRUE(inventory->restart.required);

  const auto updates = storedUpdates(host_.host_id);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].package, "openssl");
  EXPECT_EQ(updates[0].cve_ids, std::vector<std::string>{"CVE-2024-0001"});

  const auto host = showHost(host_.host_id);
  EXPECT_EQ(host["last_seen_at"], "2026-12-01T01:00:00Z");
  EXPECT_EQ(host["kernel"], "6.1.0-28-amd64");
  EXPECT_EQ(host["os"]["pretty_name"], "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(host["restart"]["required"], true);
  EXPECT_EQ(host["restart"]["packages"], nlohmann::json({"linux-image-amd64"}));
  EXPECT_EQ(host["inventory"]["hash"], report.inventory_hash);
  EXPECT_EQ(host["package_lists_updated_at"], "2026-11-30T23:00:00Z");
  EXPECT_EQ(checkins("accepted"), 1);
}

TEST_F(ReportIntakeTest, HostCannotWriteAnotherHost) {
  const auto other = enrolHost("machine-2");
  const auto response = call("POST", "/api/v1/hosts/" + other.host_id + "/reports", host_.token,
                             protocol::toJson(makeReport(inventoryOf({"bash"}), true)).dump());
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(errorCode(response), "wrong_host");

  EXPECT_TRUE(showHost(other.host_id)["last_seen_at"].is_null());
  EXPECT_FALSE(storedInventory(other.host_id));
  EXPECT_TRUE(evaluatedHosts().empty());
  EXPECT_EQ(checkins("rejected"), 1);
}

TEST_F(ReportIntakeTest, UserTokenCannotReport) {
  const auto response = call("POST", "/api/v1/hosts/" + host_.host_id + "/reports", adminToken(),
                             protocol::toJson(makeReport(inventoryOf({"bash"}), true)).dump());
  EXPECT_EQ(response.status, 403);
}

TEST_F(ReportIntakeTest, RepeatedReportIdIsAppliedOnce) {
  const auto report = makeReport(inventoryOf({"bash"}), true);
  ASSERT_EQ(sendReport(host_, report).status, 200);
  const auto first_seen = showHost(host_.host_id)["last_seen_at"];

  clock_.advance(hours(2));
  const auto again = sendReport(host_, report);
  ASSERT_EQ(again.status, 200) << again.body;
  const auto parsed = protocol::parseReportResponse(again.body);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->duplicate);
  EXPECT_FALSE(parsed->inventory_needed);

  EXPECT_EQ(evaluatedHosts().size(), 1u);
  EXPECT_EQ(showHost(host_.host_id)["last_seen_at"], first_seen);
  EXPECT_EQ(checkins("accepted"), 1);
  EXPECT_EQ(checkins("duplicate"), 1);
}

TEST_F(ReportIntakeTest, MissingInventoryIsRequested) {
  const auto inventory = inventoryOf({"bash", "curl"});

  // The hash alone, for an inventory the server never received.
  clock_.advance(hours(1));
  const auto hash_only = sendReport(host_, makeReport(inventory, false));
  ASSERT_EQ(hash_only.status, 200) << hash_only.body;
  auto parsed = protocol::parseReportResponse(hash_only.body);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->inventory_needed);
  EXPECT_EQ(parsed->next_checkin_seconds, 60);
  EXPECT_FALSE(storedInventory(host_.host_id));
  EXPECT_TRUE(evaluatedHosts().empty());
  // The facts were still recorded.
  EXPECT_EQ(showHost(host_.host_id)["last_seen_at"], "2026-12-01T01:00:00Z");

  const auto full = sendReport(host_, makeReport(inventory, true));
  ASSERT_EQ(full.status, 200) << full.body;
  parsed = protocol::parseReportResponse(full.body);
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->inventory_needed);
  EXPECT_EQ(parsed->next_checkin_seconds, 3600);
  ASSERT_TRUE(storedInventory(host_.host_id));
  EXPECT_EQ(evaluatedHosts().size(), 1u);

  // The same hash again without the inventory: nothing is needed and
  // nothing is evaluated.
  const auto unchanged = sendReport(host_, makeReport(inventory, false));
  ASSERT_EQ(unchanged.status, 200) << unchanged.body;
  parsed = protocol::parseReportResponse(unchanged.body);
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->inventory_needed);
  EXPECT_EQ(evaluatedHosts().size(), 1u);
}

TEST_F(ReportIntakeTest, OldReceiptsArePruned) {
  const auto old_report = makeReport(inventoryOf({"bash"}), true);
  ASSERT_EQ(sendReport(host_, old_report).status, 200);

  clock_.advance(kReportReceiptRetention + hours(1));
  ASSERT_EQ(sendReport(host_, makeReport(inventoryOf({"bash"}), false)).status, 200);

  bool remembered = true;
  auto read = database_->read([&](store::Session& session) -> Result<void> {
    auto found = store::hasReportReceipt(session, host_.host_id, old_report.report_id);
    if (!found) return tl::unexpected(found.error());
    remembered = *found;
    return {};
  });
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_FALSE(remembered);
}

TEST_F(ReportIntakeTest, UnchangedInventoryIsNotRewritten) {
  const auto inventory = inventoryOf({"bash"});
  ASSERT_EQ(sendReport(host_, makeReport(inventory, true)).status, 200);
  const auto received = showHost(host_.host_id)["inventory"]["received_at"];

  clock_.advance(hours(1));
  ASSERT_EQ(sendReport(host_, makeReport(inventory, true)).status, 200);
  EXPECT_EQ(showHost(host_.host_id)["inventory"]["received_at"], received);
  EXPECT_EQ(evaluatedHosts().size(), 1u);
}

TEST_F(ReportIntakeTest, ChangedUpdatesAreEvaluated) {
  const auto inventory = inventoryOf({"openssl"});
  ASSERT_EQ(sendReport(host_, makeReport(inventory, true)).status, 200);
  ASSERT_EQ(evaluatedHosts().size(), 1u);

  auto with_update = makeReport(inventory, false);
  with_update.security_updates = {pendingUpdate("openssl")};
  ASSERT_EQ(sendReport(host_, with_update).status, 200);
  EXPECT_EQ(evaluatedHosts().size(), 2u);
  EXPECT_EQ(storedUpdates(host_.host_id).size(), 1u);

  auto same_update = makeReport(inventory, false);
  same_update.security_updates = {pendingUpdate("openssl")};
  ASSERT_EQ(sendReport(host_, same_update).status, 200);
  EXPECT_EQ(evaluatedHosts().size(), 2u);

  ASSERT_EQ(sendReport(host_, makeReport(inventory, false)).status, 200);
  EXPECT_EQ(evaluatedHosts().size(), 3u);
  EXPECT_TRUE(storedUpdates(host_.host_id).empty());
}

TEST_F(ReportIntakeTest, ChangelogIsStored) {
  const auto inventory = inventoryOf({"openssl"});
  auto report = makeReport(inventory, true);
  report.security_updates = {pendingUpdate("openssl")};
  report.security_updates[0].changelog = {{.version = "1.0-1+deb12u1",
                                           .distributions = "bookworm-security",
                                           .urgency = "high",
                                           .date = "Wed, 21 Oct 2026 16:54:24 +0700",
                                           .body = "  * Fix CVE-2024-0001.\n"}};
  ASSERT_EQ(sendReport(host_, report).status, 200);
  ASSERT_EQ(evaluatedHosts().size(), 1u);

  auto stored = storedUpdates(host_.host_id);
  ASSERT_EQ(stored.size(), 1u);
  ASSERT_EQ(stored[0].changelog.size(), 1u);
  EXPECT_EQ(stored[0].changelog[0].version, "1.0-1+deb12u1");
  EXPECT_EQ(stored[0].changelog[0].body, "  * Fix CVE-2024-0001.\n");

  // A changed changelog alone is stored without a new evaluation.
  auto next = makeReport(inventory, false);
  next.security_updates = report.security_updates;
  next.security_updates[0].changelog[0].body = "  * Fix CVE-2024-0001 again.\n";
  ASSERT_EQ(sendReport(host_, next).status, 200);
  EXPECT_EQ(evaluatedHosts().size(), 1u);
  stored = storedUpdates(host_.host_id);
  ASSERT_EQ(stored.size(), 1u);
  ASSERT_EQ(stored[0].changelog.size(), 1u);
  EXPECT_EQ(stored[0].changelog[0].body, "  * Fix CVE-2024-0001 again.\n");
}

TEST_F(ReportIntakeTest, RepeatedPendingUpdateIsRejected) {
  auto report = makeReport(inventoryOf({"openssl"}), true);
  report.security_updates = {pendingUpdate("openssl"), pendingUpdate("openssl")};
  const auto response = sendReport(host_, report);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "invalid_report");
  EXPECT_FALSE(storedInventory(host_.host_id));
}

TEST_F(ReportIntakeTest, MalformedReportIsRejected) {
  const std::string path = "/api/v1/hosts/" + host_.host_id + "/reports";
  const auto not_json = call("POST", path, host_.token, "{\"report_id\": ");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(errorCode(not_json), "invalid_report");

  auto bad_id = protocol::toJson(makeReport(inventoryOf({"bash"}), true));
  bad_id["report_id"] = "not-hex";
  const auto bad_id_response = call("POST", path, host_.token, bad_id.dump());
  EXPECT_EQ(bad_id_response.status, 400);
  EXPECT_NE(bodyOf(bad_id_response)["error"]["message"].get<std::string>().find("report_id"),
            std::string::npos);

  // An inventory that does not match its hash.
  auto mismatch = protocol::toJson(makeReport(inventoryOf({"bash"}), true));
  mismatch["inventory_hash"] = std::string(64, '0');
  EXPECT_EQ(call("POST", path, host_.token, mismatch.dump()).status, 400);

  EXPECT_TRUE(showHost(host_.host_id)["last_seen_at"].is_null());
  EXPECT_EQ(checkins("rejected"), 3);
}

TEST_F(ReportIntakeTest, RevokedHostIsRejected) {
  ASSERT_EQ(call("POST", "/api/v1/hosts/" + host_.host_id + "/revoke", adminToken()).status, 200);

  const auto response = sendReport(host_, makeReport(inventoryOf({"bash"}), true));
  EXPECT_EQ(response.status, 401);
  EXPECT_FALSE(storedInventory(host_.host_id));
}

TEST_F(ReportIntakeTest, FailedEvaluationRollsBackReport) {
  fail_evaluation_ = true;
  const auto report = makeReport(inventoryOf({"bash"}), true);
  const auto failed = sendReport(host_, report);
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(errorCode(failed), "internal_error");
  EXPECT_FALSE(storedInventory(host_.host_id));
  EXPECT_TRUE(showHost(host_.host_id)["last_seen_at"].is_null());
  EXPECT_EQ(checkins("failed"), 1);

  // The receipt rolled back too, so the resent report is applied.
  fail_evaluation_ = false;
  const auto resent = sendReport(host_, report);
  ASSERT_EQ(resent.status, 200) << resent.body;
  EXPECT_FALSE(protocol::parseReportResponse(resent.body)->duplicate);
  EXPECT_TRUE(storedInventory(host_.host_id));
}

TEST_F(ReportIntakeTest, ConfiguredIntervalIsSent) {
  options_.checkin_interval = std::chrono::minutes(15);
  Router router(makeAuthenticator(*context_));
  addHostRoutes(router, *context_, options_);

  Request request;
  request.method = "POST";
  request.path = "/api/v1/hosts/" + host_.host_id + "/reports";
  request.headers["authorization"] = "Bearer " + host_.token;
  request.body = protocol::toJson(makeReport(inventoryOf({"bash"}), true)).dump();
  const auto response = router.dispatch(request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(protocol::parseReportResponse(response.body)->next_checkin_seconds, 900);
}

}  // namespace
}  // namespace pk::server::host_tests
