#include "inventory/inventory.h"

#include <fmt/format.h>

#include "inventory/parsed_packages.h"

namespace pk::inventory {

bool isInstalledState(std::string_view state) {
  return state != "not-installed" && state != "config-files";
}

std::string describe(const SkippedRecord& record) {
  if (record.package.empty()) {
    return fmt::format("{}:{}: skipped a record: {}", record.file, record.line, record.reason);
  }
  return fmt::format("{}:{}: skipped package '{}': {}", record.file, record.line, record.package,
                     record.reason);
}

}  // namespace pk::inventory
