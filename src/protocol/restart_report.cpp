#include "protocol/restart_report.h"

#include <algorithm>
#include <array>

#include "protocol/jobs.h"
#include "protocol/message_reader.h"

namespace pk::protocol {
namespace {

using Json = nlohmann::json;
using detail::FieldError;
using detail::indexPath;
using detail::isLowerHex;
using detail::ObjectReader;
using detail::parseMessage;

constexpr std::array<std::string_view, 4> kNoticeKinds{"installed", "reminder", "countdown",
                                                       "restarting"};
constexpr std::array<std::string_view, 5> kOffers{"restart-now", "restart-at", "snooze-1h",
                                                  "snooze-4h", "snooze-until-countdown"};
constexpr std::array<std::string_view, 4> kChoices{"snooze", "snooze-until-countdown",
                                                   "restart-now", "restart-at"};

// A week: the longest snooze a report may carry.
constexpr std::int64_t kMaxSnoozeSeconds = 7 * 24 * 3600;

template <std::size_t N>
bool isOneOf(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Json optionalTime(const std::optional<SystemTime>& time) {
  return time ? Json(formatRfc3339(*time)) : Json(nullptr);
}

std::string readName(const ObjectReader& reader, std::string_view key, const auto& names,
                     std::string_view what) {
  std::string name = reader.string(key);
  if (!isOneOf(names, name)) {
    throw FieldError{reader.field(key), "\"" + name + "\" is not " + std::string(what)};
  }
  return name;
}

std::string readUser(const ObjectReader& reader) {
  std::string user = reader.nonEmptyString("user");
  if (user.size() > kMaxRestartUserLength) {
    throw FieldError{reader.field("user"), "is longer than 256 bytes"};
  }
  const bool control = std::any_of(user.begin(), user.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control) throw FieldError{reader.field("user"), "contains a control character"};
  return user;
}

RestartEvent readEvent(const Json& document, const std::string& path) {
  ObjectReader reader(document, path);
  RestartEvent event;
  event.event_id = reader.string("event_id");
  if (!isRestartEventId(event.event_id)) {
    throw FieldError{reader.field("event_id"),
                     "must be 32 lower-case hex digits, '-' and a sequence number"};
  }
  event.at = reader.time("at");
  const std::string type = reader.string("type");
  if (type == "notice") {
    event.type = RestartEventType::kNotice;
    event.notice = readName(reader, "notice", kNoticeKinds, "a notice kind");
    const std::vector<std::string> offered = reader.stringList("offered", kOffers.size());
    for (std::size_t i = 0; i < offered.size(); ++i) {
      if (!isOneOf(kOffers, offered[i])) {
        throw FieldError{indexPath(reader.field("offered"), i),
                         "\"" + offered[i] + "\" is not an action a notice offers"};
      }
    }
    event.offered = offered;
    event.restart_at = reader.optionalTime("restart_at");
  } else if (type == "choice") {
    event.type = RestartEventType::kChoice;
    event.choice = readName(reader, "choice", kChoices, "a choice");
    event.user = readUser(reader);
    event.snooze_seconds = reader.optionalInteger("snooze_seconds", 1, kMaxSnoozeSeconds);
    event.restart_at = reader.optionalTime("restart_at");
    if (event.choice == "snooze" && !event.snooze_seconds) {
      throw FieldError{reader.field("snooze_seconds"), "is missing for a snooze"};
    }
    if (event.choice == "restart-at" && !event.restart_at) {
      throw FieldError{reader.field("restart_at"), "is missing for a restart time"};
    }
  } else if (type == "restart_requested") {
    event.type = RestartEventType::kRestartRequested;
  } else {
    throw FieldError{reader.field("type"),
                     "must be \"notice\", \"choice\" or \"restart_requested\""};
  }
  return event;
}

}  // namespace

std::string_view restartEventTypeName(RestartEventType type) {
  switch (type) {
    case RestartEventType::kNotice:
      return "notice";
    case RestartEventType::kChoice:
      return "choice";
    case RestartEventType::kRestartRequested:
      return "restart_requested";
  }
  return "notice";
}

bool isRestartEventId(std::string_view text) {
  if (text.size() < 34 || text[32] != '-' || !isLowerHex(text.substr(0, 32), 32)) return false;
  const std::string_view sequence = text.substr(33);
  if (sequence.size() > 18 || sequence.front() == '0') return false;
  return std::all_of(sequence.begin(), sequence.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Json toJson(const RestartEvent& event) {
  Json json{{"event_id", event.event_id},
            {"at", formatRfc3339(event.at)},
            {"type", restartEventTypeName(event.type)}};
  switch (event.type) {
    case RestartEventType::kNotice:
      json["notice"] = event.notice;
      json["offered"] = event.offered;
      json["restart_at"] = optionalTime(event.restart_at);
      break;
    case RestartEventType::kChoice:
      json["choice"] = event.choice;
      json["user"] = event.user;
      json["snooze_seconds"] = event.snooze_seconds ? Json(*event.snooze_seconds) : Json(nullptr);
      json["restart_at"] = optionalTime(event.restart_at);
      break;
    case RestartEventType::kRestartRequested:
      break;
  }
  return json;
}

Json toJson(const RestartReport& report) {
  Json events = Json::array();
  for (const auto& event : report.events) events.push_back(toJson(event));
  return {{"pending", report.pending},
          {"required_since", optionalTime(report.required_since)},
          {"deadline", optionalTime(report.deadline)},
          {"restart_at", optionalTime(report.restart_at)},
          {"countdown_start", optionalTime(report.countdown_start)},
          {"next_reminder", optionalTime(report.next_reminder)},
          {"in_countdown", report.in_countdown},
          {"restarted_at", optionalTime(report.restarted_at)},
          {"job_ids", report.job_ids},
          {"events", events}};
}

Json toJson(const RestartReportResponse& response) {
  return {{"applied", response.applied}, {"duplicates", response.duplicates}};
}

Result<RestartReport> parseRestartReport(std::string_view text) {
  return parseMessage<RestartReport>("restart report", text, [](const Json& document) {
    ObjectReader reader(document, "");
    RestartReport report;
    report.pending = reader.boolean("pending");
    report.required_since = reader.optionalTime("required_since");
    report.deadline = reader.optionalTime("deadline");
    report.restart_at = reader.optionalTime("restart_at");
    report.countdown_start = reader.optionalTime("countdown_start");
    report.next_reminder = reader.optionalTime("next_reminder");
    report.in_countdown = reader.optionalBoolean("in_countdown", false);
    report.restarted_at = reader.optionalTime("restarted_at");
    if (report.pending) {
      for (const char* key : {"required_since", "deadline", "restart_at", "countdown_start"}) {
        (void)reader.time(key);  // throws "is missing" for a pending report
      }
      // A countdown that starts late, after the machine slept through the
      // deadline, ends a countdown after waking, so restart_at has no upper
      // bound relative to the deadline.
      if (*report.restart_at < *report.required_since) {
        throw FieldError{"restart_at", "is earlier than required_since"};
      }
      if (*report.deadline < *report.required_since) {
        throw FieldError{"deadline", "is earlier than required_since"};
      }
      if (*report.countdown_start > *report.restart_at) {
        throw FieldError{"countdown_start", "is later than restart_at"};
      }
      if (report.in_countdown && report.next_reminder) {
        throw FieldError{"next_reminder", "is set during the countdown"};
      }
      if (report.restarted_at) {
        throw FieldError{"restarted_at", "is set while the restart is pending"};
      }
    } else {
      // A report with no pending restart carries none of its times.
      for (const char* key :
           {"required_since", "deadline", "restart_at", "countdown_start", "next_reminder"}) {
        if (reader.optionalTime(key)) {
          throw FieldError{key, "is set while no restart is pending"};
        }
      }
      if (report.in_countdown)
        throw FieldError{"in_countdown", "is true while no restart is pending"};
    }

    report.job_ids = reader.stringList("job_ids", kMaxRestartJobs);
    for (std::size_t i = 0; i < report.job_ids.size(); ++i) {
      if (!isJobId(report.job_ids[i])) {
        throw FieldError{indexPath("job_ids", i), "must be \"j-\" followed by 16 hex digits"};
      }
    }
    const Json& events = reader.array("events", kMaxRestartEvents);
    for (std::size_t i = 0; i < events.size(); ++i) {
      report.events.push_back(readEvent(events[i], indexPath("events", i)));
    }
    return report;
  });
}

Result<RestartReportResponse> parseRestartReportResponse(std::string_view text) {
  return parseMessage<RestartReportResponse>(
      "restart report response", text, [](const Json& document) {
        ObjectReader reader(document, "");
        RestartReportResponse response;
        response.applied = reader.integer("applied", 0, INT64_MAX);
        response.duplicates = reader.integer("duplicates", 0, INT64_MAX);
        return response;
      });
}

}  // namespace pk::protocol
