// The Database and Session contract, run on every backend.

#include <gtest/gtest.h>

#include <cstdint>
#include <future>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/database.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

class DatabaseTest : public conformance::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto created = database().write([](Session& session) -> Result<void> {
      if (auto done = session.execute(
              "CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
          !done) {
        return done;
      }
      return session.execute(
          "CREATE TABLE children (id INTEGER PRIMARY KEY, "
          "parent_id INTEGER NOT NULL REFERENCES parents (id), "
          "age INTEGER NOT NULL CHECK (age >= 0), weight REAL, note TEXT)");
    });
    ASSERT_TRUE(created) << errorText(created);
  }

  // Returns how many rows `table` has, or -1 when the query fails.
  std::int64_t countRows(const std::string& table) {
    std::int64_t count = -1;
    auto done = database().read([&](Session& session) -> Result<void> {
      auto row = session.queryOne("SELECT COUNT(*) FROM " + table);
      if (!row) return tl::unexpected(row.error());
      count = (*row)->integer(0);
      return {};
    });
    EXPECT_TRUE(done) << errorText(done);
    return count;
  }

  Result<std::int64_t> insertParent(Session& session, const std::string& name) {
    return session.insertReturningId("INSERT INTO parents (name) VALUES (?)", {name});
  }
};
PK_STORE_CONFORMANCE_SUITE(DatabaseTest);

TEST_P(DatabaseTest, RowAccessorsConvertColumns) {
  std::vector<Row> rows;
  auto done = database().read([&](Session& session) -> Result<void> {
    auto result = session.query(
        "SELECT ?, ?, ?, ?, NULL, ?, ?",
        {std::int64_t{42}, 2.5, std::string("text"), std::string("17"),
         std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()});
    if (!result) return tl::unexpected(result.error());
    rows = std::move(*result);
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  ASSERT_EQ(rows.size(), 1u);
  const Row& row = rows.front();
  ASSERT_EQ(row.size(), 7u);

  EXPECT_EQ(row.integer(0), 42);
  EXPECT_EQ(row.text(0), "42");
  EXPECT_DOUBLE_EQ(row.real(0), 42.0);
  EXPECT_DOUBLE_EQ(row.real(1), 2.5);
  EXPECT_EQ(row.integer(1), 2);
  EXPECT_EQ(row.text(2), "text");
  EXPECT_EQ(row.integer(3), 17);
  EXPECT_TRUE(row.isNull(4));
  EXPECT_EQ(row.text(4), "");
  EXPECT_EQ(row.integer(4), 0);
  EXPECT_FALSE(row.optionalText(4).has_value());
  EXPECT_FALSE(row.optionalInteger(4).has_value());
  EXPECT_EQ(row.optionalInteger(0), 42);
  EXPECT_EQ(row.optionalText(2), "text");
  EXPECT_TRUE(row.boolean(0));
  EXPECT_EQ(row.integer(5), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(row.integer(6), std::numeric_limits<std::int64_t>::min());
  EXPECT_THROW(row.text(7), std::out_of_range);
}

TEST_P(DatabaseTest, TextRoundTripsUnchanged) {
  std::vector<std::string> texts = {"", "plain", "naïve café ☕", std::string(100000, 'x'),
                                    "quote ' and \" and ?"};
  // SQLite stores a NUL inside text; PostgreSQL's text type cannot, and
  // that backend rejects such a parameter as the caller's bad data.
  const std::string with_nul("nul\0inside", 10);
  if (backend() == Backend::kSqlite) {
    texts.push_back(with_nul);
  } else {
    auto rejected = database().write([&](Session& session) {
      return session.execute("INSERT INTO parents (name) VALUES (?)", {with_nul});
    });
    ASSERT_FALSE(rejected);
    EXPECT_EQ(rejected.error().code, ErrorCode::kInvalidArgument) << rejected.error().message;
  }
  auto written = database().write([&](Session& session) -> Result<void> {
    auto parent = insertParent(session, "p");
    if (!parent) return tl::unexpected(parent.error());
    for (const std::string& text : texts) {
      if (auto done = session.execute(
              "INSERT INTO children (parent_id, age, note) VALUES (?, 0, ?)", {*parent, text});
          !done) {
        return done;
      }
    }
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);

  std::vector<std::string> read_back;
  auto done = database().read([&](Session& session) -> Result<void> {
    auto rows = session.query("SELECT note FROM children ORDER BY id");
    if (!rows) return tl::unexpected(rows.error());
    for (const Row& row : *rows) read_back.push_back(row.text(0));
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_EQ(read_back, texts);
}

TEST_P(DatabaseTest, EmptyStringIsNotNull) {
  std::optional<Row> row;
  auto done = database().read([&](Session& session) -> Result<void> {
    auto found = session.queryOne("SELECT ?, ?", {std::string(), std::monostate{}});
    if (!found) return tl::unexpected(found.error());
    row = std::move(*found);
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  ASSERT_TRUE(row.has_value());
  EXPECT_FALSE(row->isNull(0));
  EXPECT_TRUE(row->isNull(1));
}

TEST_P(DatabaseTest, InsertReturningIdGivesNewIds) {
  std::int64_t first = 0;
  std::int64_t second = 0;
  auto done = database().write([&](Session& session) -> Result<void> {
    auto a = insertParent(session, "a");
    if (!a) return tl::unexpected(a.error());
    auto b = insertParent(session, "b");
    if (!b) return tl::unexpected(b.error());
    first = *a;
    second = *b;
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_GT(first, 0);
  EXPECT_GT(second, first);
}

TEST_P(DatabaseTest, ChangedRowsCountsLastExecute) {
  std::int64_t updated = -1;
  std::int64_t untouched = -1;
  auto done = database().write([&](Session& session) -> Result<void> {
    for (const char* name : {"a", "b", "c"}) {
      if (auto id = insertParent(session, name); !id) return tl::unexpected(id.error());
    }
    if (auto changed = session.execute("UPDATE parents SET name = name || '!' WHERE name <> ?",
                                       {std::string("a")});
        !changed) {
      return changed;
    }
    updated = session.changedRows();
    if (auto changed = session.execute("DELETE FROM parents WHERE name = ?", {std::string("z")});
        !changed) {
      return changed;
    }
    untouched = session.changedRows();
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_EQ(updated, 2);
  EXPECT_EQ(untouched, 0);
}

TEST_P(DatabaseTest, QueryOneWithoutRowsIsEmpty) {
  bool found = true;
  auto done = database().read([&](Session& session) -> Result<void> {
    auto row = session.queryOne("SELECT id FROM parents WHERE name = ?", {std::string("none")});
    if (!row) return tl::unexpected(row.error());
    found = row->has_value();
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_FALSE(found);
}

TEST_P(DatabaseTest, FailedWorkRollsBack) {
  auto done = database().write([&](Session& session) -> Result<void> {
    if (auto id = insertParent(session, "kept?"); !id) return tl::unexpected(id.error());
    return fail(ErrorCode::kNotFound, "the work gave up");
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(done.error().message, "the work gave up");
  EXPECT_EQ(countRows("parents"), 0);
}

TEST_P(DatabaseTest, ExceptionRollsBackAndPropagates) {
  EXPECT_THROW(database().write([&](Session& session) -> Result<void> {
    (void)insertParent(session, "kept?");
    throw std::runtime_error("the work threw");
  }),
               std::runtime_error);
  EXPECT_EQ(countRows("parents"), 0);

  // The writer is free again and not left inside a transaction.
  auto next = database().write([&](Session& session) -> Result<void> {
    auto id = insertParent(session, "after");
    if (!id) return tl::unexpected(id.error());
    return {};
  });
  ASSERT_TRUE(next) << errorText(next);
  EXPECT_EQ(countRows("parents"), 1);
}

TEST_P(DatabaseTest, ExceptionInReadLeavesReaderUsable) {
  EXPECT_THROW(database().read([&](Session& session) -> Result<void> {
    (void)session.query("SELECT * FROM parents");
    throw std::runtime_error("the reader threw");
  }),
               std::runtime_error);
  EXPECT_EQ(countRows("parents"), 0);
}

TEST_P(DatabaseTest, FailedStatementRollsBackEarlierOnes) {
  auto done = database().write([&](Session& session) -> Result<void> {
    if (auto id = insertParent(session, "same"); !id) return tl::unexpected(id.error());
    auto again = insertParent(session, "same");
    if (!again) return tl::unexpected(again.error());
    return {};
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(countRows("parents"), 0);
}

TEST_P(DatabaseTest, UniqueViolationIsInvalidArgument) {
  auto done = database().write([&](Session& session) -> Result<void> {
    if (auto id = insertParent(session, "twice"); !id) return tl::unexpected(id.error());
    auto again = insertParent(session, "twice");
    if (!again) return tl::unexpected(again.error());
    return {};
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidArgument) << done.error().message;
  EXPECT_NE(done.error().message.find("INSERT INTO parents"), std::string::npos)
      << done.error().message;
}

TEST_P(DatabaseTest, ForeignKeyViolationIsInvalidArgument) {
  auto done = database().write([&](Session& session) -> Result<void> {
    return session.execute("INSERT INTO children (parent_id, age) VALUES (?, 1)",
                           {std::int64_t{999}});
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidArgument) << done.error().message;
}

TEST_P(DatabaseTest, CheckViolationIsInvalidArgument) {
  auto done = database().write([&](Session& session) -> Result<void> {
    auto parent = insertParent(session, "p");
    if (!parent) return tl::unexpected(parent.error());
    return session.execute("INSERT INTO children (parent_id, age) VALUES (?, -1)", {*parent});
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidArgument) << done.error().message;
}

TEST_P(DatabaseTest, NotNullViolationIsInvalidArgument) {
  auto done = database().write([&](Session& session) -> Result<void> {
    return session.execute("INSERT INTO parents (name) VALUES (?)", {std::monostate{}});
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidArgument) << done.error().message;
}

TEST_P(DatabaseTest, SyntaxErrorIsIoErrorNamingStatement) {
  auto done = database().read([&](Session& session) -> Result<void> {
    return session.query("SELEC nothing FROM nowhere").map([](auto&&) {});
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kIoError);
  EXPECT_NE(done.error().message.find("SELEC nothing FROM nowhere"), std::string::npos)
      << done.error().message;
}

TEST_P(DatabaseTest, LongStatementIsShortenedInError) {
  const std::string sql =
      "SELECT * FROM missing_table WHERE note = '" + std::string(500, 'q') + "'";
  auto done = database().read(
      [&](Session& session) -> Result<void> { return session.query(sql).map([](auto&&) {}); });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message.find(std::string(300, 'q')), std::string::npos)
      << done.error().message;
  EXPECT_NE(done.error().message.find("SELECT * FROM missing_table"), std::string::npos);
}

TEST_P(DatabaseTest, TwoStatementsInOneCallAreRejected) {
  auto done = database().write([&](Session& session) -> Result<void> {
    return session.execute("INSERT INTO parents (name) VALUES ('a'); DELETE FROM parents");
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(countRows("parents"), 0);
}

TEST_P(DatabaseTest, TrailingSemicolonIsAccepted) {
  auto done = database().write([&](Session& session) -> Result<void> {
    return session.execute("INSERT INTO parents (name) VALUES ('a');  -- done\n");
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_EQ(countRows("parents"), 1);
}

TEST_P(DatabaseTest, WrongParameterCountIsInvalidArgument) {
  auto done = database().write([&](Session& session) -> Result<void> {
    return session.execute("INSERT INTO parents (name) VALUES (?)",
                           {std::string("a"), std::string("b")});
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(countRows("parents"), 0);
}

TEST_P(DatabaseTest, ReadRejectsChanges) {
  auto done = database().read([&](Session& session) -> Result<void> {
    return session.execute("INSERT INTO parents (name) VALUES ('sneaky')");
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kIoError);
  EXPECT_EQ(countRows("parents"), 0);
}

TEST_P(DatabaseTest, NestedWriteFailsInsteadOfDeadlocking) {
  Result<void> nested;
  auto outer = database().write([&](Session&) -> Result<void> {
    nested = database().write([](Session&) -> Result<void> { return {}; });
    return {};
  });
  ASSERT_TRUE(outer) << errorText(outer);
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().code, ErrorCode::kInternal);
}

TEST_P(DatabaseTest, SameStatementRunsManyTimes) {
  auto done = database().write([&](Session& session) -> Result<void> {
    for (int i = 0; i < 1000; ++i) {
      if (auto id = insertParent(session, "p" + std::to_string(i)); !id) {
        return tl::unexpected(id.error());
      }
    }
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_EQ(countRows("parents"), 1000);
}

TEST_P(DatabaseTest, ManyDistinctStatementsStayCorrect) {
  // More distinct texts than a connection caches, so the cache is dropped
  // and rebuilt on the way.
  auto done = database().write([&](Session& session) -> Result<void> {
    for (int i = 0; i < 600; ++i) {
      const std::string sql = "INSERT INTO parents (name) VALUES ('p" + std::to_string(i) + "')";
      if (auto inserted = session.execute(sql); !inserted) return inserted;
    }
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_EQ(countRows("parents"), 600);
}

TEST_P(DatabaseTest, CommittedDataSurvivesReopen) {
  auto done = database().write([&](Session& session) -> Result<void> {
    return insertParent(session, "durable").map([](std::int64_t) {});
  });
  ASSERT_TRUE(done) << errorText(done);
  ASSERT_EQ(reopen(), "");
  EXPECT_EQ(countRows("parents"), 1);
}

// A writer holds an uncommitted row while several readers run: none of
// them waits for it, and none sees the row.
TEST_P(DatabaseTest, ReadersRunDuringWriter) {
  constexpr int kReaders = 4;
  std::promise<void> row_inserted;
  std::shared_future<void> inserted = row_inserted.get_future().share();
  std::vector<std::promise<std::int64_t>> counts(kReaders);
  std::vector<std::future<std::int64_t>> results;
  for (auto& count : counts) results.push_back(count.get_future());

  std::thread writer([&] {
    bool signalled = false;  // the work may run more than once
    auto done = database().write([&](Session& session) -> Result<void> {
      if (auto id = insertParent(session, "uncommitted"); !id) return tl::unexpected(id.error());
      if (!signalled) row_inserted.set_value();
      signalled = true;
      // Commit only after every reader has finished.
      for (auto& result : results) result.wait();
      return {};
    });
    EXPECT_TRUE(done) << errorText(done);
  });

  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&, i] {
      inserted.wait();
      std::int64_t seen = -1;
      auto done = database().read([&](Session& session) -> Result<void> {
        auto row = session.queryOne("SELECT COUNT(*) FROM parents");
        if (!row) return tl::unexpected(row.error());
        seen = (*row)->integer(0);
        return {};
      });
      EXPECT_TRUE(done) << errorText(done);
      counts[static_cast<std::size_t>(i)].set_value(seen);
    });
  }
  for (auto& reader : readers) reader.join();
  writer.join();

  for (auto& result : results) EXPECT_EQ(result.get(), 0);
  EXPECT_EQ(countRows("parents"), 1);
}

// One read() keeps its snapshot while a writer commits in between two of
// its queries.
TEST_P(DatabaseTest, ReadSeesOneSnapshot) {
  auto seeded = database().write([&](Session& session) -> Result<void> {
    return insertParent(session, "first").map([](std::int64_t) {});
  });
  ASSERT_TRUE(seeded) << errorText(seeded);

  std::promise<void> first_query_done;
  std::promise<void> write_committed;
  std::thread writer([&] {
    first_query_done.get_future().wait();
    auto done = database().write([&](Session& session) -> Result<void> {
      return insertParent(session, "second").map([](std::int64_t) {});
    });
    EXPECT_TRUE(done) << errorText(done);
    write_committed.set_value();
  });

  std::int64_t before = -1;
  std::int64_t after = -1;
  auto done = database().read([&](Session& session) -> Result<void> {
    auto row = session.queryOne("SELECT COUNT(*) FROM parents");
    if (!row) return tl::unexpected(row.error());
    before = (*row)->integer(0);
    first_query_done.set_value();
    write_committed.get_future().wait();
    row = session.queryOne("SELECT COUNT(*) FROM parents");
    if (!row) return tl::unexpected(row.error());
    after = (*row)->integer(0);
    return {};
  });
  writer.join();
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_EQ(before, 1);
  EXPECT_EQ(after, 1);
  EXPECT_EQ(countRows("parents"), 2);
}

// Read-modify-write transactions from several threads lose no update,
// because writers run one at a time.
TEST_P(DatabaseTest, ConcurrentWritersAreSerialized) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 50;
  auto seeded = database().write([&](Session& session) -> Result<void> {
    auto parent = insertParent(session, "counter");
    if (!parent) return tl::unexpected(parent.error());
    return session.execute("INSERT INTO children (parent_id, age) VALUES (?, 0)", {*parent});
  });
  ASSERT_TRUE(seeded) << errorText(seeded);

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        auto done = database().write([&](Session& session) -> Result<void> {
          auto row = session.queryOne("SELECT age FROM children");
          if (!row) return tl::unexpected(row.error());
          return session.execute("UPDATE children SET age = ?", {(*row)->integer(0) + 1});
        });
        EXPECT_TRUE(done) << errorText(done);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  std::int64_t age = -1;
  auto done = database().read([&](Session& session) -> Result<void> {
    auto row = session.queryOne("SELECT age FROM children");
    if (!row) return tl::unexpected(row.error());
    age = (*row)->integer(0);
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_EQ(age, kThreads * kIncrements);
}

}  // namespace
}  // namespace pk::store
