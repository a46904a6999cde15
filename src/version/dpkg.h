#pragma once

// Debian package versions: [epoch:]upstream_version[-debian_revision], with
// the validity rules of dpkg's parseversion() and the order of its
// dpkg_version_compare() (dpkg 1.21).

#include <compare>
#include <cstdint>
#include <string_view>

#include "common/error.h"

namespace pk::version::dpkg {

struct Parts {
  std::int64_t epoch = 0;     // 0 when the version has no epoch
  std::string_view upstream;  // never empty in a valid version
  std::string_view revision;  // empty when the version has no revision
};

// Splits and validates `version`. Surrounding blanks are ignored as dpkg
// ignores them. Everything dpkg reports as an error or a warning ("version
// number does not start with digit", "invalid character in revision
// number", ...) is rejected with kMalformedInput; the message quotes dpkg's
// wording. The views in Parts point into `version`.
Result<Parts> parse(std::string_view version);

// Orders two versions as dpkg does: epoch, then upstream version, then
// revision, each with dpkg's character order ('~' before everything, even the
// end; letters before other characters; digit runs by value). A missing
// revision equals "0". Defined for any input; see version.h.
std::weak_ordering compare(std::string_view a, std::string_view b);

// Orders one upstream-version or revision fragment with dpkg's verrevcmp.
std::weak_ordering compareFragment(std::string_view a, std::string_view b);

}  // namespace pk::version::dpkg
