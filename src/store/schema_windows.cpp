#include "store/schema_parts.h"

namespace pk::store {

// Maintenance windows, which server is in which window, and calendar feed
// tokens.
Migration windowsMigration() {
  return Migration{.version = 5, .name = "windows", .statements = {}};
}

}  // namespace pk::store
