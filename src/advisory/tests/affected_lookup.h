#pragma once

// Lookups on parsed advisories shared by the advisory reader tests.

#include <string>

#include "advisory/advisory.h"

namespace pk::advisory::lookup {

inline std::string fixedOf(const AffectedPackage& affected) {
  for (const auto& range : affected.ranges) {
    for (const auto& event : range) {
      if (event.type == RangeEvent::Type::kFixed) return event.version;
    }
  }
  return "";
}

inline const AffectedPackage* findAffected(const Advisory& advisory, const std::string& name,
                                           PackageNameKind kind) {
  for (const auto& affected : advisory.affected) {
    if (affected.name == name && affected.name_kind == kind) return &affected;
  }
  return nullptr;
}

}  // namespace pk::advisory::lookup
