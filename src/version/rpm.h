#pragma once

// RPM package versions: [epoch:]version[-release], ordered as rpm 4.18's
// rpm.vercmp() orders them and validated as rpmbuild validates the Epoch,
// Version and Release tags.

#include <compare>
#include <optional>
#include <string_view>

#include "common/error.h"

namespace pk::version::rpm {

struct Evr {
  std::optional<std::string_view> epoch;  // digits only; absent means 0
  std::string_view version;
  std::optional<std::string_view> release;  // absent when there is no '-'
};

// Splits `evr` the way rpm's parseEVR() does: a leading run of digits
// followed by ':' is the epoch and the last '-' starts the release. Never
// fails; the views point into `evr`.
Evr split(std::string_view evr);

// Splits and validates `evr`. Rejected with kMalformedInput: an empty string,
// an epoch that is not an unsigned 32-bit number, an empty version or
// release, a second '-', a character other than ASCII letters, digits and
// "._+~^", and the sequence "..".
Result<Evr> parse(std::string_view evr);

// Orders two EVR strings: epochs (absent = 0), then versions, then releases.
// When only one side has a release, that side is newer. Defined for any input.
std::weak_ordering compare(std::string_view a, std::string_view b);

// Orders one version or release string with rpm's segment rules
// (rpmvercmp): alphanumeric segments, digits newer than letters, '~' older
// than anything including the end, '^' newer than the end but older than any
// other segment.
std::weak_ordering compareSegments(std::string_view a, std::string_view b);

}  // namespace pk::version::rpm
