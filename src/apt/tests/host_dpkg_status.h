#pragma once

// A minimal reader of this machine's dpkg status file for the host tests,
// kept apart from the inventory parsers so that these tests check the apt
// component against an independent reading.

#include <string>
#include <vector>

#include "inventory/inventory.h"

namespace pk::apt::testing {

// Reads Package, Version, Architecture, Source and Status of a dpkg status
// file; just enough for this test, kept apart from the inventory parsers.
inline std::vector<inventory::Package> readDpkgStatus(const std::string& text) {
  std::vector<inventory::Package> packages;
  inventory::Package current;
  std::string status;
  auto flush = [&] {
    const bool is_installed =
        status.size() > 10 && status.substr(status.size() - 10) == " installed";
    if (!current.name.empty() && is_installed) packages.push_back(current);
    current = inventory::Package{};
    status.clear();
  };
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      flush();
      if (end == text.size()) break;
      continue;
    }
    const auto colon = line.find(": ");
    if (line[0] == ' ' || colon == std::string::npos) continue;
    const std::string name = line.substr(0, colon);
    const std::string value = line.substr(colon + 2);
    if (name == "Package") current.name = value;
    if (name == "Version") current.version = value;
    if (name == "Architecture") current.architecture = value;
    if (name == "Status") status = value;
    if (name == "Source") {
      const auto open = value.find(" (");
      current.source_name = value.substr(0, open);
      if (open != std::string::npos) {
        current.source_version = value.substr(open + 2, value.find(')') - open - 2);
      }
    }
  }
  flush();
  return packages;
}

}  // namespace pk::apt::testing
