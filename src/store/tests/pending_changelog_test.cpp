// The changelog entries stored with pending updates, and their lookup for a
// patch's page.

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "store/finding_repository.h"
#include "store/host_repository.h"
#include "store/patch_repository.h"
#include "store/pending_update_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

constexpr const char* kHostA = "h-000000000000000a";
constexpr const char* kHostB = "h-000000000000000b";
constexpr const char* kHostC = "h-000000000000000c";
constexpr const char* kCurlPatch = "p-00000000000000c1";

ChangelogEntryRecord entry(std::string version, std::string body) {
  return ChangelogEntryRecord{.version = std::move(version),
                              .distributions = "bookworm-security",
                              .urgency = "high",
                              .date = "Wed, 21 Oct 2026 16:54:24 +0700",
                              .body = std::move(body)};
}

PendingUpdateRecord curlUpdate(std::string package, std::string installed,
                               std::vector<ChangelogEntryRecord> changelog) {
  return PendingUpdateRecord{
      .package = std::move(package),
      .architecture = "amd64",
      .source_package = "curl",
      .installed_version = std::move(installed),
      .candidate_version = "7.88.1-10+deb12u9",
      .archive = "bookworm-security",
      .cve_ids = {},
      .changelog = std::move(changelog),
  };
}

class PendingChangelogTest : public conformance::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* id : {kHostA, kHostB, kHostC}) addHost(id);
  }

  void write(const std::function<Result<void>(Session&)>& work) {
    auto written = database().write(work);
    ASSERT_TRUE(written) << errorText(written);
  }

  void addHost(const std::string& id) {
    HostRecord host;
    host.id = id;
    host.hostname = "host-" + id;
    host.machine_id = "machine-" + id;
    host.kind = "server";
    host.enrolled_at = clock_.now();
    write([&](Session& session) { return insertHost(session, host); });
  }

  // Adds an open curl finding on `host_id` linked to kCurlPatch.
  void addLinkedFinding(const std::string& host_id) {
    StoredFinding finding;
    finding.host_id = host_id;
    finding.source = FindingSource::kAdvisory;
    finding.advisory_id = "DSA-1";
    finding.package = "curl";
    finding.source_package = "curl";
    finding.installed_version = "7.88.1-10+deb12u5";
    finding.compared_version = "7.88.1-10+deb12u5";
    finding.fixed_version = "7.88.1-10+deb12u9";
    finding.ecosystem = "Debian:12";
    finding.severity = "high";
    finding.first_seen_at = clock_.now();
    finding.last_seen_at = clock_.now();
    PatchRecord patch;
    patch.id = kCurlPatch;
    patch.kind = "source-package";
    patch.ecosystem = "Debian:12";
    patch.name = "curl";
    patch.version = "7.88.1-10+deb12u9";
    patch.first_seen_at = clock_.now();
    write([&](Session& session) -> Result<void> {
      auto inserted = insertFinding(session, finding);
      if (!inserted) return tl::unexpected(inserted.error());
      auto added = insertPatchIfMissing(session, patch);
      if (!added) return tl::unexpected(added.error());
      return linkFindingToPatch(session, *inserted, kCurlPatch);
    });
  }

  void replace(const std::string& host_id, const std::vector<PendingUpdateRecord>& updates) {
    write([&](Session& session) { return replacePendingUpdates(session, host_id, updates); });
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

  std::vector<ChangelogEntryRecord> patchEntries() {
    std::vector<ChangelogEntryRecord> entries;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto loaded = loadPatchChangelogEntries(session, kCurlPatch, "curl");
      if (!loaded) return tl::unexpected(loaded.error());
      entries = std::move(*loaded);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return entries;
  }
};
PK_STORE_CONFORMANCE_SUITE(PendingChangelogTest);

TEST_P(PendingChangelogTest, ChangelogRoundTrips) {
  const std::vector<ChangelogEntryRecord> changelog = {
      entry("7.88.1-10+deb12u9", "  * Fix CVE-2026-1.\n"),
      entry("7.88.1-10+deb12u8", std::string(64 * 1024 - 100, 'x'))};
  replace(kHostA, {curlUpdate("libcurl4", "7.88.1-10+deb12u7", changelog),
                   curlUpdate("curl", "7.88.1-10+deb12u7", {})});

  const auto updates = load(kHostA);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].package, "curl");
  EXPECT_TRUE(updates[0].changelog.empty());
  EXPECT_EQ(updates[1].package, "libcurl4");
  EXPECT_EQ(updates[1].changelog, changelog);
}

TEST_P(PendingChangelogTest, ReplaceDropsOldEntries) {
  replace(kHostA, {curlUpdate("curl", "7.88.1-10+deb12u7", {entry("7.88.1-10+deb12u8", "old\n")})});
  replace(kHostA, {curlUpdate("curl", "7.88.1-10+deb12u8", {entry("7.88.1-10+deb12u9", "new\n")})});

  const auto updates = load(kHostA);
  ASSERT_EQ(updates.size(), 1u);
  ASSERT_EQ(updates[0].changelog.size(), 1u);
  EXPECT_EQ(updates[0].changelog[0].body, "new\n");
}

TEST_P(PendingChangelogTest, HostDeletionDropsEntries) {
  replace(kHostA, {curlUpdate("curl", "7.88.1-10+deb12u7", {entry("7.88.1-10+deb12u8", "a\n")})});
  write([&](Session& session) -> Result<void> {
    auto deleted = session.execute("DELETE FROM hosts WHERE id = ?", {std::string(kHostA)});
    if (!deleted) return deleted;
    return {};
  });
  auto count = database().read([&](Session& session) -> Result<void> {
    auto rows = session.query("SELECT COUNT(*) FROM pending_update_changelogs", {});
    if (!rows) return tl::unexpected(rows.error());
    EXPECT_EQ(rows->front().integer(0), 0);
    return {};
  });
  ASSERT_TRUE(count) << errorText(count);
}

TEST_P(PendingChangelogTest, PatchEntriesAreDistinct) {
  addLinkedFinding(kHostA);
  addLinkedFinding(kHostB);
  const auto newest = entry("7.88.1-10+deb12u9", "  * Fix CVE-2026-1.\n");
  const auto middle = entry("7.88.1-10+deb12u8", "  * Fix CVE-2026-2.\n");
  replace(kHostA, {curlUpdate("curl", "7.88.1-10+deb12u7", {newest, middle}),
                   curlUpdate("libcurl4", "7.88.1-10+deb12u7", {newest, middle})});
  replace(kHostB, {curlUpdate("curl", "7.88.1-10+deb12u8", {newest})});

  const auto entries = patchEntries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], middle);
  EXPECT_EQ(entries[1], newest);
}

TEST_P(PendingChangelogTest, UnaffectedHostsAreLeftOut) {
  addLinkedFinding(kHostA);
  replace(kHostA, {curlUpdate("curl", "7.88.1-10+deb12u8", {entry("7.88.1-10+deb12u9", "a\n")})});
  // Host C has the update but no open finding linked to the patch.
  replace(kHostC,
          {curlUpdate("curl", "7.88.1-10+deb12u7",
                      {entry("7.88.1-10+deb12u9", "a\n"), entry("7.88.1-10+deb12u8", "c\n")})});

  const auto entries = patchEntries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].version, "7.88.1-10+deb12u9");
}

}  // namespace
}  // namespace pk::store
