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
// All functions are pure and thread-safe.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "schedule/window_rule.h"
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

// Escapes an iCalendar TEXT value: backslash, semicolon, comma and line
// breaks (RFC 5545 section 3.3.11). Control characters other than tab are
// dropped.
std::string escapeICalendarText(std::string_view text);

// Folds one content line (without its CRLF) into lines of at most 75
// octets joined by CRLF and a space, without splitting a UTF-8 character.
std::string foldICalendarLine(std::string_view line);

}  // namespace pk::server
