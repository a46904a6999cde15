#pragma once

// The words and arguments of patchkeeper-countdown.exe, the final restart
// countdown window, kept apart from the Win32 window so they are tested on
// their own. Pure functions.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "restart/notice.h"

namespace pk::winagent {

// The window class of the countdown window; tests and the service find the
// window by it.
inline constexpr std::wstring_view kCountdownWindowClass = L"patchkeeperCountdown";

// Formats a remaining time as "H:MM:SS" ("1:29:59"); negative times are
// "0:00:00".
std::string formatCountdownRemaining(std::chrono::seconds remaining);

// The window's title for `remaining` time: "Restart in 1:29:59", or
// "Restarting now" once no time is left.
std::string formatCountdownTitle(std::chrono::seconds remaining);

// Parses the countdown program's arguments (without the program name):
// "--until UNIX_SECONDS", the restart instant in whole seconds since the
// Unix epoch, UTC. Fails with kInvalidArgument naming the argument that
// is missing, unknown or not a positive whole number.
Result<restart::Instant> parseCountdownArguments(const std::vector<std::string>& arguments);

// The command line that starts the countdown window for `restart_at`:
// the quoted program path and "--until UNIX_SECONDS".
std::wstring countdownCommandLine(const std::wstring& program, restart::Instant restart_at);

}  // namespace pk::winagent
