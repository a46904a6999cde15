#include "schedule/recurrence.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <libical/ical.h>

namespace pk::schedule {
namespace {

constexpr std::array<std::string_view, 7> kWeekdays = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};
constexpr std::array<std::string_view, 4> kFrequencies = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"};
constexpr std::array<std::string_view, 11> kKnownParts = {
    "FREQ",      "INTERVAL", "COUNT",   "UNTIL",    "BYDAY", "BYMONTHDAY",
    "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::optional<long> parseInteger(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::size_t start = (text.front() == '+' || text.front() == '-') ? 1 : 0;
  long value = 0;
  auto [end, error] = std::from_chars(text.data() + start, text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || start == text.size()) {
    return std::nullopt;
  }
  return text.front() == '-' ? -value : value;
}

std::vector<std::string_view> splitList(std::string_view text) {
  std::vector<std::string_view> items;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    items.push_back(text.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

// The parts of one rule, checked one by one so that each error names its
// part. libical's own parser only reports "malformed data".
class RuleChecker {
 public:
  explicit RuleChecker(std::string_view rule) : rule_(rule) {}

  Result<void> check(const std::map<std::string, std::string, std::less<>>& parts) {
    auto freq = parts.find("FREQ");
    if (freq == parts.end())
      return invalid(
          "FREQ is missing; start with FREQ=DAILY, WEEKLY, "
          "MONTHLY or YEARLY");
    frequency_ = freq->second;
    if (frequency_ == "SECONDLY" || frequency_ == "MINUTELY" || frequency_ == "HOURLY") {
      return invalid(
          fmt::format("FREQ={} is not supported: a maintenance window repeats at most "
                      "daily, at the time of day of its start",
                      frequency_));
    }
    if (!contains(kFrequencies, frequency_)) {
      return invalid(fmt::format("FREQ={} is not a frequency; use DAILY, WEEKLY, MONTHLY or YEARLY",
                                 frequency_));
    }
    bool by_month = parts.count("BYMONTH") > 0;
    bool by_week_no = parts.count("BYWEEKNO") > 0;

    for (const auto& [name, value] : parts) {
      Result<void> checked;
      if (name == "INTERVAL") {
        checked = checkNumbers(name, value, 1, 10'000, false, false);
      } else if (name == "COUNT") {
        checked = checkNumbers(name, value, 1, kMaxRecurrenceCount, false, false);
      } else if (name == "UNTIL") {
        checked = checkUntil(value);
      } else if (name == "BYMONTH") {
        checked = checkNumbers(name, value, 1, 12, true, false);
      } else if (name == "BYMONTHDAY") {
        checked = frequency_ == "WEEKLY" ? invalid("BYMONTHDAY cannot be used with FREQ=WEEKLY")
                                         : checkNumbers(name, value, 1, 31, true, true);
      } else if (name == "BYYEARDAY") {
        checked = frequency_ != "YEARLY" ? invalid("BYYEARDAY can only be used with FREQ=YEARLY")
                                         : checkNumbers(name, value, 1, 366, true, true);
      } else if (name == "BYWEEKNO") {
        checked = frequency_ != "YEARLY" ? invalid("BYWEEKNO can only be used with FREQ=YEARLY")
                                         : checkNumbers(name, value, 1, 53, true, true);
      } else if (name == "BYSETPOS") {
        checked = checkNumbers(name, value, 1, 366, true, true);
      } else if (name == "BYDAY") {
        checked = checkByDay(value, by_month, by_week_no);
      } else if (name == "WKST") {
        checked = contains(kWeekdays, value)
                      ? Result<void>{}
                      : invalid(fmt::format("WKST={} is not a weekday (MO, TU, ...)", value));
      }
      if (!checked) return checked;
    }

    if (parts.count("COUNT") > 0 && parts.count("UNTIL") > 0) {
      return invalid("COUNT and UNTIL cannot both be given; keep one");
    }
    if (parts.count("BYSETPOS") > 0) {
      bool has_other_by = std::any_of(parts.begin(), parts.end(), [](const auto& part) {
        return part.first.rfind("BY", 0) == 0 && part.first != "BYSETPOS";
      });
      if (!has_other_by) {
        return invalid("BYSETPOS needs another BYxxx part (such as BYDAY) to choose from");
      }
    }
    return {};
  }

  tl::unexpected<Error> invalid(std::string why) const {
    return fail(ErrorCode::kInvalidArgument, fmt::format("invalid RRULE '{}': {}", rule_, why));
  }

  // A valid rule that libical 3.0 expands wrongly, so it is refused.
  tl::unexpected<Error> unsupported(std::string_view what, std::string_view instead) const {
    return fail(ErrorCode::kUnsupported,
                fmt::format("unsupported RRULE '{}': libical 3.0 expands {} wrongly; {}", rule_,
                            what, instead));
  }

 private:
  Result<void> checkNumbers(std::string_view name, std::string_view value, long low, long high,
                            bool list, bool negative_allowed) const {
    std::vector<std::string_view> items = list ? splitList(value) : std::vector{value};
    for (std::string_view item : items) {
      auto number = parseInteger(item);
      long magnitude = number ? std::labs(*number) : 0;
      bool ok = number && magnitude >= low && magnitude <= high &&
                (negative_allowed || (*number > 0 && item.front() != '+'));
      if (!ok) {
        return invalid(fmt::format("{}={} is not valid: each value must be {}{} to {}", name, value,
                                   negative_allowed ? "plus or minus " : "", low, high));
      }
    }
    return {};
  }

  Result<void> checkUntil(std::string_view value) const {
    if (!value.empty() && value.back() == 'Z') {
      return invalid(
          fmt::format("UNTIL={} is in UTC; give it as a local date-time without 'Z' "
                      "(YYYYMMDDTHHMMSS) or a date (YYYYMMDD)",
                      value));
    }
    bool digits_ok = std::all_of(value.begin(), value.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == 'T';
    });
    bool shape_ok = digits_ok && (value.size() == 8 || (value.size() == 15 && value[8] == 'T' &&
                                                        value.find('T', 9) == std::string::npos));
    if (shape_ok) {
      std::string iso =
          fmt::format("{}-{}-{}", value.substr(0, 4), value.substr(4, 2), value.substr(6, 2));
      if (value.size() == 15) {
        iso +=
            fmt::format("T{}:{}:{}", value.substr(9, 2), value.substr(11, 2), value.substr(13, 2));
      }
      shape_ok =
          value.size() == 8 ? parseLocalDate(iso).has_value() : parseLocalDateTime(iso).has_value();
    }
    if (!shape_ok) {
      return invalid(
          fmt::format("UNTIL={} is not a valid date (YYYYMMDD) or local date-time "
                      "(YYYYMMDDTHHMMSS) between {} and {}",
                      value, kMinYear, kMaxYear));
    }
    return {};
  }

  Result<void> checkByDay(std::string_view value, bool by_month, bool by_week_no) const {
    bool ordinal_allowed = frequency_ == "MONTHLY" || (frequency_ == "YEARLY" && !by_week_no);
    long max_ordinal = (frequency_ == "MONTHLY" || by_month) ? 5 : 53;
    for (std::string_view item : splitList(value)) {
      std::string_view weekday = item.size() >= 2 ? item.substr(item.size() - 2) : item;
      std::string_view ordinal = item.substr(0, item.size() - weekday.size());
      if (!contains(kWeekdays, weekday)) {
        return invalid(
            fmt::format("BYDAY={} is not valid: '{}' does not end in a weekday (MO, "
                        "TU, WE, TH, FR, SA, SU)",
                        value, item));
      }
      if (ordinal.empty()) continue;
      if (!ordinal_allowed) {
        return invalid(
            fmt::format("BYDAY={} is not valid: a numbered weekday such as '{}' needs "
                        "FREQ=MONTHLY or FREQ=YEARLY without BYWEEKNO",
                        value, item));
      }
      auto number = parseInteger(ordinal);
      if (!number || *number == 0 || std::labs(*number) > max_ordinal) {
        return invalid(
            fmt::format("BYDAY={} is not valid: the number in '{}' must be plus or "
                        "minus 1 to {}",
                        value, item, max_ordinal));
      }
    }
    return {};
  }

  std::string_view rule_;
  std::string frequency_;
};

std::string upperCase(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

struct icaltimetype toIcal(LocalSeconds local) {
  auto day = date::floor<date::days>(local);
  date::year_month_day ymd{day};
  date::hh_mm_ss<std::chrono::seconds> time{local - day};
  struct icaltimetype value = icaltime_null_time();
  value.year = static_cast<int>(ymd.year());
  value.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  value.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  value.hour = static_cast<int>(time.hours().count());
  value.minute = static_cast<int>(time.minutes().count());
  value.second = static_cast<int>(time.seconds().count());
  value.is_date = 0;
  value.zone = nullptr;  // floating: libical applies no zone rules
  return value;
}

LocalSeconds fromIcal(const struct icaltimetype& value) {
  date::year_month_day ymd{date::year{value.year}, date::month{static_cast<unsigned>(value.month)},
                           date::day{static_cast<unsigned>(value.day)}};
  return LocalSeconds{date::local_days{ymd}.time_since_epoch()} + std::chrono::hours(value.hour) +
         std::chrono::minutes(value.minute) + std::chrono::seconds(value.second);
}

std::string libicalComplaint() {
  return icalerror_strerror(icalerrno) != nullptr ? icalerror_strerror(icalerrno)
                                                  : "no reason given";
}

}  // namespace

struct RecurrenceCursor::Iterator {
  explicit Iterator(icalrecur_iterator* raw) : raw_(raw) {}
  ~Iterator() {
    if (raw_ != nullptr) icalrecur_iterator_free(raw_);
  }
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;

  icalrecur_iterator* raw_;
};

Result<RecurrenceRule> RecurrenceRule::parse(std::string_view text, LocalSeconds dtstart) {
  std::string rule = upperCase(text);
  if (rule.rfind("RRULE:", 0) == 0) rule.erase(0, 6);
  RuleChecker checker(rule);

  if (rule.empty()) return checker.invalid("it is empty; for example FREQ=MONTHLY;BYDAY=2TU");
  if (rule.size() > 1000) return checker.invalid("it is longer than 1000 characters");
  bool printable = std::all_of(rule.begin(), rule.end(), [](char c) { return c > ' ' && c < 127; });
  if (!printable) return checker.invalid("it contains spaces or characters that are not ASCII");

  // Split into NAME=VALUE parts, rejecting what libical would silently
  // accept or merely call malformed.
  std::map<std::string, std::string, std::less<>> parts;
  std::string_view rest = rule;
  while (!rest.empty()) {
    std::size_t semicolon = rest.find(';');
    std::string_view part = rest.substr(0, semicolon);
    rest = semicolon == std::string_view::npos ? std::string_view{} : rest.substr(semicolon + 1);
    std::size_t equals = part.find('=');
    if (part.empty() || equals == std::string_view::npos || equals == 0 ||
        equals + 1 == part.size()) {
      return checker.invalid(fmt::format("'{}' is not a NAME=VALUE part", part));
    }
    std::string name(part.substr(0, equals));
    if (name == "BYHOUR" || name == "BYMINUTE" || name == "BYSECOND") {
      return checker.invalid(
          fmt::format("{} is not supported: the window's start gives the time "
                      "of day",
                      name));
    }
    if (!contains(kKnownParts, name)) {
      return checker.invalid(fmt::format("'{}' is not a supported rule part", name));
    }
    if (!parts.emplace(name, std::string(part.substr(equals + 1))).second) {
      return checker.invalid(fmt::format("{} is given twice", name));
    }
  }
  if (auto checked = checker.check(parts); !checked) return tl::unexpected(checked.error());

  // libical 3.0.16 ignores negative BYMONTHDAY values under FREQ=DAILY
  // (the differential test against dateutil found it). With an INTERVAL of
  // 1 and no BYSETPOS, FREQ=MONTHLY with the same parts names the same
  // dates, so such a rule is expanded that way; other such rules are
  // rejected rather than expanded wrongly.
  if (auto month_day = parts.find("BYMONTHDAY"); parts["FREQ"] == "DAILY" &&
                                                 month_day != parts.end() &&
                                                 month_day->second.find('-') != std::string::npos) {
    auto interval = parts.find("INTERVAL");
    bool every_day = interval == parts.end() || parseInteger(interval->second) == 1;
    if (!every_day || parts.count("BYSETPOS") > 0) {
      return checker.unsupported("a negative BYMONTHDAY under FREQ=DAILY with INTERVAL or BYSETPOS",
                                 "use FREQ=MONTHLY instead");
    }
    parts["FREQ"] = "MONTHLY";
    parts.erase("INTERVAL");
  }

  // More parts that libical 3.0.16 expands wrongly, found the same way: it
  // ignores BYSETPOS under FREQ=WEEKLY; under FREQ=YEARLY without BYMONTH it
  // keeps BYMONTHDAY to DTSTART's month and refuses BYDAY=MO;BYMONTHDAY=31
  // as impossible; and it expands a BYWEEKNO week to one day.
  if (parts["FREQ"] == "WEEKLY" && parts.count("BYSETPOS") > 0) {
    return checker.unsupported("BYSETPOS with FREQ=WEEKLY",
                               "list only the weekdays wanted in BYDAY");
  }
  if (parts["FREQ"] == "YEARLY" && parts.count("BYMONTHDAY") > 0 && parts.count("BYMONTH") == 0) {
    return checker.unsupported("BYMONTHDAY under FREQ=YEARLY without BYMONTH",
                               "add BYMONTH or use FREQ=MONTHLY");
  }
  if (auto by_day = parts.find("BYDAY"); parts["FREQ"] == "WEEKLY" && parts.count("INTERVAL") > 0 &&
                                         parseInteger(parts["INTERVAL"]) != 1 &&
                                         by_day != parts.end()) {
    // libical counts the weeks of such a rule from the first matching day,
    // not from the week that contains DTSTART, unless DTSTART matches. It
    // also misplaces the weeks when WKST is not MO.
    if (auto week_start = parts.find("WKST");
        week_start != parts.end() && week_start->second != "MO") {
      return checker.unsupported("FREQ=WEEKLY with an INTERVAL and a WKST other than MO",
                                 "leave WKST out");
    }
    date::weekday start_weekday{date::floor<date::days>(dtstart)};
    std::string_view start_code = kWeekdays[start_weekday.c_encoding()];
    std::vector<std::string_view> days = splitList(by_day->second);
    if (std::find(days.begin(), days.end(), start_code) == days.end()) {
      return checker.unsupported(
          "FREQ=WEEKLY with an INTERVAL when the start is not on a BYDAY weekday",
          fmt::format("move the start to one of BYDAY's weekdays (it is a {})", start_code));
    }
  }
  if (parts.count("BYWEEKNO") > 0) {
    return checker.unsupported("BYWEEKNO", "use BYMONTH with numbered weekdays in BYDAY");
  }

  // A date UNTIL includes that whole day; libical compares date-times.
  if (auto until = parts.find("UNTIL"); until != parts.end() && until->second.size() == 8) {
    until->second += "T235959";
  }
  std::string canonical = fmt::format("FREQ={}", parts["FREQ"]);
  for (const auto& [name, value] : parts) {
    if (name != "FREQ") canonical += fmt::format(";{}={}", name, value);
  }

  auto interval = parts.find("INTERVAL");
  bool weekly_interval =
      parts["FREQ"] == "WEEKLY" && interval != parts.end() && parseInteger(interval->second) != 1;

  icalerror_clear_errno();
  struct icalrecurrencetype parsed = icalrecurrencetype_from_string(canonical.c_str());
  if (parsed.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
    return checker.invalid(fmt::format("libical rejected it: {}", libicalComplaint()));
  }
  icalrecur_iterator* probe = icalrecur_iterator_new(parsed, toIcal(dtstart));
  if (probe == nullptr) {
    return checker.invalid(
        fmt::format("libical rejected it, for example because no date can "
                    "ever match it: {}",
                    libicalComplaint()));
  }
  icalrecur_iterator_free(probe);

  return RecurrenceRule(canonical, dtstart, parts.count("COUNT") > 0, weekly_interval);
}

RecurrenceCursor RecurrenceRule::cursorFrom(LocalSeconds from) const {
  struct icalrecurrencetype parsed = icalrecurrencetype_from_string(text_.c_str());
  auto iterator = std::make_unique<RecurrenceCursor::Iterator>(
      icalrecur_iterator_new(parsed, toIcal(dtstart_)));
  // set_start refuses rules with COUNT, whose occurrences must be counted
  // from DTSTART; those are walked and skipped, which COUNT bounds. libical
  // 3.0.16 also misaligns the weeks of FREQ=WEEKLY with an INTERVAL after
  // set_start, so those are walked from DTSTART too: at most 7 a week.
  if (!has_count_ && !weekly_interval_ && from > dtstart_ && iterator->raw_ != nullptr) {
    icalrecur_iterator_set_start(iterator->raw_, toIcal(from));
  }
  return RecurrenceCursor(std::move(iterator), from);
}

RecurrenceCursor::RecurrenceCursor(std::unique_ptr<Iterator> iterator, LocalSeconds skip_before)
    : iterator_(std::move(iterator)), skip_before_(skip_before) {}
RecurrenceCursor::RecurrenceCursor(RecurrenceCursor&&) noexcept = default;
RecurrenceCursor& RecurrenceCursor::operator=(RecurrenceCursor&&) noexcept = default;
RecurrenceCursor::~RecurrenceCursor() = default;

std::optional<LocalSeconds> RecurrenceCursor::next() {
  if (!iterator_ || iterator_->raw_ == nullptr) return std::nullopt;
  while (true) {
    struct icaltimetype value = icalrecur_iterator_next(iterator_->raw_);
    if (icaltime_is_null_time(value)) return std::nullopt;
    LocalSeconds start = fromIcal(value);
    if (start >= skip_before_) return start;
  }
}

}  // namespace pk::schedule
