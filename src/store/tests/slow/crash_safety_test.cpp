// A writer process killed with SIGKILL at random moments leaves a database
// that passes SQLite's integrity check, in which every transaction is
// either complete or absent and every transaction reported as committed is
// present.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "store/database.h"
#include "store/migrations.h"
#include "store/tests/conformance.h"
#include "tests/support/temporary_directory.h"

namespace pk::store {
namespace {

using conformance::errorText;

constexpr int kRounds = 6;
constexpr int kChildOpenFailed = 2;
constexpr int kChildWriteFailed = 3;

// Sends one progress event to the parent: a positive batch id once that
// batch has committed, its negation after each row written inside it.
void reportProgress(int progress_fd, std::int64_t event) {
  if (::write(progress_fd, &event, sizeof event) != static_cast<ssize_t>(sizeof event)) {
    ::_exit(kChildWriteFailed);
  }
}

// Runs in the forked child until it is killed: each transaction writes a
// header row naming how many rows it adds, then those rows. Events on
// `progress_fd` let the parent kill it at any point of a transaction, not
// only between them.
[[noreturn]] void writeBatchesForever(const std::string& connection, int progress_fd,
                                      std::uint64_t seed) {
  auto opened = openDatabase(connection);
  if (!opened) ::_exit(kChildOpenFailed);
  Database& database = **opened;

  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int> batch_sizes(1, 300);
  std::int64_t batch = 0;
  auto started = database.write([&](Session& session) -> Result<void> {
    // Frequent checkpoints, so that kills also land inside them.
    if (auto set = session.execute("PRAGMA wal_autocheckpoint = 8"); !set) return set;
    auto row = session.queryOne("SELECT COALESCE(MAX(id), 0) FROM crash_batches");
    if (!row) return tl::unexpected(row.error());
    batch = (*row)->integer(0);
    return {};
  });
  if (!started) ::_exit(kChildWriteFailed);

  const std::string payload(120, 'p');
  while (true) {
    ++batch;
    const int size = batch_sizes(random);
    auto written = database.write([&](Session& session) -> Result<void> {
      if (auto header = session.execute("INSERT INTO crash_batches (id, size) VALUES (?, ?)",
                                        {batch, std::int64_t{size}});
          !header) {
        return header;
      }
      for (int i = 0; i < size; ++i) {
        if (auto row = session.execute(
                "INSERT INTO crash_rows (batch_id, position, payload) VALUES (?, ?, ?)",
                {batch, std::int64_t{i}, payload});
            !row) {
          return row;
        }
        reportProgress(progress_fd, -batch);
      }
      return {};
    });
    if (!written) ::_exit(kChildWriteFailed);
    reportProgress(progress_fd, batch);
  }
}

// Reads one progress event from the child. Returns 0 at end of file.
std::int64_t readProgress(int fd) {
  std::int64_t event = 0;
  ssize_t got = 0;
  do {
    got = ::read(fd, &event, sizeof event);
  } while (got < 0 && errno == EINTR);
  return got == static_cast<ssize_t>(sizeof event) ? event : 0;
}

// Kills and reaps the child if a failed assertion leaves the test early,
// so that no writer outlives the test.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  // Kills the child and returns its wait status, or -1 when that fails.
  int killAndReap() {
    int status = -1;
    if (::kill(pid_, SIGKILL) != 0 || ::waitpid(pid_, &status, 0) != pid_) status = -1;
    pid_ = 0;
    return status;
  }

 private:
  pid_t pid_;
};

struct BatchState {
  std::int64_t declared_size = -1;  // from crash_batches, -1 when no header
  std::int64_t rows = 0;            // rows found in crash_rows
};

class CrashSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = test_support::TemporaryDirectory::create("crash");
    ASSERT_TRUE(created) << errorText(created);
    directory_.emplace(std::move(*created));
    connection_ = "sqlite://" + (directory_->path() / "crash.db").string();

    auto opened = openDatabase(connection_);
    ASSERT_TRUE(opened) << errorText(opened);
    auto migrated = migrate(**opened);
    ASSERT_TRUE(migrated) << errorText(migrated);
    auto created_tables = (*opened)->write([](Session& session) -> Result<void> {
      if (auto batches = session.execute(
              "CREATE TABLE crash_batches (id INTEGER PRIMARY KEY, size INTEGER NOT NULL)");
          !batches) {
        return batches;
      }
      return session.execute(
          "CREATE TABLE crash_rows (batch_id INTEGER NOT NULL, position INTEGER NOT NULL, "
          "payload TEXT NOT NULL, PRIMARY KEY (batch_id, position))");
    });
    ASSERT_TRUE(created_tables) << errorText(created_tables);
    // Closed before any fork: a SQLite connection must not cross fork().
  }

  std::map<std::int64_t, BatchState> readBatches(std::string& integrity) {
    std::map<std::int64_t, BatchState> batches;
    auto opened = openDatabase(connection_);
    EXPECT_TRUE(opened) << errorText(opened);
    if (!opened) return batches;
    auto done = (*opened)->read([&](Session& session) -> Result<void> {
      auto check = session.queryOne("PRAGMA integrity_check");
      if (!check) return tl::unexpected(check.error());
      integrity = check->has_value() ? (*check)->text(0) : "<no result>";

      auto headers = session.query("SELECT id, size FROM crash_batches");
      if (!headers) return tl::unexpected(headers.error());
      for (const Row& row : *headers) batches[row.integer(0)].declared_size = row.integer(1);

      auto counts = session.query("SELECT batch_id, COUNT(*) FROM crash_rows GROUP BY batch_id");
      if (!counts) return tl::unexpected(counts.error());
      for (const Row& row : *counts) batches[row.integer(0)].rows = row.integer(1);
      return {};
    });
    EXPECT_TRUE(done) << errorText(done);
    return batches;
  }

  std::optional<test_support::TemporaryDirectory> directory_;
  std::string connection_;
};

TEST_F(CrashSafetyTest, KilledWriterLosesNoCommittedBatch) {
  const std::uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 random(seed);
  // How many progress events the parent waits for before killing the
  // child: a few transactions' worth.
  std::uniform_int_distribution<int> events_before_kill(1, 3000);

  std::int64_t reported = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const std::uint64_t child_seed = random();

    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      writeBatchesForever(connection_, pipe_fds[1], child_seed);
    }
    ::close(pipe_fds[1]);
    ChildGuard guard(child);

    // Each round first waits for one commit of its own, so that every round
    // has something to lose. Then the kill lands shortly after a randomly
    // chosen event: in the middle of a transaction, just after a commit,
    // or in a checkpoint.
    const std::int64_t before_round = reported;
    const int wanted = events_before_kill(random);
    for (int seen = 0; seen < wanted || reported == before_round; ++seen) {
      const std::int64_t event = readProgress(pipe_fds[0]);
      if (event == 0) break;
      reported = std::max(reported, event);
    }
    const int status = guard.killAndReap();
    ASSERT_NE(status, -1) << "failed to kill and reap the writer";
    // Commits reported between the last read and the kill still count.
    while (const std::int64_t event = readProgress(pipe_fds[0])) {
      reported = std::max(reported, event);
    }
    ::close(pipe_fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited by itself with status "
                                     << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    ASSERT_EQ(WTERMSIG(status), SIGKILL);

    std::string integrity;
    const auto batches = readBatches(integrity);
    EXPECT_EQ(integrity, "ok");

    // Every batch reported as committed is present and complete; at most
    // one more (committed, killed before it could report) may follow.
    ASSERT_GT(reported, before_round) << "the writer committed nothing before it died";
    for (std::int64_t batch = 1; batch <= reported; ++batch) {
      const auto found = batches.find(batch);
      ASSERT_NE(found, batches.end()) << "committed batch " << batch << " is missing";
      EXPECT_EQ(found->second.rows, found->second.declared_size) << "batch " << batch;
    }
    for (const auto& [batch, state] : batches) {
      EXPECT_LE(batch, reported + 1) << "batch " << batch << " was never started";
      EXPECT_GT(state.declared_size, 0) << "rows of batch " << batch << " without its header";
      EXPECT_EQ(state.rows, state.declared_size) << "batch " << batch << " is partial";
    }
    reported = batches.empty() ? 0 : batches.rbegin()->first;
  }
}

}  // namespace
}  // namespace pk::store
