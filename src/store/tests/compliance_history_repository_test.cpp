#include "store/compliance_history_repository.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

class ComplianceHistoryRepositoryTest : public conformance::StoreTest {
 protected:
  ComplianceSnapshotRow sampleRow(const std::string& day, const std::string& kind,
                                  const std::string& id, std::int64_t compliant) {
    return ComplianceSnapshotRow{.day = day,
                                 .group_kind = kind,
                                 .group_id = id,
                                 .group_name = "Name of " + id + ", Ünïcode kept",
                                 .compliant = compliant,
                                 .not_compliant = 2,
                                 .unknown = 3,
                                 .recorded_at = clock_.now()};
  }

  Result<void> insertRows(const std::vector<ComplianceSnapshotRow>& rows) {
    return database().write(
        [&](Session& session) { return insertComplianceSnapshotRows(session, rows); });
  }

  Result<std::vector<ComplianceSnapshotRow>> list(const std::string& kind,
                                                  const std::string& first_day) {
    std::optional<Result<std::vector<ComplianceSnapshotRow>>> result;
    auto done = database().read([&](Session& session) -> Result<void> {
      result = listComplianceSnapshots(session, kind, first_day);
      return {};
    });
    if (!done) return tl::unexpected(done.error());
    return std::move(*result);
  }

  Result<bool> has(const std::string& day) {
    std::optional<Result<bool>> result;
    auto done = database().read([&](Session& session) -> Result<void> {
      result = hasComplianceSnapshot(session, day);
      return {};
    });
    if (!done) return tl::unexpected(done.error());
    return *result;
  }
};
PK_STORE_CONFORMANCE_SUITE(ComplianceHistoryRepositoryTest);

TEST_P(ComplianceHistoryRepositoryTest, RowsRoundTrip) {
  const auto row = sampleRow("2026-12-01", "collection", "web", 7);
  ASSERT_TRUE(insertRows({row})) << "insert";
  auto listed = list("collection", "2026-12-01");
  ASSERT_TRUE(listed) << errorText(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), row);
}

TEST_P(ComplianceHistoryRepositoryTest, ListFiltersKindAndDay) {
  ASSERT_TRUE(insertRows(
      {sampleRow("2026-11-30", "owner", "alice", 1), sampleRow("2026-12-01", "owner", "alice", 2),
       sampleRow("2026-12-02", "owner", "alice", 3), sampleRow("2026-12-01", "owner", "", 4),
       sampleRow("2026-12-01", "window", "w1", 5)}));
  auto listed = list("owner", "2026-12-01");
  ASSERT_TRUE(listed) << errorText(listed);
  ASSERT_EQ(listed->size(), 3u);
  // Ordered by group id, then day: "" sorts before "alice".
  EXPECT_EQ((*listed)[0].group_id, "");
  EXPECT_EQ((*listed)[1].day, "2026-12-01");
  EXPECT_EQ((*listed)[2].day, "2026-12-02");
  EXPECT_EQ((*listed)[2].compliant, 3);
}

TEST_P(ComplianceHistoryRepositoryTest, HasSnapshotPerDay) {
  ASSERT_TRUE(insertRows({sampleRow("2026-12-01", "fleet", "", 1)}));
  auto present = has("2026-12-01");
  ASSERT_TRUE(present) << errorText(present);
  EXPECT_TRUE(*present);
  auto absent = has("2026-12-02");
  ASSERT_TRUE(absent) << errorText(absent);
  EXPECT_FALSE(*absent);
}

TEST_P(ComplianceHistoryRepositoryTest, DuplicateRowFails) {
  ASSERT_TRUE(insertRows({sampleRow("2026-12-01", "window", "w1", 1)}));
  auto repeated = insertRows({sampleRow("2026-12-01", "window", "w1", 9)});
  EXPECT_FALSE(repeated);
  auto listed = list("window", "2026-12-01");
  ASSERT_TRUE(listed) << errorText(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().compliant, 1);
}

TEST_P(ComplianceHistoryRepositoryTest, UnknownKindRejected) {
  auto inserted = insertRows({sampleRow("2026-12-01", "planet", "x", 1)});
  EXPECT_FALSE(inserted);
}

}  // namespace
}  // namespace pk::store
