#include "agent/job_journal.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/temporary_directory.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using test_support::TemporaryDirectory;
using test_support::writeFile;

JobEntry sampleEntry() {
  JobEntry entry;
  entry.job_id = "j-00112233445566ff";
  entry.deployment_id = "d-7";
  entry.endpoint = true;
  entry.manager = installer::Manager::kDnf;
  entry.targets = {{.name = "openssl", .version = "1:3.0.7-27.el9"}};
  entry.pre_hook = "stop-app";
  entry.phase = JobPhase::kInstalling;
  entry.started_at = *parseRfc3339("2026-12-05T02:10:00Z");
  entry.versions_before = {{"openssl", "1:3.0.7-25.el9"}};
  entry.unsent = {{.event_id = std::string(32, 'a'), .state = "installing", .body = "{}"}};
  entry.restart_in_window = true;
  entry.restart_windows = {
      {*parseRfc3339("2026-12-06T02:00:00Z"), *parseRfc3339("2026-12-06T06:00:00Z")}};
  return entry;
}

TEST(JobJournalCodec, RoundTripsEntry) {
  const JobEntry entry = sampleEntry();
  auto decoded = decodeJobEntry(encodeJobEntry(entry));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(encodeJobEntry(*decoded), encodeJobEntry(entry));
  EXPECT_EQ(decoded->phase, JobPhase::kInstalling);
  EXPECT_EQ(decoded->unsent.size(), 1u);
  ASSERT_EQ(decoded->restart_windows.size(), 1u);
  EXPECT_EQ(decoded->restart_windows[0].end, *parseRfc3339("2026-12-06T06:00:00Z"));
}

TEST(JobJournalCodec, RejectsBackwardRestartWindow) {
  JobEntry entry = sampleEntry();
  std::swap(entry.restart_windows[0].start, entry.restart_windows[0].end);
  auto decoded = decodeJobEntry(encodeJobEntry(entry));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, ErrorCode::kMalformedInput);
}

TEST(JobJournalCodec, RejectsUnknownPhase) {
  std::string text = encodeJobEntry(sampleEntry());
  text.replace(text.find("\"installing\""), 12, "\"sleeping\"");
  auto decoded = decodeJobEntry(text);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, ErrorCode::kMalformedInput);
}

TEST(JobJournalCodec, RejectsNonJson) {
  EXPECT_FALSE(decodeJobEntry("not json"));
}

TEST(JobJournal, SavesFindsRemoves) {
  auto directory = TemporaryDirectory::create("journal");
  ASSERT_TRUE(directory);
  auto journal = JobJournal::open(directory->path());
  ASSERT_TRUE(journal) << journal.error().message;

  ASSERT_TRUE(journal->save(sampleEntry()));
  auto found = journal->find("j-00112233445566ff");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->deployment_id, "d-7");

  ASSERT_TRUE(journal->remove("j-00112233445566ff"));
  auto gone = journal->find("j-00112233445566ff");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
}

TEST(JobJournal, MovesCorruptEntryAside) {
  auto directory = TemporaryDirectory::create("journal");
  ASSERT_TRUE(directory);
  auto journal = JobJournal::open(directory->path());
  ASSERT_TRUE(journal);
  ASSERT_TRUE(writeFile(directory->path(), "jobs/j-0000000000000001.json", "{\"job_id\": 3"));
  ASSERT_TRUE(journal->save(sampleEntry()));

  auto entries = journal->entries();
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().job_id, "j-00112233445566ff");
  EXPECT_TRUE(fs::exists(directory->path() / "corrupt/j-0000000000000001.json"));
}

TEST(JobJournal, RejectsInvalidJobId) {
  auto directory = TemporaryDirectory::create("journal");
  ASSERT_TRUE(directory);
  auto journal = JobJournal::open(directory->path());
  ASSERT_TRUE(journal);
  JobEntry entry = sampleEntry();
  entry.job_id = "../escape";
  auto saved = journal->save(entry);
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace pk::agent
