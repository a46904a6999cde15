// Deployments end to end: the real server and agent binaries on loopback,
// with real apt and dpkg installing from a local repository into sandbox
// roots, and both clocks moved forward by the test. The finding appears,
// an approval rule approves its patch, the deployment enters the Test
// ring, the job waits for its window, apt installs inside it, the fresh
// inventory fixes the finding and makes the host compliant, and the gate
// moves the deployment on to Production. A package whose postinst fails
// halts the deployment with the script's own message in the job's log.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "src/agent/tests/slow/job_sandbox.h"
#include "tests/e2e/fleet_fixture.h"
#include "tests/support/rpm_sandbox.h"

namespace pk::e2e {
namespace {

namespace sandbox = agent::test_sandbox;
using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// An OSV record: `package` before `fixed` in `ecosystem` is vulnerable.
std::string osvRecord(const std::string& id, const std::string& package, const std::string& fixed,
                      const std::string& ecosystem = "Debian:12") {
  return json{
      {"schema_version", "1.6.0"},
      {"id", id},
      {"modified", "2026-12-01T00:00:00Z"},
      {"summary", "High: " + package + " lets a remote attacker run code"},
      {"aliases", {"CVE-2026-990" + std::to_string(package.size())}},
      {"affected",
       {{{"package", {{"ecosystem", ecosystem}, {"name", package}}},
         {"ranges",
          {{{"type", "ECOSYSTEM"}, {"events", {{{"introduced", "0"}}, {{"fixed", fixed}}}}}}}}}}}
      .dump();
}

std::string hostIdOf(const std::filesystem::path& state) {
  std::ifstream file(state / "identity.json");
  return json::parse(file, nullptr, false).value("host_id", "");
}

class DeploymentFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto missing = sandbox::firstMissingTool({"dpkg-deb", "apt-ftparchive", "apt-get"});
        !missing.empty()) {
      GTEST_SKIP() << missing << " is not installed; scripts/install-deps.sh installs it";
    }
    if (::geteuid() != 0) GTEST_SKIP() << "dpkg --root needs root to set file owners";
  }

  // Creates the fleet with one OSV feed of `records`, polled often, and
  // deployments moved on every second.
  void startFleet(const std::string& name, const std::vector<std::string>& records) {
    auto created = Fleet::create(name, "");
    ASSERT_TRUE(created) << created.error().message;
    fleet_.emplace(std::move(*created));
    const auto feed = fleet_->folder() / "feed";
    std::filesystem::create_directories(feed);
    for (std::size_t i = 0; i < records.size(); ++i) {
      std::ofstream(feed / fmt::format("record-{}.json", i)) << records[i];
    }
    // Settings go before the feed table, so they stay top-level keys.
    std::ofstream config(fleet_->folder() / "server.toml", std::ios::app);
    config << "deployment_interval_seconds = 1\n"
           << "\n[[feeds]]\nname = \"e2e-osv\"\nkind = \"osv\"\npath = \"" << feed.string()
           << "\"\ninterval_minutes = 1\n";
    config.close();
    ASSERT_TRUE(fleet_->startServer());
  }

  // A sandbox root named `name`, labelled `collection`, with `installed`
  // installed from the test repository, and its agent configuration.
  std::filesystem::path addHost(const std::string& name, const std::string& collection,
                                const std::vector<sandbox::TestDeb>& installed) {
    const auto root = fleet_->folder() / "roots" / name;
    auto built = sandbox::buildRoot(root, repository(), installed);
    EXPECT_TRUE(built) << (built ? "" : built.error().message);
    std::ofstream(root / "etc/machine-id")
        << fmt::format("{:032x}\n", std::hash<std::string>{}(name));
    auto secret = fleet_->createEnrolmentSecret(name, {collection});
    EXPECT_TRUE(secret) << (secret ? "" : secret.error().message);
    auto config = fleet_->writeAgentConfig(name, root, secret ? *secret : "");
    EXPECT_TRUE(config);
    return config ? *config : std::filesystem::path();
  }

  // The version file that the test package installs in root `name`.
  std::string installedVersion(const std::string& name, const std::string& package) const {
    std::ifstream file(fleet_->folder() / "roots" / name / "usr/share" / package / "version");
    std::string version;
    file >> version;
    return version;
  }

  std::filesystem::path repository() const { return fleet_->folder() / "repository"; }

  void buildRepository(const std::vector<sandbox::TestDeb>& debs) {
    auto built = sandbox::buildRepository(fleet_->folder(), repository(), debs);
    ASSERT_TRUE(built) << built.error().message;
  }

  std::string runAgent(const std::filesystem::path& config) {
    EXPECT_EQ(fleet_->runAgentOnce(config), 0) << agentLog(config);
    return hostIdOf(config.parent_path() / config.stem());
  }

  static std::string agentLog(const std::filesystem::path& config) {
    std::filesystem::path log = config;
    log.replace_extension(".log");
    std::ifstream file(log);
    return std::string(std::istreambuf_iterator<char>(file), {});
  }

  // Collections "NAME-test" and "NAME-production" from host labels, a ring
  // sequence through them with a one-hour soak, and a daily two-hour window
  // that opens between two and three hours from now. Returns the shift
  // that puts both clocks five minutes into the window.
  seconds prepareRings(const std::string& name) {
    for (const char* ring : {"test", "production"}) {
      auto created =
          fleet_->adminPost("/api/v1/collections", {{"id", name + "-" + ring}, {"name", ring}});
      EXPECT_TRUE(created) << (created ? "" : created.error().message);
    }
    auto sequence =
        fleet_->adminPost("/api/v1/ring-sequences", {{"id", name},
                                                     {"name", name},
                                                     {"rings",
                                                      {{{"collection", name + "-test"},
                                                        {"min_soak_seconds", 3600},
                                                        {"min_success_ratio", 1.0},
                                                        {"max_failures", 0}},
                                                       {{"collection", name + "-production"},
                                                        {"min_soak_seconds", 0},
                                                        {"min_success_ratio", 0.0},
                                                        {"max_failures", 0}}}}});
    EXPECT_TRUE(sequence) << (sequence ? "" : sequence.error().message);

    const auto now = std::chrono::floor<hours>(std::chrono::system_clock::now());
    const auto opens = now + hours(3);
    const std::string start =
        fmt::format("2026-01-01T{:02d}:00", (opens.time_since_epoch() / hours(1)) % 24);
    auto window = fleet_->adminPost("/api/v1/windows", {{"name", name + "-nightly"},
                                                        {"rrule", "FREQ=DAILY"},
                                                        {"start", start},
                                                        {"zone", "UTC"},
                                                        {"length", "2h"}});
    EXPECT_TRUE(window) << (window ? "" : window.error().message);
    window_id_ = window ? window->value("id", "") : "";
    return std::chrono::duration_cast<seconds>(opens + minutes(5) -
                                               std::chrono::system_clock::now());
  }

  void assignWindow(const std::string& host_id) {
    auto assigned = fleet_->adminPut("/api/v1/hosts/" + host_id + "/window",
                                     {{"window", window_id_}, {"reason", "e2e"}});
    ASSERT_TRUE(assigned) << assigned.error().message;
  }

  // Waits until the host has an open finding and returns its patch id once
  // a rule approved it.
  std::string approvedPatchFor(const std::string& host_id, const std::string& package,
                               const std::string& ecosystem = "Debian:12") {
    const json findings = fleet_->waitForAdminGet("/api/v1/findings", [&](const json& body) {
      for (const auto& item : body.value("items", json::array())) {
        if (item.value("host_id", "") == host_id && item.value("package", "") == package) {
          return true;
        }
      }
      return false;
    });
    EXPECT_NE(findings.dump().find(host_id), std::string::npos) << fleet_->serverLog();
    auto rule = fleet_->adminPost("/api/v1/approval-rules",
                                  {{"name", "high on " + ecosystem + " " + package},
                                   {"ecosystem", ecosystem},
                                   {"minimum_severity", "high"}});
    EXPECT_TRUE(rule) << (rule ? "" : rule.error().message);
    const json patches = fleet_->waitForAdminGet(
        "/api/v1/patches?decision=approved",
        [&](const json& body) { return body.dump().find(package) != std::string::npos; });
    for (const auto& item : patches.value("items", json::array())) {
      if (item.dump().find(package) != std::string::npos) return item.value("id", "");
    }
    ADD_FAILURE() << "no approved patch for " << package << ": " << patches.dump();
    return "";
  }

  std::string deploy(const std::string& sequence, const std::string& patch_id) {
    auto created = fleet_->adminPost(
        "/api/v1/deployments",
        {{"name", "e2e " + sequence},
         {"patches", {patch_id}},
         {"ring_sequence", sequence},
         {"deadline", formatRfc3339(std::chrono::time_point_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now() + hours(24 * 7)))}});
    EXPECT_TRUE(created) << (created ? "" : created.error().message);
    return created ? created->value("id", "") : "";
  }

  json waitForDeployment(const std::string& id, const std::function<bool(const json&)>& condition) {
    return fleet_->waitForAdminGet("/api/v1/deployments/" + id, condition);
  }

  // The deployment's job of `host_id`, or null.
  json jobOf(const std::string& deployment_id, const std::string& host_id) {
    auto jobs = fleet_->adminGet("/api/v1/deployments/" + deployment_id + "/jobs");
    if (!jobs) return nullptr;
    for (const auto& job : jobs->value("jobs", json::array())) {
      if (job.value("host_id", "") == host_id) return job;
    }
    return nullptr;
  }

  void shift(seconds by) {
    shift_ += by;
    auto shifted = fleet_->shiftServerClock(shift_);
    ASSERT_TRUE(shifted) << shifted.error().message;
  }

  std::optional<Fleet> fleet_;
  std::string window_id_;
  seconds shift_{0};
};

TEST_F(DeploymentFlowTest, PatchMovesFromTestToProduction) {
  startFleet("e2e-deploy", {osvRecord("DSA-9901-1", "pkdemo", "1.0-2")});
  buildRepository({{"pkdemo", "1.0-1"}, {"pkdemo", "1.0-2"}});
  const auto test_config = addHost("web-test", "flow-test", {{"pkdemo", "1.0-1"}});
  const auto production_config = addHost("web-prod", "flow-production", {{"pkdemo", "1.0-1"}});
  const std::string test_host = runAgent(test_config);
  const std::string production_host = runAgent(production_config);
  ASSERT_FALSE(test_host.empty()) << agentLog(test_config);

  const seconds into_window = prepareRings("flow");
  assignWindow(test_host);
  assignWindow(production_host);
  const std::string patch_id = approvedPatchFor(test_host, "pkdemo");
  ASSERT_FALSE(patch_id.empty());
  const std::string id = deploy("flow", patch_id);
  ASSERT_FALSE(id.empty());

  // The deployment reaches the Test ring: one job, for the test host only.
  waitForDeployment(id, [](const json& body) { return !body["rings"][0]["entered_at"].is_null(); });
  ASSERT_TRUE(jobOf(id, test_host).is_object());
  EXPECT_TRUE(jobOf(id, production_host).is_null());

  // Outside the window the job waits and nothing is installed.
  runAgent(test_config);
  EXPECT_EQ(jobOf(id, test_host).value("state", ""), "waiting_for_window");
  EXPECT_EQ(installedVersion("web-test", "pkdemo"), "1.0-1");

  // Inside the window apt installs the patch and the fresh inventory
  // confirms it.
  shift(into_window);
  runAgent(test_config);
  EXPECT_EQ(jobOf(id, test_host).value("state", ""), "succeeded") << agentLog(test_config);
  EXPECT_EQ(installedVersion("web-test", "pkdemo"), "1.0-2");
  const json host = fleet_->waitForAdminGet("/api/v1/hosts/" + test_host, [](const json& body) {
    return body["compliance"].value("status", "") == "compliant";
  });
  EXPECT_EQ(host["compliance"].value("status", ""), "compliant") << host.dump();
  auto open = fleet_->adminGet("/api/v1/findings?status=open&host=" + test_host);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->dump().find("\"" + test_host + "\""), std::string::npos) << open->dump();

  // A server killed mid-deployment loses no job state.
  fleet_->stopServer(SIGKILL);
  ASSERT_TRUE(fleet_->startServer());
  EXPECT_EQ(jobOf(id, test_host).value("state", ""), "succeeded");

  // After the one-hour soak the gate passes and Production gets its job.
  shift(hours(1));
  const json moved =
      waitForDeployment(id, [](const json& body) { return body.value("current_ring", 0) == 1; });
  ASSERT_EQ(moved.value("current_ring", 0), 1) << moved.dump() << fleet_->serverLog();
  ASSERT_TRUE(jobOf(id, production_host).is_object());
  runAgent(production_config);
  const json done = waitForDeployment(
      id, [](const json& body) { return body.value("status", "") == "completed"; });
  EXPECT_EQ(done.value("status", ""), "completed") << done.dump() << agentLog(production_config);
}

TEST_F(DeploymentFlowTest, FailingPostinstHaltsPromotion) {
  startFleet("e2e-halt", {osvRecord("DSA-9902-1", "pkbroken", "2.0-2")});
  buildRepository({{"pkbroken", "2.0-1"},
                   {"pkbroken", "2.0-2",
                    "echo 'pkbroken: cannot reach the licence server at 10.0.0.9' >&2\nexit 1"}});
  const auto config = addHost("db-test", "halt-test", {{"pkbroken", "2.0-1"}});
  const auto production_config = addHost("db-prod", "halt-production", {{"pkbroken", "2.0-1"}});
  const std::string host_id = runAgent(config);
  const std::string production_host = runAgent(production_config);
  ASSERT_FALSE(host_id.empty()) << agentLog(config);

  const seconds into_window = prepareRings("halt");
  assignWindow(host_id);
  assignWindow(production_host);
  const std::string patch_id = approvedPatchFor(host_id, "pkbroken");
  ASSERT_FALSE(patch_id.empty());
  const std::string id = deploy("halt", patch_id);
  waitForDeployment(id, [](const json& body) { return !body["rings"][0]["entered_at"].is_null(); });

  shift(into_window);
  runAgent(config);
  const json halted =
      waitForDeployment(id, [](const json& body) { return body.value("status", "") == "halted"; });
  EXPECT_EQ(halted.value("status", ""), "halted") << halted.dump();
  EXPECT_EQ(halted.value("current_ring", -1), 0);
  EXPECT_TRUE(jobOf(id, production_host).is_null());

  const json job = jobOf(id, host_id);
  ASSERT_TRUE(job.is_object());
  EXPECT_EQ(job.value("state", ""), "failed");
  auto shown = fleet_->adminGet("/api/v1/jobs/" + job.value("id", ""));
  ASSERT_TRUE(shown) << shown.error().message;
  bool has_message = false;
  for (const auto& event : (*shown)["events"]) {
    if (event.value("output", "").find("cannot reach the licence server at 10.0.0.9") !=
        std::string::npos) {
      has_message = true;
    }
  }
  EXPECT_TRUE(has_message) << shown->dump();
}

// The same flow with dnf: rpms built by rpmbuild, a repository made by
// createrepo_c, and the old version installed into the root's rpm database.
TEST_F(DeploymentFlowTest, DnfPatchIsInstalledAndVerified) {
  if (auto missing = sandbox::firstMissingTool({"dnf", "rpm", "rpmbuild", "createrepo_c"});
      !missing.empty()) {
    GTEST_SKIP() << missing << " is not installed; scripts/install-deps.sh installs it";
  }
  startFleet("e2e-dnf", {osvRecord("ALSA-2026:9903", "vuln", "1.0-2", "AlmaLinux:9")});
  const auto top = fleet_->folder() / "rpmbuild";
  std::vector<std::filesystem::path> old_rpms;
  for (const char* release : {"1", "2"}) {
    auto rpm = test_support::buildRpm({.name = "vuln", .version = "1.0", .release = release}, top);
    ASSERT_TRUE(rpm) << rpm.error().message;
    if (std::string(release) == "1") old_rpms.push_back(*rpm);
  }
  const auto rpms = top / "RPMS" / "noarch";
  ASSERT_TRUE(sandbox::runChecked({"createrepo_c", "-q", rpms.string()}));
  const auto root = fleet_->folder() / "roots" / "alma";
  ASSERT_TRUE(test_support::writeFile(
      root, "etc/os-release",
      "ID=\"almalinux\"\nVERSION_ID=\"9.4\"\nPRETTY_NAME=\"AlmaLinux 9.4\"\n"));
  ASSERT_TRUE(test_support::writeFile(root, "etc/machine-id", std::string(32, 'a') + "\n"));
  ASSERT_TRUE(test_support::writeFile(
      root, "etc/yum.repos.d/e2e.repo",
      "[e2e]\nname=e2e\nbaseurl=file://" + rpms.string() + "\ngpgcheck=0\nenabled=1\n"));
  auto installed = test_support::installRpms(root, old_rpms);
  ASSERT_TRUE(installed) << installed.error().message;
  auto secret = fleet_->createEnrolmentSecret("alma", {"dnf-test"});
  ASSERT_TRUE(secret) << secret.error().message;
  auto config = fleet_->writeAgentConfig("alma", root, *secret);
  ASSERT_TRUE(config);
  const std::string host_id = runAgent(*config);
  ASSERT_FALSE(host_id.empty()) << agentLog(*config);

  const seconds into_window = prepareRings("dnf");
  assignWindow(host_id);
  const std::string patch_id = approvedPatchFor(host_id, "vuln", "AlmaLinux:9");
  ASSERT_FALSE(patch_id.empty());
  const std::string id = deploy("dnf", patch_id);
  waitForDeployment(id, [](const json& body) { return !body["rings"][0]["entered_at"].is_null(); });
  const json job = jobOf(id, host_id);
  ASSERT_TRUE(job.is_object());
  EXPECT_EQ(job.value("manager", ""), "dnf");

  shift(into_window);
  runAgent(*config);
  EXPECT_EQ(jobOf(id, host_id).value("state", ""), "succeeded") << agentLog(*config);
  auto query =
      runCommand({"rpm", "--root=" + root.string(), "--dbpath=/var/lib/rpm", "-q", "vuln"});
  ASSERT_TRUE(query);
  EXPECT_NE(query->standard_output.find("vuln-1.0-2"), std::string::npos) << query->standard_output;
}

}  // namespace
}  // namespace pk::e2e
