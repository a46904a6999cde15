#include "store/schema_parts.h"

namespace pk::store {

Migration peopleMigration() {
  return Migration{
      .version = 2,
      .name = "people",
      .statements = {},
  };
}

}  // namespace pk::store
