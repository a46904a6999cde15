#include "server/postgresql_leader_lock.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <optional>
#include <string>

#include <fmt/format.h>

#include "store/tests/conformance.h"

namespace pk::server {
namespace {

using store::conformance::postgresqlTestServer;
using store::conformance::TemporaryPostgresqlDatabase;

// Each test takes the lock in a database of its own: advisory locks are
// per database, and tests run in parallel.
class PostgresqlLeaderLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto server = postgresqlTestServer();
    if (!server) {
      GTEST_SKIP() << "set PK_TEST_POSTGRESQL to a connection string to run the PostgreSQL "
                      "leader lock tests";
    }
    auto created = TemporaryPostgresqlDatabase::create(*server);
    ASSERT_TRUE(created) << created.error().message;
    database_.emplace(std::move(*created));
  }

  std::unique_ptr<PostgresqlLeaderLock> makeLock() {
    auto lock = PostgresqlLeaderLock::create(database_->connectionString());
    EXPECT_TRUE(lock) << lock.error().message;
    return lock ? std::move(*lock) : nullptr;
  }

  // Ends another session as the database would when its node dies. The
  // timeout makes the call wait until the backend has exited and so has
  // released its locks; without it the signal is only sent.
  void terminateSession(int pid) {
    pg_conn* admin = PQconnectdb(database_->connectionString().c_str());
    ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
    PGresult* result =
        PQexec(admin, fmt::format("SELECT pg_terminate_backend({}, 10000)", pid).c_str());
    EXPECT_EQ(PQresultStatus(result), PGRES_TUPLES_OK) << PQerrorMessage(admin);
    if (PQresultStatus(result) == PGRES_TUPLES_OK) {
      EXPECT_STREQ(PQgetvalue(result, 0, 0), "t") << "the session did not end within 10 s";
    }
    PQclear(result);
    PQfinish(admin);
  }

  std::optional<TemporaryPostgresqlDatabase> database_;
};

TEST_F(PostgresqlLeaderLockTest, OnlyOneNodeHoldsTheLock) {
  auto first = makeLock();
  auto second = makeLock();
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_TRUE(first->tryAcquire());
  EXPECT_FALSE(second->tryAcquire());
  // Holding it is confirmed on every call, not taken again.
  EXPECT_TRUE(first->tryAcquire());
  EXPECT_FALSE(second->tryAcquire());
}

TEST_F(PostgresqlLeaderLockTest, ReleaseLetsAnotherNodeTakeOver) {
  auto first = makeLock();
  auto second = makeLock();
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  ASSERT_TRUE(first->tryAcquire());
  first->release();
  EXPECT_EQ(first->backendPid(), 0);
  EXPECT_TRUE(second->tryAcquire());
  EXPECT_FALSE(first->tryAcquire());
}

// The leader's session ends (its node died, or the network dropped it):
// the other node takes the lock, and the old leader learns it lost it on
// its next check instead of going on as leader.
TEST_F(PostgresqlLeaderLockTest, EndedSessionMovesTheLock) {
  auto first = makeLock();
  auto second = makeLock();
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  ASSERT_TRUE(first->tryAcquire());
  ASSERT_FALSE(second->tryAcquire());

  const int leader_pid = first->backendPid();
  ASSERT_NE(leader_pid, 0);
  terminateSession(leader_pid);

  EXPECT_TRUE(second->tryAcquire());
  EXPECT_FALSE(first->tryAcquire());
}

TEST_F(PostgresqlLeaderLockTest, OtherSessionsCannotUnlockIt) {
  auto first = makeLock();
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->tryAcquire());

  pg_conn* admin = PQconnectdb(database_->connectionString().c_str());
  ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
  // Only the holding session can unlock it.
  PGresult* result = PQexec(
      admin, fmt::format("SELECT pg_advisory_unlock({}, {})", kLeaderLockClass, kLeaderLockObject)
                 .c_str());
  ASSERT_EQ(PQresultStatus(result), PGRES_TUPLES_OK);
  EXPECT_STREQ(PQgetvalue(result, 0, 0), "f");
  PQclear(result);
  PQfinish(admin);
  EXPECT_TRUE(first->tryAcquire());
}

TEST(PostgresqlLeaderLock, UnreachableDatabaseIsNotLeader) {
  // Port 1 on loopback: nothing listens there.
  auto lock = PostgresqlLeaderLock::create("postgresql://nobody:pw@127.0.0.1:1/none");
  ASSERT_TRUE(lock) << lock.error().message;
  EXPECT_FALSE((*lock)->tryAcquire());
  EXPECT_EQ((*lock)->backendPid(), 0);
}

TEST(PostgresqlLeaderLock, MalformedConnectionStringIsRejectedWithoutThePassword) {
  for (const char* text : {"postgresql://user:s3cret-pw@[::1/db", "sqlite:///tmp/x.db",
                           "host=localhost password=s3cret-pw"}) {
    SCOPED_TRACE(text);
    auto lock = PostgresqlLeaderLock::create(text);
    ASSERT_FALSE(lock);
    EXPECT_EQ(lock.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(lock.error().message.find("s3cret-pw"), std::string::npos);
  }
}

}  // namespace
}  // namespace pk::server
