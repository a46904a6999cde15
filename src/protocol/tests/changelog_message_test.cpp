// The changelog entries a report sends with each pending update: the wire
// form, the parser's bounds and the agent's cut.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/messages.h"

namespace pk::protocol {
namespace {

using Json = nlohmann::json;

ChangelogEntry entry(std::string version, std::string body) {
  return ChangelogEntry{.version = std::move(version),
                        .distributions = "bookworm-security",
                        .urgency = "high",
                        .date = "Wed, 21 Oct 2026 16:54:24 +0700",
                        .body = std::move(body)};
}

Report reportWithChangelog(std::vector<ChangelogEntry> changelog) {
  Report report;
  report.report_id = "0123456789abcdef0123456789abcdef";
  report.collected_at = *parseRfc3339("2026-12-04T23:24:08Z");
  report.hostname = "web-01";
  report.os.id = "debian";
  report.inventory_hash = std::string(64, 'a');
  PendingUpdate update;
  update.package = "libssl3";
  update.architecture = "amd64";
  update.source_package = "openssl";
  update.installed_version = "3.0.15-1~deb12u1";
  update.candidate_version = "3.0.17-1~deb12u1";
  update.archive = "bookworm-security";
  update.changelog = std::move(changelog);
  report.security_updates = {update};
  return report;
}

std::vector<ChangelogEntry> entries(std::size_t count, std::size_t body_bytes) {
  std::vector<ChangelogEntry> list;
  for (std::size_t i = 0; i < count; ++i) {
    list.push_back(entry("1.0-" + std::to_string(count - i), std::string(body_bytes, 'x')));
  }
  return list;
}

TEST(ChangelogMessage, RoundTrips) {
  const std::vector<ChangelogEntry> sent = {
      entry("3.0.17-1~deb12u1", "  * CVE-2026-1 fixed.\n"),
      entry("3.0.16-1~deb12u1", "  * New upstream release.\n")};
  auto parsed = parseReport(toJson(reportWithChangelog(sent)).dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->security_updates.size(), 1u);
  EXPECT_EQ(parsed->security_updates[0].changelog, sent);
}

TEST(ChangelogMessage, AbsentReadsAsEmpty) {
  Json json = toJson(reportWithChangelog({entry("3.0.16-1~deb12u1", "body\n")}));
  json["security_updates"][0].erase("changelog");
  auto parsed = parseReport(json.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->security_updates[0].changelog.empty());
}

TEST(ChangelogMessage, MissingVersionIsRejected) {
  Json json = toJson(reportWithChangelog({entry("3.0.16-1~deb12u1", "body\n")}));
  json["security_updates"][0]["changelog"][0].erase("version");
  auto parsed = parseReport(json.dump());
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("\"security_updates[0].changelog[0].version\" is missing"),
            std::string::npos)
      << parsed.error().message;
}

TEST(ChangelogMessage, TooManyEntriesAreRejected) {
  auto parsed = parseReport(
      toJson(reportWithChangelog(entries(kMaxChangelogEntriesPerUpdate + 1, 10))).dump());
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("\"security_updates[0].changelog\" has 51 entries"),
            std::string::npos)
      << parsed.error().message;
}

TEST(ChangelogMessage, EntriesAtTheBoundAreAccepted) {
  auto parsed =
      parseReport(toJson(reportWithChangelog(entries(kMaxChangelogEntriesPerUpdate, 10))).dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->security_updates[0].changelog.size(), kMaxChangelogEntriesPerUpdate);
}

TEST(ChangelogMessage, TooMuchTextIsRejected) {
  // Two bodies of 40 KiB: each within the per-string bound, together over
  // the per-update bound.
  auto parsed = parseReport(toJson(reportWithChangelog(entries(2, 40 * 1024))).dump());
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("\"security_updates[0].changelog\" has"), std::string::npos)
      << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("more than the limit of 65536"), std::string::npos)
      << parsed.error().message;
}

TEST(ChangelogMessage, TextAtTheBoundIsAccepted) {
  std::vector<ChangelogEntry> list = {entry("1.0-1", "")};
  list[0].body.assign(kMaxChangelogBytesPerUpdate - changelogBytes(list), 'x');
  ASSERT_EQ(changelogBytes(list), kMaxChangelogBytesPerUpdate);
  auto parsed = parseReport(toJson(reportWithChangelog(list)).dump());
  EXPECT_TRUE(parsed) << parsed.error().message;
}

TEST(LimitChangelog, KeepsAShortChangelog) {
  const auto list = entries(3, 100);
  EXPECT_EQ(limitChangelog(list), list);
}

TEST(LimitChangelog, CutsToFiftyEntries) {
  const auto cut = limitChangelog(entries(60, 10));
  ASSERT_EQ(cut.size(), kMaxChangelogEntriesPerUpdate);
  EXPECT_EQ(cut.front().version, "1.0-60");
  EXPECT_TRUE(cut.back().body.ends_with(kChangelogCutMarker));
}

TEST(LimitChangelog, CutsTextToTheBound) {
  const auto cut = limitChangelog(entries(5, 30 * 1024));
  EXPECT_EQ(changelogBytes(cut), kMaxChangelogBytesPerUpdate);
  ASSERT_EQ(cut.size(), 3u);
  EXPECT_EQ(cut[1].body, std::string(30 * 1024, 'x'));
  EXPECT_TRUE(cut[2].body.ends_with(kChangelogCutMarker));
}

TEST(LimitChangelog, CutResultIsAccepted) {
  auto parsed = parseReport(toJson(reportWithChangelog(limitChangelog(entries(70, 4000)))).dump());
  EXPECT_TRUE(parsed) << parsed.error().message;
}

TEST(LimitChangelog, KeepsUtf8Whole) {
  // "é" is two bytes; a cut in the middle of one would leave invalid
  // UTF-8, which JSON cannot carry.
  std::string body;
  while (body.size() < kMaxChangelogBytesPerUpdate + 10) body += "\xc3\xa9";
  const auto cut = limitChangelog({entry("1.0-1", body)});
  ASSERT_EQ(cut.size(), 1u);
  const std::string kept = cut[0].body.substr(0, cut[0].body.size() - kChangelogCutMarker.size());
  EXPECT_EQ(kept.size() % 2, 0u);
  EXPECT_NO_THROW((void)Json(cut[0].body).dump());
}

}  // namespace
}  // namespace pk::protocol
