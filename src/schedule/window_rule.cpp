#include "schedule/window_rule.h"

#include <algorithm>

#include <fmt/format.h>

namespace pk::schedule {
namespace {

using std::chrono::seconds;

// No zone moves its clock by more than a day at once (Samoa skipped
// 30 December 2011), so a nominal local start further than this from an
// instant's wall-clock time cannot be on the other side of that instant.
constexpr date::days kZoneShiftMargin{2};

bool before(const date::year_month_day& a, const date::year_month_day& b) {
  return date::sys_days{a} < date::sys_days{b};
}

}  // namespace

// Walks the kept occurrences (exclusions and blackouts applied) whose rule
// date-times lie in [rule_from, rule_limit], in start order.
class WindowRule::Walk {
 public:
  Walk(const WindowRule& window, LocalSeconds rule_from, LocalSeconds rule_limit)
      : window_(window), cursor_(window.rule_.cursorFrom(rule_from)), rule_limit_(rule_limit) {}

  // Returns the next kept occurrence, or nullopt when the rule ended
  // (ruleEnded()) or the walk passed rule_limit.
  std::optional<Occurrence> next() {
    while (true) {
      std::optional<LocalSeconds> rule_start = cursor_.next();
      if (!rule_start) {
        rule_ended_ = true;
        return std::nullopt;
      }
      if (*rule_start > rule_limit_) return std::nullopt;
      last_rule_start_ = *rule_start;
      if (auto occurrence = window_.occurrenceAt(*rule_start)) return occurrence;
    }
  }

  bool ruleEnded() const { return rule_ended_; }
  LocalSeconds lastRuleStart() const { return last_rule_start_; }
  void setLimit(LocalSeconds rule_limit) { rule_limit_ = rule_limit; }

 private:
  const WindowRule& window_;
  RecurrenceCursor cursor_;
  LocalSeconds rule_limit_;
  LocalSeconds last_rule_start_{};
  bool rule_ended_ = false;
};

Result<WindowRule> WindowRule::create(WindowDefinition definition) {
  auto zone = Zone::find(definition.zone);
  if (!zone) return tl::unexpected(zone.error());

  if (definition.length <= seconds(0)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid window length {}: the length must be positive",
                            formatLength(definition.length)));
  }
  if (definition.length > kMaxLength) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid window length {}: the length must be at most {} days",
                            formatLength(definition.length), kMaxLength.count() / 86400));
  }
  if (definition.offset_days < -kMaxOffsetDays || definition.offset_days > kMaxOffsetDays) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid offset of {} days: it must be between -{} and {}",
                            definition.offset_days, kMaxOffsetDays, kMaxOffsetDays));
  }
  date::year_month_day start_day{date::floor<date::days>(definition.start)};
  if (!start_day.ok() || start_day.year() < date::year{kMinYear} ||
      start_day.year() > date::year{kMaxYear}) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid window start {}: the year must be between {} and {}",
                            formatLocal(definition.start), kMinYear, kMaxYear));
  }

  auto rule = RecurrenceRule::parse(definition.rrule, definition.start);
  if (!rule) return tl::unexpected(rule.error());

  std::vector<BlackoutInstants> blackouts;
  for (const LocalPeriod& blackout : definition.blackouts) {
    if (blackout.end <= blackout.start) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("invalid blackout from {} to {}: {}", formatLocal(blackout.start),
                              formatLocal(blackout.end),
                              blackout.end == blackout.start ? "it is empty; its end must be "
                                                               "after its start"
                                                             : "it ends before it starts"));
    }
    blackouts.push_back({zone->toInstant(blackout.start), zone->toInstant(blackout.end)});
  }
  std::sort(definition.exclusions.begin(), definition.exclusions.end(), before);

  WindowRule window(std::move(definition), *zone, std::move(*rule), std::move(blackouts));

  // A rule that never yields an occurrence is a mistake to report now, not
  // a window that silently never opens.
  auto first = window.nextOccurrence(window.zone_.toInstant(window.definition_.start) -
                                     date::days{kMaxOffsetDays + 2});
  if (!first || !first->has_value()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid window: no occurrence is left of RRULE '{}' from {} {} once "
                            "the offset, exclusions and blackouts apply; check the rule's UNTIL "
                            "and COUNT and the blackouts",
                            window.definition_.rrule, formatLocal(window.definition_.start),
                            window.definition_.zone));
  }
  return window;
}

std::optional<Occurrence> WindowRule::occurrenceAt(LocalSeconds rule_start) const {
  LocalSeconds nominal_start = rule_start + date::days{definition_.offset_days};
  date::year_month_day day{date::floor<date::days>(nominal_start)};
  if (std::binary_search(definition_.exclusions.begin(), definition_.exclusions.end(), day,
                         before)) {
    return std::nullopt;
  }

  Occurrence occurrence;
  occurrence.day = day;
  occurrence.start = zone_.toInstant(nominal_start);
  occurrence.end = zone_.toInstant(nominal_start + definition_.length);
  // NOTE: a short window that starts in a spring-forward gap can end before
  // its shifted start (02:30-03:10 becomes 03:30 to 03:10). It is kept with
  // a zero length, visible in previews, rather than dropped silently.
  occurrence.end = std::max(occurrence.end, occurrence.start);

  // Overlap, not just a start inside: a window that opens before a blackout
  // and runs into it is removed too. A zero-length occurrence counts as the
  // single instant it names.
  SystemTime overlap_end = std::max(occurrence.end, occurrence.start + seconds(1));
  for (const BlackoutInstants& blackout : blackouts_) {
    if (occurrence.start < blackout.end && blackout.start < overlap_end) return std::nullopt;
  }

  occurrence.local_start = zone_.toLocal(occurrence.start);
  occurrence.local_end = zone_.toLocal(occurrence.end);
  occurrence.start_utc_offset = zone_.utcOffsetAt(occurrence.start);
  occurrence.end_utc_offset = zone_.utcOffsetAt(occurrence.end);
  return occurrence;
}

Result<std::optional<Occurrence>> WindowRule::nextOccurrence(SystemTime at) const {
  auto first = firstOccurrences(at, 1);
  if (!first) return tl::unexpected(first.error());
  if (first->empty()) return std::nullopt;
  return first->front();
}

Result<std::vector<Occurrence>> WindowRule::firstOccurrences(SystemTime from,
                                                             std::size_t count) const {
  if (count > kMaxOccurrencesPerCall) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot list {} occurrences at once; the maximum is {}", count,
                            kMaxOccurrencesPerCall));
  }
  std::vector<Occurrence> found;
  if (count == 0) return found;

  LocalSeconds rule_from =
      zone_.toLocal(from) - date::days{definition_.offset_days} - kZoneShiftMargin;
  Walk walk(*this, rule_from, rule_from + kSearchHorizon + 2 * kZoneShiftMargin);
  while (found.size() < count) {
    std::optional<Occurrence> occurrence = walk.next();
    if (!occurrence) {
      if (walk.ruleEnded()) return found;
      return fail(ErrorCode::kNotFound,
                  fmt::format("window rule '{}' has no occurrence within {} years after {}; "
                              "its exclusions or blackouts remove every one",
                              rule_.text(), kSearchHorizon.count(),
                              formatUtc(found.empty() ? from : found.back().start)));
    }
    if (occurrence->start < from) continue;
    found.push_back(*occurrence);
    // The horizon bounds the gap between two occurrences, not the length of
    // the whole list.
    walk.setLimit(walk.lastRuleStart() + kSearchHorizon);
  }
  return found;
}

Result<std::vector<Occurrence>> WindowRule::occurrencesBetween(SystemTime from,
                                                               SystemTime to) const {
  std::vector<Occurrence> found;
  if (to <= from) return found;
  if (to - from > kSearchHorizon) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the range {} to {} is longer than {} years; ask for a shorter one",
                            formatUtc(from), formatUtc(to), kSearchHorizon.count()));
  }

  LocalSeconds rule_from =
      zone_.toLocal(from) - date::days{definition_.offset_days} - kZoneShiftMargin;
  LocalSeconds rule_limit =
      zone_.toLocal(to) - date::days{definition_.offset_days} + kZoneShiftMargin;
  Walk walk(*this, rule_from, rule_limit);
  while (auto occurrence = walk.next()) {
    if (occurrence->start < from) continue;
    if (occurrence->start >= to) break;
    if (found.size() == kMaxOccurrencesPerCall) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("the range {} to {} holds more than {} occurrences; ask for a "
                              "shorter one",
                              formatUtc(from), formatUtc(to), kMaxOccurrencesPerCall));
    }
    found.push_back(*occurrence);
  }
  return found;
}

Result<std::optional<Occurrence>> WindowRule::currentOccurrence(SystemTime at) const {
  // Only occurrences whose nominal start lies within one length (plus the
  // zone-shift margin) before `at` can still be open.
  LocalSeconds local_at = zone_.toLocal(at);
  LocalSeconds rule_from =
      local_at - date::days{definition_.offset_days} - definition_.length - kZoneShiftMargin;
  LocalSeconds rule_limit = local_at - date::days{definition_.offset_days} + kZoneShiftMargin;

  std::optional<Occurrence> open;
  Walk walk(*this, rule_from, rule_limit);
  while (auto occurrence = walk.next()) {
    if (occurrence->start > at) break;
    if (at < occurrence->end && (!open || occurrence->end > open->end)) open = occurrence;
  }
  return open;
}

Result<bool> WindowRule::isOpen(SystemTime at) const {
  auto current = currentOccurrence(at);
  if (!current) return tl::unexpected(current.error());
  return current->has_value();
}

Result<std::optional<Elapsed>> WindowRule::timeLeft(SystemTime at) const {
  auto current = currentOccurrence(at);
  if (!current) return tl::unexpected(current.error());
  if (!current->has_value()) return std::nullopt;
  return std::chrono::duration_cast<Elapsed>((*current)->end - at);
}

}  // namespace pk::schedule
