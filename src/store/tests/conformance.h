#pragma once

// The store's conformance fixture: every repository test runs once per
// backend against a fresh, fully migrated database. SQLite always runs,
// on a new file in a temporary directory. PostgreSQL runs only when the
// environment variable PK_TEST_POSTGRESQL contains a connection string,
// and is skipped otherwise; each test then creates its own database
// pk_test_<random hex> on that server (the user needs CREATEDB) and drops
// it when the test ends.
//
// Use it in src/store/tests/<aggregate>_repository_test.cpp:
//
//   class HostRepositoryTest : public pk::store::conformance::StoreTest {};
//   PK_STORE_CONFORMANCE_SUITE(HostRepositoryTest);
//
//   TEST_P(HostRepositoryTest, EnrolsHost) {
//     auto written = database().write([&](pk::store::Session& session) {
//       return ...;  // calls into the repository
//     });
//     ASSERT_TRUE(written) << errorText(written);
//   }
//
// The namespace is not called "testing" because that would clash with
// GoogleTest's.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"
#include "tests/support/temporary_directory.h"

namespace pk::store::conformance {

inline constexpr const char* kSqlite = "sqlite";
inline constexpr const char* kPostgresql = "postgresql";

// The instant the fixture's clock starts at: 2026-12-01T00:00:00Z.
SystemTime fixtureStartTime();

// Returns "" for a success, or the error's code name and message.
template <typename T>
std::string errorText(const Result<T>& result) {
  if (result) return "";
  return std::string(errorCodeName(result.error().code)) + ": " + result.error().message;
}

// Reads PK_TEST_POSTGRESQL; nullopt when it is unset or empty.
std::optional<std::string> postgresqlTestServer();

// A PostgreSQL database that exists for one test: created empty (UTF8,
// C collation, so text sorts byte by byte as in SQLite) on the server of
// `admin_connection_string` and dropped, with any connections still open
// to it, by the destructor.
class TemporaryPostgresqlDatabase {
 public:
  static Result<TemporaryPostgresqlDatabase> create(const std::string& admin_connection_string);
  TemporaryPostgresqlDatabase(TemporaryPostgresqlDatabase&& other) noexcept;
  TemporaryPostgresqlDatabase& operator=(TemporaryPostgresqlDatabase&&) = delete;
  TemporaryPostgresqlDatabase(const TemporaryPostgresqlDatabase&) = delete;
  ~TemporaryPostgresqlDatabase();

  // The connection string of the new database.
  const std::string& connectionString() const { return connection_string_; }
  const std::string& name() const { return name_; }

 private:
  TemporaryPostgresqlDatabase(std::string admin, std::string name, std::string connection_string)
      : admin_(std::move(admin)),
        name_(std::move(name)),
        connection_string_(std::move(connection_string)) {}

  std::string admin_;
  std::string name_;
  std::string connection_string_;
};

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Opens a fresh database of the backend named by GetParam() and migrates
  // it to the latest schema with clock_. Skips the test for PostgreSQL
  // without PK_TEST_POSTGRESQL; fails it if the database cannot be opened
  // or migrated.
  void SetUp() override;

  // Closes the database, then drops a PostgreSQL test database.
  void TearDown() override;

  Database& database() { return *database_; }
  Backend backend() const { return database_->backend(); }

  // Opens the database again from its connection string, after closing the
  // current handle, as a restarted server would. Returns the error text,
  // "" on success.
  std::string reopen();

  // Closes the database handle (tests that inspect the file afterwards).
  void close() { database_.reset(); }

  const std::string& connectionString() const { return connection_string_; }

  // The test's own folder (SQLite only; empty for PostgreSQL).
  std::filesystem::path directory() const;

  FakeClock clock_{fixtureStartTime()};

 private:
  std::optional<test_support::TemporaryDirectory> directory_;
  // PK_TEST_POSTGRESQL, through which the test database is dropped.
  std::optional<TemporaryPostgresqlDatabase> postgresql_database_;
  std::string connection_string_;
  std::unique_ptr<Database> database_;
};

// A readable test name suffix for each backend: "/sqlite", "/postgresql".
std::string backendName(const ::testing::TestParamInfo<std::string>& info);

}  // namespace pk::store::conformance

// Runs every TEST_P of `fixture` (a class derived from StoreTest) on each
// backend. Write it once per fixture, in the fixture's test file.
#define PK_STORE_CONFORMANCE_SUITE(fixture)                                                       \
  INSTANTIATE_TEST_SUITE_P(Backends, fixture,                                                     \
                           ::testing::Values(std::string(::pk::store::conformance::kSqlite),      \
                                             std::string(::pk::store::conformance::kPostgresql)), \
                           ::pk::store::conformance::backendName)
