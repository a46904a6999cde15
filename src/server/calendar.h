#pragma once

// The occurrences of stored maintenance windows, and the iCalendar (RFC
// 5545) text that calendar apps subscribe to.
//
// A feed publishes each occurrence as its own VEVENT with explicit start
// and end, never as an RRULE: an offset in days ("second Tuesday + 20
// days") and the wall-clock rules on DST-change days cannot be written as
// one RRULE that every app expands the same way. Start and end carry the
// window's TZID, and every zone used gets a VTIMEZONE block built from the
// tz database's transitions over the published range. A start or end that
// is ambiguous on the wall clock (the repeated fall-back hour) is written
// in UTC instead, because apps disagree about which of its two instants a
// local time names. Each event's UID is the window id and the occurrence's
// local start, so an occurrence keeps its UID across fetches while the
// window's rule stays the same.
//
// Deployments publish their dates beside the windows: when a deployment
// becomes available, when each ring starts (as it happened, or as planned:
// the previous ring's start plus its minimum soak), and its deadline. Each
// is an instant, written in UTC, with a UID made of the deployment id and
// the kind of date, so a calendar app moves the event when a planned date
// changes rather than adding a second one.
//
// All functions are pure and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "schedule/window_rule.h"
#include "store/deployment_repository.h"
#include "store/window_repository.h"

namespace pk::server {

// Builds the schedule rule of a stored window. Fails with kInvalidArgument
// naming the part that does not parse or validate (the routes check a rule
// before storing it, so a stored rule fails only after a tz database change
// removed its zone).
Result<schedule::WindowRule> windowRuleOf(const store::WindowRecord& window);

// The occurrence as the API shows it: start and end in local time with
// their UTC offset and in UTC, the local day, and the real length:
// {"start_local", "end_local", "start_utc", "end_utc", "day", "duration_s"}.
nlohmann::json occurrenceToJson(const schedule::Occurrence& occurrence);

// One occurrence of one window in a feed or the calendar.
struct CalendarEvent {
  std::string window_id;
  std::string window_name;
  std::string zone;  // the window's IANA zone
  schedule::Occurrence occurrence;
  // Extra lines for the event's description: the servers a host or
  // collection feed is about. Empty for window feeds.
  std::vector<std::string> notes;
};

// One date of a deployment.
struct DeploymentDate {
  std::string deployment_id;
  std::string deployment_name;
  std::string deployment_status;
  std::string kind;                           // "available", "ring_start" or "deadline"
  std::optional<std::int64_t> ring_position;  // ring_start only, 0 for the first ring
  std::string ring_name;                      // ring_start only
  SystemTime at{};
  bool planned = false;    // a ring start still to come, from the soak times
  bool cancelled = false;  // the deployment halted or was cancelled before this date
};

// The dates of `deployment`, in order: available, each ring's start, the
// deadline. A ring start is the time the ring was entered, or else the
// previous ring's start plus that ring's minimum soak (the first ring's
// plan is available_at). Dates that a halted or cancelled deployment never
// reached are marked cancelled.
std::vector<DeploymentDate> deploymentDates(const store::DeploymentRecord& deployment);

// {"type": "deployment_available" | "deployment_ring_start" |
// "deployment_deadline", "at", "deployment_id", "deployment_name",
// "deployment_status", "planned", "cancelled", "ring_position",
// "ring_name"}; the ring fields are null except for a ring start.
nlohmann::json deploymentDateToJson(const DeploymentDate& date);

struct ICalendarOptions {
  std::string calendar_name;  // X-WR-CALNAME, "patchkeeper: all windows"
  SystemTime generated_at;    // DTSTAMP of every event
  SystemTime from;            // the published range, for the VTIMEZONE blocks
  SystemTime to;
};

// Writes a VCALENDAR 2.0 with PRODID, one VTIMEZONE per zone of `events`
// and one VEVENT per event, with CRLF line endings, lines folded at 75
// octets (never inside a UTF-8 character) and text values escaped.
std::string writeICalendar(const std::vector<CalendarEvent>& events,
                           const ICalendarOptions& options);

// As above, with one VEVENT per deployment date after the windows': a
// DTSTART in UTC and no DTEND (an instant), TRANSP:TRANSPARENT, and
// STATUS:CANCELLED for a cancelled date.
std::string writeICalendar(const std::vector<CalendarEvent>& events,
                           const std::vector<DeploymentDate>& dates,
                           const ICalendarOptions& options);

// Escapes an iCalendar TEXT value: backslash, semicolon, comma and line
// breaks (RFC 5545 section 3.3.11). Control characters other than tab are
// dropped.
std::string escapeICalendarText(std::string_view text);

// Folds one content line (without its CRLF) into lines of at most 75
// octets joined by CRLF and a space, without splitting a UTF-8 character.
std::string foldICalendarLine(std::string_view line);

}  // namespace pk::server
