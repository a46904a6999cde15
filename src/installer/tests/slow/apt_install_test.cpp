// Runs the real apt-get and dpkg against a sandbox root that a local
// repository feeds, built at test time with dpkg-deb and apt-ftparchive.
// Needs root, because dpkg --root still sets file owners.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "installer/installer.h"
#include "installer/tests/slow/tools.h"
#include "inventory/host_reader.h"
#include "tests/support/dpkg_sandbox.h"
#include "tests/support/temporary_directory.h"

namespace pk::installer {
namespace {

namespace fs = std::filesystem;
using test_support::TemporaryDirectory;
using test_support::writeFile;

SystemClock system_clock;

struct TestDeb {
  std::string name;
  std::string version;
  std::string postinst{};  // shell commands; no postinst when empty
};

// The distinct message of the postinst that fails.
constexpr std::string_view kPostinstMessage = "pk-test: postinst of broken 1.0-2 refuses to run";

const std::vector<TestDeb> kRepositoryDebs = {
    {"vuln", "1.0-1", "echo \"vuln 1.0-1 configured in $DPKG_ROOT\""},
    {"vuln", "1.0-2", "echo \"vuln 1.0-2 configured in $DPKG_ROOT\""},
    {"other", "2.0-1"},
    {"other", "2.0-2"},
    {"broken", "1.0-1"},
    {"broken", "1.0-2", "echo '" + std::string(kPostinstMessage) + "' >&2; exit 1"},
};

Result<void> runChecked(const std::vector<std::string>& argv) {
  Result<CommandOutput> output = runCommand(argv);
  if (!output) return tl::unexpected(output.error());
  if (output->exit_code != 0) {
    return fail(ErrorCode::kIoError,
                describeFailure(argv, *output) + "\n" + output->standard_output);
  }
  return {};
}

class AptInstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = firstMissingTool({"apt-get", "dpkg", "dpkg-deb", "apt-ftparchive"});
        !missing.empty()) {
      GTEST_SKIP() << missing << " is not installed; scripts/install-deps.sh installs it";
    }
    if (::geteuid() != 0) GTEST_SKIP() << "dpkg --root needs root to set file owners";

    Result<TemporaryDirectory> created = TemporaryDirectory::create("installer-apt");
    ASSERT_TRUE(created) << created.error().message;
    folder_ = std::move(*created);
    ASSERT_NO_FATAL_FAILURE(buildRepository());
    ASSERT_NO_FATAL_FAILURE(buildRoot());
  }

  fs::path repository() const { return folder_->path() / "repository"; }
  fs::path root() const { return folder_->path() / "root"; }

  fs::path debPath(const std::string& name, const std::string& version) const {
    return repository() / (name + "_" + version + "_all.deb");
  }

  void buildRepository() {
    for (const TestDeb& deb : kRepositoryDebs) {
      const fs::path tree = folder_->path() / "build" / (deb.name + "_" + deb.version);
      const std::string control = "Package: " + deb.name + "\nVersion: " + deb.version +
                                  "\nArchitecture: all\nMaintainer: patchkeeper tests "
                                  "<tests@example.org>\nDescription: package built by a test\n";
      ASSERT_TRUE(writeFile(tree, "DEBIAN/control", control));
      ASSERT_TRUE(writeFile(tree, "usr/share/" + deb.name + "/version", deb.version + "\n"));
      if (!deb.postinst.empty()) {
        ASSERT_TRUE(writeFile(tree, "DEBIAN/postinst", "#!/bin/sh\n" + deb.postinst + "\n"));
        fs::permissions(tree / "DEBIAN" / "postinst",
                        fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
      }
      fs::create_directories(repository());
      Result<void> built = runChecked({"dpkg-deb", "--root-owner-group", "-Zgzip", "--build",
                                       tree.string(), debPath(deb.name, deb.version).string()});
      ASSERT_TRUE(built) << built.error().message;
    }

    // A flat repository ("deb file:DIR ./") needs only Packages and Release.
    Result<CommandOutput> packages = runCommand(
        {"sh", "-c", "cd '" + repository().string() + "' && apt-ftparchive packages . > Packages"});
    ASSERT_TRUE(packages);
    ASSERT_EQ(packages->exit_code, 0);
    Result<CommandOutput> release = runCommand(
        {"sh", "-c", "cd '" + repository().string() + "' && apt-ftparchive release . > Release"});
    ASSERT_TRUE(release);
    ASSERT_EQ(release->exit_code, 0);
  }

  // A root with dpkg's and apt's folders, the repository as its only
  // source, and the old versions installed by the real dpkg.
  void buildRoot() {
    for (const char* folder :
         {"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log/apt", "var/lib/apt/lists/partial",
          "var/cache/apt/archives/partial", "etc/apt/apt.conf.d", "etc/apt/preferences.d",
          "etc/apt/sources.list.d"}) {
      fs::create_directories(root() / folder);
    }
    ASSERT_TRUE(writeFile(root(), "var/lib/dpkg/status", ""));
    ASSERT_TRUE(writeFile(root(), "etc/apt/sources.list",
                          "deb [trusted=yes] file:" + repository().string() + " ./\n"));
    ASSERT_TRUE(test_support::writeOsRelease(
        root(), "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12\"\n"));

    Result<void> installed = runChecked(
        {"dpkg", "--root=" + root().string(), "--force-script-chrootless",
         "--log=" + (root() / "var/log/dpkg.log").string(), "-i", debPath("vuln", "1.0-1").string(),
         debPath("other", "2.0-1").string(), debPath("broken", "1.0-1").string()});
    ASSERT_TRUE(installed) << installed.error().message;
  }

  InstallerOptions options() const {
    InstallerOptions options;
    options.work_directory = folder_->path() / "work";
    options.timeout = std::chrono::minutes(5);
    options.lock_retry = {.max_attempts = 1, .wait = Elapsed{0}};
    return options;
  }

  // Returns the installed version of `name` as patchkeeper's inventory
  // reads it from the root, or nullopt when it is not installed.
  std::optional<std::string> installedVersion(const std::string& name) const {
    Result<inventory::HostInventory> host = inventory::readHostInventory(root());
    EXPECT_TRUE(host) << host.error().message;
    if (!host) return std::nullopt;
    for (const inventory::Package& package : host->packages) {
      if (package.name == name) return package.version;
    }
    return std::nullopt;
  }

  std::optional<TemporaryDirectory> folder_;
  std::vector<Elapsed> waits_;
  Waiter waiter_ = [this](Elapsed duration) { waits_.push_back(duration); };
};

TEST_F(AptInstallTest, UpgradesOnlyNamedPackage) {
  ASSERT_EQ(installedVersion("vuln"), "1.0-1");

  const Result<InstallReport> report =
      installPackages({.manager = Manager::kApt, .root = root(), .packages = {{"vuln", "1.0-2"}}},
                      options(), system_clock, waiter_);
  ASSERT_TRUE(report) << report.error().message;

  EXPECT_EQ(installedVersion("vuln"), "1.0-2");
  EXPECT_EQ(installedVersion("other"), "2.0-1") << "an unrelated package was upgraded";
  EXPECT_EQ(installedVersion("broken"), "1.0-1");
  ASSERT_EQ(report->commands.size(), 2u);
  // The maintainer script ran without chroot, with DPKG_ROOT naming the root.
  EXPECT_NE(report->commands[1].result.output.find("vuln 1.0-2 configured in " + root().string()),
            std::string::npos)
      << report->commands[1].result.output;
  EXPECT_TRUE(fs::exists(root() / "usr/share/vuln/version"));
  EXPECT_FALSE(fs::exists("/usr/share/vuln")) << "the install escaped the sandbox root";
}

TEST_F(AptInstallTest, FailingPostinstReportsItsMessage) {
  const Result<InstallReport> report =
      installPackages({.manager = Manager::kApt, .root = root(), .packages = {{"broken", "1.0-2"}}},
                      options(), system_clock, waiter_);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kIoError);
  EXPECT_NE(report.error().message.find(kPostinstMessage), std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().message.find("exit status 100"), std::string::npos);
  EXPECT_TRUE(waits_.empty());
}

TEST_F(AptInstallTest, RejectsPackageNotInstalled) {
  ASSERT_TRUE(runChecked({"dpkg", "--root=" + root().string(), "--force-script-chrootless",
                          "--log=" + (root() / "var/log/dpkg.log").string(), "--purge", "other"}));
  const Result<InstallReport> report =
      installPackages({.manager = Manager::kApt, .root = root(), .packages = {{"other", "2.0-2"}}},
                      options(), system_clock, waiter_);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(installedVersion("other"), std::nullopt);
}

// A process takes the sandbox's dpkg frontend lock with fcntl(2), as apt
// and dpkg do. The real apt-get fails on it, and the injected wait
// releases it.
TEST_F(AptInstallTest, RetriesWhileDpkgLockHeld) {
  const fs::path lock = root() / "var/lib/dpkg/lock-frontend";
  const fs::path ready = folder_->path() / "lock-taken";
  if (!firstMissingTool({"python3"}).empty()) GTEST_SKIP() << "python3 is needed to hold the lock";

  // The holder takes the lock, reports it, and holds it until killed.
  const std::string script =
      "import fcntl, os, sys, time\n"
      "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o640)\n"
      "fcntl.lockf(fd, fcntl.LOCK_EX)\n"
      "open(sys.argv[2], 'w').close()\n"
      "time.sleep(600)\n";
  pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    ::execlp("python3", "python3", "-c", script.c_str(), lock.c_str(), ready.c_str(), nullptr);
    ::_exit(127);
  }
  for (int i = 0; i < 500 && !fs::exists(ready); ++i) ::usleep(10000);
  ASSERT_TRUE(fs::exists(ready)) << "the lock holder did not start";

  InstallerOptions retrying = options();
  retrying.lock_retry = {.max_attempts = 3, .wait = std::chrono::seconds(7)};
  Waiter release_lock = [&](Elapsed duration) {
    waits_.push_back(duration);
    ::kill(holder, SIGKILL);
    ::waitpid(holder, nullptr, 0);
  };
  const Result<InstallReport> report =
      installPackages({.manager = Manager::kApt, .root = root(), .packages = {{"vuln", "1.0-2"}}},
                      retrying, system_clock, release_lock);
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);

  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->commands.size(), 2u);
  EXPECT_EQ(report->commands[1].attempts, 2);
  EXPECT_EQ(waits_, (std::vector<Elapsed>{std::chrono::seconds(7)}));
  EXPECT_EQ(installedVersion("vuln"), "1.0-2");
}

}  // namespace
}  // namespace pk::installer
