#include "store/schema_parts.h"

namespace pk::store {

// Deployment rules: an optional ecosystem filter on the approved patches a
// rule deploys, and the outcome of its last run, so that a rejected
// occurrence is shown rather than retried.
Migration deploymentRulesMigration() {
  return Migration{
      .version = 12,
      .name = "deployment rules",
      .statements =
          {
              "ALTER TABLE deployment_rules ADD COLUMN ecosystem TEXT",
              "ALTER TABLE deployment_rules ADD COLUMN last_result TEXT NOT NULL DEFAULT ''",
          },
  };
}

}  // namespace pk::store
