#pragma once

// Ordering of package versions, one scheme per package ecosystem. Each scheme
// follows the rules of its own package manager exactly; no scheme borrows
// another's rules. The functions are pure and thread-safe.

#include <compare>
#include <optional>
#include <string_view>

#include "common/error.h"

namespace pk::version {

enum class Scheme {
  kDpkg,     // Debian and Ubuntu: [epoch:]upstream[-revision], as dpkg orders them
  kRpm,      // Red Hat family: [epoch:]version[-release], as rpm orders them
  kApk,      // Alpine: apk-tools' version grammar and order
  kSemver,   // Semantic Versioning 2.0.0 precedence
  kWindows,  // Windows OS builds: major.minor.build[.revision], numeric part by part
};

// Returns the scheme's command-line and JSON name: "dpkg", "rpm", "apk",
// "semver" or "windows".
std::string_view schemeName(Scheme scheme);

// Returns the scheme named `name` (as schemeName spells it), or nullopt.
std::optional<Scheme> parseSchemeName(std::string_view name);

// Checks `version` against the scheme's own definition of a valid version.
// On failure the error is kMalformedInput and its message names the version
// and the rule it breaks.
Result<void> validate(Scheme scheme, std::string_view version);

// Validates both versions, then orders them. Equivalent versions (dpkg's
// "1.0" and "1.00", semver's "1.0.0+a" and "1.0.0+b") compare equal.
Result<std::weak_ordering> compare(Scheme scheme, std::string_view a, std::string_view b);

// Orders two versions without validating them, for hot paths whose inputs
// were validated when they were loaded. On valid versions the result equals
// compare(). On any other input it is still defined, antisymmetric and free
// of undefined behaviour, but carries no meaning.
std::weak_ordering compareUnchecked(Scheme scheme, std::string_view a, std::string_view b);

}  // namespace pk::version
