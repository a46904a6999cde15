#include "store/feed_repository.h"

#include <gtest/gtest.h>

#include "store/advisory_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

class FeedRepositoryTest : public conformance::StoreTest {
 protected:
  void write(const std::function<Result<void>(Session&)>& work) {
    auto written = database().write(work);
    ASSERT_TRUE(written) << errorText(written);
  }

  std::optional<FeedState> feed(const std::string& name) {
    std::optional<FeedState> found;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto state = getFeed(session, name);
      if (!state) return tl::unexpected(state.error());
      found = std::move(*state);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return found;
  }
};
PK_STORE_CONFORMANCE_SUITE(FeedRepositoryTest);

TEST_P(FeedRepositoryTest, NewFeedWasNeverSynced) {
  write([](Session& session) { return upsertFeed(session, "kev", "kev", "/data/kev.json"); });

  auto state = feed("kev");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->kind, "kev");
  EXPECT_EQ(state->source, "/data/kev.json");
  EXPECT_EQ(state->status, FeedStatus::kNeverSynced);
  EXPECT_FALSE(state->last_attempt_at);
  EXPECT_FALSE(state->last_success_at);
  EXPECT_EQ(state->record_count, 0);
  EXPECT_FALSE(feed("missing"));
}

TEST_P(FeedRepositoryTest, UpsertKeepsSyncState) {
  write([&](Session& session) -> Result<void> {
    if (auto added = upsertFeed(session, "osv", "osv", "/a"); !added) return added;
    return recordFeedSuccess(session, "osv", clock_.now(), 12);
  });
  write([](Session& session) { return upsertFeed(session, "osv", "auto", "/b"); });

  auto state = feed("osv");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->kind, "auto");
  EXPECT_EQ(state->source, "/b");
  EXPECT_EQ(state->status, FeedStatus::kOk);
  EXPECT_EQ(state->record_count, 12);
  EXPECT_EQ(state->last_success_at, clock_.now());
}

TEST_P(FeedRepositoryTest, FailureKeepsLastSuccess) {
  SystemTime success = clock_.now();
  write([&](Session& session) -> Result<void> {
    if (auto added = upsertFeed(session, "osv", "osv", "/a"); !added) return added;
    return recordFeedSuccess(session, "osv", success, 3);
  });
  clock_.advance(std::chrono::hours(6));
  write([&](Session& session) {
    return recordFeedFailure(session, "osv", clock_.now(), "not valid JSON");
  });

  auto state = feed("osv");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, FeedStatus::kFailed);
  EXPECT_EQ(state->last_error, "not valid JSON");
  EXPECT_EQ(state->last_attempt_at, clock_.now());
  EXPECT_EQ(state->last_success_at, success);
  EXPECT_EQ(state->record_count, 3);
}

TEST_P(FeedRepositoryTest, UnknownFeedIsNotFound) {
  auto written = database().write(
      [&](Session& session) { return recordFeedFailure(session, "nope", clock_.now(), "x"); });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
}

TEST_P(FeedRepositoryTest, StagedChangesWaitThenClearOnSuccess) {
  std::vector<StagedChange> changes = {
      {RecordKind::kAdvisory, "DSA-1", RecordChange::kRemoved, "h1", ""},
      {RecordKind::kAdvisory, "DSA-2", RecordChange::kChanged, "h2", "{}"},
      {RecordKind::kKev, "CVE-2024-1", RecordChange::kAdded, "h3", "{\"due_date\":\"x\"}"},
  };
  write([&](Session& session) -> Result<void> {
    if (auto added = upsertFeed(session, "osv", "osv", "/a"); !added) return added;
    return stageFeedChanges(session, "osv", clock_.now(), changes, 40);
  });

  auto state = feed("osv");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, FeedStatus::kAwaitingConfirmation);
  EXPECT_EQ(state->staged_added, 1);
  EXPECT_EQ(state->staged_changed, 1);
  EXPECT_EQ(state->staged_removed, 1);
  EXPECT_EQ(state->staged_record_count, 40);
  EXPECT_EQ(state->staged_at, clock_.now());

  std::vector<StagedChange> loaded;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto staged = loadStagedChanges(session, "osv");
    if (!staged) return tl::unexpected(staged.error());
    loaded = std::move(*staged);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[0].record_id, "DSA-1");
  EXPECT_EQ(loaded[0].change, RecordChange::kRemoved);
  EXPECT_EQ(loaded[1].record_id, "DSA-2");
  EXPECT_EQ(loaded[1].body, "{}");
  EXPECT_EQ(loaded[2].kind, RecordKind::kKev);
  EXPECT_EQ(loaded[2].content_hash, "h3");

  // A failure while staged keeps the staged sync waiting.
  write([&](Session& session) { return recordFeedFailure(session, "osv", clock_.now(), "down"); });
  EXPECT_EQ(feed("osv")->status, FeedStatus::kAwaitingConfirmation);

  write([&](Session& session) { return recordFeedSuccess(session, "osv", clock_.now(), 40); });
  state = feed("osv");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, FeedStatus::kOk);
  EXPECT_EQ(state->staged_removed, 0);
  EXPECT_FALSE(state->staged_at);
  read = database().read([&](Session& session) -> Result<void> {
    auto staged = loadStagedChanges(session, "osv");
    if (!staged) return tl::unexpected(staged.error());
    EXPECT_TRUE(staged->empty());
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
}

TEST_P(FeedRepositoryTest, ListsFeedsByName) {
  write([](Session& session) -> Result<void> {
    for (const char* name : {"osv", "epss", "kev"}) {
      if (auto added = upsertFeed(session, name, "auto", "/x"); !added) return added;
    }
    return {};
  });
  std::vector<std::string> names;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto feeds = listFeeds(session);
    if (!feeds) return tl::unexpected(feeds.error());
    for (const auto& state : *feeds) names.push_back(state.name);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_EQ(names, (std::vector<std::string>{"epss", "kev", "osv"}));
}

}  // namespace
}  // namespace pk::store
