// Runs the real dnf against a sandbox root: rpms built at test time with
// rpmbuild, a repository made by createrepo_c, and the old versions
// installed into ROOT/var/lib/rpm with rpm.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "installer/installer.h"
#include "installer/tests/slow/tools.h"
#include "inventory/host_reader.h"
#include "tests/support/rpm_sandbox.h"
#include "tests/support/temporary_directory.h"

namespace pk::installer {
namespace {

namespace fs = std::filesystem;
using test_support::RpmSpec;
using test_support::TemporaryDirectory;
using test_support::writeFile;

SystemClock system_clock;

class DnfInstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = firstMissingTool({"dnf", "rpm", "rpmbuild", "createrepo_c"});
        !missing.empty()) {
      GTEST_SKIP() << missing << " is not installed; scripts/install-deps.sh installs it";
    }
    if (::geteuid() != 0) GTEST_SKIP() << "rpm --root and dnf --installroot need root here";

    Result<TemporaryDirectory> created = TemporaryDirectory::create("installer-dnf");
    ASSERT_TRUE(created) << created.error().message;
    folder_ = std::move(*created);

    std::vector<fs::path> old_rpms;
    for (const RpmSpec& spec :
         std::vector<RpmSpec>{{.name = "vuln", .version = "1.0", .release = "1"},
                              {.name = "vuln", .version = "1.0", .release = "2"},
                              {.name = "other", .version = "2.0", .release = "1"},
                              {.name = "other", .version = "2.0", .release = "2"}}) {
      Result<fs::path> rpm = test_support::buildRpm(spec, folder_->path() / "rpmbuild");
      ASSERT_TRUE(rpm) << rpm.error().message;
      if (spec.release == "1") old_rpms.push_back(*rpm);
    }
    const fs::path repository = folder_->path() / "rpmbuild" / "RPMS" / "noarch";
    Result<CommandOutput> created_repo = runCommand({"createrepo_c", "-q", repository.string()});
    ASSERT_TRUE(created_repo) << created_repo.error().message;
    ASSERT_EQ(created_repo->exit_code, 0) << created_repo->standard_error;

    ASSERT_TRUE(writeFile(root(), "etc/os-release",
                          "ID=\"almalinux\"\nVERSION_ID=\"9.4\"\nPRETTY_NAME=\"AlmaLinux 9.4\"\n"));
    ASSERT_TRUE(writeFile(root(), "etc/yum.repos.d/patchkeeper-test.repo",
                          "[patchkeeper-test]\nname=patchkeeper test packages\nbaseurl=file://" +
                              repository.string() + "\ngpgcheck=0\nenabled=1\n"));
    Result<void> installed = test_support::installRpms(root(), old_rpms);
    ASSERT_TRUE(installed) << installed.error().message;
  }

  fs::path root() const { return folder_->path() / "root"; }

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
};

TEST_F(DnfInstallTest, UpgradesOnlyNamedPackage) {
  ASSERT_EQ(installedVersion("vuln"), "1.0-1");

  InstallerOptions options;
  options.work_directory = folder_->path() / "work";
  options.timeout = std::chrono::minutes(5);
  std::vector<Elapsed> waits;
  const Result<InstallReport> report = installPackages(
      {.manager = Manager::kDnf, .root = root(), .packages = {{"vuln", "1.0-2"}}}, options,
      system_clock, [&waits](Elapsed duration) { waits.push_back(duration); });
  ASSERT_TRUE(report) << report.error().message;

  EXPECT_EQ(installedVersion("vuln"), "1.0-2");
  EXPECT_EQ(installedVersion("other"), "2.0-1") << "an unrelated package was upgraded";
  EXPECT_TRUE(waits.empty());
  // Without the .rpmmacros in HOME, Debian's rpm would have written here.
  EXPECT_FALSE(fs::exists(root() / "root" / ".rpmdb"));
}

TEST_F(DnfInstallTest, MissingVersionFails) {
  InstallerOptions options;
  options.work_directory = folder_->path() / "work";
  const Result<InstallReport> report =
      installPackages({.manager = Manager::kDnf, .root = root(), .packages = {{"vuln", "9.9-9"}}},
                      options, system_clock, [](Elapsed) {});
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kIoError);
  // dnf 4.14 names the NEVRA that it could not find.
  EXPECT_NE(report.error().message.find("Unable to find a match: vuln-9.9-9"), std::string::npos)
      << report.error().message;
  EXPECT_EQ(installedVersion("vuln"), "1.0-1");
}

}  // namespace
}  // namespace pk::installer
