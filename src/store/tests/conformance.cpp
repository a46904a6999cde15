#include "store/tests/conformance.h"

#include <cstdlib>

#include "store/migrations.h"

namespace pk::store::conformance {

SystemTime fixtureStartTime() {
  using namespace std::chrono;
  return SystemTime(sys_days(year(2026) / December / 1));
}

std::string backendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

void StoreTest::SetUp() {
  if (GetParam() == kPostgresql) {
    const char* configured = std::getenv("PK_TEST_POSTGRESQL");
    if (configured == nullptr || *configured == '\0') {
      GTEST_SKIP() << "set PK_TEST_POSTGRESQL to a connection string to run the PostgreSQL "
                      "conformance tests";
    }
    // NOTE: each test needs an empty PostgreSQL database; the backend's
    // author must add a reset (a fresh schema per test) here. Until then
    // tests would share whatever the named database contains.
    connection_string_ = configured;
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
