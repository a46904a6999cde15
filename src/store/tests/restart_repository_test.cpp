#include "store/restart_repository.h"

#include <gtest/gtest.h>

#include "store/host_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::hours;

class RestartRepositoryTest : public conformance::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    HostRecord host;
    host.id = kHost;
    host.hostname = "laptop-1";
    host.machine_id = "machine-1";
    host.kind = "endpoint";
    host.enrolled_at = clock_.now();
    auto written = database().write([&](Session& session) { return insertHost(session, host); });
    ASSERT_TRUE(written) << errorText(written);
  }

  RestartStateRecord pendingState() const {
    return {.host_id = kHost,
            .pending = true,
            .required_since = clock_.now(),
            .deadline = clock_.now() + hours(24),
            .restart_at = clock_.now() + hours(20),
            .countdown_start = clock_.now() + hours(18),
            .next_reminder = clock_.now() + hours(4),
            .job_ids = {"j-0000000000000001", "j-0000000000000002"},
            .updated_at = clock_.now()};
  }

  RestartEventRecord choice(const std::string& event_id, SystemTime at) const {
    return {.host_id = kHost,
            .event_id = event_id,
            .at = at,
            .type = "choice",
            .choice = "snooze",
            .user = "alice",
            .snooze_seconds = 3600,
            .received_at = clock_.now()};
  }

  Result<bool> insert(const RestartEventRecord& event) {
    bool fresh = false;
    auto written = database().write([&](Session& session) -> Result<void> {
      auto inserted = insertRestartEvent(session, event);
      if (!inserted) return tl::unexpected(inserted.error());
      fresh = *inserted;
      return {};
    });
    if (!written) return tl::unexpected(written.error());
    return fresh;
  }

  std::optional<RestartStateRecord> load() {
    std::optional<RestartStateRecord> state;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto loaded = loadRestartState(session, kHost);
      if (!loaded) return tl::unexpected(loaded.error());
      state = *loaded;
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return state;
  }

  std::vector<RestartEventRecord> list(std::optional<SystemTime> since, std::int64_t limit = 100) {
    std::vector<RestartEventRecord> events;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto listed = listRestartEvents(session, kHost, since, limit);
      if (!listed) return tl::unexpected(listed.error());
      events = *listed;
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return events;
  }

  static constexpr const char* kHost = "h-0000000000000001";
  static constexpr const char* kSeries = "0123456789abcdef0123456789abcdef";
};
PK_STORE_CONFORMANCE_SUITE(RestartRepositoryTest);

TEST_P(RestartRepositoryTest, StateRoundTrips) {
  auto saved =
      database().write([&](Session& session) { return saveRestartState(session, pendingState()); });
  ASSERT_TRUE(saved) << errorText(saved);
  const auto state = load();

  ASSERT_TRUE(state);
  EXPECT_TRUE(state->pending);
  EXPECT_EQ(state->deadline, clock_.now() + hours(24));
  EXPECT_EQ(state->restart_at, clock_.now() + hours(20));
  EXPECT_FALSE(state->restarted_at);
  EXPECT_EQ(state->job_ids, pendingState().job_ids);
}

TEST_P(RestartRepositoryTest, StateReplaced) {
  RestartStateRecord done = pendingState();
  done.pending = false;
  done.restarted_at = clock_.now() + hours(3);
  done.job_ids.clear();
  auto saved = database().write([&](Session& session) -> Result<void> {
    if (auto first = saveRestartState(session, pendingState()); !first) return first;
    return saveRestartState(session, done);
  });
  ASSERT_TRUE(saved) << errorText(saved);
  const auto state = load();

  ASSERT_TRUE(state);
  EXPECT_FALSE(state->pending);
  EXPECT_EQ(state->restarted_at, clock_.now() + hours(3));
  EXPECT_TRUE(state->job_ids.empty());
}

TEST_P(RestartRepositoryTest, MissingStateIsEmpty) {
  EXPECT_FALSE(load());
}

TEST_P(RestartRepositoryTest, EventStoredOnce) {
  auto first = insert(choice(std::string(kSeries) + "-1", clock_.now()));
  ASSERT_TRUE(first) << errorText(first);
  auto again = insert(choice(std::string(kSeries) + "-1", clock_.now()));
  ASSERT_TRUE(again) << errorText(again);

  EXPECT_TRUE(*first);
  EXPECT_FALSE(*again);
  EXPECT_EQ(list(std::nullopt).size(), 1u);
}

TEST_P(RestartRepositoryTest, EventFieldsRoundTrip) {
  RestartEventRecord notice{.host_id = kHost,
                            .event_id = std::string(kSeries) + "-1",
                            .at = clock_.now(),
                            .type = "notice",
                            .notice = "reminder",
                            .offered = {"restart-now", "snooze-1h"},
                            .restart_at = clock_.now() + hours(24),
                            .received_at = clock_.now()};
  ASSERT_TRUE(insert(notice));
  ASSERT_TRUE(insert(choice(std::string(kSeries) + "-2", clock_.now() + hours(1))));
  const auto events = list(std::nullopt);

  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].notice, "reminder");
  EXPECT_EQ(events[0].offered, notice.offered);
  EXPECT_EQ(events[0].restart_at, clock_.now() + hours(24));
  EXPECT_FALSE(events[0].snooze_seconds);
  EXPECT_EQ(events[1].user, "alice");
  EXPECT_EQ(events[1].snooze_seconds, 3600);
}

TEST_P(RestartRepositoryTest, EventsListedSinceAndLimited) {
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(
        insert(choice(std::string(kSeries) + "-" + std::to_string(i), clock_.now() + hours(i))));
  }

  EXPECT_EQ(list(clock_.now() + hours(2)).size(), 2u);
  const auto limited = list(std::nullopt, 1);
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0].at, clock_.now() + hours(1));
}

TEST_P(RestartRepositoryTest, EventsAtOneTimeListedBySequence) {
  for (int i : {10, 9, 100}) {
    ASSERT_TRUE(insert(choice(std::string(kSeries) + "-" + std::to_string(i), clock_.now())));
  }

  const auto events = list(std::nullopt);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event_id, std::string(kSeries) + "-9");
  EXPECT_EQ(events[1].event_id, std::string(kSeries) + "-10");
  EXPECT_EQ(events[2].event_id, std::string(kSeries) + "-100");
}

TEST_P(RestartRepositoryTest, MarksRestartRequired) {
  auto marked = database().write([&](Session& session) {
    return markRestartRequired(session, kHost, "a restart is pending");
  });
  ASSERT_TRUE(marked) << errorText(marked);
  std::optional<HostRecord> host;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = getHost(session, kHost);
    if (!found) return tl::unexpected(found.error());
    host = *found;
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);

  ASSERT_TRUE(host);
  EXPECT_TRUE(host->restart_required);
  EXPECT_EQ(host->restart_reason, "a restart is pending");
}

TEST_P(RestartRepositoryTest, EventsGoWithHost) {
  ASSERT_TRUE(insert(choice(std::string(kSeries) + "-1", clock_.now())));
  auto removed = database().write([&](Session& session) {
    return session.execute("DELETE FROM hosts WHERE id = ?", {std::string(kHost)});
  });
  ASSERT_TRUE(removed) << errorText(removed);

  EXPECT_TRUE(list(std::nullopt).empty());
}

}  // namespace
}  // namespace pk::store
