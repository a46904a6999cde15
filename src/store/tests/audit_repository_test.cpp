#include "store/audit_repository.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::minutes;

class AuditRepositoryTest : public conformance::StoreTest {
 protected:
  AuditEvent event(std::string actor, std::string object_type, std::string object_id) {
    AuditEvent event;
    event.at = clock_.now();
    event.actor = std::move(actor);
    event.action = object_type + ".update";
    event.object_type = std::move(object_type);
    event.object_id = std::move(object_id);
    event.before_json = R"({"kind":"server"})";
    event.after_json = R"({"kind":"endpoint"})";
    event.remote_address = "127.0.0.1";
    return event;
  }

  // Appends `event` in its own transaction and returns its id (0 on failure).
  std::int64_t append(const AuditEvent& event) {
    std::int64_t id = 0;
    auto done = database().write([&](Session& session) -> Result<void> {
      auto appended = appendAuditEvent(session, event);
      if (!appended) return tl::unexpected(appended.error());
      id = *appended;
      return {};
    });
    EXPECT_TRUE(done) << errorText(done);
    return id;
  }

  std::vector<AuditEvent> list(const AuditQuery& query) {
    std::vector<AuditEvent> events;
    auto done = database().read([&](Session& session) -> Result<void> {
      auto listed = listAuditEvents(session, query);
      if (!listed) return tl::unexpected(listed.error());
      events = std::move(*listed);
      return {};
    });
    EXPECT_TRUE(done) << errorText(done);
    return events;
  }

  static std::vector<std::int64_t> ids(const std::vector<AuditEvent>& events) {
    std::vector<std::int64_t> result;
    for (const AuditEvent& event : events) result.push_back(event.id);
    return result;
  }

  // Runs one raw statement in a write transaction.
  Result<void> writeRaw(const std::string& sql) {
    return database().write([&](Session& session) { return session.execute(sql); });
  }
};
PK_STORE_CONFORMANCE_SUITE(AuditRepositoryTest);

TEST_P(AuditRepositoryTest, AppendedEventRoundTrips) {
  AuditEvent original = event("user:alice", "host", "h-0123456789abcdef");
  original.at += std::chrono::microseconds(123456);
  const std::int64_t id = append(original);
  ASSERT_GT(id, 0);

  const auto events = list({});
  ASSERT_EQ(events.size(), 1u);
  const AuditEvent& stored = events.front();
  EXPECT_EQ(stored.id, id);
  EXPECT_EQ(stored.at, original.at);
  EXPECT_EQ(stored.actor, original.actor);
  EXPECT_EQ(stored.action, original.action);
  EXPECT_EQ(stored.object_type, original.object_type);
  EXPECT_EQ(stored.object_id, original.object_id);
  EXPECT_EQ(stored.before_json, original.before_json);
  EXPECT_EQ(stored.after_json, original.after_json);
  EXPECT_EQ(stored.remote_address, original.remote_address);
}

TEST_P(AuditRepositoryTest, IdsIncreaseAndListIsOldestFirst) {
  const std::int64_t first = append(event("user:alice", "host", "h-1"));
  const std::int64_t second = append(event("user:bob", "user", "carol"));
  const std::int64_t third = append(event("system", "feed", "osv"));
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_EQ(ids(list({})), (std::vector<std::int64_t>{first, second, third}));
}

TEST_P(AuditRepositoryTest, AppendIgnoresGivenId) {
  AuditEvent given = event("system", "feed", "kev");
  given.id = 5000;
  const std::int64_t id = append(given);
  EXPECT_NE(id, 5000);
  EXPECT_EQ(ids(list({})), std::vector<std::int64_t>{id});
}

TEST_P(AuditRepositoryTest, EventNeedsActorActionAndType) {
  for (int missing = 0; missing < 3; ++missing) {
    AuditEvent incomplete = event("user:alice", "host", "h-1");
    if (missing == 0) incomplete.actor.clear();
    if (missing == 1) incomplete.action.clear();
    if (missing == 2) incomplete.object_type.clear();
    auto done = database().write([&](Session& session) -> Result<void> {
      return appendAuditEvent(session, incomplete).map([](std::int64_t) {});
    });
    ASSERT_FALSE(done) << "missing field " << missing;
    EXPECT_EQ(done.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(list({}).empty());
}

TEST_P(AuditRepositoryTest, RolledBackChangeLeavesNoEvent) {
  auto done = database().write([&](Session& session) -> Result<void> {
    auto appended = appendAuditEvent(session, event("user:alice", "host", "h-1"));
    if (!appended) return tl::unexpected(appended.error());
    return fail(ErrorCode::kInvalidArgument, "the change itself failed");
  });
  ASSERT_FALSE(done);
  EXPECT_TRUE(list({}).empty());
}

TEST_P(AuditRepositoryTest, UpdateThroughSqlIsRejected) {
  const std::int64_t id = append(event("user:alice", "host", "h-1"));
  auto updated = writeRaw("UPDATE audit_events SET actor = 'user:mallory'");
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kInvalidArgument) << updated.error().message;
  EXPECT_NE(updated.error().message.find("append-only"), std::string::npos)
      << updated.error().message;

  const auto events = list({});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.front().id, id);
  EXPECT_EQ(events.front().actor, "user:alice");
}

TEST_P(AuditRepositoryTest, DeleteThroughSqlIsRejected) {
  append(event("user:alice", "host", "h-1"));
  append(event("user:bob", "host", "h-2"));

  auto one = writeRaw("DELETE FROM audit_events WHERE actor = 'user:alice'");
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().code, ErrorCode::kInvalidArgument) << one.error().message;
  auto all = writeRaw("DELETE FROM audit_events");
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, ErrorCode::kInvalidArgument) << all.error().message;
  EXPECT_EQ(list({}).size(), 2u);
}

TEST_P(AuditRepositoryTest, ReplaceThroughSqlIsRejected) {
  if (backend() != Backend::kSqlite) GTEST_SKIP() << "INSERT OR REPLACE is SQLite syntax";
  const std::int64_t id = append(event("user:alice", "host", "h-1"));

  auto replaced = writeRaw(
      "INSERT OR REPLACE INTO audit_events (id, at, actor, action, object_type, object_id, "
      "before_json, after_json, remote_address) VALUES (" +
      std::to_string(id) + ", 0, 'user:mallory', 'x', 'host', 'h-1', '', '', '')");
  ASSERT_FALSE(replaced);
  EXPECT_EQ(replaced.error().code, ErrorCode::kInvalidArgument) << replaced.error().message;

  const auto events = list({});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.front().actor, "user:alice");
}

TEST_P(AuditRepositoryTest, UpsertThroughSqlIsRejected) {
  const std::int64_t id = append(event("user:alice", "host", "h-1"));
  auto upserted = writeRaw(
      "INSERT INTO audit_events (id, at, actor, action, object_type, object_id, before_json, "
      "after_json, remote_address) VALUES (" +
      std::to_string(id) +
      ", 0, 'user:mallory', 'x', 'host', 'h-1', '', '', '') "
      "ON CONFLICT (id) DO UPDATE SET actor = excluded.actor");
  ASSERT_FALSE(upserted);
  EXPECT_EQ(upserted.error().code, ErrorCode::kInvalidArgument) << upserted.error().message;
  EXPECT_EQ(list({}).front().actor, "user:alice");
}

TEST_P(AuditRepositoryTest, FiltersByActor) {
  const std::int64_t alice = append(event("user:alice", "host", "h-1"));
  append(event("user:bob", "host", "h-1"));
  const std::int64_t alice_again = append(event("user:alice", "user", "carol"));

  AuditQuery query;
  query.actor = "user:alice";
  EXPECT_EQ(ids(list(query)), (std::vector<std::int64_t>{alice, alice_again}));
}

TEST_P(AuditRepositoryTest, FiltersByObject) {
  const std::int64_t host_one = append(event("user:alice", "host", "h-1"));
  const std::int64_t host_two = append(event("user:alice", "host", "h-2"));
  append(event("user:alice", "user", "h-1"));

  AuditQuery by_type;
  by_type.object_type = "host";
  EXPECT_EQ(ids(list(by_type)), (std::vector<std::int64_t>{host_one, host_two}));

  AuditQuery by_object;
  by_object.object_type = "host";
  by_object.object_id = "h-1";
  EXPECT_EQ(ids(list(by_object)), std::vector<std::int64_t>{host_one});
}

TEST_P(AuditRepositoryTest, FiltersBySince) {
  append(event("user:alice", "host", "h-1"));
  clock_.advance(minutes(10));
  const SystemTime cut = clock_.now();
  const std::int64_t at_cut = append(event("user:alice", "host", "h-2"));
  clock_.advance(minutes(10));
  const std::int64_t after_cut = append(event("user:alice", "host", "h-3"));

  AuditQuery query;
  query.since = cut;
  EXPECT_EQ(ids(list(query)), (std::vector<std::int64_t>{at_cut, after_cut}));
}

TEST_P(AuditRepositoryTest, FiltersCombine) {
  append(event("user:alice", "host", "h-1"));
  clock_.advance(minutes(1));
  const SystemTime cut = clock_.now();
  append(event("user:bob", "host", "h-1"));
  const std::int64_t wanted = append(event("user:alice", "host", "h-1"));
  append(event("user:alice", "host", "h-2"));

  AuditQuery query;
  query.since = cut;
  query.actor = "user:alice";
  query.object_type = "host";
  query.object_id = "h-1";
  EXPECT_EQ(ids(list(query)), std::vector<std::int64_t>{wanted});
}

TEST_P(AuditRepositoryTest, PagesWithAfterIdAndLimit) {
  std::vector<std::int64_t> appended;
  for (int i = 0; i < 7; ++i) {
    appended.push_back(append(event("system", "feed", "osv-" + std::to_string(i))));
  }

  std::vector<std::int64_t> paged;
  AuditQuery query;
  query.limit = 3;
  std::vector<std::size_t> page_sizes;
  while (true) {
    const auto page = list(query);
    if (page.empty()) break;
    page_sizes.push_back(page.size());
    for (const AuditEvent& event : page) paged.push_back(event.id);
    query.after_id = page.back().id;
    ASSERT_LE(page_sizes.size(), 10u) << "paging does not end";
  }
  EXPECT_EQ(paged, appended);
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{3, 3, 1}));
}

TEST_P(AuditRepositoryTest, NewestFirstPagesBackWithBeforeId) {
  std::vector<std::int64_t> appended;
  for (int i = 0; i < 5; ++i) {
    appended.push_back(append(event("system", "feed", "osv-" + std::to_string(i))));
  }

  std::vector<std::int64_t> paged;
  AuditQuery query;
  query.newest_first = true;
  query.limit = 2;
  for (int pages = 0; pages < 10; ++pages) {
    const auto page = list(query);
    if (page.empty()) break;
    for (const AuditEvent& event : page) paged.push_back(event.id);
    query.before_id = page.back().id;
  }
  std::reverse(appended.begin(), appended.end());
  EXPECT_EQ(paged, appended);
}

TEST_P(AuditRepositoryTest, NewestFirstKeepsFilters) {
  const std::int64_t first = append(event("user:alice", "host", "h-1"));
  append(event("user:bob", "host", "h-1"));
  const std::int64_t third = append(event("user:alice", "user", "bob"));
  AuditQuery query;
  query.newest_first = true;
  query.actor = "user:alice";
  EXPECT_EQ(ids(list(query)), (std::vector<std::int64_t>{third, first}));
}

TEST_P(AuditRepositoryTest, LimitZeroReturnsNothing) {
  append(event("system", "feed", "osv"));
  AuditQuery query;
  query.limit = 0;
  EXPECT_TRUE(list(query).empty());
}

}  // namespace
}  // namespace pk::store
