#pragma once

// An RFC 5545 recurrence rule (RRULE) expanded by libical in floating local
// time: libical is never given a zone, so it cannot shift occurrences across DST.
// The rule's DTSTART is the window's local start; every occurrence has its
// time of day.
//
// Accepted rules: FREQ of DAILY, WEEKLY, MONTHLY or YEARLY, with INTERVAL,
// COUNT or UNTIL (a date or a local date-time without "Z"), BYDAY (with
// ordinals only under MONTHLY and YEARLY), BYMONTHDAY (not under WEEKLY),
// BYYEARDAY (YEARLY only), BYMONTH, BYSETPOS (with another BYxxx part) and
// WKST. BYHOUR, BYMINUTE and BYSECOND and sub-daily frequencies are rejected
// (kInvalidArgument) because a window starts once a day at most, at the time
// of day of its start. Rules that libical 3.0.16 expands wrongly are refused
// with kUnsupported: BYWEEKNO, BYSETPOS under WEEKLY, WEEKLY with an
// INTERVAL whose start is not on a BYDAY weekday or with a WKST other than
// MO, BYMONTHDAY under
// YEARLY without BYMONTH, and a negative BYMONTHDAY under DAILY with INTERVAL
// or BYSETPOS (without those, it is expanded as the equivalent MONTHLY rule). Thread-safe: the rule
// is immutable and every cursor owns its own libical iterator.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "schedule/time_text.h"

namespace pk::schedule {

// The largest COUNT accepted, which bounds the work of expanding a rule
// with COUNT from its DTSTART.
inline constexpr std::int64_t kMaxRecurrenceCount = 100'000;

class RecurrenceCursor;

class RecurrenceRule {
 public:
  // Parses `text` (an RRULE value such as "FREQ=MONTHLY;BYDAY=2TU", with or
  // without a leading "RRULE:", names in any case) anchored at `dtstart`.
  // Fails with kInvalidArgument naming the part that is wrong and why, with
  // kUnsupported for the combinations listed above, and with libical's
  // complaint when libical rejects the rule, including rules
  // that libical proves can never produce an occurrence (FREQ=YEARLY;
  // BYMONTH=2;BYMONTHDAY=30). Other rules that never produce one are found
  // by the caller's bounded searches.
  static Result<RecurrenceRule> parse(std::string_view text, LocalSeconds dtstart);

  // The rule in libical's canonical text form.
  const std::string& text() const { return text_; }
  LocalSeconds dtstart() const { return dtstart_; }
  bool hasCount() const { return has_count_; }

  // Returns a cursor over the occurrence starts at or after `from`, in
  // increasing order. Without COUNT the cursor starts near `from` (libical's
  // icalrecur_iterator_set_start), so its cost does not grow with the
  // distance from DTSTART; with COUNT it walks from DTSTART, which COUNT's
  // cap bounds.
  RecurrenceCursor cursorFrom(LocalSeconds from) const;

 private:
  RecurrenceRule(std::string text, LocalSeconds dtstart, bool has_count, bool weekly_interval)
      : text_(std::move(text)),
        dtstart_(dtstart),
        has_count_(has_count),
        weekly_interval_(weekly_interval) {}

  std::string text_;
  LocalSeconds dtstart_;
  bool has_count_ = false;
  bool weekly_interval_ = false;  // FREQ=WEEKLY with INTERVAL above 1
};

// A forward walk over a rule's occurrence starts. Move-only; not
// thread-safe (use one per thread).
class RecurrenceCursor {
 public:
  RecurrenceCursor(RecurrenceCursor&&) noexcept;
  RecurrenceCursor& operator=(RecurrenceCursor&&) noexcept;
  ~RecurrenceCursor();

  // Returns the next occurrence start, or nullopt when the rule has no more:
  // COUNT or UNTIL reached, or the end of libical's range (the year 2582).
  // A rule that has no occurrence left may make libical search to that year
  // in one call, which takes about 0.3 s (measured on a 2-core machine with
  // libical 3.0.16).
  std::optional<LocalSeconds> next();

 private:
  friend class RecurrenceRule;
  struct Iterator;
  RecurrenceCursor(std::unique_ptr<Iterator> iterator, LocalSeconds skip_before);

  std::unique_ptr<Iterator> iterator_;
  LocalSeconds skip_before_;
};

}  // namespace pk::schedule
