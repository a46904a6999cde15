#include "server/feed_sync.h"

#include <gtest/gtest.h>

#include <httplib.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <thread>

#include "server/tests/vulnerability_fixture.h"
#include "store/audit_repository.h"
#include "store/sqlite_database.h"

namespace pk::server {
namespace {

using store::FeedStatus;
using store::FindingStatus;
using version::Scheme;
using vulns_testing::package;
using vulns_testing::readFile;
using vulns_testing::sharedData;

constexpr const char* kAlmaFolder = "osv/almalinux/advisories/almalinux9";
constexpr const char* kXz = "ALSA-2022:4940.json";      // xz, fixed in 5.2.5-8.el9_0
constexpr const char* kWebkit = "ALSA-2022:6634.json";  // webkit2gtk3, CVE-2022-32893 (KEV)

// How many times each write() runs its work: twice when the SQLite backend
// replays writes (PK_STORE_REPLAY_WRITES=1), otherwise once.
std::uint64_t runsPerWrite() {
  const char* replay = std::getenv(store::kReplayWritesVariable);
  return replay != nullptr && std::string_view(replay) == "1" ? 2 : 1;
}

class FeedSyncTest : public vulns_testing::VulnerabilityTest {
 protected:
  void SetUp() override {
    VulnerabilityTest::SetUp();
    if (HasFatalFailure()) return;
    feed_folder_ = directory() / "alma";
    std::filesystem::create_directories(feed_folder_);
  }

  // Copies a real AlmaLinux advisory into the feed folder.
  void addToFeed(const std::string& file) {
    std::filesystem::copy_file(sharedData(kAlmaFolder) / file, feed_folder_ / file,
                               std::filesystem::copy_options::overwrite_existing);
  }

  // Copies `count` more real ALSA advisories (other than xz and webkit)
  // into the feed folder and returns their file names.
  std::vector<std::string> addOtherAdvisories(std::size_t count) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(sharedData(kAlmaFolder))) {
      std::string name = entry.path().filename().string();
      if (name.starts_with("ALSA-") && name != kXz && name != kWebkit) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    names.resize(std::min(count, names.size()));
    for (const auto& name : names) addToFeed(name);
    return names;
  }

  FeedService& service(std::vector<FeedSource> sources) {
    service_ = std::make_unique<FeedService>(context(), evaluator_, std::move(sources));
    auto started = service_->start();
    EXPECT_TRUE(started) << vulns_testing::errorText(started);
    return *service_;
  }

  FeedSource almaSource(double max_removal_share = 0.10) {
    FeedSource source;
    source.name = "osv-alma";
    source.kind = "osv";
    source.path = feed_folder_.string();
    source.max_removal_share = max_removal_share;
    return source;
  }

  FeedSyncResult sync(FeedService& feeds, const std::string& name) {
    auto result = feeds.sync(name, SyncRequester{"user:admin", "127.0.0.1"});
    EXPECT_TRUE(result) << vulns_testing::errorText(result);
    return result ? *result : FeedSyncResult{};
  }

  std::int64_t advisoryCount(const std::string& feed) {
    std::int64_t count = 0;
    auto read = database().read([&](store::Session& session) -> Result<void> {
      auto counted = store::countAdvisories(session, feed);
      if (!counted) return tl::unexpected(counted.error());
      count = *counted;
      return {};
    });
    EXPECT_TRUE(read);
    return count;
  }

  std::filesystem::path feed_folder_;
  Evaluator evaluator_;
  std::unique_ptr<FeedService> service_;
};

TEST_F(FeedSyncTest, FirstSyncAppliesAndEvaluatesAffectedHosts) {
  addToFeed(kXz);
  addToFeed(kWebkit);
  addHost("h-0000000000000001", "AlmaLinux:9");
  saveInventory("h-0000000000000001", Scheme::kRpm, {package("xz-libs", "5.2.5-7.el9", "xz")});
  addHost("h-0000000000000002", "AlmaLinux:9");
  saveInventory("h-0000000000000002", Scheme::kRpm, {package("bash", "5.1.8-6.el9_1")});
  auto& feeds = service({almaSource()});

  FeedSyncResult result = sync(feeds, "osv-alma");
  EXPECT_EQ(result.outcome, FeedSyncResult::Outcome::kApplied);
  EXPECT_EQ(result.added, 2);
  EXPECT_EQ(result.record_count, 2);
  // Only the host with a package the advisories name.
  EXPECT_EQ(result.hosts_evaluated, 1);
  EXPECT_EQ(evaluator_.advisoryCount(), 2u);
  EXPECT_EQ(advisoryCount("osv-alma"), 2);

  auto state = feedState("osv-alma");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, FeedStatus::kOk);
  EXPECT_EQ(state->last_success_at, clock_.now());
  EXPECT_EQ(state->record_count, 2);

  auto finding = findingOf("h-0000000000000001", "ALSA-2022:4940", "xz-libs");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->status, FindingStatus::kOpen);
  EXPECT_TRUE(findingsOf("h-0000000000000002").empty());

  std::string metrics = metrics_.render();
  EXPECT_NE(metrics.find(R"(patchkeeper_feed_sync_total{feed="osv-alma",result="applied"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(patchkeeper_feed_error{feed="osv-alma"} 0)"), std::string::npos);
}

TEST_F(FeedSyncTest, OnlyChangedRecordsTriggerReevaluation) {
  addToFeed(kXz);
  addToFeed(kWebkit);
  addHost("h-0000000000000001", "AlmaLinux:9");
  saveInventory("h-0000000000000001", Scheme::kRpm, {package("xz-libs", "5.2.5-7.el9", "xz")});
  addHost("h-0000000000000002", "AlmaLinux:9");
  saveInventory("h-0000000000000002", Scheme::kRpm,
                {package("webkit2gtk3", "2.36.6-1.el9", "webkit2gtk3")});
  addHost("h-0000000000000003", "AlmaLinux:9");
  saveInventory("h-0000000000000003", Scheme::kRpm, {package("bash", "5.1.8-6.el9_1")});
  auto& feeds = service({almaSource()});
  EXPECT_EQ(sync(feeds, "osv-alma").hosts_evaluated, 2);
  std::uint64_t evaluations = evaluator_.evaluationCount();

  // Nothing changed: nothing is evaluated.
  FeedSyncResult unchanged = sync(feeds, "osv-alma");
  EXPECT_EQ(unchanged.outcome, FeedSyncResult::Outcome::kApplied);
  EXPECT_EQ(unchanged.added + unchanged.changed + unchanged.removed, 0);
  EXPECT_EQ(unchanged.hosts_evaluated, 0);
  EXPECT_EQ(evaluator_.evaluationCount(), evaluations);

  // The xz advisory changes: only the xz host is evaluated again.
  std::string text = readFile(feed_folder_ / kXz);
  auto at = text.find("Important: xz security update");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 9, "Critical:");
  std::ofstream(feed_folder_ / kXz, std::ios::trunc) << text;

  FeedSyncResult changed = sync(feeds, "osv-alma");
  EXPECT_EQ(changed.changed, 1);
  EXPECT_EQ(changed.added, 0);
  EXPECT_EQ(changed.hosts_evaluated, 1);
  EXPECT_EQ(evaluator_.evaluationCount(), evaluations + runsPerWrite());
  auto finding = findingOf("h-0000000000000001", "ALSA-2022:4940", "xz-libs");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->severity, "critical");
}

TEST_F(FeedSyncTest, RepeatedIdsInOneFeedMerge) {
  // The same record in two folders, as AlmaLinux publishes some advisories
  // for both releases, and a variant of it for another release.
  std::string text = readFile(sharedData(kAlmaFolder) / kXz);
  std::filesystem::create_directories(feed_folder_ / "a");
  std::filesystem::create_directories(feed_folder_ / "b");
  std::filesystem::create_directories(feed_folder_ / "c");
  std::ofstream(feed_folder_ / "a" / kXz) << text;
  std::ofstream(feed_folder_ / "b" / kXz) << text;
  std::string el8 = text;
  for (auto at = el8.find("AlmaLinux:9"); at != std::string::npos; at = el8.find("AlmaLinux:9")) {
    el8.replace(at, 11, "AlmaLinux:8");
  }
  std::ofstream(feed_folder_ / "c" / kXz) << el8;

  addHost("h-0000000000000008", "AlmaLinux:8");
  saveInventory("h-0000000000000008", Scheme::kRpm, {package("xz-libs", "5.2.4-3.el8", "xz")});
  addHost("h-0000000000000009", "AlmaLinux:9");
  saveInventory("h-0000000000000009", Scheme::kRpm, {package("xz-libs", "5.2.5-7.el9", "xz")});
  auto& feeds = service({almaSource()});

  FeedSyncResult result = sync(feeds, "osv-alma");
  EXPECT_EQ(result.outcome, FeedSyncResult::Outcome::kApplied) << result.error;
  EXPECT_EQ(result.record_count, 1);
  EXPECT_EQ(result.hosts_evaluated, 2);
  EXPECT_TRUE(findingOf("h-0000000000000008", "ALSA-2022:4940", "xz-libs"));
  EXPECT_TRUE(findingOf("h-0000000000000009", "ALSA-2022:4940", "xz-libs"));

  // Loading the same files again gives the same content hash.
  EXPECT_EQ(sync(feeds, "osv-alma").changed, 0);
}

TEST_F(FeedSyncTest, MalformedFeedKeepsPreviousData) {
  addToFeed(kXz);
  addHost("h-0000000000000001", "AlmaLinux:9");
  saveInventory("h-0000000000000001", Scheme::kRpm, {package("xz-libs", "5.2.5-7.el9", "xz")});
  FeedSource source = almaSource();
  source.path = (feed_folder_ / kXz).string();
  auto& feeds = service({source});
  ASSERT_EQ(sync(feeds, "osv-alma").outcome, FeedSyncResult::Outcome::kApplied);
  SystemTime success = clock_.now();

  clock_.advance(std::chrono::hours(6));
  std::ofstream(feed_folder_ / kXz, std::ios::trunc) << R"({"id": "ALSA-2022:4940", "affec)";
  FeedSyncResult result = sync(feeds, "osv-alma");

  EXPECT_EQ(result.outcome, FeedSyncResult::Outcome::kFailed);
  EXPECT_FALSE(result.error.empty());
  auto state = feedState("osv-alma");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, FeedStatus::kFailed);
  EXPECT_EQ(state->last_error, result.error);
  EXPECT_EQ(state->last_success_at, success);
  EXPECT_EQ(state->last_attempt_at, clock_.now());
  EXPECT_EQ(state->record_count, 1);
  EXPECT_EQ(advisoryCount("osv-alma"), 1);
  EXPECT_EQ(evaluator_.advisoryCount(), 1u);
  auto finding = findingOf("h-0000000000000001", "ALSA-2022:4940", "xz-libs");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->status, FindingStatus::kOpen);

  std::string metrics = metrics_.render();
  EXPECT_NE(metrics.find(R"(patchkeeper_feed_error{feed="osv-alma"} 1)"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(patchkeeper_feed_sync_total{feed="osv-alma",result="failed"} 1)"),
            std::string::npos);

  // A good sync afterwards clears the error.
  addToFeed(kXz);
  EXPECT_EQ(sync(feeds, "osv-alma").outcome, FeedSyncResult::Outcome::kApplied);
  EXPECT_EQ(feedState("osv-alma")->last_error, "");
  EXPECT_NE(metrics_.render().find(R"(patchkeeper_feed_error{feed="osv-alma"} 0)"),
            std::string::npos);
}

TEST_F(FeedSyncTest, MissingPathFailsWithoutTouchingData) {
  FeedSource source = almaSource();
  source.path = (directory() / "does-not-exist").string();
  auto& feeds = service({source});
  FeedSyncResult result = sync(feeds, "osv-alma");
  EXPECT_EQ(result.outcome, FeedSyncResult::Outcome::kFailed);
  EXPECT_EQ(feedState("osv-alma")->status, FeedStatus::kFailed);
}

TEST_F(FeedSyncTest, LargeRemovalWaitsForConfirm) {
  addToFeed(kXz);
  auto others = addOtherAdvisories(9);
  addHost("h-0000000000000001", "AlmaLinux:9");
  saveInventory("h-0000000000000001", Scheme::kRpm, {package("xz-libs", "5.2.5-7.el9", "xz")});
  auto& feeds = service({almaSource(0.10)});
  ASSERT_EQ(sync(feeds, "osv-alma").record_count, 10);

  // Half the feed disappears, xz included.
  std::filesystem::remove(feed_folder_ / kXz);
  for (std::size_t i = 0; i < 4; ++i) std::filesystem::remove(feed_folder_ / others[i]);
  FeedSyncResult staged = sync(feeds, "osv-alma");

  EXPECT_EQ(staged.outcome, FeedSyncResult::Outcome::kAwaitingConfirmation);
  EXPECT_EQ(staged.removed, 5);
  EXPECT_EQ(advisoryCount("osv-alma"), 10);
  EXPECT_EQ(evaluator_.advisoryCount(), 10u);
  auto state = feedState("osv-alma");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, FeedStatus::kAwaitingConfirmation);
  EXPECT_EQ(state->staged_removed, 5);
  EXPECT_EQ(state->staged_record_count, 5);
  EXPECT_EQ(state->record_count, 10);

  auto confirmed = feeds.confirm("osv-alma", SyncRequester{"user:admin", "127.0.0.1"});
  ASSERT_TRUE(confirmed) << vulns_testing::errorText(confirmed);
  EXPECT_EQ(confirmed->outcome, FeedSyncResult::Outcome::kApplied);
  EXPECT_EQ(confirmed->removed, 5);
  EXPECT_EQ(confirmed->hosts_evaluated, 1);
  EXPECT_EQ(advisoryCount("osv-alma"), 5);
  EXPECT_EQ(evaluator_.advisoryCount(), 5u);
  state = feedState("osv-alma");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, FeedStatus::kOk);
  EXPECT_EQ(state->record_count, 5);

  // The xz advisory is gone, but the host is still on the vulnerable version.
  auto finding = findingOf("h-0000000000000001", "ALSA-2022:4940", "xz-libs");
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->status, FindingStatus::kOpen);

  auto again = feeds.confirm("osv-alma");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);

  // Both steps are in the audit log.
  std::vector<store::AuditEvent> events;
  auto read = database().read([&](store::Session& session) -> Result<void> {
    store::AuditQuery query;
    query.object_type = "feed";
    auto listed = store::listAuditEvents(session, query);
    if (!listed) return tl::unexpected(listed.error());
    events = std::move(*listed);
    return {};
  });
  ASSERT_TRUE(read);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back().action, "feed.confirm");
  EXPECT_EQ(events.back().actor, "user:admin");
}

TEST_F(FeedSyncTest, SmallRemovalAppliesAtOnce) {
  addToFeed(kXz);
  auto others = addOtherAdvisories(19);
  auto& feeds = service({almaSource(0.10)});
  ASSERT_EQ(sync(feeds, "osv-alma").record_count, 20);

  std::filesystem::remove(feed_folder_ / others[0]);
  std::filesystem::remove(feed_folder_ / others[1]);
  FeedSyncResult result = sync(feeds, "osv-alma");
  EXPECT_EQ(result.outcome, FeedSyncResult::Outcome::kApplied);
  EXPECT_EQ(result.removed, 2);
  EXPECT_EQ(advisoryCount("osv-alma"), 18);
}

TEST_F(FeedSyncTest, KevSyncReevaluatesHostsByCve) {
  addToFeed(kWebkit);
  addHost("h-0000000000000001", "AlmaLinux:9");
  saveInventory("h-0000000000000001", Scheme::kRpm, {package("webkit2gtk3", "2.36.6-1.el9")});
  addHost("h-0000000000000002", "AlmaLinux:9");
  saveInventory("h-0000000000000002", Scheme::kRpm, {package("bash", "5.1.8-6.el9_1")});
  FeedSource kev;
  kev.name = "kev";
  kev.kind = "kev";
  kev.path = sharedData("kev/known_exploited_vulnerabilities.json").string();
  auto& feeds = service({almaSource(), kev});
  ASSERT_EQ(sync(feeds, "osv-alma").outcome, FeedSyncResult::Outcome::kApplied);
  auto before = findingOf("h-0000000000000001", "ALSA-2022:6634", "webkit2gtk3");
  ASSERT_TRUE(before);
  EXPECT_FALSE(before->known_exploited);

  FeedSyncResult result = sync(feeds, "kev");
  EXPECT_EQ(result.outcome, FeedSyncResult::Outcome::kApplied);
  EXPECT_EQ(result.added, 1404);
  EXPECT_EQ(result.hosts_evaluated, 1);

  auto after = findingOf("h-0000000000000001", "ALSA-2022:6634", "webkit2gtk3");
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->known_exploited);
  EXPECT_FALSE(after->kev_due_date.empty());
}

TEST_F(FeedSyncTest, KindMismatchFails) {
  addToFeed(kXz);
  FeedSource source = almaSource();
  source.kind = "kev";
  auto& feeds = service({source});
  FeedSyncResult result = sync(feeds, "osv-alma");
  EXPECT_EQ(result.outcome, FeedSyncResult::Outcome::kFailed);
  EXPECT_NE(result.error.find("kind \"kev\""), std::string::npos) << result.error;
  EXPECT_EQ(advisoryCount("osv-alma"), 0);
}

TEST_F(FeedSyncTest, SyncDelayFollowsLastAttempt) {
  addToFeed(kXz);
  FeedSource source = almaSource();
  source.interval_minutes = 360;
  auto& feeds = service({source});

  auto never = feeds.syncDelay(source);
  ASSERT_TRUE(never);
  EXPECT_EQ(*never, Elapsed{0});

  sync(feeds, "osv-alma");
  clock_.advance(std::chrono::hours(2));
  auto partway = feeds.syncDelay(source);
  ASSERT_TRUE(partway);
  EXPECT_EQ(*partway, Elapsed(std::chrono::hours(4)));

  clock_.advance(std::chrono::hours(5));
  auto overdue = feeds.syncDelay(source);
  ASSERT_TRUE(overdue);
  EXPECT_EQ(*overdue, Elapsed{0});

  clock_.setNow(clock_.now() - std::chrono::hours(24));
  auto clock_went_back = feeds.syncDelay(source);
  ASSERT_TRUE(clock_went_back);
  EXPECT_EQ(*clock_went_back, Elapsed{0});
}

// A failed attempt counts too: a new leader does not retry a feed the
// previous leader tried a moment ago.
TEST_F(FeedSyncTest, FailedAttemptAlsoDelaysTheNextSync) {
  addToFeed(kXz);
  FeedSource source = almaSource();
  source.kind = "kev";
  source.interval_minutes = 60;
  auto& feeds = service({source});
  ASSERT_EQ(sync(feeds, "osv-alma").outcome, FeedSyncResult::Outcome::kFailed);
  clock_.advance(std::chrono::minutes(15));
  auto delay = feeds.syncDelay(source);
  ASSERT_TRUE(delay);
  EXPECT_EQ(*delay, Elapsed(std::chrono::minutes(45)));
}

// A node that did not run a sync (not the leader) learns from the database
// that the advisories changed, and rebuilds its own index.
TEST_F(FeedSyncTest, OtherNodeRebuildsItsIndexAfterASync) {
  auto& leader = service({almaSource()});
  auto other_database = store::openDatabase("sqlite://" + (directory() / "pk.db").string());
  ASSERT_TRUE(other_database) << vulns_testing::errorText(other_database);
  Metrics other_metrics;
  ServerContext other_context{**other_database, clock_, other_metrics};
  Evaluator other_evaluator;
  FeedService other(other_context, other_evaluator, {almaSource()});
  ASSERT_TRUE(other.start());

  auto nothing_new = other.refreshIndexIfStale();
  ASSERT_TRUE(nothing_new) << vulns_testing::errorText(nothing_new);
  EXPECT_FALSE(*nothing_new);

  addToFeed(kXz);
  ASSERT_EQ(sync(leader, "osv-alma").outcome, FeedSyncResult::Outcome::kApplied);
  ASSERT_GT(evaluator_.advisoryCount(), 0u);
  EXPECT_EQ(other_evaluator.advisoryCount(), 0u);

  auto refreshed = other.refreshIndexIfStale();
  ASSERT_TRUE(refreshed) << vulns_testing::errorText(refreshed);
  EXPECT_TRUE(*refreshed);
  EXPECT_EQ(other_evaluator.advisoryCount(), evaluator_.advisoryCount());

  auto again = other.refreshIndexIfStale();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);

  // The leader's own index is current: its sync recorded the generation.
  auto own = leader.refreshIndexIfStale();
  ASSERT_TRUE(own);
  EXPECT_FALSE(*own);
}

TEST_F(FeedSyncTest, UnknownFeedIsNotFound) {
  auto& feeds = service({almaSource()});
  auto result = feeds.sync("nope");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
}

// An HTTP server on loopback that serves one advisory file.
class FeedServer {
 public:
  explicit FeedServer(std::string body) : body_(std::move(body)) {
    server_.Get("/alma/ALSA-2022-4940.json",
                [this](const httplib::Request&, httplib::Response& response) {
                  response.set_content(body_, "application/json");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FeedServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::string body_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(FeedSyncTest, UrlFeedDownloadsAndApplies) {
  FeedServer server(readFile(sharedData(kAlmaFolder) / kXz));
  FeedSource source;
  source.name = "osv-alma";
  source.kind = "osv";
  source.url = server.url("/alma/ALSA-2022-4940.json");
  auto& feeds = service({source});

  FeedSyncResult result = sync(feeds, "osv-alma");
  EXPECT_EQ(result.outcome, FeedSyncResult::Outcome::kApplied) << result.error;
  EXPECT_EQ(result.added, 1);
  EXPECT_EQ(advisoryCount("osv-alma"), 1);
}

TEST_F(FeedSyncTest, UrlFeedHttpErrorFails) {
  FeedServer server("{}");
  FeedSource source;
  source.name = "osv-alma";
  source.kind = "osv";
  source.url = server.url("/missing.json");
  auto& feeds = service({source});

  FeedSyncResult result = sync(feeds, "osv-alma");
  EXPECT_EQ(result.outcome, FeedSyncResult::Outcome::kFailed);
  EXPECT_NE(result.error.find("HTTP status 404"), std::string::npos) << result.error;
}

}  // namespace
}  // namespace pk::server
