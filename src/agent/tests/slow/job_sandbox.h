#pragma once

// Sandbox roots for the job tests: a flat apt repository of tiny .debs
// built with dpkg-deb and apt-ftparchive, and a root whose old versions
// the real dpkg installed. Needs root, because dpkg --root sets owners.

#include <filesystem>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/error.h"
#include "tests/support/temporary_directory.h"

namespace pk::agent::test_sandbox {

struct TestDeb {
  std::string name;
  std::string version;
  std::string postinst{};  // shell commands; no postinst when empty
};

// Returns the first of `tools` that is not on PATH, or "" when all are.
inline std::string firstMissingTool(const std::vector<std::string>& tools) {
  for (const std::string& tool : tools) {
    auto found = runCommand({"sh", "-c", "command -v " + tool});
    if (!found || found->exit_code != 0) return tool;
  }
  return "";
}

inline Result<void> runChecked(const std::vector<std::string>& argv) {
  auto output = runCommand(argv);
  if (!output) return tl::unexpected(output.error());
  if (output->exit_code != 0) {
    return fail(ErrorCode::kIoError,
                describeFailure(argv, *output) + "\n" + output->standard_output);
  }
  return {};
}

inline std::filesystem::path debPath(const std::filesystem::path& repository, const TestDeb& deb) {
  return repository / (deb.name + "_" + deb.version + "_all.deb");
}

// Builds every deb into `repository` and writes its Packages and Release.
inline Result<void> buildRepository(const std::filesystem::path& work,
                                    const std::filesystem::path& repository,
                                    const std::vector<TestDeb>& debs) {
  namespace fs = std::filesystem;
  fs::create_directories(repository);
  for (const TestDeb& deb : debs) {
    const fs::path tree = work / "build" / (deb.name + "_" + deb.version);
    const std::string control = "Package: " + deb.name + "\nVersion: " + deb.version +
                                "\nArchitecture: all\nMaintainer: patchkeeper tests "
                                "<tests@example.org>\nDescription: package built by a test\n";
    if (auto written = test_support::writeFile(tree, "DEBIAN/control", control); !written) {
      return written;
    }
    if (auto written =
            test_support::writeFile(tree, "usr/share/" + deb.name + "/version", deb.version + "\n");
        !written) {
      return written;
    }
    if (!deb.postinst.empty()) {
      if (auto written =
              test_support::writeFile(tree, "DEBIAN/postinst", "#!/bin/sh\n" + deb.postinst + "\n");
          !written) {
        return written;
      }
      fs::permissions(tree / "DEBIAN" / "postinst",
                      fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                          fs::perms::others_read | fs::perms::others_exec);
    }
    if (auto built = runChecked({"dpkg-deb", "--root-owner-group", "-Zgzip", "--build",
                                 tree.string(), debPath(repository, deb).string()});
        !built) {
      return built;
    }
  }
  const std::string cd = "cd '" + repository.string() + "' && ";
  if (auto packages = runChecked({"sh", "-c", cd + "apt-ftparchive packages . > Packages"});
      !packages) {
    return packages;
  }
  return runChecked({"sh", "-c", cd + "apt-ftparchive release . > Release"});
}

// Makes a root with dpkg's and apt's folders, `repository` as its only
// source, and `installed` installed by the real dpkg.
inline Result<void> buildRoot(const std::filesystem::path& root,
                              const std::filesystem::path& repository,
                              const std::vector<TestDeb>& installed) {
  namespace fs = std::filesystem;
  for (const char* folder :
       {"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log/apt", "var/lib/apt/lists/partial",
        "var/cache/apt/archives/partial", "etc/apt/apt.conf.d", "etc/apt/preferences.d",
        "etc/apt/sources.list.d", "tmp", "run"}) {
    fs::create_directories(root / folder);
  }
  if (auto written = test_support::writeFile(root, "var/lib/dpkg/status", ""); !written) {
    return written;
  }
  if (auto written = test_support::writeFile(
          root, "etc/apt/sources.list", "deb [trusted=yes] file:" + repository.string() + " ./\n");
      !written) {
    return written;
  }
  if (auto written = test_support::writeFile(
          root, "etc/os-release",
          "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12\"\n");
      !written) {
    return written;
  }
  std::vector<std::string> argv = {"dpkg", "--root=" + root.string(), "--force-script-chrootless",
                                   "--log=" + (root / "var/log/dpkg.log").string(), "-i"};
  for (const TestDeb& deb : installed) argv.push_back(debPath(repository, deb).string());
  return runChecked(argv);
}

}  // namespace pk::agent::test_sandbox
