// Downloads one pending security update from this machine's Debian archive
// into an empty package cache and reads its changelog. Needs the machine's
// apt lists, dpkg database and network access to its archive, so it carries
// the "network" label.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "apt/security_updates.h"
#include "apt/tests/host_dpkg_status.h"
#include "apt/tests/sandbox.h"
#include "common/child_process.h"

namespace pk::apt {
namespace {

// Packages whose security updates on Debian 12 all name CVE ids in their
// changelogs, and whose .debs are small enough to download in a test.
const std::set<std::string> kSmallPackagesWithCves = {"jq", "libjq1", "unzip", "zip", "patch"};

TEST(HostSecurityUpdates, DownloadReadsChangelogCves) {
  const auto packages = testing::readDpkgStatus(testing::readFile("/var/lib/dpkg/status"));
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
