#include "inventory/inventory.h"

namespace pk::inventory {

bool isInstalledState(std::string_view state) {
  return state != "not-installed" && state != "config-files";
}

}  // namespace pk::inventory
