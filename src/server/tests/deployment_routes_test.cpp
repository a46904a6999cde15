#include "server/deployment_routes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "server/tests/window_fixture.h"
#include "store/deployment_repository.h"
#include "store/inventory_repository.h"
#include "store/webhook_repository.h"

namespace pk::server::host_tests {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

constexpr const char* kPatch = "p-00000000000000a1";

// Deployments over the real store and routes. The patch catalog and ring
// sequences are replaced by small maps here, so each rule of deployments
// is tested alone; the e2e tests use the real ones.
class DeploymentRoutesTest : public WindowServerTest {
 protected:
  void SetUp() override {
    WindowServerTest::SetUp();
    if (HasFatalFailure()) return;
    services_.hosts_in_collection =
        [](store::Session& session,
           const std::string& collection) -> Result<std::vector<std::string>> {
      auto rows = session.query(
          "SELECT host_id FROM host_collections WHERE collection = ? ORDER BY host_id",
          {collection});
      if (!rows) return tl::unexpected(rows.error());
      std::vector<std::string> hosts;
      for (const auto& row : *rows) hosts.push_back(row.text(0));
      return hosts;
    };
    services_.ring_sequence =
        [this](store::Session&, const std::string& id) -> Result<std::optional<RingSequenceSpec>> {
      auto found = sequences_.find(id);
      if (found == sequences_.end()) return std::optional<RingSequenceSpec>();
      return std::optional<RingSequenceSpec>(found->second);
    };
    services_.patch_status = [this](store::Session&, const std::string& id) -> Result<PatchStatus> {
      auto found = patches_.find(id);
      return found == patches_.end() ? PatchStatus::kUnknown : found->second;
    };
    // A host needs the patch while its "openssl" is below 3.0-1.
    services_.install_plan = [](store::Session& session, const std::string& host_id,
                                const std::vector<std::string>&) -> Result<HostInstallPlan> {
      auto inventory = store::loadInventory(session, host_id);
      if (!inventory) return tl::unexpected(inventory.error());
      HostInstallPlan plan;
      if (!*inventory) return plan;
      for (const auto& package : (*inventory)->packages) {
        if (package.name == "openssl" && package.version < "3.0-1") {
          plan.packages.push_back({"openssl", "3.0-1"});
        }
      }
      return plan;
    };
    sequences_["default"] = RingSequenceSpec{
        "default",
        "Default",
        {{"Test", "test", {.min_soak = hours(24), .min_success_ratio = 1.0, .max_failures = 0}},
         {"Production", "production", {.min_soak = hours(0), .min_success_ratio = 0.9}}}};
    patches_[kPatch] = PatchStatus::kApproved;
    services_.host_policy = [this](store::Session&, const std::string&) -> Result<HostJobPolicy> {
      return host_policy_;
    };
    addDeploymentRoutes(*router_, *context_, services_);
  }

  // Enrols a server in `collection` that reports openssl at `version`.
  protocol::EnrolResponse server(const std::string& name, const std::string& collection,
                                 const std::string& version = "1.0-1") {
    auto host = enrolHost("machine-" + name, {{"collections", {collection}}});
    report(host, version);
    return host;
  }

  std::string report(const protocol::EnrolResponse& host, const std::string& version,
                     bool restart_required = false, const std::string& state = "installed") {
    auto inventory = inventoryOf({"openssl", "bash"});
    inventory.packages[0].version = version;
    inventory.packages[0].state = state;
    auto sent = makeReport(inventory, true);
    sent.restart.required = restart_required;
    if (restart_required) sent.restart.reason = "a new kernel was installed";
    const auto response = sendReport(host, sent);
    EXPECT_EQ(response.status, 200) << response.body;
    return sent.report_id;
  }

  // A daily window 02:00-06:00 UTC, assigned to `host`.
  void dailyWindow(const protocol::EnrolResponse& host, const std::string& length = "4h") {
    const auto window = createWindow({{"name", "daily-" + host.host_id},
                                      {"rrule", "FREQ=DAILY"},
                                      {"zone", "UTC"},
                                      {"offset_days", 0},
                                      {"length", length}});
    const auto assigned = assign(host.host_id, window);
    ASSERT_EQ(assigned.status, 200) << assigned.body;
  }

  json deploymentBody(const json& fields = {}) {
    json body = {{"name", "December"},
                 {"patches", {kPatch}},
                 {"deadline", formatRfc3339(clock_.now() + hours(24 * 14))}};
    for (const auto& [key, value] : fields.items()) body[key] = value;
    return body;
  }

  Response create(const json& fields = {}, const std::string& token = "") {
    return call("POST", "/api/v1/deployments", token.empty() ? adminToken() : token,
                deploymentBody(fields).dump());
  }

  std::string createdId(const json& fields = {}) {
    const auto response = create(fields);
    EXPECT_EQ(response.status, 201) << response.body;
    return bodyOf(response).value("id", "");
  }

  AdvanceRound advance() {
    AdvanceRound round;
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      auto advanced = advanceDeployments(session, services_, clock_.now());
      if (!advanced) return tl::unexpected(advanced.error());
      round = *advanced;
      return {};
    });
    EXPECT_TRUE(written) << written.error().message;
    return round;
  }

  protocol::JobList jobsOf(const protocol::EnrolResponse& host) {
    const auto response = call("GET", "/api/v1/hosts/" + host.host_id + "/jobs", host.token);
    EXPECT_EQ(response.status, 200) << response.body;
    auto list = protocol::parseJobList(response.body);
    EXPECT_TRUE(list) << response.body;
    return list ? *list : protocol::JobList{};
  }

  Response post(const protocol::EnrolResponse& host, const std::string& job_id,
                deploy::JobState state, const std::optional<std::string>& report_id = {}) {
    protocol::JobEvent event;
    event.event_id = fmt::format("{:032x}", ++event_counter_);
    event.at = clock_.now();
    event.state = state;
    event.message = std::string(deploy::jobStateName(state));
    event.report_id = report_id;
    event.duration_seconds = 600;
    last_event_ = event;
    return call("POST", "/api/v1/hosts/" + host.host_id + "/jobs/" + job_id + "/events", host.token,
                protocol::toJson(event).dump());
  }

  json deployment(const std::string& id) {
    const auto response = call("GET", "/api/v1/deployments/" + id, adminToken());
    EXPECT_EQ(response.status, 200) << response.body;
    return bodyOf(response);
  }

  // Runs a job through install and verification with openssl 3.0-1.
  void patch(const protocol::EnrolResponse& host, const std::string& job_id) {
    ASSERT_EQ(post(host, job_id, deploy::JobState::kInstalling).status, 200);
    ASSERT_EQ(post(host, job_id, deploy::JobState::kInstalled).status, 200);
    const std::string report_id = report(host, "3.0-1");
    const auto verified = post(host, job_id, deploy::JobState::kVerifying, report_id);
    ASSERT_EQ(verified.status, 200) << verified.body;
    EXPECT_EQ(bodyOf(verified).value("state", ""), "succeeded");
  }

  DeploymentServices services_;
  std::map<std::string, RingSequenceSpec> sequences_;
  std::map<std::string, PatchStatus> patches_;
  HostJobPolicy host_policy_;
  std::uint64_t event_counter_ = 0;
  protocol::JobEvent last_event_;
};

TEST_F(DeploymentRoutesTest, UnknownPatchIsNotFound) {
  server("t1", "test");
  const auto response = create({{"patches", {"p-ffffffffffffffff"}}});
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(errorCode(response), "unknown_patch");
  EXPECT_NE(response.body.find("p-ffffffffffffffff"), std::string::npos);
}

TEST_F(DeploymentRoutesTest, UnapprovedPatchIsRefused) {
  server("t1", "test");
  patches_[kPatch] = PatchStatus::kDeclined;
  EXPECT_EQ(errorCode(create()), "patch_not_approved");
}

TEST_F(DeploymentRoutesTest, NoTargetsIsRejected) {
  server("t1", "test", "3.0-1");
  const auto response = create();
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "no_targets");
}

TEST_F(DeploymentRoutesTest, EmptyPatchListIsRejected) {
  server("t1", "test");
  EXPECT_EQ(errorCode(create({{"patches", json::array()}})), "no_patches");
}

TEST_F(DeploymentRoutesTest, LoopingRingSequenceIsRejected) {
  server("t1", "test");
  sequences_["loop"] = RingSequenceSpec{
      "loop", "Loop", {{"Test", "test", {}}, {"Pilot", "pilot", {}}, {"Again", "test", {}}}};
  const auto response = create({{"ring_sequence", "loop"}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "ring_sequence_loops");
}

TEST_F(DeploymentRoutesTest, ImpossibleGateRatioIsRejected) {
  server("t1", "test");
  sequences_["odd"] =
      RingSequenceSpec{"odd", "Odd", {{"Test", "test", {.min_success_ratio = 1.2}}}};
  const auto response = create({{"ring_sequence", "odd"}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "invalid_gate");
  EXPECT_NE(response.body.find("impossible"), std::string::npos);
}

TEST_F(DeploymentRoutesTest, BadBodiesNameTheField) {
  server("t1", "test");
  EXPECT_EQ(errorCode(create({{"deadline", "tomorrow"}})), "invalid_field");
  EXPECT_EQ(errorCode(create({{"deadline", formatRfc3339(clock_.now() - hours(1))}})),
            "invalid_field");
  EXPECT_EQ(errorCode(create({{"name", 7}})), "invalid_field");
  EXPECT_EQ(errorCode(create({{"emergency", true}})), "invalid_field");
  EXPECT_EQ(errorCode(create({{"restart_deadline_seconds", -1}})), "invalid_field");
}

TEST_F(DeploymentRoutesTest, ViewerCannotCreate) {
  server("t1", "test");
  const auto response = create({}, userToken("vera", {"viewer"}));
  EXPECT_EQ(response.status, 403);
  const auto listed = call("GET", "/api/v1/deployments", userToken("val", {"viewer"}));
  EXPECT_EQ(listed.status, 200);
}

TEST_F(DeploymentRoutesTest, RingsAdvanceAfterVerifiedInstall) {
  const auto test_host = server("t1", "test");
  const auto production_host = server("p1", "production");
  dailyWindow(test_host);
  dailyWindow(production_host);
  const std::string id = createdId();

  auto round = advance();
  EXPECT_EQ(round.jobs_created, 1u);
  EXPECT_TRUE(jobsOf(production_host).jobs.empty());
  auto jobs = jobsOf(test_host);
  ASSERT_EQ(jobs.jobs.size(), 1u);
  const auto& order = jobs.jobs[0];
  EXPECT_EQ(order.packages.size(), 1u);
  EXPECT_FALSE(order.windows.empty());
  EXPECT_EQ(order.restart.mode, protocol::RestartMode::kInWindow);
  EXPECT_EQ(order.estimate_seconds, 1800);

  patch(test_host, order.job_id);
  EXPECT_TRUE(jobsOf(test_host).jobs.empty());

  clock_.advance(hours(23));
  advance();
  EXPECT_EQ(deployment(id).value("current_ring", -1), 0);
  clock_.advance(hours(1));
  round = advance();
  EXPECT_EQ(round.rings_entered, 1u);
  EXPECT_EQ(deployment(id).value("current_ring", -1), 1);
  auto production_jobs = jobsOf(production_host);
  ASSERT_EQ(production_jobs.jobs.size(), 1u);
  patch(production_host, production_jobs.jobs[0].job_id);
  round = advance();
  ASSERT_EQ(round.completed.size(), 1u);
  EXPECT_EQ(deployment(id).value("status", ""), "completed");
}

TEST_F(DeploymentRoutesTest, FailedLastRingHalts) {
  const auto test_host = server("t1", "test");
  const auto production_host = server("p1", "production");
  dailyWindow(test_host);
  dailyWindow(production_host);
  const std::string id = createdId();
  advance();
  patch(test_host, jobsOf(test_host).jobs.at(0).job_id);
  clock_.advance(hours(24));
  advance();
  ASSERT_EQ(deployment(id).value("current_ring", -1), 1);

  const auto job_id = jobsOf(production_host).jobs.at(0).job_id;
  ASSERT_EQ(post(production_host, job_id, deploy::JobState::kFailed).status, 200);
  const auto round = advance();
  EXPECT_TRUE(round.completed.empty());
  ASSERT_EQ(round.halted.size(), 1u);
  const json shown = deployment(id);
  EXPECT_EQ(shown.value("status", ""), "halted");
  EXPECT_NE(shown.value("status_reason", "").find("last ring"), std::string::npos)
      << shown.value("status_reason", "");
}

TEST_F(DeploymentRoutesTest, FailedJobHaltsAndNotifies) {
  const auto test_host = server("t1", "test");
  server("p1", "production");
  dailyWindow(test_host);
  auto subscribed = database_->write([&](store::Session& session) -> Result<void> {
    store::WebhookSubscription subscription;
    subscription.url = "https://hooks.example.org/patchkeeper";
    subscription.secret = "s";
    subscription.events = {"deployment.halted"};
    subscription.created_by = "admin";
    subscription.created_at = clock_.now();
    auto id = store::insertWebhookSubscription(session, subscription);
    if (!id) return tl::unexpected(id.error());
    return {};
  });
  ASSERT_TRUE(subscribed) << subscribed.error().message;
  const std::string id = createdId();
  advance();
  const auto job_id = jobsOf(test_host).jobs.at(0).job_id;
  ASSERT_EQ(post(test_host, job_id, deploy::JobState::kFailed).status, 200);

  const auto round = advance();
  ASSERT_EQ(round.halted.size(), 1u);
  const json shown = deployment(id);
  EXPECT_EQ(shown.value("status", ""), "halted");
  EXPECT_NE(shown.value("status_reason", "").find("1 of 1 jobs failed"), std::string::npos);
  EXPECT_EQ(shown["events"].back().value("kind", ""), "halted");

  std::size_t due = 0;
  auto read = database_->read([&](store::Session& session) -> Result<void> {
    auto deliveries = store::listDueDeliveries(session, clock_.now(), 10);
    if (!deliveries) return tl::unexpected(deliveries.error());
    due = deliveries->size();
    return {};
  });
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(due, 1u);
  EXPECT_EQ(advance().rings_entered, 0u);
}

TEST_F(DeploymentRoutesTest, EstimateLongerThanWindowIsUnschedulable) {
  const auto host = server("t1", "test");
  dailyWindow(host, "20m");
  createdId();
  advance();
  EXPECT_TRUE(jobsOf(host).jobs.empty());
  std::vector<store::JobRecord> jobs;
  auto read = database_->read([&](store::Session& session) -> Result<void> {
    auto found = store::listJobsOfHost(session, host.host_id);
    if (!found) return tl::unexpected(found.error());
    jobs = *found;
    return {};
  });
  ASSERT_TRUE(read);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].state, "unschedulable");
  EXPECT_NE(jobs[0].message.find("does not fit"), std::string::npos) << jobs[0].message;
}

TEST_F(DeploymentRoutesTest, ServerWithoutWindowIsUnschedulable) {
  const auto host = server("t1", "test");
  createdId();
  advance();
  std::string state;
  auto read = database_->read([&](store::Session& session) -> Result<void> {
    auto found = store::listJobsOfHost(session, host.host_id);
    if (!found) return tl::unexpected(found.error());
    state = found->at(0).state;
    return {};
  });
  ASSERT_TRUE(read);
  EXPECT_EQ(state, "unschedulable");
}

TEST_F(DeploymentRoutesTest, EmergencyNeedsSecondAdmin) {
  const auto host = server("t1", "test");
  const std::string id = createdId({{"emergency", true}, {"reason", "CVE-2026-0001 is in KEV"}});
  EXPECT_EQ(deployment(id).value("status", ""), "awaiting_approval");
  advance();
  EXPECT_TRUE(jobsOf(host).jobs.empty());

  const auto own = call("POST", "/api/v1/deployments/" + id + "/approve", adminToken());
  EXPECT_EQ(own.status, 403);
  EXPECT_EQ(errorCode(own), "second_approval_required");

  const auto second =
      call("POST", "/api/v1/deployments/" + id + "/approve", userToken("bob", {"admin"}));
  ASSERT_EQ(second.status, 200) << second.body;
  advance();
  auto jobs = jobsOf(host);
  ASSERT_EQ(jobs.jobs.size(), 1u);
  EXPECT_TRUE(jobs.jobs[0].emergency);
  EXPECT_TRUE(jobs.jobs[0].windows.empty());
}

TEST_F(DeploymentRoutesTest, RepeatedEventIsAppliedOnce) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  ASSERT_EQ(post(host, job_id, deploy::JobState::kInstalling).status, 200);
  const protocol::JobEvent first = last_event_;
  ASSERT_EQ(post(host, job_id, deploy::JobState::kInstalled).status, 200);
  const auto again = call("POST", "/api/v1/hosts/" + host.host_id + "/jobs/" + job_id + "/events",
                          host.token, protocol::toJson(first).dump());
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(bodyOf(again).value("state", ""), "installed");

  const auto shown = call("GET", "/api/v1/jobs/" + job_id, adminToken());
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(bodyOf(shown)["events"].size(), 3u);
}

std::string jobState(store::Database& database, const std::string& job_id) {
  std::string state;
  auto read = database.read([&](store::Session& session) -> Result<void> {
    auto job = store::getJob(session, job_id);
    if (!job) return tl::unexpected(job.error());
    state = *job ? (*job)->state : "";
    return {};
  });
  EXPECT_TRUE(read) << read.error().message;
  return state;
}

TEST_F(DeploymentRoutesTest, EventLogIsBounded) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  int accepted = 0;
  for (int attempt = 0; attempt < 250; ++attempt) {
    if (post(host, job_id, deploy::JobState::kInstalling).status != 200) break;
    ++accepted;
  }
  EXPECT_EQ(accepted, 200);
  EXPECT_EQ(jobState(*database_, job_id), "failed");

  const auto after = post(host, job_id, deploy::JobState::kInstalling);
  EXPECT_EQ(errorCode(after), "job_finished");
}

TEST_F(DeploymentRoutesTest, BackwardMoveConflicts) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  ASSERT_EQ(post(host, job_id, deploy::JobState::kInstalled).status, 200);
  const auto back = post(host, job_id, deploy::JobState::kInstalling);
  EXPECT_EQ(back.status, 409);
  EXPECT_EQ(errorCode(back), "job_state_conflict");
}

TEST_F(DeploymentRoutesTest, VerifyingNeedsReceivedReport) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  const auto response = post(host, job_id, deploy::JobState::kVerifying, std::string(32, 'e'));
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(errorCode(response), "report_not_received");
}

TEST_F(DeploymentRoutesTest, VerifyingRejectsOlderReport) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  const std::string report_id = report(host, "2.0-1");
  clock_.advance(std::chrono::minutes(1));
  createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  const auto response = post(host, job_id, deploy::JobState::kVerifying, report_id);
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(errorCode(response), "report_not_received");
  EXPECT_EQ(jobState(*database_, job_id), "pending");
}

TEST_F(DeploymentRoutesTest, StillVulnerableAfterInstallFails) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  const std::string report_id = report(host, "2.0-1");
  const auto response = post(host, job_id, deploy::JobState::kVerifying, report_id);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(bodyOf(response).value("state", ""), "failed");
}

TEST_F(DeploymentRoutesTest, CancelStopsJobs) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  const std::string id = createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  const auto cancelled = call("POST", "/api/v1/deployments/" + id + "/cancel", adminToken(),
                              R"({"reason":"wrong patch"})");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  const auto late = post(host, job_id, deploy::JobState::kInstalling);
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(errorCode(late), "job_cancelled");
}

TEST_F(DeploymentRoutesTest, AgentCannotReadAnotherHostsJobs) {
  const auto host = server("t1", "test");
  const auto other = server("t2", "test");
  const auto response = call("GET", "/api/v1/hosts/" + host.host_id + "/jobs", other.token);
  EXPECT_EQ(response.status, 403);
}

TEST_F(DeploymentRoutesTest, RestartPendingSettlesAfterRestart) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  ASSERT_EQ(post(host, job_id, deploy::JobState::kInstalled).status, 200);
  const std::string pending_report = report(host, "3.0-1", true);
  const auto verified = post(host, job_id, deploy::JobState::kVerifying, pending_report);
  EXPECT_EQ(bodyOf(verified).value("state", ""), "restart_pending");
  advance();
  EXPECT_EQ(jobState(*database_, job_id), "restart_pending");

  report(host, "3.0-1", false);
  advance();
  EXPECT_EQ(jobState(*database_, job_id), "succeeded");
}

TEST_F(DeploymentRoutesTest, HalfConfiguredPackageFailsVerification) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  const std::string half = report(host, "3.0-1", false, "half-configured");
  const auto response = post(host, job_id, deploy::JobState::kVerifying, half);
  EXPECT_EQ(bodyOf(response).value("state", ""), "failed");
}

TEST_F(DeploymentRoutesTest, RevokedHostsJobIsCancelled) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  ASSERT_EQ(call("POST", "/api/v1/hosts/" + host.host_id + "/revoke", adminToken()).status, 200);
  advance();
  EXPECT_EQ(jobState(*database_, job_id), "cancelled");
}

TEST_F(DeploymentRoutesTest, UnstartedJobFailsAtDeadline) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  createdId({{"deadline", formatRfc3339(clock_.now() + hours(48))}});
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  clock_.advance(hours(47));
  advance();
  EXPECT_EQ(jobState(*database_, job_id), "pending");
  clock_.advance(hours(1));
  advance();
  EXPECT_EQ(jobState(*database_, job_id), "failed");
}

TEST_F(DeploymentRoutesTest, PastDeadlineIsRejected) {
  server("t1", "test");
  const auto response =
      create({{"available_at", "2020-01-01T00:00:00Z"}, {"deadline", "2020-01-02T00:00:00Z"}});
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("in the future"), std::string::npos);
}

TEST_F(DeploymentRoutesTest, UnknownFieldIsRejected) {
  server("t1", "test");
  const auto response = create({{"emergancy", true}});
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("emergancy"), std::string::npos);
  EXPECT_EQ(errorCode(create({{"patches", {"../../etc"}}})), "invalid_field");
}

TEST_F(DeploymentRoutesTest, DeclinedPatchGetsNoJobs) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  const std::string id = createdId();
  patches_[kPatch] = PatchStatus::kDeclined;
  advance();
  EXPECT_TRUE(jobsOf(host).jobs.empty());
  const json shown = deployment(id);
  EXPECT_EQ(shown.value("status", ""), "halted");
  EXPECT_NE(shown.value("status_reason", "").find("approved any more"), std::string::npos);
}

TEST_F(DeploymentRoutesTest, DeletedCollectionLeavesRingEmpty) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  const std::string id = createdId();
  const auto original = services_.hosts_in_collection;
  services_.hosts_in_collection =
      [](store::Session&, const std::string& collection) -> Result<std::vector<std::string>> {
    return fail(ErrorCode::kNotFound, "no collection has id " + collection);
  };
  const auto round = advance();
  EXPECT_EQ(round.jobs_created, 0u);
  EXPECT_EQ(deployment(id)["events"].back().value("kind", ""), "ring_entered");
  services_.hosts_in_collection = original;
}

TEST_F(DeploymentRoutesTest, SecondDeploymentGetsOwnJob) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  createdId();
  advance();
  createdId();
  const auto round = advance();
  EXPECT_EQ(round.jobs_created, 1u);
  EXPECT_EQ(jobsOf(host).jobs.size(), 2u);
}

TEST_F(DeploymentRoutesTest, JobsNameTheirHost) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  const std::string id = createdId();
  advance();
  const std::string hostname =
      bodyOf(call("GET", "/api/v1/hosts/" + host.host_id, adminToken())).value("hostname", "");
  ASSERT_FALSE(hostname.empty());

  const auto jobs = bodyOf(call("GET", "/api/v1/deployments/" + id + "/jobs", adminToken()));
  ASSERT_EQ(jobs["jobs"].size(), 1u);
  EXPECT_EQ(jobs["jobs"][0].value("hostname", ""), hostname);

  const std::string job_id = jobs["jobs"][0].value("id", "");
  const auto job = bodyOf(call("GET", "/api/v1/jobs/" + job_id, adminToken()));
  EXPECT_EQ(job.value("hostname", ""), hostname);
}

TEST_F(DeploymentRoutesTest, HostJoiningCurrentRingGetsJob) {
  const auto first = server("t1", "test");
  dailyWindow(first);
  const std::string id = createdId();
  advance();
  const auto later = server("t2", "test");
  dailyWindow(later);
  const auto round = advance();
  EXPECT_EQ(round.jobs_created, 1u);
  EXPECT_EQ(jobsOf(later).jobs.size(), 1u);
  EXPECT_EQ(deployment(id)["events"].back().value("kind", ""), "hosts_joined");
}

TEST_F(DeploymentRoutesTest, DeclinedPatchCancelsWaitingJob) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  const std::string id = createdId();
  advance();
  const auto job_id = jobsOf(host).jobs.at(0).job_id;
  patches_[kPatch] = PatchStatus::kDeclined;
  const auto round = advance();
  EXPECT_EQ(jobState(*database_, job_id), "cancelled");
  EXPECT_TRUE(jobsOf(host).jobs.empty());
  ASSERT_EQ(round.halted.size(), 1u);
  EXPECT_EQ(deployment(id).value("status", ""), "halted");
}

TEST_F(DeploymentRoutesTest, EmergencyApprovalRechecksPatches) {
  server("t1", "test");
  const std::string id = createdId({{"emergency", true}, {"reason", "CVE-2026-0001 is in KEV"}});
  patches_[kPatch] = PatchStatus::kDeclined;
  const auto second =
      call("POST", "/api/v1/deployments/" + id + "/approve", userToken("bob", {"admin"}));
  EXPECT_EQ(second.status, 409);
  EXPECT_EQ(errorCode(second), "patch_not_approved");
  EXPECT_EQ(deployment(id).value("status", ""), "awaiting_approval");
}

TEST_F(DeploymentRoutesTest, LastRingHaltsAtFirstExcessFailure) {
  sequences_["single"] = RingSequenceSpec{
      "single",
      "Single",
      {{"Only", "test", {.min_soak = hours(0), .min_success_ratio = 1.0, .max_failures = 0}}}};
  const auto failing = server("t1", "test");
  const auto waiting = server("t2", "test");
  dailyWindow(failing);
  dailyWindow(waiting);
  const std::string id = createdId({{"ring_sequence", "single"}});
  advance();
  const auto job_id = jobsOf(failing).jobs.at(0).job_id;
  ASSERT_EQ(post(failing, job_id, deploy::JobState::kFailed).status, 200);
  const auto round = advance();
  ASSERT_EQ(round.halted.size(), 1u);
  EXPECT_EQ(deployment(id).value("status", ""), "halted");
}

TEST_F(DeploymentRoutesTest, JobCarriesCollectionsRestartPolicy) {
  const auto host = server("t1", "test");
  dailyWindow(host);
  host_policy_.restart.deadline_seconds = 7200;
  host_policy_.restart.reminder_seconds = 600;
  createdId({{"restart_deadline_seconds", 3600}});
  advance();
  const auto jobs = jobsOf(host);
  ASSERT_EQ(jobs.jobs.size(), 1u);
  EXPECT_EQ(jobs.jobs[0].restart.deadline_seconds, 3600);
  EXPECT_EQ(jobs.jobs[0].restart.countdown_seconds, 3600) << "cut to the shortened deadline";
  EXPECT_EQ(jobs.jobs[0].restart.reminder_seconds, 600);
}

TEST_F(DeploymentRoutesTest, UnknownStatusFilterIsRejected) {
  const auto response = call("GET", "/api/v1/deployments", adminToken(), "", {{"status", "bogus"}});
  EXPECT_EQ(response.status, 400);
}

}  // namespace
}  // namespace pk::server::host_tests
