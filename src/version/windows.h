#pragma once

// Windows OS build numbers as Windows reports them and Microsoft's security
// updates name them: major.minor.build[.revision], such as "10.0.19045.7058"
// (Windows 10 22H2 with a cumulative update), "6.3.9600.22134" (Windows
// Server 2012 R2) or "10.0.26100" (a build without its update revision).

#include <array>
#include <compare>
#include <cstdint>
#include <string_view>

#include "common/error.h"

namespace pk::version::windows {

// The four numbers of a build. `revision` is the update build revision (UBR)
// that each cumulative update raises; it is 0 when the text has only three
// parts.
struct Build {
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  std::uint32_t build = 0;
  std::uint32_t revision = 0;
};

// Parses `version` as three or four dot-separated decimal numbers. Rejected
// with kMalformedInput, with the version and the rule in the message: an
// empty string, fewer than three or more than four parts, an empty part, a
// character other than a digit (signs, blanks and letters included), and a
// part above 4294967295, the largest value of the 32-bit numbers Windows
// stores. Leading zeros are accepted and do not change the value.
Result<Build> parse(std::string_view version);

// Orders two builds part by part by numeric value. A missing revision
// counts as 0, so "10.0.19045" equals "10.0.19045.0" and is older than
// "10.0.19045.1". Defined for any input; see version.h.
std::weak_ordering compare(std::string_view a, std::string_view b);

}  // namespace pk::version::windows
