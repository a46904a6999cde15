#include "winagent/countdown_text.h"

#include <charconv>

#include <fmt/format.h>

namespace pk::winagent {

std::string formatCountdownRemaining(std::chrono::seconds remaining) {
  const long long total = std::max<long long>(remaining.count(), 0);
  return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
}

std::string formatCountdownTitle(std::chrono::seconds remaining) {
  if (remaining.count() <= 0) return "Restarting now";
  return "Restart in " + formatCountdownRemaining(remaining);
}

Result<restart::Instant> parseCountdownArguments(const std::vector<std::string>& arguments) {
  std::optional<restart::Instant> until;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i] != "--until") {
      return fail(
          ErrorCode::kInvalidArgument,
          fmt::format("Unknown argument \"{}\". Usage: --until UNIX_SECONDS.", arguments[i]));
    }
    if (i + 1 == arguments.size()) {
      return fail(ErrorCode::kInvalidArgument,
                  "--until needs the restart time in seconds since 1970-01-01 UTC.");
    }
    const std::string& text = arguments[++i];
    long long seconds = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc() || end != text.data() + text.size() || seconds <= 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--until \"{}\" is not a positive whole number of seconds.", text));
    }
    until = restart::Instant(std::chrono::seconds(seconds));
  }
  if (!until) {
    return fail(ErrorCode::kInvalidArgument, "Missing --until UNIX_SECONDS, the restart time.");
  }
  return *until;
}

std::wstring countdownCommandLine(const std::wstring& program, restart::Instant restart_at) {
  return L"\"" + program + L"\" --until " + std::to_wstring(restart_at.time_since_epoch().count());
}

}  // namespace pk::winagent
