#pragma once

// OSV ecosystem names and the version scheme each one uses.

#include <optional>
#include <string_view>

#include "version/version.h"

namespace pk::advisory {

// Returns the version scheme of an OSV ecosystem name such as "Debian:12",
// "Ubuntu:24.04:LTS", "AlmaLinux:9", "Rocky Linux:9", "Red Hat:...",
// "Alpine:v3.20", or nullopt for an ecosystem patchkeeper does not order.
std::optional<version::Scheme> schemeForEcosystem(std::string_view ecosystem);

}  // namespace pk::advisory
