#include "store/window_repository.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "store/calendar_feed_repository.h"
#include "store/host_repository.h"
#include "store/tests/conformance.h"
#include "store/user_repository.h"

namespace pk::store {
namespace {

using conformance::errorText;

class WindowRepositoryTest : public conformance::StoreTest {
 protected:
  Result<void> write(const std::function<Result<void>(Session&)>& work) {
    return database().write(work);
  }

  template <typename T>
  Result<T> readValue(const std::function<Result<T>(Session&)>& work) {
    std::optional<Result<T>> result;
    auto done = database().read([&](Session& session) -> Result<void> {
      result = work(session);
      return {};
    });
    if (!done) return tl::unexpected(done.error());
    return std::move(*result);
  }

  WindowRecord sampleWindow(const std::string& name) {
    WindowRecord window;
    window.id = newWindowId();
    window.name = name;
    window.description = "Second Tuesday plus five days, Ünïcode kept";
    window.rrule = "FREQ=MONTHLY;BYDAY=2TU";
    window.start_local = "2026-01-01T02:00:00";
    window.zone = "America/New_York";
    window.length_seconds = 4 * 3600;
    window.offset_days = 5;
    window.exclusions = {"2026-12-18", "2027-01-17"};
    window.blackouts = {{"2026-12-20T00:00:00", "2027-01-03T00:00:00"}};
    window.created_at = clock_.now();
    window.updated_at = clock_.now();
    return window;
  }

  std::string insertServer() {
    HostRecord host;
    host.id = newHostId();
    host.hostname = "db-1";
    host.machine_id = host.id;
    host.kind = "server";
    host.enrolled_at = clock_.now();
    auto inserted = write([&](Session& session) { return insertHost(session, host); });
    EXPECT_TRUE(inserted) << errorText(inserted);
    return host.id;
  }
};
PK_STORE_CONFORMANCE_SUITE(WindowRepositoryTest);

TEST_P(WindowRepositoryTest, WindowRoundTripsExactly) {
  const WindowRecord window = sampleWindow("patch-tuesday");
  ASSERT_TRUE(write([&](Session& session) { return insertWindow(session, window); }));

  auto stored = readValue<std::optional<WindowRecord>>(
      [&](Session& session) { return getWindow(session, window.id); });
  ASSERT_TRUE(stored) << errorText(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ(**stored, window);
}

TEST_P(WindowRepositoryTest, IdsHavePrefixAndDiffer) {
  const std::string first = newWindowId();
  EXPECT_EQ(first.size(), 18u);
  EXPECT_EQ(first.substr(0, 2), "w-");
  EXPECT_NE(first, newWindowId());
}

TEST_P(WindowRepositoryTest, DuplicateNameIsRefused) {
  ASSERT_TRUE(write([&](Session& session) { return insertWindow(session, sampleWindow("a")); }));
  auto second = write([&](Session& session) { return insertWindow(session, sampleWindow("a")); });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(WindowRepositoryTest, UpdateReplacesFieldsButKeepsCreation) {
  WindowRecord window = sampleWindow("b");
  ASSERT_TRUE(write([&](Session& session) { return insertWindow(session, window); }));
  const SystemTime created = window.created_at;
  window.name = "b-renamed";
  window.exclusions.clear();
  window.blackouts.clear();
  window.length_seconds = 60;
  window.created_at = created + std::chrono::hours(1);
  window.updated_at = created + std::chrono::hours(2);
  ASSERT_TRUE(write([&](Session& session) { return updateWindow(session, window); }));

  auto stored = readValue<std::optional<WindowRecord>>(
      [&](Session& session) { return getWindow(session, window.id); });
  ASSERT_TRUE(stored) << errorText(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->name, "b-renamed");
  EXPECT_TRUE((*stored)->exclusions.empty());
  EXPECT_TRUE((*stored)->blackouts.empty());
  EXPECT_EQ((*stored)->length_seconds, 60);
  EXPECT_EQ((*stored)->created_at, created);
  EXPECT_EQ((*stored)->updated_at, created + std::chrono::hours(2));
}

TEST_P(WindowRepositoryTest, UpdateOfUnknownWindowIsNotFound) {
  auto updated =
      write([&](Session& session) { return updateWindow(session, sampleWindow("ghost")); });
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kNotFound);
}

TEST_P(WindowRepositoryTest, ListIsSortedByName) {
  ASSERT_TRUE(write([&](Session& session) { return insertWindow(session, sampleWindow("zulu")); }));
  ASSERT_TRUE(
      write([&](Session& session) { return insertWindow(session, sampleWindow("alpha")); }));
  auto all =
      readValue<std::vector<WindowRecord>>([](Session& session) { return listWindows(session); });
  ASSERT_TRUE(all) << errorText(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).name, "alpha");
  EXPECT_EQ(all->at(1).name, "zulu");
}

TEST_P(WindowRepositoryTest, AssignedWindowIsCountedAndCannotBeDeleted) {
  const WindowRecord window = sampleWindow("c");
  ASSERT_TRUE(write([&](Session& session) { return insertWindow(session, window); }));
  const std::string host_id = insertServer();
  HostWindowRecord assignment;
  assignment.host_id = host_id;
  assignment.window_id = window.id;
  assignment.assigned_at = clock_.now();
  ASSERT_TRUE(write([&](Session& session) { return putHostWindow(session, assignment); }));

  auto count = readValue<std::int64_t>(
      [&](Session& session) { return countHostsOfWindow(session, window.id); });
  ASSERT_TRUE(count) << errorText(count);
  EXPECT_EQ(*count, 1);

  auto deleted = write([&](Session& session) -> Result<void> {
    auto result = deleteWindow(session, window.id);
    if (!result) return tl::unexpected(result.error());
    return {};
  });
  EXPECT_FALSE(deleted);
}

TEST_P(WindowRepositoryTest, UnusedWindowIsDeleted) {
  const WindowRecord window = sampleWindow("d");
  ASSERT_TRUE(write([&](Session& session) { return insertWindow(session, window); }));
  std::optional<bool> first;
  std::optional<bool> second;
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    auto result = deleteWindow(session, window.id);
    if (!result) return tl::unexpected(result.error());
    first = *result;
    result = deleteWindow(session, window.id);
    if (!result) return tl::unexpected(result.error());
    second = *result;
    return {};
  }));
  EXPECT_EQ(first, true);
  EXPECT_EQ(second, false);
}

TEST_P(WindowRepositoryTest, PendingMoveRoundTripsAndIsDueOnlyFromItsTime) {
  const WindowRecord from = sampleWindow("from");
  const WindowRecord to = sampleWindow("to");
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    if (auto inserted = insertWindow(session, from); !inserted) return inserted;
    return insertWindow(session, to);
  }));
  const std::string host_id = insertServer();
  HostWindowRecord record;
  record.host_id = host_id;
  record.window_id = from.id;
  record.assigned_at = clock_.now();
  record.pending_effective_at = clock_.now() + std::chrono::hours(3);
  record.pending_window_id = to.id;
  record.pending_ticket_id = "t-17";
  record.pending_actor = "user:alice";
  record.pending_remote_address = "192.0.2.1";
  ASSERT_TRUE(write([&](Session& session) { return putHostWindow(session, record); }));

  auto stored = readValue<std::optional<HostWindowRecord>>(
      [&](Session& session) { return getHostWindow(session, host_id); });
  ASSERT_TRUE(stored) << errorText(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ(**stored, record);

  auto early = readValue<std::vector<HostWindowRecord>>([&](Session& session) {
    return listDueWindowMoves(session, clock_.now() + std::chrono::minutes(179));
  });
  ASSERT_TRUE(early) << errorText(early);
  EXPECT_TRUE(early->empty());
  auto due = readValue<std::vector<HostWindowRecord>>([&](Session& session) {
    return listDueWindowMoves(session, clock_.now() + std::chrono::hours(3));
  });
  ASSERT_TRUE(due) << errorText(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().host_id, host_id);
}

TEST_P(WindowRepositoryTest, PutReplacesTheRow) {
  const WindowRecord window = sampleWindow("e");
  ASSERT_TRUE(write([&](Session& session) { return insertWindow(session, window); }));
  const std::string host_id = insertServer();
  HostWindowRecord record;
  record.host_id = host_id;
  record.window_id = window.id;
  record.assigned_at = clock_.now();
  ASSERT_TRUE(write([&](Session& session) { return putHostWindow(session, record); }));
  record.window_id.reset();
  ASSERT_TRUE(write([&](Session& session) { return putHostWindow(session, record); }));

  auto all = readValue<std::vector<HostWindowRecord>>(
      [](Session& session) { return listHostWindows(session); });
  ASSERT_TRUE(all) << errorText(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_FALSE(all->front().window_id.has_value());
}

TEST_P(WindowRepositoryTest, FeedTokenIsFoundByHashAndRevokedOnlyByItsUser) {
  std::int64_t user_id = 0;
  std::int64_t token_id = 0;
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    UserRecord user;
    user.username = "carol";
    user.password_hash = "unused";
    auto id = insertUser(session, user);
    if (!id) return tl::unexpected(id.error());
    user_id = *id;
    CalendarFeedTokenRecord token;
    token.user_id = user_id;
    token.token_hash = std::string(64, 'a');
    token.name = "phone";
    token.created_at = clock_.now();
    auto inserted = insertCalendarFeedToken(session, token);
    if (!inserted) return tl::unexpected(inserted.error());
    token_id = *inserted;
    return {};
  }));

  auto found = readValue<std::optional<CalendarFeedTokenRecord>>(
      [&](Session& session) { return findCalendarFeedTokenByHash(session, std::string(64, 'a')); });
  ASSERT_TRUE(found) << errorText(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->user_id, user_id);
  EXPECT_EQ((*found)->name, "phone");
  EXPECT_TRUE((*found)->isLive());

  std::optional<bool> by_other;
  std::optional<bool> by_owner;
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    auto other = revokeCalendarFeedToken(session, user_id + 1, token_id, clock_.now());
    if (!other) return tl::unexpected(other.error());
    by_other = *other;
    auto owner = revokeCalendarFeedToken(session, user_id, token_id, clock_.now());
    if (!owner) return tl::unexpected(owner.error());
    by_owner = *owner;
    return {};
  }));
  EXPECT_EQ(by_other, false);
  EXPECT_EQ(by_owner, true);

  auto listed = readValue<std::vector<CalendarFeedTokenRecord>>(
      [&](Session& session) { return listCalendarFeedTokens(session, user_id); });
  ASSERT_TRUE(listed) << errorText(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_FALSE(listed->front().isLive());
}

}  // namespace
}  // namespace pk::store
