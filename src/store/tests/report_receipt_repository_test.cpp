#include "store/report_receipt_repository.h"

#include <gtest/gtest.h>

#include "store/host_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::hours;

class ReportReceiptRepositoryTest : public conformance::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* id : {kFirst, kSecond}) {
      HostRecord host;
      host.id = id;
      host.hostname = id;
      host.machine_id = std::string("machine-") + id;
      host.kind = "endpoint";
      host.enrolled_at = clock_.now();
      auto written = database().write([&](Session& session) { return insertHost(session, host); });
      ASSERT_TRUE(written) << errorText(written);
    }
  }

  Result<bool> record(const std::string& host_id, const std::string& report_id,
                      SystemTime received_at) {
    bool fresh = false;
    auto written = database().write([&](Session& session) -> Result<void> {
      auto recorded = recordReportReceipt(session, host_id, report_id, received_at);
      if (!recorded) return tl::unexpected(recorded.error());
      fresh = *recorded;
      return {};
    });
    if (!written) return tl::unexpected(written.error());
    return fresh;
  }

  bool has(const std::string& host_id, const std::string& report_id) {
    bool found = false;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto result = hasReportReceipt(session, host_id, report_id);
      if (!result) return tl::unexpected(result.error());
      found = *result;
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return found;
  }

  static constexpr const char* kFirst = "h-0000000000000001";
  static constexpr const char* kSecond = "h-0000000000000002";
  static constexpr const char* kReport = "0123456789abcdef0123456789abcdef";
};
PK_STORE_CONFORMANCE_SUITE(ReportReceiptRepositoryTest);

TEST_P(ReportReceiptRepositoryTest, SecondReceiptIsNotNew) {
  EXPECT_FALSE(has(kFirst, kReport));

  auto first = record(kFirst, kReport, clock_.now());
  ASSERT_TRUE(first) << errorText(first);
  EXPECT_TRUE(*first);
  EXPECT_TRUE(has(kFirst, kReport));

  auto again = record(kFirst, kReport, clock_.now() + hours(1));
  ASSERT_TRUE(again) << errorText(again);
  EXPECT_FALSE(*again);
}

TEST_P(ReportReceiptRepositoryTest, ReceiptKeepsItsTime) {
  const SystemTime first_time = clock_.now();
  ASSERT_TRUE(record(kFirst, kReport, first_time));
  ASSERT_TRUE(record(kFirst, kReport, first_time + hours(1)));

  std::optional<SystemTime> first_at;
  std::optional<SystemTime> missing_at;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = reportReceivedAt(session, kFirst, kReport);
    if (!found) return tl::unexpected(found.error());
    first_at = *found;
    auto other = reportReceivedAt(session, kSecond, kReport);
    if (!other) return tl::unexpected(other.error());
    missing_at = *other;
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_EQ(first_at, first_time) << "a repeated report keeps the first receipt's time";
  EXPECT_FALSE(missing_at.has_value());
}

TEST_P(ReportReceiptRepositoryTest, ReceiptsArePerHost) {
  ASSERT_TRUE(record(kFirst, kReport, clock_.now()));

  auto other_host = record(kSecond, kReport, clock_.now());
  ASSERT_TRUE(other_host) << errorText(other_host);
  EXPECT_TRUE(*other_host);
}

TEST_P(ReportReceiptRepositoryTest, PruneDeletesOnlyOlderReceipts) {
  const SystemTime start = clock_.now();
  ASSERT_TRUE(record(kFirst, "00000000000000000000000000000001", start));
  ASSERT_TRUE(record(kFirst, "00000000000000000000000000000002", start + hours(10)));

  std::int64_t pruned = -1;
  auto written = database().write([&](Session& session) -> Result<void> {
    auto result = pruneReportReceipts(session, start + hours(5));
    if (!result) return tl::unexpected(result.error());
    pruned = *result;
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_EQ(pruned, 1);
  EXPECT_FALSE(has(kFirst, "00000000000000000000000000000001"));
  EXPECT_TRUE(has(kFirst, "00000000000000000000000000000002"));
}

TEST_P(ReportReceiptRepositoryTest, HostPruneKeepsOtherHosts) {
  const SystemTime start = clock_.now();
  ASSERT_TRUE(record(kFirst, kReport, start));
  ASSERT_TRUE(record(kSecond, kReport, start));

  std::int64_t pruned = -1;
  auto written = database().write([&](Session& session) -> Result<void> {
    auto result = pruneHostReportReceipts(session, kFirst, start + hours(1));
    if (!result) return tl::unexpected(result.error());
    pruned = *result;
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_EQ(pruned, 1);
  EXPECT_FALSE(has(kFirst, kReport));
  EXPECT_TRUE(has(kSecond, kReport));
}

TEST_P(ReportReceiptRepositoryTest, UnknownHostIsRejected) {
  auto recorded = record("h-00000000000000ff", kReport, clock_.now());
  ASSERT_FALSE(recorded);
  EXPECT_EQ(recorded.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace pk::store
