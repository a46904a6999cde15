#pragma once

// Installs exactly the packages that a patch names, at the versions it
// names, through the host's own package manager, on "/" or on a sandbox
// root. Nothing else is upgraded on purpose: apt and dnf may still install
// or upgrade what the named packages depend on. docs/INSTALLER.md lists the
// command lines.
//
//   InstallRequest request{.manager = Manager::kApt, .root = "/",
//                          .packages = {{.name = "openssl", .version = "3.0.15-1~deb12u1"}}};
//   Result<InstallReport> report =
//       installPackages(request, options, SystemClock(), sleepingWaiter());

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "installer/child_process.h"

namespace pk::installer {

enum class Manager { kApt, kDnf, kApk };

// Returns "apt", "dnf" or "apk".
std::string_view managerName(Manager manager);

// A package and the version to install, in the manager's own syntax: a
// Debian version for apt ("1:2.3-4"), "[EPOCH:]VERSION-RELEASE" for dnf,
// "VERSION-rN" for apk.
struct PackageTarget {
  std::string name{};
  std::string version{};
};

struct InstallRequest {
  Manager manager = Manager::kApt;
  // "/" for the host itself, or the absolute path of a sandbox root that
  // contains its own package database and repository configuration.
  std::filesystem::path root = "/";
  std::vector<PackageTarget> packages{};
};

// One program run of an install: argv and the environment entries added
// for it ("NAME=value").
struct InstallCommand {
  std::vector<std::string> argv{};
  std::vector<std::string> environment{};
};

// How often a command is run again while another process holds the package
// manager's lock, and how long to wait before each new attempt.
struct LockRetryPolicy {
  int max_attempts = 10;  // attempts in all, including the first; at least 1
  Elapsed wait = std::chrono::seconds(30);
};

// Waits for the given time. Tests pass one that records the request and
// returns at once.
using Waiter = std::function<void(Elapsed)>;

// Returns a Waiter that sleeps the calling thread.
Waiter sleepingWaiter();

struct InstallerOptions {
  // A folder that the installer owns, for the files that a sandbox root
  // needs: apt's configuration file, and the HOME folder whose .rpmmacros
  // points rpm at ROOT/var/lib/rpm. Created when missing. Unused for "/".
  std::filesystem::path work_directory{};
  // Limits for each command; see SupervisedCommand.
  std::chrono::milliseconds timeout = std::chrono::minutes(30);
  std::chrono::milliseconds kill_grace = std::chrono::seconds(30);
  std::size_t max_output_bytes = kDefaultMaxOutputBytes;
  LockRetryPolicy lock_retry{};
  // "NAME=value" entries added to every command's environment after the
  // manager's own, for example a proxy setting or a PATH.
  std::vector<std::string> environment{};
};

// Returns the commands that install `request`, in order: for apt an index
// update and then the install; for dnf and apk the install alone. For a
// sandbox root the commands refer to files under `work_directory`
// (writeSandboxFiles writes them). Fails with kInvalidArgument when the
// request names no package, or when the root is not an absolute path. It
// also fails when the root, a name or a version is empty, starts with '-',
// or contains a blank, a quote or a control character. Names may not
// contain '=', '<', '>', '/' or ':', versions '=', '<', '>' or '/', and the
// root no backslash.
Result<std::vector<InstallCommand>> buildInstallCommands(
    const InstallRequest& request, const std::filesystem::path& work_directory);

// Writes the files that the commands for a sandbox root read. For apt that
// is WORK/apt.conf, which points apt at ROOT before it reads any other
// configuration, so the host's apt.conf.d hooks stay out. For dnf it is
// WORK/home/.rpmmacros with "%_dbpath /var/lib/rpm". Writes nothing for "/"
// or apk. Fails with kIoError naming the file that cannot be written.
Result<void> writeSandboxFiles(const InstallRequest& request,
                               const std::filesystem::path& work_directory);

// Whether `output` contains a message that apt, dpkg, rpm, dnf or apk
// prints when another process holds the package database lock.
bool showsHeldPackageLock(std::string_view output);

// One command as it was run, with the result of its last attempt.
struct CommandReport {
  InstallCommand command{};
  SupervisedResult result{};
  int attempts = 0;
};

struct InstallReport {
  std::vector<CommandReport> commands{};
};

// Validates the request, writes the sandbox files, and runs each command of
// buildInstallCommands under runSupervised with `options`' limits. A
// command that fails with a held-lock message runs again after
// `wait(options.lock_retry.wait)`, up to lock_retry.max_attempts times.
//
// Returns the report when every command exited with status 0. Fails with
// the errors of buildInstallCommands, writeSandboxFiles and runSupervised
// (kNotFound when the package manager is not installed). Fails with
// kNotFound when apt skipped a named package because it is not installed,
// since apt-get runs with --only-upgrade. Fails with kIoError when a command
// timed out, kept failing on a held lock, or failed. Every kIoError message
// quotes the command and its captured output, which contains the failing
// maintainer script's own messages.
Result<InstallReport> installPackages(const InstallRequest& request,
                                      const InstallerOptions& options, const Clock& clock,
                                      const Waiter& wait);

}  // namespace pk::installer
