#include "agent/agent_state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tests/support/temporary_directory.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;

unsigned modeOf(const fs::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return 0xffff;
  return status.st_mode & 07777U;
}

std::string readText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string reportId(int n) {
  return fmt::format("{:032x}", n);
}

class AgentStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto folder = pk::test_support::TemporaryDirectory::create("agent-state");
    ASSERT_TRUE(folder) << folder.error().message;
    folder_ = std::make_unique<pk::test_support::TemporaryDirectory>(std::move(*folder));
    state_folder_ = folder_->path() / "state";
  }

  AgentState openState() {
    auto state = AgentState::open(state_folder_);
    EXPECT_TRUE(state) << state.error().message;
    return std::move(*state);
  }

  std::unique_ptr<pk::test_support::TemporaryDirectory> folder_;
  fs::path state_folder_;
};

TEST_F(AgentStateTest, CreatesPrivateFolders) {
  AgentState state = openState();
  EXPECT_EQ(modeOf(state_folder_), 0700u);
  EXPECT_EQ(modeOf(state_folder_ / "outbox"), 0700u);
}

TEST_F(AgentStateTest, RefusesWorldAccessibleFolder) {
  ASSERT_EQ(::mkdir(state_folder_.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(state_folder_.c_str(), 0755), 0);
  auto state = AgentState::open(state_folder_);
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(state.error().message.find("chmod 700"), std::string::npos) << state.error().message;
}

TEST_F(AgentStateTest, TightensGroupAccess) {
  ASSERT_EQ(::mkdir(state_folder_.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(state_folder_.c_str(), 0750), 0);
  AgentState state = openState();
  EXPECT_EQ(modeOf(state_folder_), 0700u);
}

TEST_F(AgentStateTest, IdentityRoundTripsWithPrivateFile) {
  AgentState state = openState();
  auto none = state.loadIdentity();
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->has_value());

  const Identity identity{"h-0123456789abcdef", std::string(64, 'f'), "https://pk.example:443"};
  ASSERT_TRUE(state.saveIdentity(identity));
  EXPECT_EQ(modeOf(state_folder_ / "identity.json"), 0600u);

  AgentState reopened = openState();
  auto loaded = reopened.loadIdentity();
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->host_id, identity.host_id);
  EXPECT_EQ((*loaded)->token, identity.token);
  EXPECT_EQ((*loaded)->server_url, identity.server_url);
}

TEST_F(AgentStateTest, AtomicWriteLeavesNoTemporaryFile) {
  AgentState state = openState();
  ASSERT_TRUE(state.saveAcknowledgedHash("abc"));
  ASSERT_TRUE(state.saveAcknowledgedHash("def"));
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(state_folder_)) {
    names.push_back(item.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"acknowledged.json", "outbox"}));
  auto hash = state.loadAcknowledgedHash();
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_EQ(*hash, "def");
}

TEST_F(AgentStateTest, AtomicWriteReplacesWholeFile) {
  const fs::path path = folder_->path() / "file.txt";
  ASSERT_TRUE(writeFileAtomically(path, std::string(10000, 'x')));
  ASSERT_TRUE(writeFileAtomically(path, "short"));
  EXPECT_EQ(readText(path), "short");
  EXPECT_EQ(modeOf(path), 0600u);
}

TEST_F(AgentStateTest, AtomicWriteFailureKeepsOldFile) {
  const fs::path path = folder_->path() / "file.txt";
  ASSERT_TRUE(writeFileAtomically(path, "old"));
  // A folder in place of the temporary file's target makes rename fail.
  const fs::path blocked = folder_->path() / "blocked";
  fs::create_directories(blocked / "inside");
  auto written = writeFileAtomically(blocked, "new");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kIoError);
  EXPECT_EQ(readText(path), "old");
  for (const auto& item : fs::directory_iterator(folder_->path())) {
    EXPECT_EQ(item.path().filename().string().find(".tmp-"), std::string::npos) << item.path();
  }
}

TEST_F(AgentStateTest, CorruptIdentityIsMovedAside) {
  AgentState state = openState();
  ASSERT_TRUE(writeFileAtomically(state_folder_ / "identity.json", "{not json"));
  auto loaded = state.loadIdentity();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_FALSE(loaded->has_value());
  EXPECT_FALSE(fs::exists(state_folder_ / "identity.json"));
  EXPECT_EQ(readText(state_folder_ / "corrupt" / "identity.json"), "{not json");
}

TEST_F(AgentStateTest, CorruptAcknowledgementIsMovedAside) {
  AgentState state = openState();
  ASSERT_TRUE(writeFileAtomically(state_folder_ / "acknowledged.json", "[]"));
  auto hash = state.loadAcknowledgedHash();
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_EQ(*hash, "");
  EXPECT_TRUE(fs::exists(state_folder_ / "corrupt" / "acknowledged.json"));
}

TEST_F(AgentStateTest, OutboxKeepsOrder) {
  AgentState state = openState();
  for (int i = 1; i <= 12; ++i) {
    auto entry = state.enqueue(reportId(i), fmt::format("{{\"n\":{}}}", i));
    ASSERT_TRUE(entry) << entry.error().message;
    EXPECT_EQ(entry->sequence, static_cast<std::uint64_t>(i));
    EXPECT_EQ(modeOf(entry->path), 0600u);
  }
  auto pending = state.pending();
  ASSERT_TRUE(pending) << pending.error().message;
  ASSERT_EQ(pending->size(), 12u);
  for (int i = 1; i <= 12; ++i) {
    const OutboxEntry& entry = (*pending)[static_cast<std::size_t>(i - 1)];
    EXPECT_EQ(entry.report_id, reportId(i));
    auto text = state.read(entry);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text, fmt::format("{{\"n\":{}}}", i));
  }
}

TEST_F(AgentStateTest, OutboxContinuesAfterRemoval) {
  AgentState state = openState();
  ASSERT_TRUE(state.enqueue(reportId(1), "{}"));
  auto second = state.enqueue(reportId(2), "{}");
  ASSERT_TRUE(second);
  auto pending = state.pending();
  ASSERT_TRUE(pending);
  ASSERT_TRUE(state.remove(pending->front()));
  auto third = state.enqueue(reportId(3), "{}");
  ASSERT_TRUE(third);
  EXPECT_GT(third->sequence, second->sequence);

  // Removing twice is harmless.
  EXPECT_TRUE(state.remove(pending->front()));
}

TEST_F(AgentStateTest, OutboxDropsOldestBeyondLimit) {
  auto state = AgentState::open(state_folder_, 5);
  ASSERT_TRUE(state) << state.error().message;
  for (int i = 1; i <= 8; ++i) ASSERT_TRUE(state->enqueue(reportId(i), "{}"));
  auto pending = state->pending();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 5u);
  EXPECT_EQ(pending->front().report_id, reportId(4));
  EXPECT_EQ(pending->back().report_id, reportId(8));
}

TEST_F(AgentStateTest, StrayOutboxFilesAreMovedAside) {
  AgentState state = openState();
  ASSERT_TRUE(state.enqueue(reportId(1), "{}"));
  ASSERT_TRUE(pk::test_support::writeFile(state_folder_, "outbox/garbage.json", "x"));
  ASSERT_TRUE(pk::test_support::writeFile(state_folder_, "outbox/.partial.tmp-abc", "x"));
  auto pending = state.pending();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_TRUE(fs::exists(state_folder_ / "corrupt" / "garbage.json"));
  // A temporary file of an interrupted write is ignored, not moved.
  EXPECT_TRUE(fs::exists(state_folder_ / "outbox" / ".partial.tmp-abc"));
}

TEST_F(AgentStateTest, RejectMovesReportWithReason) {
  AgentState state = openState();
  auto entry = state.enqueue(reportId(7), "{\"report\":7}");
  ASSERT_TRUE(entry);
  ASSERT_TRUE(state.reject(*entry, "HTTP 400: invalid"));
  EXPECT_FALSE(fs::exists(entry->path));
  const fs::path moved = state_folder_ / "rejected" / entry->path.filename();
  EXPECT_EQ(readText(moved), "{\"report\":7}");
  EXPECT_EQ(readText(moved.string() + ".reason"), "HTTP 400: invalid\n");
  EXPECT_EQ(modeOf(state_folder_ / "rejected"), 0700u);
}

TEST_F(AgentStateTest, EnqueueRejectsBadReportId) {
  AgentState state = openState();
  auto entry = state.enqueue("../../etc/passwd", "{}");
  ASSERT_FALSE(entry);
  EXPECT_EQ(entry.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace pk::agent
