#include "store/sqlite_database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace pk::store {
namespace {

// Dynamic SQL (optional filters) could grow the cache without bound; past
// this many distinct statements a connection drops its cache and starts
// over.
constexpr std::size_t kMaxCachedStatements = 256;
constexpr std::size_t kSqlExcerptLength = 200;

std::string sqlExcerpt(std::string_view sql) {
  if (sql.size() <= kSqlExcerptLength) return std::string(sql);
  return std::string(sql.substr(0, kSqlExcerptLength)) + "...";
}

// A constraint violation (unique key, foreign key, CHECK, NOT NULL, or a
// trigger's RAISE(ABORT)) is the caller's bad data; anything else is the
// database failing.
Error statementError(sqlite3* db, int code, std::string_view sql) {
  const ErrorCode kind =
      (code & 0xff) == SQLITE_CONSTRAINT ? ErrorCode::kInvalidArgument : ErrorCode::kIoError;
  return Error{kind,
               fmt::format("SQLite failed to run \"{}\": {}", sqlExcerpt(sql), sqlite3_errmsg(db))};
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

// One SQLite connection and its prepared statements. Used by one thread
// at a time; the owner (pool or mutex) guarantees that.
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    clearStatements();
    sqlite3_close_v2(db_);
  }

  sqlite3* handle() const { return db_; }

  // Returns the cached statement for `sql`, preparing it on first use. The
  // statement is reset, with no bindings.
  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    if (auto found = statements_.find(sql); found != statements_.end()) return found->second;

    if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
      return fail(ErrorCode::kInvalidArgument, "the SQL statement is longer than SQLite accepts");
    }
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    const int code = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &statement, &tail);
    if (code != SQLITE_OK) return tl::unexpected(statementError(db_, code, sql));
    if (statement == nullptr) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("the SQL text \"{}\" contains no statement", sqlExcerpt(sql)));
    }
    if (auto checked = checkNothingFollows(sql, tail); !checked) {
      sqlite3_finalize(statement);
      return tl::unexpected(checked.error());
    }

    if (statements_.size() >= kMaxCachedStatements) clearStatements();
    statements_.emplace(std::string(sql), statement);
    return statement;
  }

  // Runs a statement without parameters or results (BEGIN, COMMIT, PRAGMA).
  Result<void> run(std::string_view sql) {
    auto statement = prepare(sql);
    if (!statement) return tl::unexpected(statement.error());
    int code = SQLITE_ROW;
    while (code == SQLITE_ROW) code = sqlite3_step(*statement);
    sqlite3_reset(*statement);
    if (code != SQLITE_DONE) return tl::unexpected(statementError(db_, code, sql));
    return {};
  }

  // Ends the open transaction, if SQLite has not already ended it after an
  // error. Errors are ignored: a failed ROLLBACK leaves nothing to undo.
  void rollback() {
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  // sqlite3_prepare compiles only the first statement and would silently
  // ignore the rest, so a second statement in one call is an error.
  Result<void> checkNothingFollows(std::string_view sql, const char* tail) {
    const auto rest_size = static_cast<std::size_t>(sql.data() + sql.size() - tail);
    if (rest_size == 0) return {};
    sqlite3_stmt* rest = nullptr;
    const int code = sqlite3_prepare_v2(db_, tail, static_cast<int>(rest_size), &rest, nullptr);
    const bool only_comments = code == SQLITE_OK && rest == nullptr;
    sqlite3_finalize(rest);
    if (only_comments) return {};
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the SQL text \"{}\" contains more than one statement; run each with "
                            "its own call",
                            sqlExcerpt(sql)));
  }

  void clearStatements() {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
    statements_.clear();
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> statements_;
};

// Resets a statement and drops its bindings when a call ends, however it
// ends, so that the cached statement is ready for the next use and keeps
// no pointer into the caller's parameters.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_;
};

Value columnValue(sqlite3_stmt* statement, int column) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER:
      return static_cast<std::int64_t>(sqlite3_column_int64(statement, column));
    case SQLITE_FLOAT:
      return sqlite3_column_double(statement, column);
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
      const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement, column));
      const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
      if (bytes == nullptr) return std::string();
      return std::string(bytes, size);
    }
    default:
      return std::monostate{};
  }
}

class SqliteSession final : public Session {
 public:
  explicit SqliteSession(Connection& connection) : connection_(connection) {}

  Result<void> execute(std::string_view sql, const std::vector<Value>& params) override {
    auto statement = start(sql, params);
    if (!statement) return tl::unexpected(statement.error());
    StatementUse use(*statement);

    int code = SQLITE_ROW;
    while (code == SQLITE_ROW) code = sqlite3_step(*statement);
    if (code != SQLITE_DONE) return tl::unexpected(statementError(db(), code, sql));
    changed_rows_ = sqlite3_changes64(db());
    return {};
  }

  Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    auto statement = start(sql, params);
    if (!statement) return tl::unexpected(statement.error());
    StatementUse use(*statement);

    const int columns = sqlite3_column_count(*statement);
    std::vector<Row> rows;
    while (true) {
      const int code = sqlite3_step(*statement);
      if (code == SQLITE_DONE) break;
      if (code != SQLITE_ROW) return tl::unexpected(statementError(db(), code, sql));
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(columns));
      for (int column = 0; column < columns; ++column) {
        values.push_back(columnValue(*statement, column));
      }
      rows.emplace_back(std::move(values));
    }
    return rows;
  }

  Result<std::int64_t> insertReturningId(std::string_view sql,
                                         const std::vector<Value>& params) override {
    if (auto executed = execute(sql, params); !executed) return tl::unexpected(executed.error());
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db()));
  }

  std::int64_t changedRows() const override { return changed_rows_; }

 private:
  sqlite3* db() const { return connection_.handle(); }

  // Prepares `sql` and binds `params` to its "?" placeholders in order.
  Result<sqlite3_stmt*> start(std::string_view sql, const std::vector<Value>& params) {
    auto statement = connection_.prepare(sql);
    if (!statement) return statement;

    const auto expected = static_cast<std::size_t>(sqlite3_bind_parameter_count(*statement));
    if (expected != params.size()) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("\"{}\" expects {} parameter(s) but was given {}", sqlExcerpt(sql),
                              expected, params.size()));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const int code = bind(*statement, static_cast<int>(i + 1), params[i]);
          code != SQLITE_OK) {
        sqlite3_clear_bindings(*statement);
        return tl::unexpected(statementError(db(), code, sql));
      }
    }
    return statement;
  }

  // Text is bound without a copy (a null destructor is SQLITE_STATIC):
  // StatementUse clears the bindings before `value` can go away.
  static int bind(sqlite3_stmt* statement, int index, const Value& value) {
    if (const auto* integer = std::get_if<std::int64_t>(&value)) {
      return sqlite3_bind_int64(statement, index, *integer);
    }
    if (const auto* real = std::get_if<double>(&value)) {
      return sqlite3_bind_double(statement, index, *real);
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
      return sqlite3_bind_text64(statement, index, text->data(), text->size(), nullptr,
                                 SQLITE_UTF8);
    }
    return sqlite3_bind_null(statement, index);
  }

  Connection& connection_;
  std::int64_t changed_rows_ = 0;
};

using Work = std::function<Result<void>(Session&)>;

// Runs `work` after `begin` on `connection` and leaves the transaction open
// when it succeeds. A failure from `work` rolls back; an exception rolls
// back and goes on to the caller.
Result<void> runUncommitted(Connection& connection, std::string_view begin, const Work& work) {
  if (auto begun = connection.run(begin); !begun) return begun;

  SqliteSession session(connection);
  Result<void> outcome;
  try {
    outcome = work(session);
  } catch (...) {
    connection.rollback();
    throw;
  }
  if (!outcome) {
    connection.rollback();
    return outcome;
  }

  if (sqlite3_get_autocommit(connection.handle()) != 0) {
    return fail(ErrorCode::kIoError,
                "SQLite rolled the transaction back after an error that was not passed on; "
                "nothing was saved");
  }
  return {};
}

// Whether write() replays its work, as a PostgreSQL retry after a
// serialization failure would: see kReplayWritesVariable.
enum class Replay { kOff, kOn };

Replay replayFromEnvironment() {
  const char* value = std::getenv(kReplayWritesVariable);
  return value != nullptr && std::string_view(value) == "1" ? Replay::kOn : Replay::kOff;
}

// Runs `work` between `begin` and COMMIT on `connection`. With Replay::kOn
// a successful first run is rolled back and `work` runs again in a new
// transaction, whose result is the one committed. A failure from `work` or
// from COMMIT rolls back; an exception rolls back and goes on to the
// caller.
Result<void> runTransaction(Connection& connection, std::string_view begin, const Work& work,
                            Replay replay = Replay::kOff) {
  if (replay == Replay::kOn) {
    if (auto first = runUncommitted(connection, begin, work); !first) return first;
    connection.rollback();
  }
  if (auto outcome = runUncommitted(connection, begin, work); !outcome) return outcome;

  if (auto committed = connection.run("COMMIT"); !committed) {
    connection.rollback();
    return committed;
  }
  return {};
}

// One caller's work waiting in a write batch, and what became of it.
struct BatchItem {
  const Work* work = nullptr;
  std::optional<Result<void>> outcome;
  std::exception_ptr thrown;
};

// Runs each item's work inside one transaction on `connection`, each under
// a savepoint of its own, and commits once. A work that fails or throws is
// rolled back to its savepoint and gets its own failure; the others still
// commit. When SQLite ends the whole transaction (an I/O error, a full
// disk) or COMMIT fails, every item that had succeeded gets that failure
// instead, since nothing was saved. Replay::kOn runs each work twice, as
// runTransaction does.
void runBatch(Connection& connection, std::vector<BatchItem*>& batch, Replay replay) {
  const auto failAll = [&](const Error& error) {
    for (BatchItem* item : batch) {
      if (!item->thrown && (!item->outcome || *item->outcome)) {
        item->outcome = tl::unexpected(error);
      }
    }
  };
  if (auto begun = connection.run("BEGIN IMMEDIATE"); !begun) return failAll(begun.error());

  SqliteSession session(connection);
  for (BatchItem* item : batch) {
    const int runs = replay == Replay::kOn ? 2 : 1;
    for (int run = 0; run < runs; ++run) {
      if (auto saved = connection.run("SAVEPOINT pk_batch_item"); !saved) {
        connection.rollback();
        return failAll(saved.error());
      }
      Result<void> outcome;
      try {
        outcome = (*item->work)(session);
      } catch (...) {
        item->thrown = std::current_exception();
      }
      if (sqlite3_get_autocommit(connection.handle()) != 0) {
        return failAll(Error{ErrorCode::kIoError,
                             "SQLite rolled the transaction back after an error; nothing "
                             "was saved"});
      }
      const bool keep = !item->thrown && outcome && run == runs - 1;
      if (!keep) (void)connection.run("ROLLBACK TO pk_batch_item");
      (void)connection.run("RELEASE pk_batch_item");
      item->outcome = std::move(outcome);
      if (item->thrown || !*item->outcome) break;
    }
  }

  if (auto committed = connection.run("COMMIT"); !committed) {
    connection.rollback();
    failAll(committed.error());
  }
}

Result<std::string> firstText(Connection& connection, std::string_view sql) {
  auto statement = connection.prepare(sql);
  if (!statement) return tl::unexpected(statement.error());
  StatementUse use(*statement);
  const int code = sqlite3_step(*statement);
  if (code == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(*statement, 0);
    return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
  }
  if (code == SQLITE_DONE) return std::string();
  return tl::unexpected(statementError(connection.handle(), code, sql));
}

enum class Role { kWriter, kReader, kCheckpointer, kMemory };

// Opens a connection and sets it up for its role. The writer turns on WAL
// (a setting stored in the file, so readers opened later find it on).
Result<std::unique_ptr<Connection>> openConnection(const std::string& location, Role role) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                    SQLITE_OPEN_EXRESCODE | (role == Role::kMemory ? SQLITE_OPEN_MEMORY : 0);
  sqlite3* db = nullptr;
  const int code = sqlite3_open_v2(location.c_str(), &db, flags, nullptr);
  if (code != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    sqlite3_close_v2(db);
    return fail(ErrorCode::kIoError,
                fmt::format("failed to open the SQLite database {}: {}", location, message));
  }
  auto connection = std::make_unique<Connection>(db);
  sqlite3_busy_timeout(db, kSqliteBusyTimeoutMs);

  auto setUp = [&]() -> Result<void> {
    if (auto enabled = connection->run("PRAGMA foreign_keys = ON"); !enabled) return enabled;
    if (role == Role::kReader) return connection->run("PRAGMA query_only = ON");
    if (role == Role::kMemory) return {};
    if (role == Role::kCheckpointer) {
      // A connection that has not read the file yet does not know it is in
      // WAL mode, and its checkpoints would do nothing.
      auto mode = firstText(*connection, "PRAGMA journal_mode");
      if (!mode) return tl::unexpected(mode.error());
      if (*mode == "wal") return {};
      return fail(
          ErrorCode::kIoError,
          fmt::format("the checkpoint connection found journal mode \"{}\", not WAL", *mode));
    }

    auto mode = firstText(*connection, "PRAGMA journal_mode = WAL");
    if (!mode) return tl::unexpected(mode.error());
    if (*mode != "wal") {
      return fail(ErrorCode::kIoError,
                  fmt::format("SQLite kept journal mode \"{}\" instead of WAL; put the database "
                              "on a local file system",
                              *mode));
    }
    // In WAL mode NORMAL loses at most the last transactions on a power
    // cut and never corrupts the file; FULL would sync on every commit.
    if (auto normal = connection->run("PRAGMA synchronous = NORMAL"); !normal) return normal;
    // The writer's pages stay cached across transactions (64 MiB rather
    // than 2 MiB), so a full inventory upload rereads fewer index pages.
    return connection->run("PRAGMA cache_size = -65536");
  };
  if (auto ready = setUp(); !ready) {
    return fail(ErrorCode::kIoError, fmt::format("failed to set up the SQLite database {}: {}",
                                                 location, ready.error().message));
  }
  return connection;
}

// Read connections, opened on demand up to a maximum and then shared.
class ReadPool {
 public:
  ReadPool(std::string location, std::size_t max_open)
      : location_(std::move(location)), max_open_(max_open) {}

  Result<std::unique_ptr<Connection>> acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < max_open_; });
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    ++open_;
    lock.unlock();

    auto opened = openConnection(location_, Role::kReader);
    if (!opened) {
      lock.lock();
      --open_;
      available_.notify_one();
    }
    return opened;
  }

  void release(std::unique_ptr<Connection> connection) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(connection));
    }
    available_.notify_one();
  }

 private:
  const std::string location_;
  const std::size_t max_open_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

// Marks the thread inside write() so that a nested call fails instead of
// waiting forever for the mutex its own thread holds.
class OwnerMark {
 public:
  explicit OwnerMark(std::atomic<std::thread::id>& owner) : owner_(owner) {
    owner_.store(std::this_thread::get_id());
  }
  OwnerMark(const OwnerMark&) = delete;
  OwnerMark& operator=(const OwnerMark&) = delete;
  ~OwnerMark() { owner_.store(std::thread::id()); }

 private:
  std::atomic<std::thread::id>& owner_;
};

Error nestedCallError() {
  return Error{ErrorCode::kInternal,
               "a database transaction was started inside another one on the same thread; "
               "pass the Session you already have instead"};
}

// Copies the write-ahead log back into the database file on a thread of
// its own. SQLite's automatic checkpoint runs inside the commit that crosses
// the threshold, so one request in every few hundred paid for copying and
// syncing megabytes while every other writer waited behind it. Here commits
// only signal, and a PASSIVE checkpoint runs beside later writes. When the
// log outgrows kSqliteWalHardLimitPages anyway, because the checkpointer
// cannot keep up, the committing writer checkpoints itself and restarts
// the log, which bounds its size.
class Checkpointer {
 public:
  // `connection` is a connection of its own to the same file.
  explicit Checkpointer(std::unique_ptr<Connection> connection)
      : connection_(std::move(connection)), thread_([this] { run(); }) {}
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  // Installs the commit hook on `writer`. Call once, before the first write.
  void watch(sqlite3* writer) { sqlite3_wal_hook(writer, &Checkpointer::onCommit, this); }

 private:
  static int onCommit(void* self, sqlite3* writer, const char* schema, int pages) {
    auto& checkpointer = *static_cast<Checkpointer*>(self);
    if (pages >= kSqliteWalHardLimitPages) {
      // RESTART waits, up to the busy timeout, for readers of the old log
      // to finish, so the next commit starts the log from the beginning.
      // A PASSIVE checkpoint could leave it growing.
      sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
    } else if (pages >= kSqliteCheckpointPages) {
      {
        std::lock_guard lock(checkpointer.mutex_);
        checkpointer.requested_ = true;
      }
      checkpointer.wake_.notify_one();
    }
    return SQLITE_OK;
  }

  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return requested_ || stopping_; });
      if (stopping_) return;
      requested_ = false;
      lock.unlock();
      // A failure (SQLITE_BUSY while another process checkpoints) is
      // harmless: the next commit past the threshold requests another.
      sqlite3_wal_checkpoint_v2(connection_->handle(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                nullptr);
      lock.lock();
    }
  }

  std::unique_ptr<Connection> connection_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

class SqliteFileDatabase final : public Database {
 public:
  SqliteFileDatabase(std::string location, std::unique_ptr<Connection> writer,
                     std::unique_ptr<Connection> checkpoint_connection, Replay replay)
      : replay_(replay),
        writer_(std::move(writer)),
        readers_(std::move(location), kMaxSqliteReadConnections),
        checkpointer_(std::move(checkpoint_connection)) {
    checkpointer_.watch(writer_->handle());
  }

  Backend backend() const override { return Backend::kSqlite; }

  // Writes are committed in groups. A caller queues its work. The first
  // caller to find no batch running takes everything queued (up to
  // kSqliteMaxWriteBatch works) and runs it as one transaction. Later
  // callers queue for the next one. Under load, one commit then carries
  // many check-ins, and pages they share are written to the log once. A
  // lone write runs alone.
  Result<void> write(const std::function<Result<void>(Session&)>& work) override {
    if (writer_thread_.load() == std::this_thread::get_id()) {
      return tl::unexpected(nestedCallError());
    }
    BatchItem mine{.work = &work};
    std::unique_lock lock(queue_mutex_);
    queue_.push_back(&mine);
    while (!mine.outcome && !mine.thrown) {
      if (batch_running_) {
        batch_done_.wait(lock);
        continue;
      }
      batch_running_ = true;
      std::vector<BatchItem*> batch;
      while (!queue_.empty() && batch.size() < kSqliteMaxWriteBatch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      runBatchSafely(batch);
      lock.lock();
      stats_.writes += batch.size();
      ++stats_.transactions;
      batch_running_ = false;
      batch_done_.notify_all();
    }
    if (mine.thrown) std::rethrow_exception(mine.thrown);
    return std::move(*mine.outcome);
  }

  SqliteWriteStats stats() const {
    std::lock_guard lock(queue_mutex_);
    SqliteWriteStats now = stats_;
    now.queued = queue_.size();
    return now;
  }

  Result<void> read(const std::function<Result<void>(Session&)>& work) override {
    auto connection = readers_.acquire();
    if (!connection) return tl::unexpected(connection.error());
    struct Return {
      ReadPool& pool;
      std::unique_ptr<Connection>& connection;
      ~Return() { pool.release(std::move(connection)); }
    } give_back{readers_, *connection};
    // A deferred BEGIN takes its WAL snapshot at the first SELECT and keeps
    // it until COMMIT, so every query in `work` sees the same state.
    return runTransaction(**connection, "BEGIN", work);
  }

 private:
  // Runs `batch` on the writer. A batch of one is an ordinary transaction.
  // IMMEDIATE takes the write lock at BEGIN, so a lock held by another
  // process fails the call (after the busy timeout) before any work runs.
  void runBatchSafely(std::vector<BatchItem*>& batch) {
    OwnerMark mark(writer_thread_);
    if (batch.size() > 1) return runBatch(*writer_, batch, replay_);
    BatchItem& item = *batch.front();
    try {
      item.outcome = runTransaction(*writer_, "BEGIN IMMEDIATE", *item.work, replay_);
    } catch (...) {
      item.thrown = std::current_exception();
    }
  }

  const Replay replay_;
  mutable std::mutex queue_mutex_;
  SqliteWriteStats stats_;
  std::condition_variable batch_done_;
  std::deque<BatchItem*> queue_;
  bool batch_running_ = false;
  std::atomic<std::thread::id> writer_thread_;
  std::unique_ptr<Connection> writer_;
  ReadPool readers_;
  // Last, so that it stops before the connections close.
  Checkpointer checkpointer_;
};

class SqliteMemoryDatabase final : public Database {
 public:
  SqliteMemoryDatabase(std::unique_ptr<Connection> connection, Replay replay)
      : replay_(replay), connection_(std::move(connection)) {}

  Backend backend() const override { return Backend::kSqlite; }

  Result<void> write(const std::function<Result<void>(Session&)>& work) override {
    if (owner_.load() == std::this_thread::get_id()) return tl::unexpected(nestedCallError());
    std::lock_guard lock(mutex_);
    OwnerMark mark(owner_);
    return runTransaction(*connection_, "BEGIN IMMEDIATE", work, replay_);
  }

  Result<void> read(const std::function<Result<void>(Session&)>& work) override {
    if (owner_.load() == std::this_thread::get_id()) return tl::unexpected(nestedCallError());
    std::lock_guard lock(mutex_);
    OwnerMark mark(owner_);
    // The one connection also writes, so read() turns writing off for its
    // turn, as the read connections of a file database have it off.
    if (auto off = connection_->run("PRAGMA query_only = ON"); !off) return off;
    struct Restore {
      Connection& connection;
      ~Restore() { (void)connection.run("PRAGMA query_only = OFF"); }
    } restore{*connection_};
    return runTransaction(*connection_, "BEGIN", work);
  }

 private:
  const Replay replay_;
  std::mutex mutex_;
  std::atomic<std::thread::id> owner_;
  std::unique_ptr<Connection> connection_;
};

// SQLite creates a new file with mode 0644 and gives its -wal and -shm
// files the database file's mode, so creating the file first with 0600
// keeps all three private.
Result<void> createPrivateFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(ErrorCode::kIoError, fmt::format("failed to create the SQLite database {}: {}",
                                                 path.string(), std::strerror(errno)));
  }
  ::close(fd);
  return {};
}

}  // namespace

Result<std::unique_ptr<Database>> openSqliteFile(const std::filesystem::path& path) {
  if (path.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the SQLite database path is empty");
  }
  if (auto created = createPrivateFile(path); !created) return tl::unexpected(created.error());

  auto writer = openConnection(path.string(), Role::kWriter);
  if (!writer) return tl::unexpected(writer.error());
  // Checkpoints are the Checkpointer's, not each commit's. After a burst
  // the log file is cut back to 64 MiB when it starts over.
  for (std::string_view pragma :
       {"PRAGMA wal_autocheckpoint = 0", "PRAGMA journal_size_limit = 67108864"}) {
    auto mode = firstText(**writer, pragma);
    if (!mode) return tl::unexpected(mode.error());
  }
  auto checkpoint_connection = openConnection(path.string(), Role::kCheckpointer);
  if (!checkpoint_connection) return tl::unexpected(checkpoint_connection.error());
  return std::make_unique<SqliteFileDatabase>(path.string(), std::move(*writer),
                                              std::move(*checkpoint_connection),
                                              replayFromEnvironment());
}

std::optional<SqliteWriteStats> sqliteWriteStats(const Database& database) {
  const auto* file = dynamic_cast<const SqliteFileDatabase*>(&database);
  if (file == nullptr) return std::nullopt;
  return file->stats();
}

Result<std::unique_ptr<Database>> openSqliteMemory() {
  auto connection = openConnection(":memory:", Role::kMemory);
  if (!connection) return tl::unexpected(connection.error());
  return std::make_unique<SqliteMemoryDatabase>(std::move(*connection), replayFromEnvironment());
}

}  // namespace pk::store
