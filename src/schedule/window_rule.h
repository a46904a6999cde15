#pragma once

// A maintenance window: when it opens and how long it stays open, and the
// queries a scheduler makes (the next occurrence, the occurrences in a
// range, whether it is open, the time left). docs/WINDOWS.md states the rules
// with examples; in short:
// - the RRULE is expanded by libical in floating local time from the local
//   start (its DTSTART);
// - the offset in days is added to each expanded local date afterwards, so
//   "second Tuesday + 20 days" may fall in the next month;
// - an occurrence ends at its local start plus the length, on the wall clock,
//   so a 02:00-06:00 window ends at 06:00 even on a DST-change day;
// - local times become instants in the window's zone: a nonexistent time
//   moves forward by the gap, an ambiguous time is the first instant;
// - an occurrence belongs to the local day it starts on; exclusion dates
//   remove the occurrences that start on them;
// - a blackout period removes every occurrence that overlaps it, even by a
//   second, not only those that start inside it.
// WindowRule is immutable and thread-safe.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <date/date.h>

#include "common/clock.h"
#include "common/error.h"
#include "schedule/recurrence.h"
#include "schedule/time_text.h"
#include "schedule/zone.h"

namespace pk::schedule {

// A period of local wall-clock time in the window's zone, [start, end).
struct LocalPeriod {
  LocalSeconds start;
  LocalSeconds end;
};

// The fields an administrator sets to define a window.
struct WindowDefinition {
  std::string rrule;               // RFC 5545 RRULE value, see recurrence.h
  LocalSeconds start;              // local date-time of the first possible occurrence
  std::string zone;                // IANA zone name
  std::chrono::seconds length{0};  // wall-clock length, 1 s to kMaxLength
  int offset_days = 0;             // added to each expanded date, -kMaxOffsetDays..kMaxOffsetDays
  std::vector<date::year_month_day> exclusions;  // local days on which no occurrence starts
  std::vector<LocalPeriod> blackouts;            // no occurrence may overlap these
};

// The largest offset in days, either way.
inline constexpr int kMaxOffsetDays = 366;

// The furthest a search for the next occurrence looks ahead of its instant,
// and the longest range occurrencesBetween accepts.
inline constexpr date::years kSearchHorizon{100};

// The maximum number of occurrences that one call returns.
inline constexpr std::size_t kMaxOccurrencesPerCall = 100'000;

// One occurrence of a window, as instants and as the wall clock shows them.
struct Occurrence {
  SystemTime start;                          // UTC instant the window opens
  SystemTime end;                            // UTC instant it closes; never before start
  LocalSeconds local_start;                  // wall clock at `start` (after a gap shift)
  LocalSeconds local_end;                    // wall clock at `end`
  std::chrono::seconds start_utc_offset{0};  // local minus UTC at `start`
  std::chrono::seconds end_utc_offset{0};    // local minus UTC at `end`
  date::year_month_day day;                  // the local day it belongs to: the day it starts

  // The real elapsed time between start and end.
  std::chrono::seconds duration() const {
    return std::chrono::duration_cast<std::chrono::seconds>(end - start);
  }
  friend bool operator==(const Occurrence&, const Occurrence&) = default;
};

class WindowRule {
 public:
  // Validates `definition`. Fails with kInvalidArgument, naming the part
  // that is wrong and why: an invalid RRULE (with libical's complaint where
  // libical rejects it), an unknown zone, a length that is zero, negative or
  // above kMaxLength, an offset beyond kMaxOffsetDays, a blackout that does
  // not end after it starts, or a rule with no occurrence left in the
  // kSearchHorizon after its start once exclusions and blackouts apply.
  // The last check may take libical up to about 0.3 s on a rule that never
  // matches a date.
  static Result<WindowRule> create(WindowDefinition definition);

  const WindowDefinition& definition() const { return definition_; }
  const Zone& zone() const { return zone_; }

  // Returns the first occurrence that starts at or after `at`. An occurrence
  // that started before `at` and is still open does not count (see
  // currentOccurrence). Returns nullopt when the rule has ended (COUNT or
  // UNTIL, or libical's last year, 2582). Fails with kNotFound when no
  // occurrence starts within kSearchHorizon after `at` though the rule goes
  // on (exclusions or blackouts removed them all).
  Result<std::optional<Occurrence>> nextOccurrence(SystemTime at) const;
  Result<std::optional<Occurrence>> nextOccurrence(const Clock& clock) const {
    return nextOccurrence(clock.now());
  }

  // Returns up to `count` occurrences in start order, the first starting at
  // or after `from`. Fewer are returned only when the rule ends. Fails as
  // nextOccurrence does, and with kInvalidArgument when `count` is above
  // kMaxOccurrencesPerCall.
  Result<std::vector<Occurrence>> firstOccurrences(SystemTime from, std::size_t count) const;

  // Returns the occurrences that start in [from, to), in start order. Fails
  // with kInvalidArgument when `to` is more than kSearchHorizon after
  // `from`, or when there are more than kMaxOccurrencesPerCall of them.
  Result<std::vector<Occurrence>> occurrencesBetween(SystemTime from, SystemTime to) const;

  // Returns the occurrence open at `at` (start <= at < end), or nullopt when
  // the window is closed. When occurrences overlap (a length longer than the
  // gap between starts), returns the open one that ends last.
  Result<std::optional<Occurrence>> currentOccurrence(SystemTime at) const;
  Result<std::optional<Occurrence>> currentOccurrence(const Clock& clock) const {
    return currentOccurrence(clock.now());
  }

  // Returns whether an occurrence is open at `at`.
  Result<bool> isOpen(SystemTime at) const;
  Result<bool> isOpen(const Clock& clock) const { return isOpen(clock.now()); }

  // Returns the real time from `at` until the current occurrence closes, or
  // nullopt when the window is closed.
  Result<std::optional<Elapsed>> timeLeft(SystemTime at) const;
  Result<std::optional<Elapsed>> timeLeft(const Clock& clock) const {
    return timeLeft(clock.now());
  }

 private:
  struct BlackoutInstants {
    SystemTime start;
    SystemTime end;
  };
  class Walk;

  WindowRule(WindowDefinition definition, Zone zone, RecurrenceRule rule,
             std::vector<BlackoutInstants> blackouts)
      : definition_(std::move(definition)),
        zone_(zone),
        rule_(std::move(rule)),
        blackouts_(std::move(blackouts)) {}

  // Builds the occurrence whose rule date-time (before the offset) is
  // `rule_start`, or nullopt when an exclusion or a blackout removes it.
  std::optional<Occurrence> occurrenceAt(LocalSeconds rule_start) const;

  WindowDefinition definition_;
  Zone zone_;
  RecurrenceRule rule_;
  std::vector<BlackoutInstants> blackouts_;
};

}  // namespace pk::schedule
