#pragma once

// Restarts the host after an install that requires it, and detects by its
// boot id whether the host has restarted since. The kernel draws a new
// random boot id at every boot.
//
// By default the restart goes to systemd-logind over the system D-Bus
// (org.freedesktop.login1.Manager.Reboot, non-interactive), which runs the
// usual shutdown with its inhibitor locks. A configured fallback command
// replaces it: hosts without logind use "systemctl reboot" or
// "shutdown -r now", and tests use a script that only writes a new boot id
// into a file, so they never restart the machine they run on.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"

namespace pk::agent {

inline constexpr std::string_view kDefaultBootIdPath = "/proc/sys/kernel/random/boot_id";

struct RestartOptions {
  // The program and arguments to run instead of the D-Bus call; empty for
  // the D-Bus call.
  std::vector<std::string> fallback_command{};
  std::filesystem::path boot_id_path{kDefaultBootIdPath};
  std::chrono::milliseconds command_timeout = std::chrono::minutes(2);
};

// Reads the boot id: the file's first line, trimmed. Fails with kNotFound
// when the file is missing, kIoError when it cannot be read, and
// kMalformedInput when it is empty.
Result<std::string> readBootId(const std::filesystem::path& path);

// Requests a restart, either with the fallback command (which must exit
// with status 0) or through logind. Returns once the request was accepted;
// the restart itself happens later. Fails with kIoError, naming the command
// and its output or D-Bus's error, when the request fails.
Result<void> requestRestart(const RestartOptions& options, const Clock& clock);

}  // namespace pk::agent
