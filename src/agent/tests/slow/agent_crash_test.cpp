// Kills the real patchkeeper-agent with SIGKILL while dpkg runs a
// package's postinst for one of its jobs, starts it again, and checks that
// the package was installed once and that the job's result reached the
// server. The agent and every process below it are killed at once, as
// when a service manager kills the agent's control group.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "agent/tests/job_server.h"
#include "agent/tests/slow/job_sandbox.h"
#include "inventory/host_reader.h"
#include "protocol/messages.h"
#include "tests/support/background_process.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using protocol::test_support::LoopbackServer;
using test_sandbox::TestDeb;
using test_support::TemporaryDirectory;
using test_support::writeFile;

constexpr const char* kHostId = "h-0123456789abcdef";
constexpr const char* kJobId = "j-00000000000000c7";

std::string readText(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::size_t countOccurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Returns the parent of every running process, from /proc/PID/stat.
std::map<pid_t, pid_t> parentsOfProcesses() {
  std::map<pid_t, pid_t> parents;
  for (const auto& item : fs::directory_iterator("/proc")) {
    const std::string name = item.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = readText(item.path() / "stat");
    // The command name in brackets may contain blanks, so fields are
    // counted from the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string state;
    long parent = 0;
    fields >> state >> parent;
    if (state != "Z") parents[std::stoi(name)] = static_cast<pid_t>(parent);
  }
  return parents;
}

// Returns `root` and every running process below it.
std::set<pid_t> processTree(pid_t root) {
  const auto parents = parentsOfProcesses();
  std::set<pid_t> tree = {root};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, parent] : parents) {
      if (tree.contains(parent) && tree.insert(pid).second) grew = true;
    }
  }
  return tree;
}

// Kills `root` and everything below it at once, as a service manager kills
// a control group. apt-get runs dpkg in a session of its own, on a pseudo
// terminal, so killing the agent's session or process group would miss it.
// Stopped processes cannot fork, so the tree is stopped until it no longer
// grows, then killed.
void killProcessTree(pid_t root) {
  std::set<pid_t> stopped;
  for (int round = 0; round < 50; ++round) {
    const std::set<pid_t> tree = processTree(root);
    bool grew = false;
    for (pid_t pid : tree) {
      if (stopped.insert(pid).second) {
        ::kill(pid, SIGSTOP);
        grew = true;
      }
    }
    if (!grew) break;
  }
  for (pid_t pid : stopped) ::kill(pid, SIGKILL);
}

class AgentCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing =
            test_sandbox::firstMissingTool({"apt-get", "dpkg", "dpkg-deb", "apt-ftparchive"});
        !missing.empty()) {
      GTEST_SKIP() << missing << " is not installed; scripts/install-deps.sh installs it";
    }
    if (::geteuid() != 0) GTEST_SKIP() << "dpkg --root needs root to set file owners";

    auto created = TemporaryDirectory::create("agent-crash");
    ASSERT_TRUE(created) << created.error().message;
    folder_ = std::move(*created);

    // The postinst sleeps on its first run only, so the test can kill the
    // agent during it and a later `dpkg --configure -a` finishes at once.
    const std::string postinst = fmt::format(
        "if [ ! -e \"$DPKG_ROOT/tmp/slept\" ]; then touch \"$DPKG_ROOT/tmp/slept\"; "
        "echo started > '{}'; sleep 300; fi; echo 'slow 1.0-2 configured'",
        marker().string());
    const std::vector<TestDeb> old_debs = {{"slow", "1.0-1"}};
    auto built = test_sandbox::buildRepository(folder_->path(), repository(),
                                               {{"slow", "1.0-1"}, {"slow", "1.0-2", postinst}});
    ASSERT_TRUE(built) << built.error().message;
    auto rooted = test_sandbox::buildRoot(root(), repository(), old_debs);
    ASSERT_TRUE(rooted) << rooted.error().message;
    ASSERT_TRUE(writeFile(root(), "etc/machine-id", "0123abcd\n"));
    ASSERT_TRUE(writeFile(folder_->path(), "secret", "s3cret\n"));
    fs::create_directories(folder_->path() / "hooks");

    addRoutes();
    protocol::JobOrder order;
    order.job_id = kJobId;
    order.deployment_id = "d-crash";
    order.kind = protocol::JobHostKind::kEndpoint;
    order.available_at = *parseRfc3339("2026-01-01T00:00:00Z");
    order.deadline = *parseRfc3339("2099-01-01T00:00:00Z");
    order.packages = {{.name = "slow", .version = "1.0-2"}};
    jobs_.setJobs({order}, SystemClock().now());
    ASSERT_TRUE(server_.start());

    ASSERT_TRUE(writeFile(
        folder_->path(), "agent.toml",
        fmt::format("server_url = \"{}\"\n"
                    "allow_plain_http = true\n"
                    "enrolment_secret_file = \"{}\"\n"
                    "state_dir = \"{}\"\n"
                    "root = \"{}\"\n"
                    "hooks_dir = \"{}\"\n"
                    "boot_id_path = \"{}\"\n"
                    "restart_command = [\"false\"]\n"
                    "backoff_initial_seconds = 1\n",
                    server_.url("http"), (folder_->path() / "secret").string(),
                    (folder_->path() / "state").string(), root().string(),
                    (folder_->path() / "hooks").string(), (folder_->path() / "boot_id").string())));
    ASSERT_TRUE(writeFile(folder_->path(), "boot_id", "boot-1\n"));
  }

  void addRoutes() {
    const std::string token(64, 'c');
    server_.server().Post(
        "/api/v1/enrol", [token](const httplib::Request&, httplib::Response& response) {
          response.status = 201;
          response.set_content(protocol::toJson(protocol::EnrolResponse{kHostId, token}).dump(),
                               "application/json");
        });
    server_.server().Post(R"(/api/v1/hosts/h-[0-9a-f]{16}/reports)",
                          [this](const httplib::Request& request, httplib::Response& response) {
                            auto report = protocol::parseReport(request.body);
                            if (!report) {
                              response.status = 400;
                              return;
                            }
                            {
                              std::lock_guard lock(mutex_);
                              report_ids_.push_back(report->report_id);
                            }
                            response.set_content(
                                protocol::toJson(protocol::ReportResponse{}).dump(),
                                "application/json");
                          });
    jobs_.addRoutes(server_.server());
  }

  fs::path repository() const { return folder_->path() / "repository"; }
  fs::path root() const { return folder_->path() / "root"; }
  fs::path marker() const { return folder_->path() / "postinst-started"; }
  std::string configPath() const { return (folder_->path() / "agent.toml").string(); }

  std::vector<std::string> reportIds() {
    std::lock_guard lock(mutex_);
    return report_ids_;
  }

  std::optional<TemporaryDirectory> folder_;
  LoopbackServer server_;
  test_fakes::JobServerState jobs_;
  std::mutex mutex_;
  std::vector<std::string> report_ids_;
};

TEST_F(AgentCrashTest, KilledMidInstallInstallsOnce) {
  auto agent = test_support::BackgroundProcess::start(
      {PK_AGENT_BINARY, "run", "--config", configPath()}, folder_->path() / "agent.log");
  ASSERT_TRUE(agent) << agent.error().message;
  for (int i = 0; i < 1200 && !fs::exists(marker()); ++i) ::usleep(50'000);
  ASSERT_TRUE(fs::exists(marker())) << "the postinst did not start\n" << agent->log();

  // Kill everything at once: the agent, apt-get, dpkg and the postinst.
  const std::set<pid_t> tree = processTree(agent->pid());
  ASSERT_GE(tree.size(), 3u) << "the agent has no install running";
  killProcessTree(agent->pid());
  agent->stop(SIGKILL, std::chrono::seconds(5));
  for (int i = 0; i < 250; ++i) {
    const auto running = parentsOfProcesses();
    if (std::none_of(tree.begin(), tree.end(), [&](pid_t pid) { return running.contains(pid); })) {
      break;
    }
    ::usleep(20'000);
  }
  ASSERT_TRUE(fs::exists(folder_->path() / "state/jobs" / (std::string(kJobId) + ".json")))
      << "the journal has no entry for the interrupted job";
  EXPECT_NE(readText(folder_->path() / "state/jobs" / (std::string(kJobId) + ".json"))
                .find("\"installing\""),
            std::string::npos);
  EXPECT_EQ(jobs_.appliedStates(), std::vector<std::string>{"installing"});

  auto second = runCommand({PK_AGENT_BINARY, "run", "--config", configPath(), "--once"});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->exit_code, 0) << second->standard_error;
  // dpkg had unpacked the package, so its own recovery finished the job.
  EXPECT_NE(second->standard_error.find("recovery finished the interrupted install"),
            std::string::npos)
      << second->standard_error;

  const std::string dpkg_log = readText(root() / "var/log/dpkg.log");
  EXPECT_EQ(countOccurrences(dpkg_log, " upgrade slow:all 1.0-1 1.0-2"), 1u) << dpkg_log;
  auto host = inventory::readHostInventory(root());
  ASSERT_TRUE(host) << host.error().message;
  ASSERT_EQ(host->packages.size(), 1u);
  EXPECT_EQ(host->packages[0].version, "1.0-2");
  EXPECT_EQ(host->packages[0].state, "installed");

  const auto applied = jobs_.applied();
  ASSERT_EQ(jobs_.appliedStates(),
            (std::vector<std::string>{"installing", "installed", "verifying"}))
      << second->standard_error;
  ASSERT_EQ(applied[1].body["packages"].size(), 1u);
  EXPECT_EQ(applied[1].body["packages"][0]["from"], "1.0-1");
  EXPECT_EQ(applied[1].body["packages"][0]["to"], "1.0-2");
  const std::string report_id = applied[2].body["report_id"];
  const auto reports = reportIds();
  EXPECT_NE(std::find(reports.begin(), reports.end(), report_id), reports.end());
  EXPECT_TRUE(fs::is_empty(folder_->path() / "state/jobs"));
}

}  // namespace
}  // namespace pk::agent
