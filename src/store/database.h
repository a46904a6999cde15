#pragma once

// The storage interface every backend implements: SQLite (the embedded
// default) and PostgreSQL. Repositories (one per aggregate, in this folder)
// take a Session and speak portable SQL through it:
//   - placeholders are written "?" and numbered by the backend when needed;
//   - types are INTEGER (64-bit), REAL (double), TEXT and BLOB-free TEXT; times
//     are stored as INTEGER microseconds since the Unix epoch, UTC;
//   - booleans are INTEGER 0/1; identifiers are TEXT or INTEGER keys that
//     the caller chooses or reads back with insertReturningId();
//   - upserts use "INSERT ... ON CONFLICT (...) DO UPDATE SET ...", which
//     both backends accept.
//
// Work is done inside a transaction: Database::write() for changes,
// Database::read() for queries. Each call runs `work` with a Session that is
// valid only during the call; a failure returned by `work`, or an exception
// it throws, rolls everything back.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.h"

namespace pk::store {

// A bound parameter or a result column. std::monostate is SQL NULL.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}

  std::size_t size() const { return values_.size(); }
  bool isNull(std::size_t column) const;
  // Each accessor returns the column converted from what the backend
  // stored: text() of an INTEGER is its decimal form, integer() of NULL is 0,
  // text() of NULL is "". Throws std::out_of_range past the last column.
  std::string text(std::size_t column) const;
  std::int64_t integer(std::size_t column) const;
  double real(std::size_t column) const;
  bool boolean(std::size_t column) const { return integer(column) != 0; }
  std::optional<std::string> optionalText(std::size_t column) const;
  std::optional<std::int64_t> optionalInteger(std::size_t column) const;
  const Value& value(std::size_t column) const { return values_.at(column); }

 private:
  std::vector<Value> values_;
};

// One transaction's view of the database. Not thread-safe; used only on
// the thread that runs the Database::read() or write() callback.
class Session {
 public:
  virtual ~Session() = default;

  // Runs one statement. Fails with kIoError naming the statement and the
  // backend's message, or kInvalidArgument on a constraint violation
  // (unique key, foreign key, check).
  virtual Result<void> execute(std::string_view sql, const std::vector<Value>& params = {}) = 0;

  // Runs one query and returns every row.
  virtual Result<std::vector<Row>> query(std::string_view sql,
                                         const std::vector<Value>& params = {}) = 0;

  // Runs an INSERT into a table with an "id INTEGER PRIMARY KEY" column
  // (SERIAL/BIGSERIAL-like on PostgreSQL) and returns the new id.
  virtual Result<std::int64_t> insertReturningId(std::string_view sql,
                                                 const std::vector<Value>& params = {}) = 0;

  // Rows changed by the last execute().
  virtual std::int64_t changedRows() const = 0;

  // Convenience: the first row of query(), or nullopt when there is none.
  Result<std::optional<Row>> queryOne(std::string_view sql, const std::vector<Value>& params = {});
};

enum class Backend { kSqlite, kPostgresql };

class Database {
 public:
  virtual ~Database() = default;

  virtual Backend backend() const = 0;

  // Runs `work` in a read-write transaction and commits when it returns a
  // value. Thread-safe; writers are serialized.
  virtual Result<void> write(const std::function<Result<void>(Session&)>& work) = 0;

  // Runs `work` in a read-only transaction that sees one consistent state.
  // Thread-safe; readers may run alongside each other and a writer.
  virtual Result<void> read(const std::function<Result<void>(Session&)>& work) = 0;
};

// Opens the database named by `connection_string`:
//   sqlite:///absolute/path/patchkeeper.db   (created when missing; WAL,
//   sqlite://relative/path.db                 foreign keys on, busy timeout)
//   sqlite::memory:                           (tests only; one connection)
//   postgresql://user:password@host:port/dbname  (once that backend exists)
// Fails with kInvalidArgument on an unknown scheme, kUnsupported for a
// backend this build lacks, kIoError when the database cannot be opened.
// Does not migrate: see migrations.h.
Result<std::unique_ptr<Database>> openDatabase(std::string_view connection_string);

}  // namespace pk::store
