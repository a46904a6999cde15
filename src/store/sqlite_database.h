#pragma once

// The SQLite backend of store::Database. Callers normally go through
// openDatabase() in database.h; this header exists for that function and
// for tests and benchmarks that need to name the backend directly.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/error.h"
#include "store/database.h"

namespace pk::store {

// The environment variable that makes write() replay its work, read when a
// database is opened. When it is "1", every write() runs `work`, rolls the
// transaction back, then runs `work` again in a new transaction and commits
// that second run, as the PostgreSQL backend does after a serialization
// failure. Tests set it to check that every write() callback is safe to run
// twice. A first run that fails or throws is not replayed.
inline constexpr const char* kReplayWritesVariable = "PK_STORE_REPLAY_WRITES";

// Opens (creating when missing, mode 0600) the SQLite database file at
// `path` in WAL mode. One write connection serves write(): concurrent
// calls are queued and committed together, each under a savepoint of its
// own, so one call's failure never undoes another's work.
// Up to kMaxSqliteReadConnections read connections, opened on demand,
// serve read() in parallel with each other and with the writer. Fails with
// kIoError naming the file when it cannot be created or opened, is not a
// SQLite database, or refuses WAL mode.
Result<std::unique_ptr<Database>> openSqliteFile(const std::filesystem::path& path);

// Counts of one SQLite file database's write() calls, for diagnostics
// and tests: calls finished, transactions run for them (one per batch),
// and calls waiting for the next batch now.
struct SqliteWriteStats {
  std::uint64_t writes = 0;
  std::uint64_t transactions = 0;
  std::size_t queued = 0;
};

// Returns the counts of `database`, or nullopt when it is not a SQLite file
// database. Thread-safe.
std::optional<SqliteWriteStats> sqliteWriteStats(const Database& database);

// Opens a private in-memory database with a single connection: read() and
// write() take turns. For tests only. Fails with kIoError if SQLite cannot
// allocate it.
Result<std::unique_ptr<Database>> openSqliteMemory();

// The maximum number of read connections one file database opens. A read()
// that finds all of them busy waits for one to be released.
inline constexpr std::size_t kMaxSqliteReadConnections = 8;

// Milliseconds a statement waits for a lock held by another connection
// (another process, or the writer during a checkpoint) before failing.
inline constexpr int kSqliteBusyTimeoutMs = 5000;

// The write-ahead log is copied back into the database file by a
// background thread once it contains kSqliteCheckpointPages pages (4 MiB of
// 4 KiB pages), and by the committing writer itself past
// kSqliteWalHardLimitPages (100 MiB).
inline constexpr int kSqliteCheckpointPages = 1000;

// The maximum number of write() calls that one commit carries (see
// openSqliteFile).
inline constexpr std::size_t kSqliteMaxWriteBatch = 64;
inline constexpr int kSqliteWalHardLimitPages = 25000;

}  // namespace pk::store
