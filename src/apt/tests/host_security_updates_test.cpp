// Compares findSecurityUpdates() on this machine's own root with what
// `apt list --upgradable` reports from the security archive, and downloads
// one security update through apt to read its changelog. Needs the
// machine's apt lists, dpkg database and access to its Debian archive, so it
// carries the "slow" and "network" labels.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "apt/security_updates.h"
#include "apt/tests/sandbox.h"
#include "common/child_process.h"

namespace pk::apt {
namespace {

// Reads Package, Version, Architecture, Source and Status of a dpkg status
// file; just enough for this test, kept apart from the inventory parsers.
std::vector<inventory::Package> readDpkgStatus(const std::string& text) {
  std::vector<inventory::Package> packages;
  inventory::Package current;
  std::string status;
  auto flush = [&] {
    const bool is_installed =
        status.size() > 10 && status.substr(status.size() - 10) == " installed";
    if (!current.name.empty() && is_installed) packages.push_back(current);
    current = inventory::Package{};
    status.clear();
  };
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      flush();
      if (end == text.size()) break;
      continue;
    }
    const auto colon = line.find(": ");
    if (line[0] == ' ' || colon == std::string::npos) continue;
    const std::string name = line.substr(0, colon);
    const std::string value = line.substr(colon + 2);
    if (name == "Package") current.name = value;
    if (name == "Version") current.version = value;
    if (name == "Architecture") current.architecture = value;
    if (name == "Status") status = value;
    if (name == "Source") {
      const auto open = value.find(" (");
      current.source_name = value.substr(0, open);
      if (open != std::string::npos) {
        current.source_version = value.substr(open + 2, value.find(')') - open - 2);
      }
    }
  }
  flush();
  return packages;
}

struct AptLine {
  std::string version;
  std::string installed_version;
};

// Parses lines such as
// "jq/oldstable-security 1.6-2.1+deb12u3 amd64 [upgradable from: 1.6-2.1+deb12u1]"
// and keeps those whose suites include one ending in "-security".
std::map<std::pair<std::string, std::string>, AptLine> securityLines(const std::string& output) {
  std::map<std::pair<std::string, std::string>, AptLine> lines;
  std::size_t start = 0;
  while (start < output.size()) {
    auto end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(start, end - start);
    start = end + 1;

    const auto slash = line.find('/');
    const auto space = line.find(' ');
    const auto from = line.find("[upgradable from: ");
    if (slash == std::string::npos || space == std::string::npos || from == std::string::npos ||
        slash > space) {
      continue;
    }
    const std::string suites = line.substr(slash + 1, space - slash - 1) + ",";
    if (suites.find("-security,") == std::string::npos) continue;
    const auto arch_space = line.find(' ', space + 1);
    const std::string version = line.substr(space + 1, arch_space - space - 1);
    const std::string architecture =
        line.substr(arch_space + 1, line.find(' ', arch_space + 1) - arch_space - 1);
    const auto installed_start = from + 18;
    const std::string installed_version =
        line.substr(installed_start, line.find(']', installed_start) - installed_start);
    lines[{line.substr(0, slash), architecture}] = {version, installed_version};
  }
  return lines;
}

TEST(HostSecurityUpdates, MatchAptListUpgradable) {
  const auto packages = readDpkgStatus(testing::readFile("/var/lib/dpkg/status"));
  ASSERT_FALSE(packages.empty());

  std::string apt_output;
  const std::vector<std::string> argv = {"apt", "list", "--upgradable"};
  auto outcome = runProcess(argv, {}, [&](int fd) {
    char buffer[4096];
    ssize_t got = 0;
    while ((got = ::read(fd, buffer, sizeof buffer)) > 0) {
      apt_output.append(buffer, static_cast<std::size_t>(got));
    }
  });
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  ASSERT_EQ(outcome->exit_code, 0) << describeFailure(argv, *outcome);

  const auto expected = securityLines(apt_output);
  if (expected.empty()) GTEST_SKIP() << "apt lists no upgrade from a security archive here";
  auto updates = findSecurityUpdates("/", packages, {.read_changelogs = false});
  ASSERT_TRUE(updates.has_value()) << updates.error().message;

  std::map<std::pair<std::string, std::string>, const SecurityUpdate*> found;
  for (const auto& update : *updates) found[{update.package, update.architecture}] = &update;
  for (const auto& [key, line] : expected) {
    SCOPED_TRACE(key.first + ":" + key.second);
    const auto it = found.find(key);
    ASSERT_NE(it, found.end());
    EXPECT_EQ(it->second->security_version, line.version);
    EXPECT_EQ(it->second->installed_version, line.installed_version);
  }
  // The report may hold more than apt lists: apt shows one line per package,
  // with its candidate, which can come from a newer point release.
  EXPECT_GE(updates->size(), expected.size());
}

// Packages whose security updates on Debian 12 all name CVE ids in their
// changelogs, and whose .debs are small enough to download in a test.
const std::set<std::string> kSmallPackagesWithCves = {"jq", "libjq1", "unzip", "zip", "patch"};

TEST(HostSecurityUpdates, DownloadReadsChangelogCves) {
  const auto packages = readDpkgStatus(testing::readFile("/var/lib/dpkg/status"));
  auto updates = findSecurityUpdates("/", packages, {.read_changelogs = false});
  ASSERT_TRUE(updates.has_value()) << updates.error().message;
  if (updates->empty()) GTEST_SKIP() << "no security update is pending on this machine";

  const SecurityUpdate* chosen = &updates->front();
  for (const auto& update : *updates) {
    if (kSmallPackagesWithCves.count(update.package) != 0) chosen = &update;
  }
  inventory::Package installed;
  for (const auto& package : packages) {
    if (package.name == chosen->package && package.architecture == chosen->architecture) {
      installed = package;
    }
  }
  SCOPED_TRACE(chosen->package + " " + chosen->security_version);

  // A fresh root that shares this machine's apt lists but has an empty
  // package cache, so the .deb must really be downloaded.
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("pk-download-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "var/lib/apt");
  fs::create_directory_symlink("/var/lib/apt/lists", root / "var/lib/apt/lists");

  auto downloaded = findSecurityUpdates(root, {installed}, {.download = true});
  ASSERT_TRUE(downloaded.has_value()) << downloaded.error().message;
  ASSERT_EQ(downloaded->size(), 1U);
  const SecurityUpdate& update = downloaded->front();
  EXPECT_EQ(update.changelog_status, ChangelogStatus::kRead) << update.changelog_detail;

  fs::path deb;
  for (const auto& entry : fs::directory_iterator(archivesFolder(root))) {
    if (entry.path().extension() == ".deb") deb = entry.path();
  }
  ASSERT_FALSE(deb.empty()) << "no .deb in " << archivesFolder(root);

  // Every id reported must appear in the package's changelog, read here with
  // dpkg-deb, tar and zcat rather than patchkeeper's own reader.
  std::string changelog_ids;
  const std::vector<std::string> argv = {
      "sh", "-c",
      "dpkg-deb --fsys-tarfile \"$1\" | tar -xO --wildcards './usr/share/doc/*/changelog.Debian.gz'"
      " | zcat | grep -o 'CVE-[0-9]*-[0-9]*' | sort -u",
      "sh", deb.string()};
  auto outcome = runProcess(argv, {}, [&](int fd) {
    char buffer[4096];
    ssize_t got = 0;
    while ((got = ::read(fd, buffer, sizeof buffer)) > 0) {
      changelog_ids.append(buffer, static_cast<std::size_t>(got));
    }
  });
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  for (const auto& id : update.cve_ids) {
    EXPECT_NE(changelog_ids.find(id + "\n"), std::string::npos) << id;
  }
  if (kSmallPackagesWithCves.count(update.package) != 0) {
    EXPECT_FALSE(update.cve_ids.empty());
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace pk::apt
