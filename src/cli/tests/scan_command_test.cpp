// Runs the real patchkeeper binary against sandbox roots built with the
// real dpkg status format and real rpm databases, and checks its findings.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/dpkg_sandbox.h"
#include "tests/support/rpm_sandbox.h"
#include "tests/support/temporary_directory.h"

namespace {

using pk::test_support::DpkgStanza;
using pk::test_support::RpmSpec;
using pk::test_support::TemporaryDirectory;

const std::string kData = PK_SHARED_DATA_DIR;

struct CommandResult {
  int exit_status = -1;
  std::string out;
  std::string err;
};

// Runs patchkeeper with `arguments`, capturing stdout and stderr apart.
CommandResult runPatchkeeper(const std::string& arguments, const std::filesystem::path& scratch) {
  std::filesystem::path err_file = scratch / "stderr.txt";
  std::string command =
      std::string(PK_CLI_BINARY) + " " + arguments + " 2>'" + err_file.string() + "'";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 65536> buffer{};
  std::size_t read = 0;
  while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.out.append(buffer.data(), read);
  }
  int status = pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_file);
  result.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
  return result;
}

std::set<std::string> advisoryIdsOf(const nlohmann::json& document, const std::string& package) {
  std::set<std::string> ids;
  for (const auto& finding : document["findings"]) {
    if (finding["package"] == package) ids.insert(finding["advisory_id"].get<std::string>());
  }
  return ids;
}

TEST(ScanRpm, AlmaLinuxAdvisoriesOnRpmbuildSandbox) {
  auto dir = TemporaryDirectory::create("scan-rpm");
  ASSERT_TRUE(dir.has_value());
  auto root = dir->path() / "root";
  ASSERT_TRUE(
      pk::test_support::writeOsRelease(root,
                                       "NAME=\"AlmaLinux\"\nID=\"almalinux\"\nVERSION_ID=\"9.4\"\n"
                                       "PRETTY_NAME=\"AlmaLinux 9.4 (Seafoam Ocelot)\"\n"));
  // Versions chosen against the real ALSA records: less between its second
  // and third fix, sudo at one fix with three newer ones, expat at its
  // newest fix, and a package no advisory names.
  auto installed = pk::test_support::buildAndInstallRpms(
      root, {RpmSpec{.name = "less", .version = "590", .release = "3.el9_3"},
             RpmSpec{.name = "sudo", .version = "1.9.5p2", .release = "10.el9_3"},
             RpmSpec{.name = "expat", .version = "2.5.0", .release = "6.el9_8.1"},
             RpmSpec{.name = "patchkeeper-probe", .version = "1.0", .release = "1"}});
  ASSERT_TRUE(installed.has_value()) << installed.error().message;

  auto result = runPatchkeeper("scan --root '" + root.string() + "' --format json --advisories '" +
                                   kData + "/osv/almalinux'",
                               dir->path());
  ASSERT_EQ(result.exit_status, 1) << result.err;
  auto document = nlohmann::json::parse(result.out);

  EXPECT_EQ(document["host"]["ecosystem"], "AlmaLinux:9");
  EXPECT_EQ(document["host"]["packages"], 4);
  EXPECT_EQ(advisoryIdsOf(document, "less"), std::set<std::string>{"ALSA-2024:3513"});
  EXPECT_EQ(advisoryIdsOf(document, "sudo"),
            (std::set<std::string>{"ALSA-2025:9978", "ALSA-2026:12310", "ALSA-2026:19220"}));
  EXPECT_TRUE(advisoryIdsOf(document, "expat").empty());
  EXPECT_TRUE(advisoryIdsOf(document, "patchkeeper-probe").empty());
  EXPECT_EQ(document["findings"].size(), 4U);

  for (const auto& finding : document["findings"]) {
    if (finding["advisory_id"] == "ALSA-2024:3513") {
      EXPECT_EQ(finding["installed_version"], "590-3.el9_3");
      EXPECT_EQ(finding["fixed_version"], "590-4.el9_4");
      EXPECT_NE(finding["severity"], "unknown");
    }
  }
}

class ScanDebian : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TemporaryDirectory::create("scan-deb");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    root_ = dir_->path() / "root";
    // Debian 11 packages against the real DSA list (up to April 2023):
    // DSA-5380-1 fixed xorg-server 2:1.20.11-1+deb11u6 in bullseye.
    auto written = pk::test_support::writeDebianRoot(
        root_, "11",
        {DpkgStanza{.package = "xserver-xorg-core",
                    .version = "2:1.20.11-1+deb11u5",
                    .source = "xorg-server"},
         DpkgStanza{
             .package = "xwayland", .version = "2:1.20.11-1+deb11u6", .source = "xorg-server"},
         DpkgStanza{.package = "removed-tool",
                    .version = "1.0-1",
                    .status = "deinstall ok config-files",
                    .source = "xorg-server"}});
    ASSERT_TRUE(written.has_value()) << written.error().message;
  }

  CommandResult scan(const std::string& extra) {
    return runPatchkeeper("scan --root '" + root_.string() + "' --no-apt-security " + extra,
                          dir_->path());
  }

  std::optional<TemporaryDirectory> dir_;
  std::filesystem::path root_;
};

TEST_F(ScanDebian, DsaListFindsSourcePackageFix) {
  auto result =
      scan("--format json --advisories '" + kData + "/debian/security-tracker-2023/data/DSA/list'");
  ASSERT_EQ(result.exit_status, 1) << result.err;
  auto document = nlohmann::json::parse(result.out);
  std::set<std::string> core = advisoryIdsOf(document, "xserver-xorg-core");
  EXPECT_TRUE(core.count("DSA-5380-1")) << result.out;
  EXPECT_TRUE(advisoryIdsOf(document, "xwayland").count("DSA-5380-1") == 0);
  EXPECT_TRUE(advisoryIdsOf(document, "removed-tool").empty());
  for (const auto& finding : document["findings"]) {
    if (finding["advisory_id"] == "DSA-5380-1") {
      EXPECT_EQ(finding["source_package"], "xorg-server");
      EXPECT_EQ(finding["fixed_version"], "2:1.20.11-1+deb11u6");
      EXPECT_EQ(finding["aliases"], nlohmann::json({"CVE-2023-1393"}));
    }
  }
}

TEST_F(ScanDebian, KevEnrichesFindings) {
  // Write a KEV catalogue naming the DSA's CVE.
  std::ofstream(dir_->path() / "kev.json")
      << R"({"title": "test", "catalogVersion": "2099.01.01", "dateReleased": "2099-01-01",
           "count": 1, "vulnerabilities": [{"cveID": "CVE-2023-1393", "vendorProject": "X.Org",
           "product": "Server", "vulnerabilityName": "test", "dateAdded": "2099-01-01",
           "shortDescription": "", "requiredAction": "", "dueDate": "2099-01-22",
           "knownRansomwareCampaignUse": "Unknown", "notes": ""}]})";
  auto result = scan("--format json --advisories '" + kData +
                     "/debian/security-tracker-2023/data/DSA/list' --advisories '" +
                     (dir_->path() / "kev.json").string() + "'");
  ASSERT_EQ(result.exit_status, 1) << result.err;
  auto document = nlohmann::json::parse(result.out);
  ASSERT_FALSE(document["findings"].empty());
  EXPECT_EQ(document["findings"][0]["advisory_id"], "DSA-5380-1");
  EXPECT_EQ(document["findings"][0]["kev"], true);
  EXPECT_EQ(document["findings"][0]["kev_due_date"], "2099-01-22");
}

TEST_F(ScanDebian, NothingFoundExitsZero) {
  std::ofstream(dir_->path() / "empty.json")
      << R"({"id": "OSV-TEST-1", "modified": "2024-01-01T00:00:00Z", "affected": []})";
  auto result = scan("--advisories '" + (dir_->path() / "empty.json").string() + "'");
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.out.find("0 findings in 2 packages"), std::string::npos) << result.out;
}

TEST_F(ScanDebian, MalformedRecordSkippedRestLoads) {
  auto feeds = dir_->path() / "feeds";
  std::filesystem::create_directories(feeds);
  std::ofstream(feeds / "good.json") << R"({"id": "OSV-GOOD-1", "modified": "2024-01-01T00:00:00Z",
    "affected": [{"package": {"ecosystem": "Debian:11", "name": "xorg-server"},
      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2:1.20.11-1+deb11u9"}]}]}]})";
  std::ofstream(feeds / "bad.json") << R"({"id": "OSV-BAD-1", "modified": "2024-01-01T00:00:00Z",
    "affected": [{"package": {"ecosystem": "Debian:11", "name": "xorg-server"},
      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "not a version"}]}]}]})";
  auto result = scan("--format csv --advisories '" + feeds.string() + "'");
  EXPECT_EQ(result.exit_status, 1) << result.err;
  EXPECT_NE(result.out.find("OSV-GOOD-1"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("OSV-BAD-1"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("OSV-BAD-1"), std::string::npos) << result.err;
}

TEST_F(ScanDebian, LongOsvRecordRecognised) {
  // Ubuntu's records put `details` before `affected`; a long one pushes the
  // keys that identify OSV past the first 64 KiB.
  std::string details(70000, 'x');
  std::string record = R"({"id": "OSV-LONG-1", "modified": "2024-01-01T00:00:00Z", "details": ")" +
                       details + R"(", "affected": [{"package": {"ecosystem": "Debian:11",
      "name": "xorg-server"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
      {"fixed": "2:1.20.11-1+deb11u9"}]}]}]})";
  auto feeds = dir_->path() / "long";
  std::filesystem::create_directories(feeds);
  std::ofstream(feeds / "long.json") << record;

  auto from_folder = scan("--format csv --advisories '" + feeds.string() + "'");
  EXPECT_EQ(from_folder.exit_status, 1) << from_folder.err;
  EXPECT_NE(from_folder.out.find("OSV-LONG-1"), std::string::npos) << from_folder.out;
  auto from_file = scan("--format csv --advisories '" + (feeds / "long.json").string() + "'");
  EXPECT_EQ(from_file.exit_status, 1) << from_file.err;
}

TEST_F(ScanDebian, TruncatedOsvFileExitsTwo) {
  std::ofstream(dir_->path() / "cut.json") << R"({"id": "OSV-CUT-1", "modified": "2024-01-01T0)";
  auto result = scan("--advisories '" + (dir_->path() / "cut.json").string() + "'");
  EXPECT_EQ(result.exit_status, 2) << result.err;
  EXPECT_NE(result.err.find("holds no valid OSV record"), std::string::npos) << result.err;
}

TEST_F(ScanDebian, UnrecognisedJsonInFolderReported) {
  auto feeds = dir_->path() / "mixed";
  std::filesystem::create_directories(feeds);
  std::ofstream(feeds / "empty.json") << "";
  std::ofstream(feeds / "junk.json") << "\x01\x02 not json";
  std::ofstream(feeds / "README.md") << "# notes\n";
  auto result = scan("--advisories '" + feeds.string() + "'");
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.err.find("empty.json"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("junk.json"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("README.md"), std::string::npos) << result.err;
}

TEST(ScanRoot, UnknownDistributionExitsThree) {
  auto dir = TemporaryDirectory::create("scan-no-release");
  ASSERT_TRUE(dir.has_value());
  auto root = dir->path() / "root";
  ASSERT_TRUE(pk::test_support::writeDpkgStatus(
      root, {DpkgStanza{.package = "bash", .version = "5.2.15-2"}}));
  ASSERT_TRUE(pk::test_support::writeOsRelease(root, "ID=madeup\nVERSION_ID=1\n"));
  auto result =
      runPatchkeeper("scan --no-apt-security --root '" + root.string() + "' --advisories '" +
                         kData + "/debian/security-tracker-2023/data/DSA/list'",
                     dir->path());
  EXPECT_EQ(result.exit_status, 3) << result.err;
  EXPECT_NE(result.err.find("cannot tell which distribution release"), std::string::npos)
      << result.err;
}

TEST_F(ScanDebian, MissingFeedExitsThree) {
  auto result = scan("--advisories /nonexistent/feed.json");
  EXPECT_EQ(result.exit_status, 3);
  EXPECT_NE(result.err.find("/nonexistent/feed.json does not exist; check the --advisories path"),
            std::string::npos)
      << result.err;
}

TEST_F(ScanDebian, UnrecognisedFeedExitsTwo) {
  std::ofstream(dir_->path() / "notes.txt") << "hello\n";
  auto result = scan("--advisories '" + (dir_->path() / "notes.txt").string() + "'");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("not a recognised advisory feed"), std::string::npos) << result.err;
}

TEST(ScanRoot, MissingRootExitsThree) {
  auto dir = TemporaryDirectory::create("scan-missing");
  ASSERT_TRUE(dir.has_value());
  auto result =
      runPatchkeeper("scan --root '" + (dir->path() / "absent").string() + "'", dir->path());
  EXPECT_EQ(result.exit_status, 3) << result.err;
  EXPECT_FALSE(result.err.empty());
}

TEST(ScanRoot, BadFormatExitsTwo) {
  auto dir = TemporaryDirectory::create("scan-format");
  ASSERT_TRUE(dir.has_value());
  auto result = runPatchkeeper("scan --format xml", dir->path());
  EXPECT_EQ(result.exit_status, 2);
}

// A Windows 10 22H2 workstation on February 2026's cumulative update,
// scanned against March 2026's MSRC document.
std::string windowsDocument(const std::string& installed_kbs) {
  return R"({"format": "patchkeeper-windows-inventory", "format_version": 1,
  "hostname": "WS-0042", "collected_at": "2026-03-20T09:00:00Z",
  "os": {"edition": "Windows 10 Enterprise", "release": "22H2", "build": "10.0.19045.6937",
         "installation_type": "Client", "architecture": "x64"},
  "installed_kbs": [)" +
         installed_kbs + R"json(],
  "pending_updates": [{"kb": "KB5078885", "title": "2026-03 Cumulative Update for Windows 10",
                       "classification": "Security Updates", "severity": "Critical",
                       "cve_ids": ["CVE-2026-24289"], "supersedes": ["KB5075912"],
                       "restart_required": true}],
  "programs": [{"name": "7-Zip 24.09 (x64)", "version": "24.09", "publisher": "Igor Pavlov"}]
})json";
}

TEST(ScanWindows, InventoryFileGivesKbFindings) {
  auto dir = TemporaryDirectory::create("scan-windows");
  ASSERT_TRUE(dir.has_value());
  auto file = dir->path() / "ws-0042.json";
  std::ofstream(file) << windowsDocument(R"("KB5075912")");
  auto result = runPatchkeeper(
      "scan --quiet --format json --windows-inventory '" + file.string() + "' --advisories '" +
          kData + "/windows/msrc-cvrf/2026/xml-cvrf-document/cvrfDocument-2026-Mar.xml'",
      dir->path());
  ASSERT_EQ(result.exit_status, 1) << result.err;
  auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["host"]["package_format"], "windows");
  bool advisory = false;
  bool offered = false;
  for (const auto& finding : report["findings"]) {
    EXPECT_EQ(finding["package"], "Windows 10 22H2");
    EXPECT_EQ(finding["fix_kb"], "KB5078885") << finding.dump();
    if (finding["advisory_id"] == "CVE-2026-24289") {
      advisory = true;
      EXPECT_EQ(finding["fixed_version"], "10.0.19045.7058");
      EXPECT_EQ(finding["installed_version"], "10.0.19045.6937");
    }
    if (finding["advisory_id"] == "security-update:KB5078885") offered = true;
  }
  EXPECT_TRUE(advisory) << result.out;
  EXPECT_TRUE(offered) << result.out;
  EXPECT_EQ(report["host"]["windows"]["product"], "Windows 10 22H2");
  EXPECT_EQ(report["host"]["windows"]["installed_kbs"], 1);
}

TEST(ScanWindows, SkippedElementIsReported) {
  auto dir = TemporaryDirectory::create("scan-windows-bad-kb");
  ASSERT_TRUE(dir.has_value());
  auto file = dir->path() / "ws-0042.json";
  std::ofstream(file) << windowsDocument(R"("KB5075912", "not-a-kb")");
  auto result = runPatchkeeper("scan --quiet --windows-inventory '" + file.string() +
                                   "' --advisories '" + kData +
                                   "/windows/msrc-cvrf/2026/xml-cvrf-document/"
                                   "cvrfDocument-2026-Mar.xml'",
                               dir->path());
  EXPECT_EQ(result.exit_status, 1) << result.err;
  EXPECT_NE(result.err.find("ws-0042.json: /installed_kbs/1"), std::string::npos) << result.err;
  EXPECT_NE(result.out.find("KB5078885"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("on Windows 10 Enterprise build 10.0.19045.6937 with 1 installed KB\n"),
            std::string::npos)
      << result.out;
}

TEST(ScanWindows, BrokenOrMissingFileExitsTwo) {
  auto dir = TemporaryDirectory::create("scan-windows-broken");
  ASSERT_TRUE(dir.has_value());
  auto file = dir->path() / "broken.json";
  std::ofstream(file) << R"({"format": "patchkeeper-windows-inventory", "format_version": 1,
  "hostname": "WS-1", "os": {"edition": "Windows 10 Pro", "build": "ten",
  "installation_type": "Client"}})";
  auto broken = runPatchkeeper("scan --windows-inventory '" + file.string() + "'", dir->path());
  EXPECT_EQ(broken.exit_status, 2) << broken.err;
  EXPECT_NE(broken.err.find("broken.json"), std::string::npos) << broken.err;
  EXPECT_NE(broken.err.find("/os/build"), std::string::npos) << broken.err;

  auto missing = runPatchkeeper(
      "scan --windows-inventory '" + (dir->path() / "absent.json").string() + "'", dir->path());
  EXPECT_EQ(missing.exit_status, 2) << missing.err;
  EXPECT_NE(missing.err.find("cannot open Windows inventory"), std::string::npos) << missing.err;

  // A root and a Windows inventory cannot be scanned together.
  auto both =
      runPatchkeeper("scan --root / --windows-inventory '" + file.string() + "'", dir->path());
  EXPECT_NE(both.exit_status, 0);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
}

}  // namespace
