// Runs deployment jobs with the real dnf on an rpm sandbox root: rpms built
// at test time with rpmbuild, a repository made by createrepo_c, and the old
// versions installed into ROOT/var/lib/rpm with rpm.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "agent/job_runner.h"
#include "agent/tests/fakes.h"
#include "agent/tests/job_server.h"
#include "agent/tests/slow/job_sandbox.h"
#include "inventory/host_reader.h"
#include "tests/support/rpm_sandbox.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using protocol::test_support::LoopbackServer;
using test_support::RpmSpec;
using test_support::TemporaryDirectory;
using test_support::writeFile;

constexpr const char* kHostId = "h-00112233445566ff";
constexpr const char* kJobId = "j-00000000000000d1";
constexpr std::string_view kScriptletMessage = "pk-test: pre of broken 1.0-2 failed on purpose";

// A %pre scriptlet in rpm's embedded Lua, because rpm runs shell
// scriptlets chrooted into the root, and the sandbox root has no shell.
std::string failingSpec() {
  return "Name: broken\nVersion: 1.0\nRelease: 2\nSummary: package built by a patchkeeper test\n"
         "License: MIT\nBuildArch: noarch\n%description\nBuilt by a test.\n\n"
         "%pre -p <lua>\nerror(\"" +
         std::string(kScriptletMessage) + "\")\n\n%files\n";
}

class DnfJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing =
            test_sandbox::firstMissingTool({"dnf", "rpm", "rpmbuild", "createrepo_c"});
        !missing.empty()) {
      GTEST_SKIP() << missing << " is not installed; scripts/install-deps.sh installs it";
    }
    if (::geteuid() != 0) GTEST_SKIP() << "rpm --root and dnf --installroot need root here";

    auto created = TemporaryDirectory::create("dnf-job");
    ASSERT_TRUE(created) << created.error().message;
    folder_ = std::move(*created);
    ASSERT_NO_FATAL_FAILURE(buildRoot());

    fs::create_directories(folder_->path() / "state");
    server_state_.addRoutes(server_.server());
    ASSERT_TRUE(server_.start());
    auto client =
        protocol::ApiClient::create({.base_url = server_.url("http"), .allow_plain_http = true});
    ASSERT_TRUE(client) << client.error().message;
    client_.emplace(std::move(*client));
    auto journal = JobJournal::open(folder_->path() / "state");
    ASSERT_TRUE(journal) << journal.error().message;
    journal_.emplace(std::move(*journal));

    JobRunnerOptions options;
    options.root = root();
    options.installer.work_directory = folder_->path() / "work";
    options.installer.timeout = std::chrono::minutes(5);
    options.installer.lock_retry = {.max_attempts = 1, .wait = Elapsed{0}};
    options.hooks.folder = folder_->path() / "hooks";
    runner_.emplace(
        options, *journal_, *client_, []() -> Result<std::string> { return std::string(32, 'f'); },
        clock_, random_, [](Elapsed) {});
    runner_->setHostId(kHostId);
  }

  void buildRoot() {
    const fs::path top = folder_->path() / "rpmbuild";
    std::vector<fs::path> old_rpms;
    for (const RpmSpec& spec :
         std::vector<RpmSpec>{{.name = "vuln", .version = "1.0", .release = "1"},
                              {.name = "vuln", .version = "1.0", .release = "2"},
                              {.name = "broken", .version = "1.0", .release = "1"}}) {
      auto rpm = test_support::buildRpm(spec, top);
      ASSERT_TRUE(rpm) << rpm.error().message;
      if (spec.release == "1") old_rpms.push_back(*rpm);
    }
    ASSERT_TRUE(writeFile(top, "SPECS/broken-2.spec", failingSpec()));
    auto built = test_sandbox::runChecked({"rpmbuild", "-bb", "--quiet", "--define",
                                           "_topdir " + top.string(),
                                           (top / "SPECS/broken-2.spec").string()});
    ASSERT_TRUE(built) << built.error().message;

    const fs::path repository = top / "RPMS" / "noarch";
    auto created_repo = test_sandbox::runChecked({"createrepo_c", "-q", repository.string()});
    ASSERT_TRUE(created_repo) << created_repo.error().message;
    ASSERT_TRUE(writeFile(root(), "etc/os-release",
                          "ID=\"almalinux\"\nVERSION_ID=\"9.4\"\nPRETTY_NAME=\"AlmaLinux 9.4\"\n"));
    ASSERT_TRUE(writeFile(root(), "etc/yum.repos.d/patchkeeper-test.repo",
                          "[patchkeeper-test]\nname=patchkeeper test packages\nbaseurl=file://" +
                              repository.string() + "\ngpgcheck=0\nenabled=1\n"));
    auto installed = test_support::installRpms(root(), old_rpms);
    ASSERT_TRUE(installed) << installed.error().message;
  }

  fs::path root() const { return folder_->path() / "root"; }

  JobEntry job(const std::string& name, const std::string& version) const {
    JobEntry entry;
    entry.job_id = kJobId;
    entry.deployment_id = "d-1";
    entry.manager = installer::Manager::kDnf;
    entry.targets = {{.name = name, .version = version}};
    return entry;
  }

  std::optional<std::string> installedVersion(const std::string& name) const {
    auto host = inventory::readHostInventory(root());
    EXPECT_TRUE(host) << host.error().message;
    if (!host) return std::nullopt;
    for (const auto& package : host->packages) {
      if (package.name == name) return package.version;
    }
    return std::nullopt;
  }

  std::optional<TemporaryDirectory> folder_;
  LoopbackServer server_;
  test_fakes::JobServerState server_state_;
  std::optional<protocol::ApiClient> client_;
  std::optional<JobJournal> journal_;
  FakeClock clock_{*parseRfc3339("2026-12-05T02:00:00Z")};
  test_fakes::CountingRandom random_;
  std::optional<JobRunner> runner_;
};

TEST_F(DnfJobTest, InstallsFixedVersion) {
  runner_->start(job("vuln", "1.0-2"));

  EXPECT_EQ(installedVersion("vuln"), "1.0-2");
  EXPECT_EQ(installedVersion("broken"), "1.0-1");
  const auto applied = server_state_.applied();
  ASSERT_EQ(server_state_.appliedStates(),
            (std::vector<std::string>{"installing", "installed", "verifying"}));
  ASSERT_EQ(applied[1].body["packages"].size(), 1u) << applied[1].body.dump();
  EXPECT_EQ(applied[1].body["packages"][0]["from"], "1.0-1");
  EXPECT_EQ(applied[1].body["packages"][0]["to"], "1.0-2");
}

TEST_F(DnfJobTest, FailingScriptletSendsOutput) {
  runner_->start(job("broken", "1.0-2"));

  const auto applied = server_state_.applied();
  ASSERT_EQ(server_state_.appliedStates(), (std::vector<std::string>{"installing", "failed"}));
  EXPECT_NE(applied[1].body["output"].get<std::string>().find(kScriptletMessage), std::string::npos)
      << applied[1].body["output"];
  EXPECT_EQ(installedVersion("broken"), "1.0-1");
}

}  // namespace
}  // namespace pk::agent
