#include "installer/installer.h"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <system_error>
#include <thread>

namespace pk::installer {
namespace {

namespace fs = std::filesystem;

// Messages printed when another process holds the package database lock.
// Sources: apt 2.6 (libapt-pkg), dpkg 1.21, rpm 4.18, dnf 4.14 run with
// exit_on_lock, and apk-tools 2.
constexpr std::array<std::string_view, 7> kHeldLockMessages = {
    "Could not get lock",                           // apt: lock-frontend, lists/lock, archives/lock
    "Unable to acquire the dpkg frontend lock",     // apt
    "Unable to lock the administration directory",  // apt
    "was locked by another process",                // dpkg: frontend and database locks
    "can't create transaction lock",                // rpm
    "already locked by",                            // dnf: "RPMDB already locked by PID"
    "Unable to lock database",                      // apk
};

// apt-get with --only-upgrade prints this and exits 0 for a named package
// that is not installed.
constexpr std::string_view kAptSkippedPrefix = "Skipping ";
constexpr std::string_view kAptSkippedSuffix =
    ", it is not installed and only upgrades are requested.";

bool isSandbox(const fs::path& root) {
  return root != "/";
}

fs::path aptConfigPath(const fs::path& work_directory) {
  return work_directory / "apt.conf";
}
fs::path dnfHomePath(const fs::path& work_directory) {
  return work_directory / "home";
}

// Rejects what a package manager could read as an option or a second
// argument, and what cannot be a package name or version in any of them.
Result<void> validateWord(std::string_view word, std::string_view what,
                          std::string_view extra_forbidden) {
  if (word.empty()) return fail(ErrorCode::kInvalidArgument, fmt::format("{} is empty", what));
  if (word.front() == '-') {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{} '{}' starts with '-' and would be read as an option", what, word));
  }
  for (const char c : word) {
    const bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    if (control || c == ' ' || c == '"' || c == '\'' ||
        extra_forbidden.find(c) != std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{} '{}' contains a character that no package manager allows here",
                              what, word));
    }
  }
  return {};
}

Result<void> validateRequest(const InstallRequest& request) {
  if (request.packages.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the install request names no package");
  }
  if (!request.root.is_absolute()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("root '{}' is not an absolute path", request.root.string()));
  }
  if (auto valid = validateWord(request.root.string(), "root", "\\"); !valid) return valid;
  for (const PackageTarget& package : request.packages) {
    if (auto valid = validateWord(package.name, "package name", "=<>/:"); !valid) return valid;
    if (auto valid = validateWord(package.version, "version of " + package.name, "=<>/"); !valid) {
      return valid;
    }
  }
  return {};
}

std::vector<InstallCommand> aptCommands(const InstallRequest& request,
                                        const fs::path& work_directory) {
  std::vector<std::string> common_options{"-q"};
  std::vector<std::string> environment{"DEBIAN_FRONTEND=noninteractive",
                                       "APT_LISTCHANGES_FRONTEND=none"};
  if (isSandbox(request.root)) {
    // apt reads $APT_CONFIG before its configuration folder, so the file
    // that sets Dir also keeps the host's /etc/apt/apt.conf.d (and its
    // dpkg hooks) out. dpkg gets --root for its files and database,
    // --force-script-chrootless to run maintainer scripts without chroot
    // (with DPKG_ROOT set for them), and its own log under ROOT.
    const std::string root = request.root.string();
    environment.push_back("APT_CONFIG=" + aptConfigPath(work_directory).string());
    for (const std::string& option :
         {"Dir=" + root, "Dir::State::status=" + root + "/var/lib/dpkg/status",
          "DPkg::Options::=--root=" + root,
          std::string("DPkg::Options::=--force-script-chrootless"),
          "DPkg::Options::=--log=" + root + "/var/log/dpkg.log"}) {
      common_options.push_back("-o");
      common_options.push_back(option);
    }
  }

  InstallCommand update{.argv = {"apt-get"}, .environment = environment};
  update.argv.insert(update.argv.end(), common_options.begin(), common_options.end());
  update.argv.push_back("update");

  InstallCommand install{.argv = {"apt-get"}, .environment = environment};
  install.argv.insert(install.argv.end(), common_options.begin(), common_options.end());
  for (const char* option :
       {"-y", "--no-install-recommends", "--only-upgrade", "-o", "DPkg::Options::=--force-confdef",
        "-o", "DPkg::Options::=--force-confold", "install"}) {
    install.argv.push_back(option);
  }
  for (const PackageTarget& package : request.packages) {
    install.argv.push_back(package.name + "=" + package.version);
  }
  return {std::move(update), std::move(install)};
}

std::vector<InstallCommand> dnfCommands(const InstallRequest& request,
                                        const fs::path& work_directory) {
  // exit_on_lock makes dnf fail at once on a held lock instead of waiting
  // without limit, so the retry policy applies.
  InstallCommand install{
      .argv = {"dnf", "-y", "--setopt=install_weak_deps=False", "--setopt=exit_on_lock=True"}};
  if (isSandbox(request.root)) {
    install.argv.push_back("--installroot=" + request.root.string());
    install.environment.push_back("HOME=" + dnfHomePath(work_directory).string());
  }
  // `dnf install NAME-VERSION` upgrades an installed package to exactly
  // that version and leaves every other package alone.
  install.argv.push_back("install");
  for (const PackageTarget& package : request.packages) {
    install.argv.push_back(package.name + "-" + package.version);
  }
  return {std::move(install)};
}

std::vector<InstallCommand> apkCommands(const InstallRequest& request) {
  InstallCommand install{.argv = {"apk", "add", "--root", request.root.string()}};
  for (const PackageTarget& package : request.packages) {
    install.argv.push_back(package.name + "=" + package.version);
  }
  return {std::move(install)};
}

Result<void> writeText(const fs::path& path, std::string_view text) {
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (error || !file) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot write {}; check that the installer's work directory is "
                            "writable",
                            path.string()));
  }
  return {};
}

std::string quoteCommand(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& argument : argv) {
    if (!text.empty()) text += ' ';
    if (argument.find_first_of(" \t'\"") == std::string::npos) {
      text += argument;
    } else {
      text += "'" + argument + "'";
    }
  }
  return text;
}

// Returns the names that apt skipped because they are not installed.
std::vector<std::string> aptSkippedPackages(std::string_view output) {
  std::vector<std::string> names;
  std::size_t at = 0;
  while ((at = output.find(kAptSkippedSuffix, at)) != std::string_view::npos) {
    const std::size_t line_start = output.rfind('\n', at);
    const std::size_t begin = line_start == std::string_view::npos ? 0 : line_start + 1;
    const std::string_view line = output.substr(begin, at - begin);
    if (line.starts_with(kAptSkippedPrefix)) {
      names.emplace_back(line.substr(kAptSkippedPrefix.size()));
    }
    at += kAptSkippedSuffix.size();
  }
  return names;
}

std::string describeResult(const SupervisedResult& result) {
  if (result.timed_out) return "timed out and was stopped";
  if (result.signal != 0) return fmt::format("was ended by signal {}", result.signal);
  return fmt::format("failed with exit status {}", result.exit_code);
}

// Runs `command`, again after a wait for as long as it fails on a held lock
// and attempts remain.
Result<CommandReport> runWithLockRetry(const InstallRequest& request, const InstallCommand& command,
                                       const InstallerOptions& options, const Clock& clock,
                                       const Waiter& wait) {
  std::vector<std::string> environment = command.environment;
  environment.insert(environment.end(), options.environment.begin(), options.environment.end());
  const SupervisedCommand supervised{.argv = command.argv,
                                     .environment = std::move(environment),
                                     .working_directory = {},
                                     .timeout = options.timeout,
                                     .kill_grace = options.kill_grace,
                                     .max_output_bytes = options.max_output_bytes};
  const int max_attempts = std::max(1, options.lock_retry.max_attempts);
  CommandReport report{.command = command};
  while (true) {
    Result<SupervisedResult> result = runSupervised(supervised, clock);
    if (!result) return tl::unexpected(result.error());
    ++report.attempts;
    report.result = std::move(*result);
    if (report.result.succeeded()) return report;

    const bool lock_held = !report.result.timed_out && showsHeldPackageLock(report.result.output);
    if (!lock_held) {
      return fail(ErrorCode::kIoError,
                  fmt::format("{} could not install on {}: `{}` {}; output:\n{}",
                              managerName(request.manager), request.root.string(),
                              quoteCommand(command.argv), describeResult(report.result),
                              report.result.output));
    }
    if (report.attempts >= max_attempts) {
      return fail(ErrorCode::kIoError,
                  fmt::format("{} could not install on {}: another process held the package "
                              "lock through all {} attempts of `{}`; try again once the other "
                              "package manager run has finished; last output:\n{}",
                              managerName(request.manager), request.root.string(), report.attempts,
                              quoteCommand(command.argv), report.result.output));
    }
    wait(options.lock_retry.wait);
  }
}

}  // namespace

std::string_view managerName(Manager manager) {
  switch (manager) {
    case Manager::kApt:
      return "apt";
    case Manager::kDnf:
      return "dnf";
    case Manager::kApk:
      return "apk";
  }
  return "unknown";
}

Waiter sleepingWaiter() {
  return [](Elapsed duration) { std::this_thread::sleep_for(duration); };
}

Result<std::vector<InstallCommand>> buildInstallCommands(const InstallRequest& request,
                                                         const fs::path& work_directory) {
  if (auto valid = validateRequest(request); !valid) return tl::unexpected(valid.error());
  switch (request.manager) {
    case Manager::kApt:
      return aptCommands(request, work_directory);
    case Manager::kDnf:
      return dnfCommands(request, work_directory);
    case Manager::kApk:
      return apkCommands(request);
  }
  return fail(ErrorCode::kInvalidArgument, "unknown package manager");
}

Result<void> writeSandboxFiles(const InstallRequest& request, const fs::path& work_directory) {
  if (!isSandbox(request.root)) return {};
  switch (request.manager) {
    case Manager::kApt:
      return writeText(aptConfigPath(work_directory),
                       fmt::format("Dir \"{}/\";\n", request.root.string()));
    case Manager::kDnf:
      // Debian's rpm sets %_dbpath to a folder under HOME, but patchkeeper's
      // inventory reads ROOT/var/lib/rpm.
      return writeText(dnfHomePath(work_directory) / ".rpmmacros", "%_dbpath /var/lib/rpm\n");
    case Manager::kApk:
      return {};
  }
  return {};
}

bool showsHeldPackageLock(std::string_view output) {
  for (const std::string_view message : kHeldLockMessages) {
    if (output.find(message) != std::string_view::npos) return true;
  }
  return false;
}

Result<InstallReport> installPackages(const InstallRequest& request,
                                      const InstallerOptions& options, const Clock& clock,
                                      const Waiter& wait) {
  Result<std::vector<InstallCommand>> commands =
      buildInstallCommands(request, options.work_directory);
  if (!commands) return tl::unexpected(commands.error());
  if (auto written = writeSandboxFiles(request, options.work_directory); !written) {
    return tl::unexpected(written.error());
  }

  InstallReport report;
  for (const InstallCommand& command : *commands) {
    Result<CommandReport> ran = runWithLockRetry(request, command, options, clock, wait);
    if (!ran) return tl::unexpected(ran.error());
    report.commands.push_back(std::move(*ran));
  }

  // --only-upgrade turns a package that is not installed into a message and
  // exit status 0, but the patch did not reach the host.
  if (request.manager == Manager::kApt) {
    const std::vector<std::string> skipped =
        aptSkippedPackages(report.commands.back().result.output);
    if (!skipped.empty()) {
      return fail(ErrorCode::kNotFound,
                  fmt::format("apt did not install {} on {}: not installed there, and the "
                              "installer only upgrades installed packages",
                              fmt::join(skipped, ", "), request.root.string()));
    }
  }
  return report;
}

}  // namespace pk::installer
