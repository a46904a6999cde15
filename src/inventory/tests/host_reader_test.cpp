#include "inventory/host_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "inventory/tests/shared_data.h"
#include "tests/support/dpkg_sandbox.h"
#include "tests/support/rpm_sandbox.h"
#include "tests/support/temporary_directory.h"

namespace pk::inventory {
namespace {

namespace fs = std::filesystem;
using test_support::TemporaryDirectory;
using test_support::writeFile;

TEST(HostReader, ReadsDebianSandbox) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-debian");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(test_support::writeDebianRoot(
      root->path(), "12",
      {
          {.package = "dmsetup", .version = "2:1.02.185-2", .source = "lvm2 (2.03.16-2)"},
          {.package = "broken", .version = "not a version"},
          {.package = "removed", .version = "1.0-1", .status = "deinstall ok config-files"},
      }));
  ASSERT_TRUE(writeFile(root->path(), "run/reboot-required", "*** System restart required ***\n"));
  ASSERT_TRUE(writeFile(root->path(), "run/reboot-required.pkgs", "libc6\n"));

  std::vector<SkippedRecord> skipped;
  HostReadOptions options;
  options.on_skipped_record = [&](const SkippedRecord& record) { skipped.push_back(record); };
  const Result<HostInventory> inventory = readHostInventory(root->path(), options);
  ASSERT_TRUE(inventory) << inventory.error().message;

  EXPECT_EQ(inventory->os.ecosystem, "Debian:12");
  EXPECT_EQ(inventory->scheme, version::Scheme::kDpkg);
  ASSERT_EQ(inventory->packages.size(), 1u);
  EXPECT_EQ(inventory->packages[0].name, "dmsetup");
  EXPECT_EQ(inventory->packages[0].source_name, "lvm2");
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].file, (root->path() / "var/lib/dpkg/status").string());
  EXPECT_EQ(skipped[0].line, 10u);
  EXPECT_EQ(skipped[0].package, "broken");
  EXPECT_TRUE(inventory->restart.required);
  EXPECT_EQ(inventory->restart.packages, std::vector<std::string>{"libc6"});
}

TEST(HostReader, ReadsDebianHostCopy) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-debian-copy");
  ASSERT_TRUE(root) << root.error().message;
  fs::create_directories(root->path() / "var/lib/dpkg");
  fs::create_directories(root->path() / "usr/lib");
  fs::copy_file(testing::sharedDataPath("inventories/this-host-debian12/dpkg-status"),
                root->path() / "var/lib/dpkg/status");
  // Only the fallback location exists, as on images without /etc/os-release.
  fs::copy_file(testing::sharedDataPath("inventories/this-host-debian12/os-release"),
                root->path() / "usr/lib/os-release");

  const Result<HostInventory> inventory = readHostInventory(root->path());
  ASSERT_TRUE(inventory) << inventory.error().message;
  EXPECT_EQ(inventory->os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(inventory->os.ecosystem, "Debian:12");
  EXPECT_EQ(inventory->scheme, version::Scheme::kDpkg);
  EXPECT_EQ(inventory->packages.size(), 819u);
  EXPECT_FALSE(inventory->restart.required);
  EXPECT_EQ(inventory->restart.reason, "");
}

TEST(HostReader, ReadsRpmSandboxWithNewerKernel) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-rpm");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "etc/os-release", "ID=\"almalinux\"\nVERSION_ID=\"9.4\"\n"));
  const Result<void> installed = test_support::buildAndInstallRpms(
      root->path(), {
                        {.name = "kernel-core",
                         .version = "5.14.0",
                         .release = "427.18.1.el9_4",
                         .source_name = "kernel"},
                        {.name = "bash", .version = "5.1.8", .release = "9.el9"},
                    });
  ASSERT_TRUE(installed) << installed.error().message;

  HostReadOptions options;
  options.running_kernel_release = "5.14.0-427.13.1.el9_4.noarch";
  const Result<HostInventory> inventory = readHostInventory(root->path(), options);
  ASSERT_TRUE(inventory) << inventory.error().message;
  EXPECT_EQ(inventory->os.ecosystem, "AlmaLinux:9");
  EXPECT_EQ(inventory->scheme, version::Scheme::kRpm);
  EXPECT_EQ(inventory->packages.size(), 2u);
  EXPECT_TRUE(inventory->restart.required);
  EXPECT_EQ(inventory->restart.packages, std::vector<std::string>{"kernel-core"});

  options.running_kernel_release = "5.14.0-427.18.1.el9_4.noarch";
  const Result<HostInventory> current = readHostInventory(root->path(), options);
  ASSERT_TRUE(current) << current.error().message;
  EXPECT_FALSE(current->restart.required);
}

TEST(HostReader, ReadsApkRoot) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-apk");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"));
  fs::create_directories(root->path() / "lib/apk/db");
  fs::copy_file(testing::sharedDataPath(
                    "inventories/osv-scalibr/extractor/filesystem/os/apk/testdata/installed"),
                root->path() / "lib/apk/db/installed");

  const Result<HostInventory> inventory = readHostInventory(root->path());
  ASSERT_TRUE(inventory) << inventory.error().message;
  EXPECT_EQ(inventory->os.ecosystem, "Alpine:v3.20");
  EXPECT_EQ(inventory->scheme, version::Scheme::kApk);
  EXPECT_EQ(inventory->packages.size(), 15u);
  EXPECT_FALSE(inventory->restart.required);
}

TEST(HostReader, RootWithoutDatabaseFails) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-empty");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "etc/os-release", "ID=debian\nVERSION_ID=12\n"));

  const Result<HostInventory> inventory = readHostInventory(root->path());
  ASSERT_FALSE(inventory);
  EXPECT_EQ(inventory.error().code, ErrorCode::kNotFound);
  const std::string& message = inventory.error().message;
  EXPECT_NE(message.find((root->path() / "var/lib/dpkg/status").string()), std::string::npos)
      << message;
  EXPECT_NE(message.find("var/lib/rpm"), std::string::npos) << message;
  EXPECT_NE(message.find((root->path() / "lib/apk/db/installed").string()), std::string::npos)
      << message;
}

TEST(HostReader, MissingOsReleaseLeavesItEmpty) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-no-os");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(test_support::writeDpkgStatus(root->path(), {{.package = "a", .version = "1"}}));

  const Result<HostInventory> inventory = readHostInventory(root->path());
  ASSERT_TRUE(inventory) << inventory.error().message;
  EXPECT_EQ(inventory->os.id, "");
  EXPECT_EQ(inventory->os.ecosystem, "");
  EXPECT_EQ(inventory->packages.size(), 1u);
}

TEST(HostReader, AbsoluteLinksStayInsideRoot) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-links");
  ASSERT_TRUE(root) << root.error().message;
  // Alpine content, so a read of this Debian machine's own files would show.
  ASSERT_TRUE(writeFile(root->path(), "usr/lib/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"));
  fs::create_directories(root->path() / "etc");
  fs::create_symlink("/usr/lib/os-release", root->path() / "etc/os-release");
  ASSERT_TRUE(test_support::writeDpkgStatus(root->path(), {{.package = "a", .version = "1"}}));
  ASSERT_TRUE(writeFile(root->path(), "var/run/reboot-required", ""));
  ASSERT_TRUE(writeFile(root->path(), "var/run/reboot-required.pkgs", "linux-image-amd64\n"));
  fs::create_symlink("/var/run", root->path() / "run");

  const Result<HostInventory> inventory = readHostInventory(root->path());
  ASSERT_TRUE(inventory) << inventory.error().message;
  EXPECT_EQ(inventory->os.id, "alpine");
  EXPECT_EQ(inventory->os.ecosystem, "Alpine:v3.20");
  EXPECT_EQ(inventory->scheme, version::Scheme::kDpkg);
  EXPECT_TRUE(inventory->restart.required);
  EXPECT_EQ(inventory->restart.packages, std::vector<std::string>{"linux-image-amd64"});
}

TEST(HostReader, LinkedDatabaseFolderIsRead) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-linked-db");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"));
  fs::create_directories(root->path() / "usr/lib/apk/db");
  fs::copy_file(testing::sharedDataPath(
                    "inventories/osv-scalibr/extractor/filesystem/os/apk/testdata/installed"),
                root->path() / "usr/lib/apk/db/installed");
  fs::create_symlink("/usr/lib", root->path() / "lib");

  const Result<HostInventory> inventory = readHostInventory(root->path());
  ASSERT_TRUE(inventory) << inventory.error().message;
  EXPECT_EQ(inventory->scheme, version::Scheme::kApk);
  EXPECT_EQ(inventory->packages.size(), 15u);
}

TEST(HostReader, OsReleaseEscapeStaysInsideRoot) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-escape");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "usr/lib/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"));
  fs::create_directories(root->path() / "etc");
  fs::create_symlink("/../../../usr/lib/os-release", root->path() / "etc/os-release");

  const Result<OsRelease> os = readOsRelease(root->path());
  ASSERT_TRUE(os) << os.error().message;
  EXPECT_EQ(os->id, "alpine");
}

TEST(HostReader, OsReleaseLinkLoopFails) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-loop");
  ASSERT_TRUE(root) << root.error().message;
  fs::create_directories(root->path() / "etc");
  fs::create_symlink("/etc/os-release", root->path() / "etc/os-release");

  const Result<OsRelease> os = readOsRelease(root->path());
  ASSERT_FALSE(os);
  EXPECT_EQ(os.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(os.error().message.find("too many symbolic links"), std::string::npos)
      << os.error().message;
}

TEST(HostReader, EmptyOsReleaseNamesProblem) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-empty-os");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "etc/os-release", ""));

  const Result<OsRelease> os = readOsRelease(root->path());
  ASSERT_FALSE(os);
  EXPECT_EQ(os.error().code, ErrorCode::kMalformedInput);
  EXPECT_EQ(os.error().message,
            (root->path() / "etc/os-release").string() +
                " is empty or has no ID= line; check that it is the host's os-release file, "
                "or remove it when the image has none");
}

TEST(HostReader, ReadsDebianTestingCodename) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-trixie");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "etc/os-release",
                        "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\n"
                        "VERSION_CODENAME=trixie\n"));

  const Result<OsRelease> os = readOsRelease(root->path());
  ASSERT_TRUE(os) << os.error().message;
  EXPECT_EQ(os->version_id, "");
  EXPECT_EQ(os->ecosystem, "Debian:13");
}

TEST(HostReader, MissingRootFails) {
  Result<TemporaryDirectory> parent = TemporaryDirectory::create("host-missing-root");
  ASSERT_TRUE(parent) << parent.error().message;
  const fs::path root = parent->path() / "absent";

  const Result<HostInventory> inventory = readHostInventory(root);
  ASSERT_FALSE(inventory);
  EXPECT_EQ(inventory.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(
      inventory.error().message,
      "root " + root.string() + " does not exist; check the path of the host's root directory");
}

TEST(HostReader, FileAsRootFails) {
  Result<TemporaryDirectory> parent = TemporaryDirectory::create("host-file-root");
  ASSERT_TRUE(parent) << parent.error().message;
  ASSERT_TRUE(writeFile(parent->path(), "hostname", "build\n"));
  const fs::path root = parent->path() / "hostname";

  const Result<HostInventory> inventory = readHostInventory(root);
  ASSERT_FALSE(inventory);
  EXPECT_EQ(inventory.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(inventory.error().message,
            "root " + root.string() +
                " is not a directory; pass the folder that contains the host's etc, usr and "
                "var folders");
}

TEST(HostReader, ReadsRpmSandboxFromRelativeRoot) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("host-rpm-relative");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "etc/os-release", "ID=\"rocky\"\nVERSION_ID=\"9.4\"\n"));
  const Result<void> installed = test_support::buildAndInstallRpms(
      root->path(), {{.name = "bash", .version = "5.1.8", .release = "9.el9"}});
  ASSERT_TRUE(installed) << installed.error().message;
  const fs::path relative_root = fs::relative(root->path(), fs::current_path());
  ASSERT_TRUE(relative_root.is_relative()) << relative_root;

  const Result<HostInventory> inventory = readHostInventory(relative_root);
  ASSERT_TRUE(inventory) << inventory.error().message;
  EXPECT_EQ(inventory->os.ecosystem, "Rocky Linux:9");
  EXPECT_EQ(inventory->scheme, version::Scheme::kRpm);
  ASSERT_EQ(inventory->packages.size(), 1u);
  EXPECT_EQ(inventory->packages[0].name, "bash");
}

}  // namespace
}  // namespace pk::inventory
