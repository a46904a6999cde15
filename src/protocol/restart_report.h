#pragma once

// The endpoint restart report: the agent's restart state and every notice
// shown and choice made since the last report.
//
//   POST /api/v1/hosts/{host_id}/restart-state   RestartReport -> 200 RestartReportResponse
//        (host token auth) 400 for a malformed report.
//
// Each event carries an id ("<32 hex series id>-<sequence>") that the
// server stores once per host, so the agent resends a report that got no
// response unchanged and nothing is counted twice. Times are UTC instants.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"

namespace pk::protocol {

inline constexpr std::size_t kMaxRestartEvents = 1000;
inline constexpr std::size_t kMaxRestartJobs = 100;
inline constexpr std::size_t kMaxRestartUserLength = 256;

// "notice", "choice" or "restart_requested".
enum class RestartEventType { kNotice, kChoice, kRestartRequested };

struct RestartEvent {
  std::string event_id;  // 32 lower-case hex digits, '-', a sequence number from 1
  SystemTime at{};
  RestartEventType type = RestartEventType::kNotice;
  // kNotice: "installed", "reminder", "countdown" or "restarting", and the
  // actions offered ("restart-now", "restart-at", "snooze-1h", "snooze-4h",
  // "snooze-until-countdown").
  std::string notice;
  std::vector<std::string> offered;
  // kNotice: the restart time the notice showed.
  std::optional<SystemTime> restart_at;
  // kChoice: "snooze", "snooze-until-countdown", "restart-now" or
  // "restart-at", the login name of the user, and the snooze length or the
  // picked restart time (in restart_at).
  std::string choice;
  std::string user;
  std::optional<std::int64_t> snooze_seconds;
};

struct RestartReport {
  bool pending = false;
  // Set when pending.
  std::optional<SystemTime> required_since;
  std::optional<SystemTime> deadline;
  std::optional<SystemTime> restart_at;
  std::optional<SystemTime> countdown_start;
  std::optional<SystemTime> next_reminder;
  bool in_countdown = false;
  // The boot after the install was seen at this time; the restart is done.
  std::optional<SystemTime> restarted_at;
  std::vector<std::string> job_ids;
  std::vector<RestartEvent> events;
};

struct RestartReportResponse {
  std::int64_t applied = 0;     // events stored now
  std::int64_t duplicates = 0;  // events the server had already
};

std::string_view restartEventTypeName(RestartEventType type);

// Whether `text` is a restart event id: 32 lower-case hex digits, '-', and
// a decimal sequence number from 1 without leading zeros, at most 18 digits.
bool isRestartEventId(std::string_view text);

nlohmann::json toJson(const RestartEvent& event);
nlohmann::json toJson(const RestartReport& report);
nlohmann::json toJson(const RestartReportResponse& response);

// Each parser fails with kMalformedInput naming the field. Beyond types,
// it checks that:
// - event ids, job ids and the names of notices, offers and choices are valid;
// - a pending report carries required_since, deadline, restart_at and
//   countdown_start, with neither the deadline nor restart_at before
//   required_since;
// - users have at most kMaxRestartUserLength bytes and no control characters;
// - snoozes are positive and lists stay within the bounds above.
Result<RestartReport> parseRestartReport(std::string_view text);
Result<RestartReportResponse> parseRestartReportResponse(std::string_view text);

}  // namespace pk::protocol
