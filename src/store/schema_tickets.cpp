#include "store/schema_parts.h"

namespace pk::store {

// Tickets, their comments, and the outbox of outgoing webhooks.
Migration ticketsMigration() {
  return Migration{.version = 6, .name = "tickets", .statements = {}};
}

}  // namespace pk::store
