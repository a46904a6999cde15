#pragma once

// The agent's local control protocol, spoken over its Unix socket by
// `patchkeeper-agent status | snooze | restart-now | restart-at`.
//
// A client sends one request line of at most kMaxRequestBytes, ending in
// "\n":
//   status
//   snooze SECONDS            (a positive whole number of seconds)
//   snooze until-countdown
//   restart-now
//   restart-at UNIX_SECONDS   (a UTC instant; the client converts local times)
// The agent sends one reply line, a JSON object, and closes the connection:
//   {"ok": true, "message": "...", "status": {...}}
// where "status" is the restart status after the request (see
// formatControlReply). The agent identifies the caller from the socket, so
// requests carry no user name.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "restart/notice.h"
#include "schedule/zone.h"

namespace pk::desktop {

inline constexpr std::size_t kMaxRequestBytes = 256;
inline constexpr std::size_t kMaxReplyBytes = 1024 * 1024;

enum class ControlVerb { kStatus, kSnooze, kSnoozeUntilCountdown, kRestartNow, kRestartAt };

struct ControlRequest {
  ControlVerb verb = ControlVerb::kStatus;
  std::chrono::seconds snooze{0};  // kSnooze only
  restart::Instant restart_at{};   // kRestartAt only
};

struct ControlReply {
  bool ok = false;
  std::string message;
  std::optional<restart::RestartStatus> status;
};

// Parses one request line, with or without its final "\n". Fails with
// kMalformedInput naming the problem when the line is longer than
// kMaxRequestBytes, contains a control character, names an unknown verb, lacks
// or adds an argument, or has a number that is not a positive whole number
// of seconds within the years 1970 to 9999.
Result<ControlRequest> parseControlRequest(std::string_view line);

// Formats a request as the line parseControlRequest reads, with its "\n".
std::string formatControlRequest(const ControlRequest& request);

// Formats a reply as one JSON line with its "\n". Instants are whole UTC
// seconds since 1970 ("deadline": 1800000000); choices are a list of
// {"kind", "user", "made_at", "snooze_seconds", "restart_at"}.
std::string formatControlReply(const ControlReply& reply);

// Parses a reply line. Fails with kMalformedInput when it is not JSON of the
// shape formatControlReply writes.
Result<ControlReply> parseControlReply(std::string_view line);

// Builds the request for a command-line client's arguments, for the
// commands "status", "snooze", "restart-now" and "restart-at". `argument` is
// the command's one argument, when it has one:
//   snooze DURATION   "1h", "4h", "90m", "PT1H", or "until-countdown";
//   restart-at TIME   "HH:MM" (the next such local time in `zone` after
//                     `now`), a local "YYYY-MM-DDTHH:MM[:SS]" in `zone`, or a
//                     UTC "YYYY-MM-DDTHH:MM[:SS]Z"; it must lie after `now`.
// Fails with kInvalidArgument and a message that shows the expected form when
// the command is unknown, an argument is missing or extra, or it is invalid.
// Whether the agent accepts the duration or time is decided by the agent.
Result<ControlRequest> requestFromArguments(std::string_view command,
                                            std::optional<std::string_view> argument,
                                            const schedule::Zone& zone, restart::Instant now);

// Returns the text `patchkeeper-agent status` prints for a restart status,
// with times in `zone`: one "name: value" line per field and one line per
// choice.
std::string formatStatusText(const restart::RestartStatus& status, const schedule::Zone& zone,
                             restart::Instant now);

}  // namespace pk::desktop
