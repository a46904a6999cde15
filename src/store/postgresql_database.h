#pragma once

// The PostgreSQL backend of store::Database, written on libpq. Callers
// normally go through openDatabase() in database.h. This header also
// exposes the pieces that are tested on their own: the connection string
// parser, the placeholder rewriter and the schema type translator.
//
// Transactions:
//   - write() runs BEGIN ISOLATION LEVEL SERIALIZABLE, the work, COMMIT.
//     A serialization failure or deadlock (SQLSTATE 40001 or 40P01), at
//     any statement or at COMMIT, rolls back and runs `work` again, up to
//     kPostgresqlWriteAttempts times in all, with a short random pause
//     between attempts. `work` may therefore run more than once: it must
//     leave its results only in variables it sets on every run. After the
//     first failed attempt a writer runs alone among this Database's
//     writers, so writers of one process always make progress; writers in
//     other processes are what the bounded retry is for. When every
//     attempt fails, write() returns kIoError saying the transaction can
//     be retried.
//   - read() runs BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY: one
//     snapshot for the whole call, and statements that change data fail
//     with kIoError.
//   - A statement that fails aborts the transaction on PostgreSQL (unlike
//     SQLite, where only that statement is undone). Later statements in
//     the same call fail with kIoError, and if `work` still returns
//     success the transaction is rolled back and kIoError returned.
//   - A nested write() on the same thread fails with kInternal.
//
// Connections: a pool of at most `pool_size` connections (default
// kDefaultPostgresqlPoolSize), opened on demand and shared by read() and
// write(). A call that finds every connection busy waits for one. A
// connection found closed (the server restarted, or an administrator
// ended it) is replaced before the transaction starts; a connection lost
// in the middle of a transaction fails that call with kIoError and is
// replaced for the next one.
//
// Statements are prepared once per connection and cached by SQL text and
// parameter types, up to kMaxPostgresqlCachedStatements per connection.
//
// Errors: SQLSTATE class 23 (unique, foreign key, check and not-null
// violations, and the audit log's triggers, which raise 23000) is
// kInvalidArgument. Everything else is kIoError with the first 200
// characters of the statement and the server's message. No message
// contains the password of the connection string.
//
// Thread safety: a Database may be used from any number of threads.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "store/database.h"

namespace pk::store {

inline constexpr std::size_t kDefaultPostgresqlPoolSize = 10;
inline constexpr std::size_t kMaxPostgresqlPoolSize = 1000;
inline constexpr int kPostgresqlWriteAttempts = 10;
inline constexpr std::size_t kMaxPostgresqlCachedStatements = 256;

// The parts of postgresql://user:password@host:port/dbname?key=value&...
// (also postgres://), percent-decoded. Empty parts are left to libpq's
// defaults (the Unix socket, port 5432, the user's name as the database).
struct PostgresqlConnectionString {
  std::string user;
  std::string password;
  std::string host;  // without the brackets of an IPv6 address
  std::string port;  // digits only
  std::string dbname;
  std::size_t pool_size = kDefaultPostgresqlPoolSize;
  // libpq settings given as query parameters, in order. Only these keys
  // are accepted: sslmode, sslrootcert, sslcert, sslkey, connect_timeout,
  // application_name, target_session_attrs.
  std::vector<std::pair<std::string, std::string>> options;

  // The connection string again, percent-encoded, password included.
  std::string format() const;
  // format() with the password replaced by "***", for messages and logs.
  std::string redacted() const;
};

// Parses a postgresql:// or postgres:// connection string. Fails with
// kInvalidArgument on another scheme, a bad percent escape, a port that is
// not a number from 1 to 65535, an unknown query parameter, or a pool_size
// outside 1 to kMaxPostgresqlPoolSize. The message never repeats the
// password.
Result<PostgresqlConnectionString> parsePostgresqlConnectionString(std::string_view text);

// Opens a pool on the database named by `connection_string` and checks it
// by opening the first connection. Fails with kInvalidArgument for a bad
// string, kIoError (with the server's reason: unreachable, bad password,
// missing database) when that first connection fails.
Result<std::unique_ptr<Database>> openPostgresql(std::string_view connection_string);

// Runs one statement outside any transaction on a connection of its own,
// for what a transaction cannot hold: CREATE DATABASE and DROP DATABASE in
// tests and tools. Errors as for Session::execute().
Result<void> runPostgresqlStatementOutsideTransaction(std::string_view connection_string,
                                                      std::string_view sql);

// Runs `work` in a READ COMMITTED transaction that first takes the
// transaction-level advisory lock `key` (pg_advisory_xact_lock), so that
// callers holding the same key on one database run one at a time. Each
// statement after the lock sees what the previous holder committed, which
// a SERIALIZABLE snapshot taken before the wait would not. On a SQLite
// database it is write(), whose writers already run one at a time.
Result<void> writeUnderAdvisoryLock(Database& database, std::int64_t key,
                                    const std::function<Result<void>(Session&)>& work);

// A statement made ready for PostgreSQL: "?" placeholders outside string
// literals, quoted identifiers, dollar quotes and comments numbered $1..$n,
// and a trailing ";" (with any comments after it) removed.
struct PostgresqlStatement {
  std::string text;
  std::size_t parameter_count = 0;
};

// Fails with kInvalidArgument when `sql` contains more than one statement or
// ends inside a literal or comment.
Result<PostgresqlStatement> rewritePlaceholders(std::string_view sql);

// Translates the portable column types of a CREATE TABLE or ALTER TABLE
// statement (database.h): "<column> INTEGER PRIMARY KEY" becomes
// "<column> BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", other
// INTEGER becomes BIGINT and REAL becomes DOUBLE PRECISION. Words inside
// literals, quoted identifiers and comments are left alone. Any other
// statement is returned unchanged.
std::string translateSchemaTypes(std::string_view sql);

}  // namespace pk::store
