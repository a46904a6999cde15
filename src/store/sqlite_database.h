#pragma once

// The SQLite backend of store::Database. Callers normally go through
// openDatabase() in database.h; this header exists for that function and
// for tests and benchmarks that need to name the backend directly.

#include <filesystem>
#include <memory>

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
// `path` in WAL mode. One write connection serves write() behind a mutex.
// Up to kMaxSqliteReadConnections read connections, opened on demand,
// serve read() in parallel with each other and with the writer. Fails with
// kIoError naming the file when it cannot be created or opened, is not a
// SQLite database, or refuses WAL mode.
Result<std::unique_ptr<Database>> openSqliteFile(const std::filesystem::path& path);

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

}  // namespace pk::store
