#include "store/pending_update_repository.h"

#include <gtest/gtest.h>

#include "store/host_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

PendingUpdateRecord update(std::string package, std::vector<std::string> cve_ids = {}) {
  return PendingUpdateRecord{
      .package = package,
      .architecture = "amd64",
      .source_package = package + "-src",
      .installed_version = "1.0-1",
      .candidate_version = "1.0-1+deb12u1",
      .archive = "bookworm-security",
      .cve_ids = std::move(cve_ids),
  };
}

class PendingUpdateRepositoryTest : public conformance::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    HostRecord host;
    host.id = kHost;
    host.hostname = "web-1";
    host.machine_id = "machine-1";
    host.kind = "server";
    host.enrolled_at = clock_.now();
    auto written = database().write([&](Session& session) { return insertHost(session, host); });
    ASSERT_TRUE(written) << errorText(written);
  }

  Result<void> replace(const std::string& host_id,
                       const std::vector<PendingUpdateRecord>& updates) {
    return database().write(
        [&](Session& session) { return replacePendingUpdates(session, host_id, updates); });
  }

  std::vector<PendingUpdateRecord> load(const std::string& host_id) {
    std::vector<PendingUpdateRecord> updates;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto loaded = loadPendingUpdates(session, host_id);
      if (!loaded) return tl::unexpected(loaded.error());
      updates = std::move(*loaded);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return updates;
  }

  static constexpr const char* kHost = "h-0000000000000001";
};
PK_STORE_CONFORMANCE_SUITE(PendingUpdateRepositoryTest);

TEST_P(PendingUpdateRepositoryTest, ReplacedUpdatesLoadSorted) {
  auto replaced =
      replace(kHost, {update("openssl", {"CVE-2024-5535", "CVE-2024-9143"}), update("curl")});
  ASSERT_TRUE(replaced) << errorText(replaced);

  const auto updates = load(kHost);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].package, "curl");
  EXPECT_TRUE(updates[0].cve_ids.empty());
  const auto& openssl = updates[1];
  EXPECT_EQ(openssl.package, "openssl");
  EXPECT_EQ(openssl.architecture, "amd64");
  EXPECT_EQ(openssl.source_package, "openssl-src");
  EXPECT_EQ(openssl.installed_version, "1.0-1");
  EXPECT_EQ(openssl.candidate_version, "1.0-1+deb12u1");
  EXPECT_EQ(openssl.archive, "bookworm-security");
  EXPECT_EQ(openssl.cve_ids, (std::vector<std::string>{"CVE-2024-5535", "CVE-2024-9143"}));
}

TEST_P(PendingUpdateRepositoryTest, ReplaceDropsUpdatesNoLongerListed) {
  ASSERT_TRUE(replace(kHost, {update("openssl"), update("curl")}));
  ASSERT_TRUE(replace(kHost, {update("bash")}));

  const auto updates = load(kHost);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].package, "bash");

  ASSERT_TRUE(replace(kHost, {}));
  EXPECT_TRUE(load(kHost).empty());
}

TEST_P(PendingUpdateRepositoryTest, RepeatedPackageRollsBack) {
  ASSERT_TRUE(replace(kHost, {update("curl")}));

  auto replaced = replace(kHost, {update("openssl"), update("openssl")});
  ASSERT_FALSE(replaced);
  EXPECT_EQ(replaced.error().code, ErrorCode::kInvalidArgument);

  const auto updates = load(kHost);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].package, "curl");
}

TEST_P(PendingUpdateRepositoryTest, UnknownHostIsRejected) {
  auto replaced = replace("h-00000000000000ff", {update("curl")});
  ASSERT_FALSE(replaced);
  EXPECT_EQ(replaced.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(load("h-00000000000000ff").empty());
}

}  // namespace
}  // namespace pk::store
