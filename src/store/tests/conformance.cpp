#include "store/tests/conformance.h"

#include <cstdlib>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "store/migrations.h"
#include "store/postgresql_database.h"

namespace pk::store::conformance {

SystemTime fixtureStartTime() {
  using namespace std::chrono;
  return SystemTime(sys_days(year(2026) / December / 1));
}

std::string backendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

std::optional<std::string> postgresqlTestServer() {
  const char* configured = std::getenv("PK_TEST_POSTGRESQL");
  if (configured == nullptr || *configured == '\0') return std::nullopt;
  return std::string(configured);
}

Result<TemporaryPostgresqlDatabase> TemporaryPostgresqlDatabase::create(
    const std::string& admin_connection_string) {
  auto parts = parsePostgresqlConnectionString(admin_connection_string);
  if (!parts) return tl::unexpected(parts.error());

  // Random names let several test processes share one server.
  std::random_device random;
  std::uniform_int_distribution<std::uint32_t> pick;
  const std::string name = fmt::format("pk_test_{:08x}{:08x}", pick(random), pick(random));

  // template0 with UTF8 and the C locale works whatever locale the cluster
  // was created with.
  if (auto created = runPostgresqlStatementOutsideTransaction(
          admin_connection_string,
          fmt::format("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' "
                      "LC_CTYPE 'C'",
                      name));
      !created) {
    return tl::unexpected(created.error());
  }
  parts->dbname = name;
  return TemporaryPostgresqlDatabase(admin_connection_string, name, parts->format());
}

TemporaryPostgresqlDatabase::TemporaryPostgresqlDatabase(
    TemporaryPostgresqlDatabase&& other) noexcept
    : admin_(std::move(other.admin_)),
      name_(std::move(other.name_)),
      connection_string_(std::move(other.connection_string_)) {
  other.name_.clear();
}

TemporaryPostgresqlDatabase::~TemporaryPostgresqlDatabase() {
  if (name_.empty()) return;
  // FORCE ends connections a test left open (a leaked Database handle).
  // An autovacuum worker that has just started on the new database cannot
  // be ended by a non-superuser, so the drop is tried again once it is
  // gone; this cleanup pause is not part of what any test measures.
  const std::string drop = fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", name_);
  auto dropped = runPostgresqlStatementOutsideTransaction(admin_, drop);
  for (int attempt = 0; !dropped && attempt < 20; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    dropped = runPostgresqlStatementOutsideTransaction(admin_, drop);
  }
  EXPECT_TRUE(dropped) << errorText(dropped);
}

void StoreTest::SetUp() {
  if (GetParam() == kPostgresql) {
    const auto server = postgresqlTestServer();
    if (!server) {
      GTEST_SKIP() << "set PK_TEST_POSTGRESQL to a connection string to run the PostgreSQL "
                      "conformance tests";
    }
    auto created = TemporaryPostgresqlDatabase::create(*server);
    ASSERT_TRUE(created) << errorText(created);
    postgresql_database_.emplace(std::move(*created));
    connection_string_ = postgresql_database_->connectionString();
  } else {
    auto created = test_support::TemporaryDirectory::create("store");
    ASSERT_TRUE(created) << errorText(created);
    directory_.emplace(std::move(*created));
    connection_string_ = "sqlite://" + (directory_->path() / "patchkeeper.db").string();
  }

  auto opened = openDatabase(connection_string_);
  ASSERT_TRUE(opened) << errorText(opened);
  database_ = std::move(*opened);

  auto migrated = migrate(*database_, clock_);
  ASSERT_TRUE(migrated) << errorText(migrated);
}

void StoreTest::TearDown() {
  database_.reset();
  postgresql_database_.reset();
}

std::string StoreTest::reopen() {
  database_.reset();
  auto opened = openDatabase(connection_string_);
  if (!opened) return errorText(opened);
  database_ = std::move(*opened);
  return "";
}

std::filesystem::path StoreTest::directory() const {
  return directory_ ? directory_->path() : std::filesystem::path();
}

}  // namespace pk::store::conformance
