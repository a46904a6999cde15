#include "installer/installer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temporary_directory.h"

namespace pk::installer {
namespace {

using namespace std::chrono_literals;
using test_support::TemporaryDirectory;
namespace fs = std::filesystem;

SystemClock system_clock;

std::string readText(const fs::path& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Records every wait the installer requests instead of sleeping.
struct RecordingWaiter {
  std::vector<Elapsed> waits;
  Waiter waiter() {
    return [this](Elapsed duration) { waits.push_back(duration); };
  }
};

// A folder with fake package manager programs placed first on PATH.
class FakeManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<TemporaryDirectory> created = TemporaryDirectory::create("installer-fake");
    ASSERT_TRUE(created) << created.error().message;
    folder_ = std::move(*created);
    options_.work_directory = folder_->path() / "work";
    options_.lock_retry = {.max_attempts = 4, .wait = 45s};
    options_.environment = {"PATH=" + (folder_->path() / "bin").string() + ":/usr/bin:/bin"};
  }

  // Writes bin/NAME, a script that appends its arguments to calls.log and
  // then runs `body`; $n is the number of the call, from 1.
  void writeFakeProgram(const std::string& name, const std::string& body) {
    const fs::path log = folder_->path() / "calls.log";
    const std::string script = "#!/bin/sh\necho \"$*\" >> '" + log.string() + "'\nn=$(wc -l < '" +
                               log.string() + "')\n" + body + "\n";
    ASSERT_TRUE(test_support::writeFile(folder_->path(), "bin/" + name, script));
    fs::permissions(folder_->path() / "bin" / name, fs::perms::owner_all);
  }

  std::vector<std::string> calls() const {
    std::istringstream text(readText(folder_->path() / "calls.log"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(text, line);) lines.push_back(line);
    return lines;
  }

  fs::path root() const { return folder_->path() / "root"; }

  std::optional<TemporaryDirectory> folder_;
  InstallerOptions options_;
  RecordingWaiter waiter_;
};

TEST(BuildInstallCommands, AptOnHost) {
  const Result<std::vector<InstallCommand>> commands = buildInstallCommands(
      {.manager = Manager::kApt,
       .root = "/",
       .packages = {{"openssl", "3.0.15-1~deb12u1"}, {"libssl3", "3.0.15-1~deb12u1"}}},
      "/var/lib/patchkeeper/installer");
  ASSERT_TRUE(commands) << commands.error().message;
  ASSERT_EQ(commands->size(), 2u);
  EXPECT_EQ((*commands)[0].argv, (std::vector<std::string>{"apt-get", "-q", "update"}));
  EXPECT_EQ((*commands)[1].argv,
            (std::vector<std::string>{"apt-get", "-q", "-y", "--no-install-recommends",
                                      "--only-upgrade", "-o", "DPkg::Options::=--force-confdef",
                                      "-o", "DPkg::Options::=--force-confold", "install",
                                      "openssl=3.0.15-1~deb12u1", "libssl3=3.0.15-1~deb12u1"}));
  const std::vector<std::string> environment{"DEBIAN_FRONTEND=noninteractive",
                                             "APT_LISTCHANGES_FRONTEND=none"};
  EXPECT_EQ((*commands)[0].environment, environment);
  EXPECT_EQ((*commands)[1].environment, environment);
}

TEST(BuildInstallCommands, AptOnSandbox) {
  const Result<std::vector<InstallCommand>> commands = buildInstallCommands(
      {.manager = Manager::kApt, .root = "/srv/root", .packages = {{"vuln", "1:1.0-2"}}}, "/work");
  ASSERT_TRUE(commands) << commands.error().message;
  ASSERT_EQ(commands->size(), 2u);
  const std::vector<std::string> sandbox_options{
      "-q",
      "-o",
      "Dir=/srv/root",
      "-o",
      "Dir::State::status=/srv/root/var/lib/dpkg/status",
      "-o",
      "DPkg::Options::=--root=/srv/root",
      "-o",
      "DPkg::Options::=--force-script-chrootless",
      "-o",
      "DPkg::Options::=--log=/srv/root/var/log/dpkg.log"};
  std::vector<std::string> update{"apt-get"};
  update.insert(update.end(), sandbox_options.begin(), sandbox_options.end());
  update.push_back("update");
  EXPECT_EQ((*commands)[0].argv, update);

  const std::vector<std::string>& install = (*commands)[1].argv;
  ASSERT_GT(install.size(), sandbox_options.size() + 1);
  EXPECT_TRUE(std::equal(sandbox_options.begin(), sandbox_options.end(), install.begin() + 1));
  EXPECT_EQ(install.back(), "vuln=1:1.0-2");
  EXPECT_EQ((*commands)[1].environment, (std::vector<std::string>{"DEBIAN_FRONTEND=noninteractive",
                                                                  "APT_LISTCHANGES_FRONTEND=none",
                                                                  "APT_CONFIG=/work/apt.conf"}));
}

TEST(BuildInstallCommands, DnfOnSandbox) {
  const Result<std::vector<InstallCommand>> commands =
      buildInstallCommands({.manager = Manager::kDnf,
                            .root = "/srv/root",
                            .packages = {{"openssl-libs", "1:3.0.7-27.el9"}, {"vuln", "1.0-2"}}},
                           "/work");
  ASSERT_TRUE(commands) << commands.error().message;
  ASSERT_EQ(commands->size(), 1u);
  EXPECT_EQ((*commands)[0].argv,
            (std::vector<std::string>{"dnf", "-y", "--setopt=install_weak_deps=False",
                                      "--setopt=exit_on_lock=True", "--installroot=/srv/root",
                                      "install", "openssl-libs-1:3.0.7-27.el9", "vuln-1.0-2"}));
  EXPECT_EQ((*commands)[0].environment, (std::vector<std::string>{"HOME=/work/home"}));
}

TEST(BuildInstallCommands, DnfOnHost) {
  const Result<std::vector<InstallCommand>> commands = buildInstallCommands(
      {.manager = Manager::kDnf, .root = "/", .packages = {{"vuln", "1.0-2"}}}, "/work");
  ASSERT_TRUE(commands) << commands.error().message;
  ASSERT_EQ(commands->size(), 1u);
  EXPECT_EQ((*commands)[0].argv,
            (std::vector<std::string>{"dnf", "-y", "--setopt=install_weak_deps=False",
                                      "--setopt=exit_on_lock=True", "install", "vuln-1.0-2"}));
  EXPECT_TRUE((*commands)[0].environment.empty());
}

TEST(BuildInstallCommands, Apk) {
  const Result<std::vector<InstallCommand>> commands = buildInstallCommands(
      {.manager = Manager::kApk, .root = "/srv/root", .packages = {{"musl", "1.2.5-r1"}}}, "/work");
  ASSERT_TRUE(commands) << commands.error().message;
  ASSERT_EQ(commands->size(), 1u);
  EXPECT_EQ((*commands)[0].argv,
            (std::vector<std::string>{"apk", "add", "--root", "/srv/root", "musl=1.2.5-r1"}));
}

TEST(BuildInstallCommands, RejectsInvalidRequests) {
  struct Case {
    const char* label;
    InstallRequest request;
  };
  const std::vector<Case> cases = {
      {"no package", {.manager = Manager::kApt, .root = "/", .packages = {}}},
      {"relative root", {.manager = Manager::kApt, .root = "root", .packages = {{"a", "1"}}}},
      {"option as name", {.manager = Manager::kApt, .root = "/", .packages = {{"-f", "1"}}}},
      {"empty name", {.manager = Manager::kDnf, .root = "/", .packages = {{"", "1"}}}},
      {"empty version", {.manager = Manager::kDnf, .root = "/", .packages = {{"a", ""}}}},
      {"blank in version", {.manager = Manager::kApk, .root = "/", .packages = {{"a", "1 b"}}}},
      {"equals in name", {.manager = Manager::kApt, .root = "/", .packages = {{"a=1", "2"}}}},
      {"newline in version", {.manager = Manager::kApt, .root = "/", .packages = {{"a", "1\n"}}}},
      {"quote in root", {.manager = Manager::kApt, .root = "/r\"oot", .packages = {{"a", "1"}}}},
  };
  for (const Case& test_case : cases) {
    const Result<std::vector<InstallCommand>> commands =
        buildInstallCommands(test_case.request, "/work");
    ASSERT_FALSE(commands) << test_case.label;
    EXPECT_EQ(commands.error().code, ErrorCode::kInvalidArgument) << test_case.label;
  }
}

TEST(ShowsHeldPackageLock, RecognisesLockMessages) {
  const std::vector<std::string> held = {
      "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)\n"
      "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another "
      "process using it?",
      "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 77 (apt-get)",
      "dpkg: error: dpkg frontend lock was locked by another process with pid 4242",
      "error: can't create transaction lock on /var/lib/rpm/.rpm.lock (Resource temporarily "
      "unavailable)",
      "Error: RPMDB already locked by 912",
      "ERROR: Unable to lock database: temporary error (try again later)",
  };
  for (const std::string& output : held) EXPECT_TRUE(showsHeldPackageLock(output)) << output;

  const std::vector<std::string> not_held = {
      "",
      "E: Unable to locate package vuln",
      "dpkg: error processing package vuln (--configure):",
      "Error: Unable to find a match: vuln-1.0-9",
  };
  for (const std::string& output : not_held) EXPECT_FALSE(showsHeldPackageLock(output)) << output;
}

TEST(WriteSandboxFiles, WritesAptConfigAndRpmMacros) {
  Result<TemporaryDirectory> folder = TemporaryDirectory::create("installer-files");
  ASSERT_TRUE(folder) << folder.error().message;
  const fs::path work = folder->path() / "work";

  ASSERT_TRUE(writeSandboxFiles(
      {.manager = Manager::kApt, .root = "/srv/root", .packages = {{"a", "1"}}}, work));
  EXPECT_EQ(readText(work / "apt.conf"), "Dir \"/srv/root/\";\n");

  ASSERT_TRUE(writeSandboxFiles(
      {.manager = Manager::kDnf, .root = "/srv/root", .packages = {{"a", "1"}}}, work));
  EXPECT_EQ(readText(work / "home" / ".rpmmacros"), "%_dbpath /var/lib/rpm\n");
}

TEST_F(FakeManagerTest, ApkAddsExactVersions) {
  writeFakeProgram("apk", "echo '(1/1) Upgrading musl (1.2.5-r0 -> 1.2.5-r1)'; echo OK");
  const Result<InstallReport> report = installPackages(
      {.manager = Manager::kApk, .root = root(), .packages = {{"musl", "1.2.5-r1"}}}, options_,
      system_clock, waiter_.waiter());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(calls(),
            (std::vector<std::string>{"add --root " + root().string() + " musl=1.2.5-r1"}));
  ASSERT_EQ(report->commands.size(), 1u);
  EXPECT_EQ(report->commands[0].attempts, 1);
  EXPECT_NE(report->commands[0].result.output.find("Upgrading musl"), std::string::npos);
  EXPECT_TRUE(waiter_.waits.empty());
}

TEST_F(FakeManagerTest, ApkFailureQuotesOutput) {
  writeFakeProgram("apk",
                   "echo 'ERROR: musl-1.2.5-r1: trigger script refused: pk-distinct-failure'; "
                   "exit 1");
  const Result<InstallReport> report = installPackages(
      {.manager = Manager::kApk, .root = root(), .packages = {{"musl", "1.2.5-r1"}}}, options_,
      system_clock, waiter_.waiter());
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kIoError);
  EXPECT_NE(report.error().message.find("pk-distinct-failure"), std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().message.find("exit status 1"), std::string::npos);
  EXPECT_EQ(calls().size(), 1u);
  EXPECT_TRUE(waiter_.waits.empty());
}

// The lock is held for the first two calls, so the third succeeds after
// two waits of the policy's length.
TEST_F(FakeManagerTest, ApkRetriesWhileLockHeld) {
  writeFakeProgram("apk",
                   "if [ \"$n\" -le 2 ]; then echo 'ERROR: Unable to lock database: temporary "
                   "error (try again later)'; exit 99; fi; echo OK");
  const Result<InstallReport> report = installPackages(
      {.manager = Manager::kApk, .root = root(), .packages = {{"musl", "1.2.5-r1"}}}, options_,
      system_clock, waiter_.waiter());
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->commands.size(), 1u);
  EXPECT_EQ(report->commands[0].attempts, 3);
  EXPECT_EQ(calls().size(), 3u);
  EXPECT_EQ(waiter_.waits, (std::vector<Elapsed>{45s, 45s}));
}

TEST_F(FakeManagerTest, AptGivesUpWhenLockStaysHeld) {
  writeFakeProgram("apt-get",
                   "case \"$*\" in *update) exit 0;; esac\n"
                   "echo 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by "
                   "process 4242 (apt-get)'; exit 100");
  const Result<InstallReport> report =
      installPackages({.manager = Manager::kApt, .root = "/", .packages = {{"vuln", "1.0-2"}}},
                      options_, system_clock, waiter_.waiter());
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kIoError);
  EXPECT_NE(report.error().message.find("through all 4 attempts"), std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().message.find("It is held by process 4242"), std::string::npos);
  // One update, then four install attempts with a wait between each.
  EXPECT_EQ(calls().size(), 5u);
  EXPECT_EQ(waiter_.waits, (std::vector<Elapsed>{45s, 45s, 45s}));
}

TEST_F(FakeManagerTest, AptRejectsSkippedPackage) {
  writeFakeProgram("apt-get",
                   "echo 'Skipping vuln, it is not installed and only upgrades are requested.'");
  const Result<InstallReport> report =
      installPackages({.manager = Manager::kApt, .root = "/", .packages = {{"vuln", "1.0-2"}}},
                      options_, system_clock, waiter_.waiter());
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kNotFound);
  EXPECT_NE(report.error().message.find("did not install vuln on /"), std::string::npos)
      << report.error().message;
}

TEST_F(FakeManagerTest, TimeoutIsAnError) {
  writeFakeProgram("apk", "echo 'fetching index'; sleep 30");
  options_.timeout = 1s;
  options_.kill_grace = 1s;
  const Result<InstallReport> report = installPackages(
      {.manager = Manager::kApk, .root = root(), .packages = {{"musl", "1.2.5-r1"}}}, options_,
      system_clock, waiter_.waiter());
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kIoError);
  EXPECT_NE(report.error().message.find("timed out"), std::string::npos) << report.error().message;
  EXPECT_NE(report.error().message.find("fetching index"), std::string::npos);
}

TEST_F(FakeManagerTest, MissingManagerIsNotFound) {
  options_.environment = {"PATH=" + (folder_->path() / "empty").string()};
  const Result<InstallReport> report =
      installPackages({.manager = Manager::kDnf, .root = root(), .packages = {{"vuln", "1.0-2"}}},
                      options_, system_clock, waiter_.waiter());
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kNotFound);
  EXPECT_NE(report.error().message.find("'dnf'"), std::string::npos) << report.error().message;
}

}  // namespace
}  // namespace pk::installer
