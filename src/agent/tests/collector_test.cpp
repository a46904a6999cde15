#include "agent/collector.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "agent/tests/fakes.h"
#include "tests/support/dpkg_sandbox.h"
#include "tests/support/temporary_directory.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using pk::test_support::DpkgStanza;

const SystemTime kNow = *parseRfc3339("2026-12-04T23:24:08Z");

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto folder = pk::test_support::TemporaryDirectory::create("collector");
    ASSERT_TRUE(folder) << folder.error().message;
    folder_ = std::make_unique<pk::test_support::TemporaryDirectory>(std::move(*folder));
    root_ = folder_->path();
    ASSERT_TRUE(pk::test_support::writeDebianRoot(
        root_, "12",
        {DpkgStanza{.package = "openssl", .version = "3.0.15-1~deb12u1"},
         DpkgStanza{.package = "libssl3", .version = "3.0.15-1~deb12u1", .source = "openssl"},
         DpkgStanza{.package = "bash", .version = "5.2.15-2+b7", .source = "bash (5.2.15-2)"},
         DpkgStanza{
             .package = "old-tool", .version = "1.0-1", .status = "deinstall ok config-files"}}));
    ASSERT_TRUE(pk::test_support::writeFile(root_, "etc/hostname", "sandbox-host\n"));
  }

  Collector makeCollector() { return Collector({.root = root_}, clock_, random_); }

  std::unique_ptr<pk::test_support::TemporaryDirectory> folder_;
  fs::path root_;
  FakeClock clock_{kNow};
  test_fakes::CountingRandom random_;
};

TEST_F(CollectorTest, FirstReportCarriesInventory) {
  Collector collector = makeCollector();
  auto report = collector.collect("", false);
  ASSERT_TRUE(report) << report.error().message;

  EXPECT_TRUE(protocol::isReportId(report->report_id));
  EXPECT_EQ(report->collected_at, kNow);
  EXPECT_EQ(report->hostname, "sandbox-host");
  EXPECT_EQ(report->os.ecosystem, "Debian:12");
  ASSERT_TRUE(report->inventory.has_value());
  EXPECT_EQ(report->inventory->scheme, version::Scheme::kDpkg);
  // old-tool has only its configuration files left, so it is not installed.
  EXPECT_EQ(report->inventory->packages.size(), 3u);
  EXPECT_EQ(report->inventory_hash, protocol::inventoryHash(*report->inventory));
  // A sandbox root has no boot time, no kernel and no apt lists.
  EXPECT_FALSE(report->last_boot.has_value());
  EXPECT_EQ(report->kernel, "");
  EXPECT_FALSE(report->package_lists_updated_at.has_value());
  EXPECT_TRUE(report->security_updates.empty());
  // The serialized report passes the server's parser.
  auto parsed = protocol::parseReport(protocol::toJson(*report).dump());
  EXPECT_TRUE(parsed) << parsed.error().message;
}

TEST_F(CollectorTest, AcknowledgedHashOmitsInventory) {
  Collector collector = makeCollector();
  auto first = collector.collect("", false);
  ASSERT_TRUE(first) << first.error().message;

  auto second = collector.collect(first->inventory_hash, false);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->inventory.has_value());
  EXPECT_EQ(second->inventory_hash, first->inventory_hash);
  EXPECT_NE(second->report_id, first->report_id);

  auto forced = collector.collect(first->inventory_hash, true);
  ASSERT_TRUE(forced) << forced.error().message;
  EXPECT_TRUE(forced->inventory.has_value());
}

TEST_F(CollectorTest, ChangedPackagesChangeTheHash) {
  Collector collector = makeCollector();
  auto first = collector.collect("", false);
  ASSERT_TRUE(first) << first.error().message;

  ASSERT_TRUE(pk::test_support::writeDpkgStatus(
      root_, {DpkgStanza{.package = "openssl", .version = "3.0.16-1~deb12u1"}}));
  auto second = collector.collect(first->inventory_hash, false);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_NE(second->inventory_hash, first->inventory_hash);
  ASSERT_TRUE(second->inventory.has_value());
  EXPECT_EQ(second->inventory->packages.size(), 1u);
}

TEST_F(CollectorTest, KernelIsNewestInBoot) {
  for (const char* name : {"vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-28-amd64",
                           "vmlinuz-6.1.0-27-amd64", "config-6.1.0-99-amd64"}) {
    ASSERT_TRUE(pk::test_support::writeFile(root_, fs::path("boot") / name, "x"));
  }
  Collector collector = makeCollector();
  auto report = collector.collect("", false);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->kernel, "6.1.0-28-amd64");
}

TEST_F(CollectorTest, SecurityUpdatesComeFromAptLists) {
  const fs::path lists = "var/lib/apt/lists";
  ASSERT_TRUE(pk::test_support::writeFile(
      root_, lists / "deb.debian.org_debian-security_dists_bookworm-security_InRelease",
      "Origin: Debian\nLabel: Debian-Security\nSuite: oldstable-security\n"
      "Codename: bookworm-security\n"));
  ASSERT_TRUE(pk::test_support::writeFile(
      root_,
      lists / "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages",
      "Package: openssl\nSource: openssl\nVersion: 3.0.16-1~deb12u1\nArchitecture: amd64\n"
      "Filename: pool/updates/main/o/openssl/openssl_3.0.16-1~deb12u1_amd64.deb\n\n"
      "Package: old-tool\nVersion: 2.0-1\nArchitecture: amd64\n"
      "Filename: pool/updates/main/o/old-tool/old-tool_2.0-1_amd64.deb\n"));
  ASSERT_TRUE(pk::test_support::writeFile(root_, lists / "lock", ""));

  const auto older = fs::file_time_type::clock::now() - std::chrono::hours(48);
  const auto newer = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(
      root_ / lists / "deb.debian.org_debian-security_dists_bookworm-security_InRelease", older);
  fs::last_write_time(
      root_ / lists /
          "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages",
      newer);
  // apt touches its lock file on every run; it must not count as fresh lists.
  fs::last_write_time(root_ / lists / "lock", fs::file_time_type::clock::now());

  Collector collector = makeCollector();
  auto report = collector.collect("", false);
  ASSERT_TRUE(report) << report.error().message;

  // old-tool has only its configuration files left, so it needs no update
  // even though the security archive lists a newer version.
  ASSERT_EQ(report->security_updates.size(), 1u);
  const protocol::PendingUpdate& update = report->security_updates[0];
  EXPECT_EQ(update.package, "openssl");
  EXPECT_EQ(update.architecture, "amd64");
  EXPECT_EQ(update.source_package, "openssl");
  EXPECT_EQ(update.installed_version, "3.0.15-1~deb12u1");
  EXPECT_EQ(update.candidate_version, "3.0.16-1~deb12u1");
  EXPECT_EQ(update.archive, "bookworm-security");

  ASSERT_TRUE(report->package_lists_updated_at.has_value());
  const auto expected = std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::file_clock::to_sys(newer));
  EXPECT_EQ(*report->package_lists_updated_at, expected);
}

TEST_F(CollectorTest, InvalidUtf8IsReplacedBeforeHashing) {
  ASSERT_TRUE(pk::test_support::writeFile(root_, "etc/hostname", "caf\xe9\n"));
  ASSERT_TRUE(pk::test_support::writeOsRelease(
      root_, "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian \xff\"\n"));
  Collector collector = makeCollector();
  auto report = collector.collect("", false);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->hostname, "caf\xef\xbf\xbd");
  EXPECT_EQ(report->os.pretty_name, "Debian \xef\xbf\xbd");

  // The report serializes, and the server's parser accepts its hash.
  auto parsed = protocol::parseReport(protocol::toJson(*report).dump());
  EXPECT_TRUE(parsed) << parsed.error().message;
}

TEST_F(CollectorTest, MissingDatabaseFails) {
  fs::remove(root_ / "var/lib/dpkg/status");
  Collector collector = makeCollector();
  auto report = collector.collect("", false);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kNotFound);
}

TEST_F(CollectorTest, MachineIdIsReadUnderRoot) {
  ASSERT_TRUE(
      pk::test_support::writeFile(root_, "etc/machine-id", "4c4c4544004a3510804cb2c04f4b3332\n"));
  auto machine_id = readMachineId(root_, "/etc/machine-id");
  ASSERT_TRUE(machine_id) << machine_id.error().message;
  EXPECT_EQ(*machine_id, "4c4c4544004a3510804cb2c04f4b3332");

  auto missing = readMachineId(root_, "/var/lib/dbus/machine-id");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(pk::test_support::writeFile(root_, "etc/empty-id", "\n"));
  auto empty = readMachineId(root_, "/etc/empty-id");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kMalformedInput);
}

TEST(CollectorRoot, RecognisesHostRoot) {
  EXPECT_TRUE(isHostRoot("/"));
  EXPECT_TRUE(isHostRoot("//"));
  EXPECT_TRUE(isHostRoot("/."));
  EXPECT_FALSE(isHostRoot("/srv/root"));
}

TEST(CollectorRoot, HostBootTimeIsInThePast) {
  const auto boot = hostBootTime();
  ASSERT_TRUE(boot.has_value()) << "no btime line in /proc/stat";
  EXPECT_LT(*boot, SystemClock().now());
  EXPECT_GT(*boot, *parseRfc3339("2000-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace pk::agent
