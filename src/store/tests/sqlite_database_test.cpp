// What only the SQLite backend promises: connection strings, file modes,
// WAL and the pragmas every connection sets.

#include "store/sqlite_database.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/database.h"
#include "store/migrations.h"
#include "store/tests/conformance.h"
#include "tests/support/temporary_directory.h"

namespace pk::store {
namespace {

using conformance::errorText;

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = test_support::TemporaryDirectory::create("sqlite");
    ASSERT_TRUE(created) << errorText(created);
    directory_.emplace(std::move(*created));
  }

  std::filesystem::path path(const std::string& name) const { return directory_->path() / name; }

  // Returns the first column of the first row of `sql`, read in a
  // read() transaction, or "<error>" when it fails.
  static std::string readText(Database& database, const std::string& sql) {
    std::string text = "<error>";
    auto done = database.read([&](Session& session) -> Result<void> {
      auto row = session.queryOne(sql);
      if (!row) return tl::unexpected(row.error());
      text = row->has_value() ? (*row)->text(0) : "<no row>";
      return {};
    });
    EXPECT_TRUE(done) << errorText(done);
    return text;
  }

  std::optional<test_support::TemporaryDirectory> directory_;
};

// Sets (or, with nullopt, unsets) the replay switch for one test and puts
// back the value the process had, because the test binary may itself run
// with the switch on.
class ReplaySwitch {
 public:
  explicit ReplaySwitch(const std::optional<std::string>& value) {
    if (const char* previous = std::getenv(kReplayWritesVariable)) previous_ = previous;
    apply(value);
  }
  ReplaySwitch(const ReplaySwitch&) = delete;
  ReplaySwitch& operator=(const ReplaySwitch&) = delete;
  ~ReplaySwitch() { apply(previous_); }

 private:
  static void apply(const std::optional<std::string>& value) {
    if (value) {
      ::setenv(kReplayWritesVariable, value->c_str(), 1);
    } else {
      ::unsetenv(kReplayWritesVariable);
    }
  }

  std::optional<std::string> previous_;
};

// Runs one write() that counts its runs and inserts a setting whose value
// is the run number, then returns the runs and the committed values.
struct ReplayOutcome {
  int runs = 0;
  std::vector<std::string> committed_values;
};

ReplayOutcome writeCountingRuns(Database& database) {
  ReplayOutcome outcome;
  auto written = database.write([&](Session& session) -> Result<void> {
    ++outcome.runs;
    // The first run's row must be gone: a leftover would make this second
    // INSERT fail on the primary key.
    return session.execute("INSERT INTO settings (key, value, updated_at) VALUES ('run', ?, 0)",
                           {std::to_string(outcome.runs)});
  });
  EXPECT_TRUE(written) << errorText(written);
  auto read = database.read([&](Session& session) -> Result<void> {
    auto rows = session.query("SELECT value FROM settings ORDER BY value");
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) outcome.committed_values.push_back(row.text(0));
    return {};
  });
  EXPECT_TRUE(read) << errorText(read);
  return outcome;
}

unsigned fileMode(const std::filesystem::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return 0;
  return status.st_mode & 0777u;
}

TEST_F(SqliteDatabaseTest, AbsolutePathOpensFile) {
  const auto file = path("absolute.db");
  auto database = openDatabase("sqlite://" + file.string());
  ASSERT_TRUE(database) << errorText(database);
  EXPECT_EQ((*database)->backend(), Backend::kSqlite);
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST_F(SqliteDatabaseTest, RelativePathIsUnderWorkingDirectory) {
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(directory_->path());
  auto database = openDatabase("sqlite://relative.db");
  std::filesystem::current_path(previous);
  ASSERT_TRUE(database) << errorText(database);
  EXPECT_TRUE(std::filesystem::exists(path("relative.db")));
}

TEST_F(SqliteDatabaseTest, FilesAreCreatedPrivate) {
  const auto file = path("private.db");
  const mode_t previous_umask = ::umask(022);
  auto database = openDatabase("sqlite://" + file.string());
  ::umask(previous_umask);
  ASSERT_TRUE(database) << errorText(database);
  auto migrated = migrate(**database);
  ASSERT_TRUE(migrated) << errorText(migrated);
  // A reader makes SQLite create the shared-memory file if it has not yet.
  EXPECT_EQ(readText(**database, "SELECT COUNT(*) FROM settings"), "0");

  EXPECT_EQ(fileMode(file), 0600u);
  ASSERT_TRUE(std::filesystem::exists(file.string() + "-wal"));
  EXPECT_EQ(fileMode(file.string() + "-wal"), 0600u);
  ASSERT_TRUE(std::filesystem::exists(file.string() + "-shm"));
  EXPECT_EQ(fileMode(file.string() + "-shm"), 0600u);
}

TEST_F(SqliteDatabaseTest, WalModeAndForeignKeysAreOn) {
  auto database = openDatabase("sqlite://" + path("wal.db").string());
  ASSERT_TRUE(database) << errorText(database);
  EXPECT_EQ(readText(**database, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(readText(**database, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(readText(**database, "PRAGMA busy_timeout"), std::to_string(kSqliteBusyTimeoutMs));

  std::string synchronous;
  std::string writer_foreign_keys;
  auto done = (*database)->write([&](Session& session) -> Result<void> {
    auto row = session.queryOne("PRAGMA synchronous");
    if (!row) return tl::unexpected(row.error());
    synchronous = (*row)->text(0);
    row = session.queryOne("PRAGMA foreign_keys");
    if (!row) return tl::unexpected(row.error());
    writer_foreign_keys = (*row)->text(0);
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_EQ(synchronous, "1");  // NORMAL
  EXPECT_EQ(writer_foreign_keys, "1");
}

TEST_F(SqliteDatabaseTest, MemoryDatabaseWorks) {
  auto database = openDatabase("sqlite::memory:");
  ASSERT_TRUE(database) << errorText(database);
  auto migrated = migrate(**database);
  ASSERT_TRUE(migrated) << errorText(migrated);
  EXPECT_EQ(readText(**database, "PRAGMA foreign_keys"), "1");

  auto inserted = (*database)->write([](Session& session) {
    return session.execute("INSERT INTO settings (key, value, updated_at) VALUES ('a', 'b', 0)");
  });
  ASSERT_TRUE(inserted) << errorText(inserted);
  EXPECT_EQ(readText(**database, "SELECT value FROM settings"), "b");

  auto refused =
      (*database)->read([](Session& session) { return session.execute("DELETE FROM settings"); });
  EXPECT_FALSE(refused);
  // read() turned writing off only for its own turn.
  auto after = (*database)->write(
      [](Session& session) { return session.execute("UPDATE settings SET value = 'c'"); });
  ASSERT_TRUE(after) << errorText(after);
  EXPECT_EQ(readText(**database, "SELECT value FROM settings"), "c");
}

TEST_F(SqliteDatabaseTest, MemoryDatabaseRejectsNestedRead) {
  auto database = openDatabase("sqlite::memory:");
  ASSERT_TRUE(database) << errorText(database);
  Result<void> nested;
  auto outer = (*database)->write([&](Session&) -> Result<void> {
    nested = (*database)->read([](Session&) -> Result<void> { return {}; });
    return {};
  });
  ASSERT_TRUE(outer) << errorText(outer);
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().code, ErrorCode::kInternal);
}

TEST_F(SqliteDatabaseTest, EachMemoryDatabaseIsPrivate) {
  auto first = openDatabase("sqlite::memory:");
  auto second = openDatabase("sqlite::memory:");
  ASSERT_TRUE(first) << errorText(first);
  ASSERT_TRUE(second) << errorText(second);
  ASSERT_TRUE(migrate(**first));
  auto version = currentSchemaVersion(**second);
  ASSERT_TRUE(version) << errorText(version);
  EXPECT_EQ(*version, 0);
}

TEST_F(SqliteDatabaseTest, NotADatabaseIsIoError) {
  const auto file = path("garbage.db");
  std::ofstream(file) << std::string(8192, 'g');
  auto database = openDatabase("sqlite://" + file.string());
  ASSERT_FALSE(database);
  EXPECT_EQ(database.error().code, ErrorCode::kIoError);
  EXPECT_NE(database.error().message.find(file.string()), std::string::npos)
      << database.error().message;
}

TEST_F(SqliteDatabaseTest, MissingFolderIsIoError) {
  const auto file = path("no/such/folder/x.db");
  auto database = openDatabase("sqlite://" + file.string());
  ASSERT_FALSE(database);
  EXPECT_EQ(database.error().code, ErrorCode::kIoError);
  EXPECT_NE(database.error().message.find(file.string()), std::string::npos)
      << database.error().message;
}

TEST_F(SqliteDatabaseTest, EmptyPathIsInvalid) {
  auto database = openDatabase("sqlite://");
  ASSERT_FALSE(database);
  EXPECT_EQ(database.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SqliteDatabaseTest, UnknownSchemeIsInvalidWithoutSecrets) {
  for (const char* connection :
       {"mysql://admin:hunter2@db/patchkeeper", "/var/lib/pk.db", "sqlite:/one-slash.db", ""}) {
    auto database = openDatabase(connection);
    ASSERT_FALSE(database) << connection;
    EXPECT_EQ(database.error().code, ErrorCode::kInvalidArgument) << connection;
    EXPECT_EQ(database.error().message.find("hunter2"), std::string::npos)
        << database.error().message;
  }
}

TEST_F(SqliteDatabaseTest, TwoHandlesShareOneFile) {
  const std::string connection = "sqlite://" + path("shared.db").string();
  auto first = openDatabase(connection);
  auto second = openDatabase(connection);
  ASSERT_TRUE(first) << errorText(first);
  ASSERT_TRUE(second) << errorText(second);
  ASSERT_TRUE(migrate(**first));

  auto written = (*first)->write([](Session& session) {
    return session.execute("INSERT INTO settings (key, value, updated_at) VALUES ('a', 'b', 0)");
  });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_EQ(readText(**second, "SELECT value FROM settings WHERE key = 'a'"), "b");
}

TEST_F(SqliteDatabaseTest, ReplaySwitchRunsWorkTwice) {
  const ReplaySwitch replay("1");
  for (const std::string& connection :
       {"sqlite://" + path("replay.db").string(), std::string("sqlite::memory:")}) {
    auto database = openDatabase(connection);
    ASSERT_TRUE(database) << errorText(database);
    ASSERT_TRUE(migrate(**database));

    const auto outcome = writeCountingRuns(**database);
    EXPECT_EQ(outcome.runs, 2) << connection;
    EXPECT_EQ(outcome.committed_values, std::vector<std::string>{"2"}) << connection;
  }
}

TEST_F(SqliteDatabaseTest, WorkRunsOnceWithoutReplaySwitch) {
  for (const std::optional<std::string>& value : {std::optional<std::string>(), {"0"}, {""}}) {
    const ReplaySwitch replay(value);
    auto database = openDatabase("sqlite::memory:");
    ASSERT_TRUE(database) << errorText(database);
    ASSERT_TRUE(migrate(**database));

    const auto outcome = writeCountingRuns(**database);
    EXPECT_EQ(outcome.runs, 1) << value.value_or("(unset)");
    EXPECT_EQ(outcome.committed_values, std::vector<std::string>{"1"});
  }
}

TEST_F(SqliteDatabaseTest, ReplaySwitchIsReadAtOpen) {
  std::optional<ReplaySwitch> replay;
  replay.emplace("1");
  auto database = openDatabase("sqlite://" + path("read-at-open.db").string());
  ASSERT_TRUE(database) << errorText(database);
  replay.reset();
  const ReplaySwitch off(std::nullopt);
  ASSERT_TRUE(migrate(**database));

  EXPECT_EQ(writeCountingRuns(**database).runs, 2);
}

TEST_F(SqliteDatabaseTest, ReplaySwitchKeepsFirstFailure) {
  const ReplaySwitch replay("1");
  auto database = openDatabase("sqlite::memory:");
  ASSERT_TRUE(database) << errorText(database);
  ASSERT_TRUE(migrate(**database));

  int runs = 0;
  auto failed = (*database)->write([&](Session& session) -> Result<void> {
    ++runs;
    auto inserted =
        session.execute("INSERT INTO settings (key, value, updated_at) VALUES ('kept', 'no', 0)");
    if (!inserted) return inserted;
    return fail(ErrorCode::kNotFound, "the first run failed");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(readText(**database, "SELECT COUNT(*) FROM settings"), "0");

  runs = 0;
  EXPECT_THROW((*database)->write([&](Session&) -> Result<void> {
    ++runs;
    throw std::runtime_error("the first run threw");
  }),
               std::runtime_error);
  EXPECT_EQ(runs, 1);

  // The connection is usable after both.
  EXPECT_EQ(writeCountingRuns(**database).runs, 2);
}

}  // namespace
}  // namespace pk::store

namespace pk::store {
namespace {

// Holds the writer in a first write() until `waiting` more calls are
// queued behind it, then lets it finish, so that those calls go into the
// next transaction together. Gives up after ten seconds, failing the test.
class WriterHold {
 public:
  WriterHold(Database& database, std::size_t waiting) : database_(database), waiting_(waiting) {}

  // Starts a thread whose write() keeps the writer busy, and returns once that
  // write is running, so that writes started after it queue behind it.
  std::thread start() {
    std::thread holder([this] {
      auto held = database_.write([this](Session& session) { return holdUntilQueued(session); });
      EXPECT_TRUE(held) << errorText(held);
    });
    while (!holding_.load()) std::this_thread::yield();
    return holder;
  }

 private:
  Result<void> holdUntilQueued(Session& session) {
    holding_ = true;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (sqliteWriteStats(database_)->queued < waiting_) {
      if (std::chrono::steady_clock::now() > give_up) {
        return fail(ErrorCode::kInternal, "the other writes never queued");
      }
      std::this_thread::yield();
    }
    return session.execute("INSERT INTO settings (key, value, updated_at) VALUES ('hold', '', 0)");
  }

  Database& database_;
  const std::size_t waiting_;
  std::atomic<bool> holding_ = false;
};

Result<void> insertSetting(Session& session, const std::string& key) {
  return session.execute("INSERT INTO settings (key, value, updated_at) VALUES (?, '', 0)", {key});
}

std::string settingKeys(Database& database) {
  std::string keys;
  auto read = database.read([&](Session& session) -> Result<void> {
    auto rows = session.query("SELECT key FROM settings ORDER BY key");
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) keys += row.text(0) + " ";
    return {};
  });
  EXPECT_TRUE(read) << errorText(read);
  return keys;
}

class SqliteWriteBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = test_support::TemporaryDirectory::create("batch");
    ASSERT_TRUE(created) << errorText(created);
    directory_.emplace(std::move(*created));
  }

  std::unique_ptr<Database> open() {
    auto database = openSqliteFile(directory_->path() / "batch.db");
    EXPECT_TRUE(database) << errorText(database);
    if (!database) return nullptr;
    EXPECT_TRUE(migrate(**database));
    return std::move(*database);
  }

  std::optional<test_support::TemporaryDirectory> directory_;
};

TEST_F(SqliteWriteBatchTest, QueuedWritesShareOneTransaction) {
  const ReplaySwitch replay(std::nullopt);
  auto database = open();
  ASSERT_TRUE(database);
  const SqliteWriteStats before = *sqliteWriteStats(*database);
  WriterHold hold(*database, 3);

  std::thread holder = hold.start();
  std::vector<std::thread> writers;
  for (const std::string key : {"a", "b", "c"}) {
    writers.emplace_back([&database, key] {
      auto written = database->write([&](Session& session) { return insertSetting(session, key); });
      EXPECT_TRUE(written) << errorText(written);
    });
  }
  holder.join();
  for (auto& writer : writers) writer.join();

  EXPECT_EQ(settingKeys(*database), "a b c hold ");
  const auto stats = sqliteWriteStats(*database);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->writes - before.writes, 4u);
  // The hold ran alone; the three queued writes committed together.
  EXPECT_EQ(stats->transactions - before.transactions, 2u);
  EXPECT_EQ(stats->queued, 0u);
}

TEST_F(SqliteWriteBatchTest, FailureInBatchUndoesOnlyItsOwnWork) {
  const ReplaySwitch replay(std::nullopt);
  auto database = open();
  ASSERT_TRUE(database);
  const SqliteWriteStats before = *sqliteWriteStats(*database);
  WriterHold hold(*database, 4);

  std::thread holder = hold.start();
  std::vector<std::thread> writers;
  std::atomic<bool> refused = false;
  std::atomic<bool> threw = false;
  writers.emplace_back([&] {
    auto written =
        database->write([](Session& session) { return insertSetting(session, "kept-1"); });
    EXPECT_TRUE(written) << errorText(written);
  });
  writers.emplace_back([&] {
    auto written = database->write([](Session& session) -> Result<void> {
      if (auto inserted = insertSetting(session, "refused"); !inserted) return inserted;
      return fail(ErrorCode::kNotFound, "refused after inserting");
    });
    refused = !written && written.error().code == ErrorCode::kNotFound;
  });
  writers.emplace_back([&] {
    try {
      (void)database->write([](Session& session) -> Result<void> {
        if (auto inserted = insertSetting(session, "thrown"); !inserted) return inserted;
        throw std::runtime_error("thrown after inserting");
      });
    } catch (const std::runtime_error&) {
      threw = true;
    }
  });
  writers.emplace_back([&] {
    // A key that is already taken fails on the constraint alone.
    auto written = database->write([](Session& session) -> Result<void> {
      if (auto inserted = insertSetting(session, "kept-2"); !inserted) return inserted;
      return insertSetting(session, "kept-2");
    });
    EXPECT_FALSE(written);
  });
  holder.join();
  for (auto& writer : writers) writer.join();

  EXPECT_TRUE(refused);
  EXPECT_TRUE(threw);
  EXPECT_EQ(settingKeys(*database), "hold kept-1 ");
  // Every failure ran in the same transaction as kept-1, which still committed.
  EXPECT_EQ(sqliteWriteStats(*database)->transactions - before.transactions, 2u);
}

TEST_F(SqliteWriteBatchTest, ReplaySwitchReplaysEachWorkInBatch) {
  const ReplaySwitch replay("1");
  auto database = open();
  ASSERT_TRUE(database);
  WriterHold hold(*database, 2);

  std::thread holder = hold.start();
  std::atomic<int> runs = 0;
  std::vector<std::thread> writers;
  for (const std::string key : {"x", "y"}) {
    writers.emplace_back([&database, &runs, key] {
      auto written = database->write([&](Session& session) {
        ++runs;
        // The first run's row must be gone, or this INSERT fails.
        return insertSetting(session, key);
      });
      EXPECT_TRUE(written) << errorText(written);
    });
  }
  holder.join();
  for (auto& writer : writers) writer.join();

  EXPECT_EQ(runs.load(), 4);
  EXPECT_EQ(settingKeys(*database), "hold x y ");
}

TEST_F(SqliteWriteBatchTest, LogIsCopiedIntoFileInBackground) {
  auto database = open();
  ASSERT_TRUE(database);
  const auto file = directory_->path() / "batch.db";
  const auto initial_size = std::filesystem::file_size(file);

  // About 8 MiB of log, twice the checkpoint threshold, in 4 KiB values.
  const std::string value(4000, 'v');
  for (int i = 0; i < 2 * kSqliteCheckpointPages; ++i) {
    auto written = database->write([&](Session& session) {
      return session.execute("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0)",
                             {std::to_string(i), value});
    });
    ASSERT_TRUE(written) << errorText(written);
  }

  // No commit checkpoints by itself, so the file grows only when the
  // background checkpoint has run. It gets ten seconds.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const auto copied = [&] { return std::filesystem::file_size(file) > initial_size + 4'000'000; };
  while (!copied() && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  EXPECT_TRUE(copied()) << std::filesystem::file_size(file) << " bytes";
}

TEST_F(SqliteWriteBatchTest, StatsAreOnlyForFileDatabases) {
  auto memory = openSqliteMemory();
  ASSERT_TRUE(memory) << errorText(memory);
  EXPECT_FALSE(sqliteWriteStats(**memory));
}

}  // namespace
}  // namespace pk::store
