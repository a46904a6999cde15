#include "store/schema_parts.h"

namespace pk::store {

Migration hostsMigration() {
  return Migration{
      .version = 3,
      .name = "hosts",
      .statements = {},
  };
}

}  // namespace pk::store
