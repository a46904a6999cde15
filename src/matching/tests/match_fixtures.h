#pragma once

// Small builders for advisories and hosts in matching tests.

#include <string>
#include <vector>

#include "advisory/advisory.h"
#include "inventory/inventory.h"

namespace pk::matching::testing {

inline advisory::AffectedPackage fixedIn(std::string ecosystem, std::string name,
                                         advisory::PackageNameKind kind, std::string fixed) {
  advisory::AffectedPackage affected;
  affected.ecosystem = std::move(ecosystem);
  affected.name = std::move(name);
  affected.name_kind = kind;
  affected.ranges = {{{advisory::RangeEvent::Type::kIntroduced, "0"},
                      {advisory::RangeEvent::Type::kFixed, std::move(fixed)}}};
  return affected;
}

inline advisory::Advisory advisoryWith(std::string id,
                                       std::vector<advisory::AffectedPackage> affected,
                                       advisory::Severity severity = advisory::Severity::kHigh) {
  advisory::Advisory record;
  record.id = std::move(id);
  record.source = "test";
  record.severity = severity;
  record.affected = std::move(affected);
  return record;
}

inline inventory::Package package(std::string name, std::string version,
                                  std::string source_name = "", std::string source_version = "") {
  inventory::Package result;
  result.name = std::move(name);
  result.version = std::move(version);
  result.source_name = std::move(source_name);
  result.source_version = std::move(source_version);
  result.state = "installed";
  return result;
}

inline inventory::HostInventory host(std::string ecosystem, version::Scheme scheme,
                                     std::vector<inventory::Package> packages) {
  inventory::HostInventory result;
  result.os.ecosystem = std::move(ecosystem);
  result.scheme = scheme;
  result.packages = std::move(packages);
  return result;
}

}  // namespace pk::matching::testing
