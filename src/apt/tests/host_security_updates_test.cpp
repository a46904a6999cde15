// Compares findSecurityUpdates() on this machine's own root with what
// `apt list --upgradable` reports from the security archive. Needs the
// machine's apt lists and dpkg database, so it carries the "slow" label.

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "apt/security_updates.h"
#include "apt/tests/host_dpkg_status.h"
#include "apt/tests/sandbox.h"
#include "common/child_process.h"

namespace pk::apt {
namespace {

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
  const auto packages = testing::readDpkgStatus(testing::readFile("/var/lib/dpkg/status"));
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

}  // namespace
}  // namespace pk::apt
