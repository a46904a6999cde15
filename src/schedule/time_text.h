#pragma once

// Text forms of the times a maintenance window is defined with: local
// date-times and dates (ISO 8601, no zone), window lengths, and the ISO 8601
// forms that output uses. All functions are pure and thread-safe.

#include <chrono>
#include <string>
#include <string_view>

#include <date/date.h>

#include "common/clock.h"
#include "common/error.h"

namespace pk::schedule {

// A wall-clock date and time with no zone attached, in whole seconds.
using LocalSeconds = date::local_seconds;

// The years a local date-time may fall in. libical 3.0 stops expanding
// recurrences after 2582, and dates before 1900 have no use for a window.
inline constexpr int kMinYear = 1900;
inline constexpr int kMaxYear = 2500;

// The maximum window length: a year and a day of wall-clock time.
inline constexpr std::chrono::seconds kMaxLength = std::chrono::hours(24 * 366);

// Parses a local date-time "YYYY-MM-DDTHH:MM[:SS]" (a space may replace the
// "T"). Fails with kInvalidArgument when the text has another shape, names a
// day that does not exist (2026-02-30), a time outside 00:00:00-23:59:59, a
// year outside kMinYear..kMaxYear, or carries a UTC offset or "Z": the zone
// of a window is given separately.
Result<LocalSeconds> parseLocalDateTime(std::string_view text);

// Parses a date "YYYY-MM-DD". Fails with kInvalidArgument as
// parseLocalDateTime does.
Result<date::year_month_day> parseLocalDate(std::string_view text);

// Parses a window length measured on the local wall clock. Accepted forms:
// - one or more number-unit pairs with the units d, h, m, s in that order:
//   "4h", "90m", "56h", "1h30m", "2d", "3600s";
// - an ISO 8601 duration with days and time parts: "PT4H", "PT90M",
//   "P2DT8H", "PT1H30M".
// A day is 24 wall-clock hours. Fails with kInvalidArgument on any other
// text, on a zero or negative length ("0h", "-4h", "PT0S"), and on a length
// above kMaxLength.
Result<std::chrono::seconds> parseWindowLength(std::string_view text);

// Formats a local date-time with its UTC offset in ISO 8601:
// "2027-03-14T03:00:00-04:00". `utc_offset` is local time minus UTC.
std::string formatLocalWithOffset(LocalSeconds local, std::chrono::seconds utc_offset);

// Formats a local date-time without an offset: "2027-03-14T02:00:00".
std::string formatLocal(LocalSeconds local);

// Formats an instant as ISO 8601 UTC in whole seconds: "2027-03-14T07:00:00Z".
std::string formatUtc(SystemTime instant);

// Formats a length as "3h", "6h30m", "2d8h" or "45s" (zero is "0s"; a
// negative length gets a leading "-").
std::string formatLength(std::chrono::seconds length);

}  // namespace pk::schedule
