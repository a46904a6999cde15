#pragma once

// What every request handler and job of the server shares. Owned by the
// server's application object; outlives every route and job.

#include "common/clock.h"
#include "server/metrics.h"
#include "store/database.h"

namespace pk::server {

struct ServerContext {
  store::Database& database;
  Clock& clock;
  Metrics& metrics;
};

}  // namespace pk::server
