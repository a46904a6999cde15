#pragma once

// The leader lock for several server nodes on one PostgreSQL database: a
// session-level advisory lock held on a connection of its own.
//
// PostgreSQL releases a session's advisory locks when the session ends.
// A leader that dies frees the lock once the database notices: at once for
// a killed process, whose kernel closes the socket, and within the TCP
// keepalive bound (about 30 s) for a machine that vanished. Another node's
// next tryAcquire() then takes it.
//
// A leader checks its connection on every tryAcquire(): when the check
// fails, it reports the lock lost (the database may already have given it
// to another node) and reconnects on a later call. No consensus of our own:
// PostgreSQL decides who holds the lock.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/error.h"
#include "server/leader_lock.h"

struct pg_conn;

namespace pk::server {

// The advisory lock's key pair, (classid, objid) in pg_locks. The two-key
// form keeps it apart from single bigint keys used elsewhere.
inline constexpr int kLeaderLockClass = 0x706b;  // "pk"
inline constexpr int kLeaderLockObject = 1;

class PostgresqlLeaderLock final : public LeaderLock {
 public:
  // Keeps `connection_string` (a postgresql:// or postgres:// URI, as the
  // store takes it) for connecting on the first tryAcquire(); nothing is
  // contacted here. Fails with kInvalidArgument when the string is not a
  // PostgreSQL URI libpq can parse; the message never repeats a password.
  static Result<std::unique_ptr<PostgresqlLeaderLock>> create(std::string connection_string);
  ~PostgresqlLeaderLock() override;
  PostgresqlLeaderLock(const PostgresqlLeaderLock&) = delete;
  PostgresqlLeaderLock& operator=(const PostgresqlLeaderLock&) = delete;

  // Connects when needed (at most 5 s), then either confirms the held lock
  // with a round trip or tries to take it with pg_try_advisory_lock. Returns
  // false, and logs why, when the database cannot be reached. Thread-safe.
  bool tryAcquire() override;

  // Unlocks and closes the connection; harmless when not held.
  void release() override;

  // The database's process id for this node's lock session, or 0 when not
  // connected: lets tests and logs find the session in pg_locks.
  int backendPid() const;

 private:
  explicit PostgresqlLeaderLock(std::string connection_string)
      : connection_string_(std::move(connection_string)) {}
  bool connect();
  void disconnect();

  mutable std::mutex mutex_;
  std::string connection_string_;
  pg_conn* connection_ = nullptr;
  bool held_ = false;
};

}  // namespace pk::server
