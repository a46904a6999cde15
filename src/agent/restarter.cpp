#include "agent/restarter.h"

#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "installer/child_process.h"

namespace pk::agent {
namespace {

Result<void> restartThroughLogind() {
  sd_bus* bus = nullptr;
  int opened = sd_bus_open_system(&bus);
  if (opened < 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot connect to the system D-Bus to restart through "
                            "systemd-logind: {}; configure restart_command instead",
                            std::strerror(-opened)));
  }
  // Zero-initialised, as SD_BUS_ERROR_NULL does; that macro is a C compound
  // literal, which -Wpedantic rejects in C++.
  sd_bus_error error{};
  sd_bus_message* reply = nullptr;
  // Reboot(b interactive): false, because no one is there to answer a
  // polkit prompt.
  const int called =
      sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
                         "org.freedesktop.login1.Manager", "Reboot", &error, &reply, "b", 0);
  std::string message;
  if (called < 0) {
    message = fmt::format("systemd-logind did not accept the restart request: {}",
                          error.message != nullptr ? error.message : std::strerror(-called));
  }
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  sd_bus_flush_close_unref(bus);
  if (called < 0) return fail(ErrorCode::kIoError, message);
  return {};
}

}  // namespace

Result<std::string> readBootId(const std::filesystem::path& path) {
  std::ifstream file(path);
  if (!file) {
    const int error_number = errno;
    if (error_number == ENOENT) {
      return fail(ErrorCode::kNotFound,
                  fmt::format("boot id file {} does not exist", path.string()));
    }
    return fail(ErrorCode::kIoError, fmt::format("cannot read boot id file {}: {}", path.string(),
                                                 std::strerror(error_number)));
  }
  std::string line;
  std::getline(file, line);
  const auto first = line.find_first_not_of(" \t\r");
  if (first == std::string::npos) {
    return fail(ErrorCode::kMalformedInput, fmt::format("boot id file {} is empty", path.string()));
  }
  const auto last = line.find_last_not_of(" \t\r");
  return line.substr(first, last - first + 1);
}

Result<void> requestRestart(const RestartOptions& options, const Clock& clock) {
  if (options.fallback_command.empty()) return restartThroughLogind();

  installer::SupervisedCommand command{.argv = options.fallback_command,
                                       .timeout = options.command_timeout,
                                       .kill_grace = std::chrono::seconds(5)};
  auto result = installer::runSupervised(command, clock);
  if (!result) return tl::unexpected(result.error());
  if (!result->succeeded()) {
    return fail(ErrorCode::kIoError,
                fmt::format("restart command {} failed (exit status {}{}): {}",
                            options.fallback_command.front(), result->exit_code,
                            result->timed_out ? ", timed out" : "", result->output));
  }
  return {};
}

}  // namespace pk::agent
