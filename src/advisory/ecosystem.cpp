#include "advisory/ecosystem.h"

#include <array>

namespace pk::advisory {

std::optional<version::Scheme> schemeForEcosystem(std::string_view ecosystem) {
  std::string_view family = ecosystem.substr(0, ecosystem.find(':'));
  struct Family {
    std::string_view name;
    version::Scheme scheme;
  };
  static constexpr std::array<Family, 9> kFamilies{{
      {"Debian", version::Scheme::kDpkg},
      {"Ubuntu", version::Scheme::kDpkg},
      {"AlmaLinux", version::Scheme::kRpm},
      {"Rocky Linux", version::Scheme::kRpm},
      {"Red Hat", version::Scheme::kRpm},
      {"openSUSE", version::Scheme::kRpm},
      {"SUSE", version::Scheme::kRpm},
      {"Alpine", version::Scheme::kApk},
      {"crates.io", version::Scheme::kSemver},
  }};
  for (const auto& entry : kFamilies) {
    if (entry.name == family) return entry.scheme;
  }
  return std::nullopt;
}

}  // namespace pk::advisory
