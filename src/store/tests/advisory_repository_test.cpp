#include "store/advisory_repository.h"

#include <gtest/gtest.h>

#include "store/feed_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

class AdvisoryRepositoryTest : public conformance::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    write([](Session& session) -> Result<void> {
      if (auto added = upsertFeed(session, "osv", "osv", "/osv"); !added) return added;
      return upsertFeed(session, "tracker", "debian-tracker", "/tracker");
    });
  }

  void write(const std::function<Result<void>(Session&)>& work) {
    auto written = database().write(work);
    ASSERT_TRUE(written) << errorText(written);
  }

  template <typename T>
  T readValue(const std::function<Result<T>(Session&)>& query) {
    T value{};
    auto read = database().read([&](Session& session) -> Result<void> {
      auto result = query(session);
      if (!result) return tl::unexpected(result.error());
      value = std::move(*result);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return value;
  }
};
PK_STORE_CONFORMANCE_SUITE(AdvisoryRepositoryTest);

TEST_P(AdvisoryRepositoryTest, UpsertReplacesBodyAndPackages) {
  StoredAdvisory advisory{
      "osv", "DSA-1", "hash-1", "{\"a\":1}", {{"Debian:12", "openssl"}, {"Debian:11", "openssl"}}};
  write([&](Session& session) { return upsertAdvisory(session, advisory); });
  advisory.content_hash = "hash-2";
  advisory.body = "{\"a\":2}";
  advisory.packages = {{"Debian:12", "libssl3"}};
  write([&](Session& session) { return upsertAdvisory(session, advisory); });

  auto stored = readValue<std::optional<StoredAdvisory>>(
      [](Session& session) { return getAdvisory(session, "osv", "DSA-1"); });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->content_hash, "hash-2");
  EXPECT_EQ(stored->body, "{\"a\":2}");
  ASSERT_EQ(stored->packages.size(), 1u);
  EXPECT_EQ(stored->packages[0].package, "libssl3");

  auto hashes = readValue<std::map<std::string, std::string>>(
      [](Session& session) { return advisoryHashes(session, "osv"); });
  EXPECT_EQ(hashes, (std::map<std::string, std::string>{{"DSA-1", "hash-2"}}));
}

TEST_P(AdvisoryRepositoryTest, SameIdInTwoFeedsIsTwoRecords) {
  write([](Session& session) -> Result<void> {
    if (auto a = upsertAdvisory(session, {"osv", "CVE-1", "a", "{}", {}}); !a) return a;
    return upsertAdvisory(session, {"tracker", "CVE-1", "b", "{}", {}});
  });
  EXPECT_EQ(readValue<std::int64_t>([](Session& s) { return countAdvisories(s, "osv"); }), 1);
  EXPECT_EQ(readValue<std::int64_t>([](Session& s) { return countAdvisories(s, "tracker"); }), 1);

  std::vector<std::string> visited;
  auto read = database().read([&](Session& session) {
    return forEachAdvisory(session, [&](const StoredAdvisory& advisory) -> Result<void> {
      visited.push_back(advisory.feed + "/" + advisory.advisory_id + "/" + advisory.content_hash);
      return {};
    });
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_EQ(visited, (std::vector<std::string>{"osv/CVE-1/a", "tracker/CVE-1/b"}));
}

TEST_P(AdvisoryRepositoryTest, DeleteRemovesPackages) {
  write([](Session& session) {
    return upsertAdvisory(session, {"osv", "DSA-1", "h", "{}", {{"Debian:12", "curl"}}});
  });
  write([](Session& session) { return deleteAdvisory(session, "osv", "DSA-1"); });
  // Deleting again is no error.
  write([](Session& session) { return deleteAdvisory(session, "osv", "DSA-1"); });

  auto packages = readValue<std::vector<AdvisoryPackageName>>(
      [](Session& session) { return advisoryPackages(session, "osv", "DSA-1"); });
  EXPECT_TRUE(packages.empty());
  EXPECT_EQ(readValue<std::int64_t>([](Session& s) { return countAdvisories(s, "osv"); }), 0);
}

TEST_P(AdvisoryRepositoryTest, UnknownFeedIsRejected) {
  auto written = database().write([](Session& session) {
    return upsertAdvisory(session, {"nope", "X", "h", "{}", {}});
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(AdvisoryRepositoryTest, KevAndEpssRoundTrip) {
  write([](Session& session) -> Result<void> {
    StoredKevEntry kev{"CVE-2024-3094", "k1",         "Tukaani",    "xz",
                       "XZ backdoor",   "2024-04-01", "2024-04-22", true};
    if (auto added = upsertKevEntry(session, "osv", kev); !added) return added;
    return upsertEpssScore(session, "osv", {"CVE-2024-3094", "e1", 0.875, 0.999});
  });

  auto kev = readValue<std::vector<StoredKevEntry>>(
      [](Session& session) { return loadKevEntries(session); });
  ASSERT_EQ(kev.size(), 1u);
  EXPECT_EQ(kev[0].cve_id, "CVE-2024-3094");
  EXPECT_EQ(kev[0].due_date, "2024-04-22");
  EXPECT_TRUE(kev[0].known_ransomware_use);
  auto epss = readValue<std::vector<StoredEpssScore>>(
      [](Session& session) { return loadEpssScores(session); });
  ASSERT_EQ(epss.size(), 1u);
  EXPECT_DOUBLE_EQ(epss[0].probability, 0.875);
  EXPECT_DOUBLE_EQ(epss[0].percentile, 0.999);
  using Hashes = std::map<std::string, std::string>;
  auto hashes = readValue<Hashes>([](Session& s) { return kevHashes(s, "osv"); });
  EXPECT_EQ(hashes, (Hashes{{"CVE-2024-3094", "k1"}}));

  write([](Session& session) -> Result<void> {
    if (auto removed = deleteKevEntry(session, "osv", "CVE-2024-3094"); !removed) return removed;
    return deleteEpssScore(session, "osv", "CVE-2024-3094");
  });
  EXPECT_TRUE(readValue<std::vector<StoredKevEntry>>([](Session& session) {
                return loadKevEntries(session);
              }).empty());
  EXPECT_TRUE(readValue<std::vector<StoredEpssScore>>([](Session& session) {
                return loadEpssScores(session);
              }).empty());
}

}  // namespace
}  // namespace pk::store
