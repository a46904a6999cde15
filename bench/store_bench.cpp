// Single-row upserts and point reads per second through store::Database,
// against the same statements run with raw sqlite3 calls in the same
// process as the baseline.
//
// Both sides use a WAL database file in a fresh temporary folder with
// synchronous=NORMAL, and run each operation as its own transaction: the
// interface through write() and read(), the baseline with BEGIN IMMEDIATE
// or BEGIN, one prepared statement that is reset and reused, and COMMIT.
// The difference is what the interface costs: std::function, the mutex,
// the statement cache lookup, binding from Value and copying rows.

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "store/database.h"

namespace {

namespace fs = std::filesystem;

constexpr int kKeys = 10000;
constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS bench_values (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
    "updated_at INTEGER NOT NULL)";
constexpr std::string_view kUpsert =
    "INSERT INTO bench_values (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO "
    "UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
constexpr std::string_view kPointRead = "SELECT value, updated_at FROM bench_values WHERE key = ?";

// A folder under the system's temporary directory, removed on destruction.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::string pattern = (fs::temp_directory_path() / "pk-store-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("failed to create a folder " + pattern);
    path_ = pattern;
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string keyName(int index) {
  return "key-" + std::to_string(index);
}

std::vector<std::string> shuffledKeys() {
  std::vector<std::string> keys;
  keys.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i) keys.push_back(keyName(i));
  std::shuffle(keys.begin(), keys.end(), std::mt19937(42));
  return keys;
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

std::unique_ptr<pk::store::Database> openFilled(const fs::path& file) {
  auto opened = pk::store::openDatabase("sqlite://" + file.string());
  check(opened.has_value(), "openDatabase failed");
  auto filled = (*opened)->write([](pk::store::Session& session) -> pk::Result<void> {
    if (auto created = session.execute(kCreateTable); !created) return created;
    for (int i = 0; i < kKeys; ++i) {
      if (auto upserted =
              session.execute(kUpsert, {keyName(i), std::string("initial"), std::int64_t{0}});
          !upserted) {
        return upserted;
      }
    }
    return {};
  });
  check(filled.has_value(), "filling the table failed");
  return std::move(*opened);
}

// A raw connection set up as the SQLite backend sets up its write
// connection.
class RawConnection {
 public:
  explicit RawConnection(const fs::path& file) {
    check(sqlite3_open_v2(file.c_str(), &db_,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                          nullptr) == SQLITE_OK,
          "sqlite3_open_v2 failed");
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
    exec("PRAGMA foreign_keys = ON");
    begin_immediate_ = prepare("BEGIN IMMEDIATE");
    begin_ = prepare("BEGIN");
    commit_ = prepare("COMMIT");
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection() {
    for (sqlite3_stmt* statement : statements_) sqlite3_finalize(statement);
    sqlite3_close_v2(db_);
  }

  void exec(const char* sql) {
    check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK, sql);
  }

  sqlite3_stmt* prepare(std::string_view sql) {
    sqlite3_stmt* statement = nullptr;
    check(sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                             SQLITE_PREPARE_PERSISTENT, &statement, nullptr) == SQLITE_OK,
          std::string(sql));
    statements_.push_back(statement);
    return statement;
  }

  static void runOnce(sqlite3_stmt* statement) {
    const int code = sqlite3_step(statement);
    sqlite3_reset(statement);
    check(code == SQLITE_DONE, "step failed");
  }

  sqlite3_stmt* beginImmediate() const { return begin_immediate_; }
  sqlite3_stmt* begin() const { return begin_; }
  sqlite3_stmt* commit() const { return commit_; }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
  sqlite3_stmt* begin_immediate_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
};

void BM_UpsertInterface(benchmark::State& state) {
  ScratchFolder folder;
  auto database = openFilled(folder.path() / "bench.db");
  const auto keys = shuffledKeys();
  std::size_t next = 0;
  std::int64_t stamp = 0;

  for (auto _ : state) {
    const std::string& key = keys[next++ % keys.size()];
    auto written = database->write([&](pk::store::Session& session) {
      return session.execute(kUpsert, {key, std::string("updated"), ++stamp});
    });
    if (!written) state.SkipWithError(written.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UpsertInterface);

void BM_UpsertRawSqlite(benchmark::State& state) {
  ScratchFolder folder;
  openFilled(folder.path() / "bench.db").reset();
  RawConnection raw(folder.path() / "bench.db");
  sqlite3_stmt* upsert = raw.prepare(kUpsert);
  const auto keys = shuffledKeys();
  const std::string value = "updated";
  std::size_t next = 0;
  std::int64_t stamp = 0;

  for (auto _ : state) {
    const std::string& key = keys[next++ % keys.size()];
    RawConnection::runOnce(raw.beginImmediate());
    sqlite3_bind_text(upsert, 1, key.data(), static_cast<int>(key.size()), nullptr);
    sqlite3_bind_text(upsert, 2, value.data(), static_cast<int>(value.size()), nullptr);
    sqlite3_bind_int64(upsert, 3, ++stamp);
    RawConnection::runOnce(upsert);
    sqlite3_clear_bindings(upsert);
    RawConnection::runOnce(raw.commit());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UpsertRawSqlite);

void BM_PointReadInterface(benchmark::State& state) {
  ScratchFolder folder;
  auto database = openFilled(folder.path() / "bench.db");
  const auto keys = shuffledKeys();
  std::size_t next = 0;
  std::int64_t found = 0;

  for (auto _ : state) {
    const std::string& key = keys[next++ % keys.size()];
    auto read = database->read([&](pk::store::Session& session) -> pk::Result<void> {
      auto row = session.queryOne(kPointRead, {key});
      if (!row) return tl::unexpected(row.error());
      if (row->has_value()) found += (*row)->integer(1) + 1;
      return {};
    });
    if (!read) state.SkipWithError(read.error().message.c_str());
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PointReadInterface);

void BM_PointReadRawSqlite(benchmark::State& state) {
  ScratchFolder folder;
  openFilled(folder.path() / "bench.db").reset();
  RawConnection raw(folder.path() / "bench.db");
  sqlite3_stmt* select = raw.prepare(kPointRead);
  const auto keys = shuffledKeys();
  std::size_t next = 0;
  std::int64_t found = 0;

  for (auto _ : state) {
    const std::string& key = keys[next++ % keys.size()];
    RawConnection::runOnce(raw.begin());
    sqlite3_bind_text(select, 1, key.data(), static_cast<int>(key.size()), nullptr);
    while (sqlite3_step(select) == SQLITE_ROW) {
      // Copy the value out, as a repository does.
      const auto* text = sqlite3_column_text(select, 0);
      const std::string value(reinterpret_cast<const char*>(text),
                              static_cast<std::size_t>(sqlite3_column_bytes(select, 0)));
      found += sqlite3_column_int64(select, 1) + static_cast<std::int64_t>(value.size() > 0);
    }
    sqlite3_reset(select);
    sqlite3_clear_bindings(select);
    RawConnection::runOnce(raw.commit());
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PointReadRawSqlite);

}  // namespace

BENCHMARK_MAIN();
