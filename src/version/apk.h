#pragma once

// Alpine package versions, with the grammar and order of apk-tools 2.14/3.x:
//   digits{.digits}...{letter}{_suffix{digits}}...{~hexhash}{-rN}
// Pre-release suffixes _alpha < _beta < _pre < _rc sort before the release;
// _cvs < _svn < _git < _hg < _p sort after it.

#include <compare>
#include <string_view>

#include "common/error.h"

namespace pk::version::apk {

// Checks `version` against apk's grammar. The error (kMalformedInput) names
// the version, the position and the token that breaks the grammar.
Result<void> validate(std::string_view version);

// Orders two versions token by token as apk does. A numeric component after
// a dot that has a leading zero is compared as a string (so "1.05" < "1.1",
// as decimal fractions), all other numbers by value. Numbers of any length
// compare exactly; apk-tools itself wraps numbers above 2^64. Defined for any
// input.
std::weak_ordering compare(std::string_view a, std::string_view b);

}  // namespace pk::version::apk
