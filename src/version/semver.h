#pragma once

// Semantic Versioning 2.0.0: MAJOR.MINOR.PATCH[-prerelease][+build].

#include <compare>
#include <string_view>

#include "common/error.h"

namespace pk::version::semver {

// Checks `version` against the SemVer 2.0.0 grammar: three numeric
// components without leading zeros, dot-separated non-empty identifiers of
// [0-9A-Za-z-], no leading zeros in numeric pre-release identifiers. A "v"
// prefix is not part of SemVer and is rejected.
Result<void> validate(std::string_view version);

// Orders by SemVer precedence. Build metadata is ignored, so "1.0.0+a" and
// "1.0.0+b" are equal. Numbers of any length compare exactly. Defined for any
// input.
std::weak_ordering compare(std::string_view a, std::string_view b);

}  // namespace pk::version::semver
