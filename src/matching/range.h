#pragma once

// Evaluation of OSV-style affected ranges for one installed version.

#include <optional>
#include <string>
#include <vector>

#include "advisory/advisory.h"
#include "common/error.h"
#include "version/version.h"

namespace pk::matching {

// The events of one range, sorted by version once so that each evaluation
// is a single pass.
struct PreparedRange {
  std::vector<advisory::RangeEvent> events;
};

// Sorts each range's events by version (the "0" introduced marker first;
// at equal versions introduced before fixed, last_affected and limit).
// Fails with kMalformedInput, naming the version, when an event's version is
// invalid in `scheme`.
Result<std::vector<PreparedRange>> prepareRanges(
    version::Scheme scheme, const std::vector<std::vector<advisory::RangeEvent>>& ranges);

struct Verdict {
  bool affected = false;
  // The first `fixed` event above the installed version in the range that
  // matched. Empty when the range has no fix: it ends with last_affected or a
  // limit, or has no upper bound.
  std::string fixed_version;
};

// Decides whether `installed` lies in any of the ranges or in the explicit
// `versions` list. `installed` must be valid in `scheme`.
Verdict evaluate(version::Scheme scheme, const std::vector<PreparedRange>& ranges,
                 const std::vector<std::string>& versions, std::string_view installed);

}  // namespace pk::matching
