#include "matching/range.h"

#include <algorithm>

#include <fmt/format.h>

namespace pk::matching {
namespace {

using advisory::RangeEvent;

bool isZeroMarker(const RangeEvent& event) {
  return event.type == RangeEvent::Type::kIntroduced && event.version == "0";
}

int typeRank(RangeEvent::Type type) {
  switch (type) {
    case RangeEvent::Type::kIntroduced:
      return 0;
    case RangeEvent::Type::kFixed:
      return 1;
    case RangeEvent::Type::kLastAffected:
      return 2;
    case RangeEvent::Type::kLimit:
      return 3;
  }
  return 4;
}

}  // namespace

Result<std::vector<PreparedRange>> prepareRanges(
    version::Scheme scheme, const std::vector<std::vector<RangeEvent>>& ranges) {
  std::vector<PreparedRange> prepared;
  prepared.reserve(ranges.size());
  for (const auto& range : ranges) {
    for (const auto& event : range) {
      if (isZeroMarker(event)) continue;
      if (auto valid = version::validate(scheme, event.version); !valid) {
        return tl::unexpected(valid.error());
      }
    }
    PreparedRange sorted{range};
    std::stable_sort(sorted.events.begin(), sorted.events.end(),
                     [scheme](const RangeEvent& a, const RangeEvent& b) {
                       bool zero_a = isZeroMarker(a);
                       bool zero_b = isZeroMarker(b);
                       if (zero_a != zero_b) return zero_a;
                       if (!zero_a) {
                         auto order = version::compareUnchecked(scheme, a.version, b.version);
                         if (order != 0) return order < 0;
                       }
                       return typeRank(a.type) < typeRank(b.type);
                     });
    prepared.push_back(std::move(sorted));
  }
  return prepared;
}

Verdict evaluate(version::Scheme scheme, const std::vector<PreparedRange>& ranges,
                 const std::vector<std::string>& versions, std::string_view installed) {
  for (const auto& range : ranges) {
    // Walk the events in version order: each one at or below the installed
    // version switches the state, and the first fix above it is the remedy.
    bool affected = false;
    std::string fixed_version;
    for (const auto& event : range.events) {
      bool is_zero = isZeroMarker(event);
      auto order = is_zero ? std::weak_ordering::greater
                           : version::compareUnchecked(scheme, installed, event.version);
      switch (event.type) {
        case RangeEvent::Type::kIntroduced:
          if (order >= 0) {
            affected = true;
            fixed_version.clear();
          }
          break;
        case RangeEvent::Type::kFixed:
          if (order >= 0) {
            affected = false;
          } else if (affected && fixed_version.empty()) {
            fixed_version = event.version;
          }
          break;
        case RangeEvent::Type::kLimit:
          // A limit bounds the range but names no version that fixes it.
          if (order >= 0) affected = false;
          break;
        case RangeEvent::Type::kLastAffected:
          if (order > 0) affected = false;
          break;
      }
      if (order < 0 && !affected) break;  // later events are all above the installed version
    }
    if (affected) return Verdict{true, fixed_version};
  }

  for (const auto& listed : versions) {
    if (version::compareUnchecked(scheme, installed, listed) == 0) return Verdict{true, {}};
  }
  return Verdict{};
}

}  // namespace pk::matching
