#include "server/postgresql_leader_lock.h"

#include <libpq-fe.h>

#include <array>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace pk::server {
namespace {

// Whether one statement returned a single row whose first column is true.
bool returnsTrue(pg_conn* connection, const std::string& sql) {
  PGresult* result = PQexec(connection, sql.c_str());
  const bool is_true = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1 &&
                       std::string_view(PQgetvalue(result, 0, 0)) == "t";
  PQclear(result);
  return is_true;
}

std::string firstLine(const char* message) {
  std::string_view text = message == nullptr ? "" : message;
  return std::string(text.substr(0, text.find('\n')));
}

}  // namespace

Result<std::unique_ptr<PostgresqlLeaderLock>> PostgresqlLeaderLock::create(
    std::string connection_string) {
  const bool uri = connection_string.starts_with("postgresql://") ||
                   connection_string.starts_with("postgres://");
  char* parse_error = nullptr;
  PQconninfoOption* options =
      uri ? PQconninfoParse(connection_string.c_str(), &parse_error) : nullptr;
  if (options == nullptr) {
    // libpq's parse message may quote the string, password and all.
    PQfreemem(parse_error);
    return fail(ErrorCode::kInvalidArgument,
                "the leader lock needs a postgresql:// connection string that libpq can parse");
  }
  PQconninfoFree(options);
  return std::unique_ptr<PostgresqlLeaderLock>(
      new PostgresqlLeaderLock(std::move(connection_string)));
}

PostgresqlLeaderLock::~PostgresqlLeaderLock() {
  std::lock_guard lock(mutex_);
  disconnect();
}

bool PostgresqlLeaderLock::connect() {
  // The URI comes first and is expanded; the settings after it override
  // its own. Keepalives and the user timeout bound how long a vanished
  // peer goes unnoticed on either side; the statement timeout bounds each
  // check.
  const std::array<const char*, 10> keys = {"dbname",
                                            "connect_timeout",
                                            "keepalives",
                                            "keepalives_idle",
                                            "keepalives_interval",
                                            "keepalives_count",
                                            "tcp_user_timeout",
                                            "application_name",
                                            "options",
                                            nullptr};
  const std::array<const char*, 10> values = {
      connection_string_.c_str(),  "5",    "1", "10", "5", "4", "30000", "patchkeeper-leader-lock",
      "-c statement_timeout=5000", nullptr};
  connection_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (PQstatus(connection_) == CONNECTION_OK) return true;
  spdlog::warn("leader lock: cannot connect to the database: {}",
               firstLine(PQerrorMessage(connection_)));
  disconnect();
  return false;
}

void PostgresqlLeaderLock::disconnect() {
  if (connection_ != nullptr) PQfinish(connection_);
  connection_ = nullptr;
  held_ = false;
}

bool PostgresqlLeaderLock::tryAcquire() {
  std::lock_guard lock(mutex_);
  if (connection_ != nullptr && PQstatus(connection_) != CONNECTION_OK) {
    if (held_) spdlog::warn("leader lock: the lock's database connection was lost");
    disconnect();
  }
  if (connection_ == nullptr && !connect()) return false;

  if (held_) {
    // Asks pg_locks rather than only pinging, so a session that survived
    // but lost the lock (an administrator's pg_advisory_unlock_all) steps
    // down too.
    const bool still_held = returnsTrue(
        connection_,
        fmt::format("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND "
                    "pid = pg_backend_pid() AND classid = {} AND objid = {} AND objsubid = 2 "
                    "AND granted)",
                    kLeaderLockClass, kLeaderLockObject));
    if (!still_held) {
      spdlog::warn(
          "leader lock: lost the lock or its connection: {}; this node stops running "
          "scheduled jobs",
          firstLine(PQerrorMessage(connection_)));
      disconnect();
    }
    return still_held;
  }

  held_ = returnsTrue(connection_, fmt::format("SELECT pg_try_advisory_lock({}, {})",
                                               kLeaderLockClass, kLeaderLockObject));
  if (held_) {
    spdlog::info("leader lock: this node now runs the scheduled jobs");
  } else if (PQstatus(connection_) != CONNECTION_OK) {
    disconnect();
  }
  return held_;
}

void PostgresqlLeaderLock::release() {
  std::lock_guard lock(mutex_);
  // Ending the session releases its advisory locks.
  disconnect();
}

int PostgresqlLeaderLock::backendPid() const {
  std::lock_guard lock(mutex_);
  return connection_ == nullptr ? 0 : PQbackendPID(connection_);
}

}  // namespace pk::server
