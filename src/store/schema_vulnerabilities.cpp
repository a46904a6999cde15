#include "store/schema_parts.h"

namespace pk::store {

Migration vulnerabilitiesMigration() {
  return Migration{
      .version = 4,
      .name = "vulnerabilities",
      .statements = {},
  };
}

}  // namespace pk::store
