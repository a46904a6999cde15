#include "store/report_receipt_repository.h"

namespace pk::store {
namespace {

std::int64_t toMicros(SystemTime time) {
  return time.time_since_epoch().count();
}

}  // namespace

Result<bool> recordReportReceipt(Session& session, const std::string& host_id,
                                 const std::string& report_id, SystemTime received_at) {
  auto inserted = session.execute(
      "INSERT INTO report_receipts (host_id, report_id, received_at) VALUES (?, ?, ?) "
      "ON CONFLICT (host_id, report_id) DO NOTHING",
      {host_id, report_id, toMicros(received_at)});
  if (!inserted) return tl::unexpected(inserted.error());
  return session.changedRows() > 0;
}

Result<bool> hasReportReceipt(Session& session, const std::string& host_id,
                              const std::string& report_id) {
  auto row = session.queryOne("SELECT 1 FROM report_receipts WHERE host_id = ? AND report_id = ?",
                              {host_id, report_id});
  if (!row) return tl::unexpected(row.error());
  return row->has_value();
}

Result<std::optional<SystemTime>> reportReceivedAt(Session& session, const std::string& host_id,
                                                   const std::string& report_id) {
  auto row = session.queryOne(
      "SELECT received_at FROM report_receipts WHERE host_id = ? AND report_id = ?",
      {host_id, report_id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<SystemTime>();
  return std::optional<SystemTime>(timeFromColumn((**row).integer(0)));
}

Result<std::int64_t> pruneReportReceipts(Session& session, SystemTime cutoff) {
  auto deleted =
      session.execute("DELETE FROM report_receipts WHERE received_at < ?", {toMicros(cutoff)});
  if (!deleted) return tl::unexpected(deleted.error());
  return session.changedRows();
}

Result<std::int64_t> pruneHostReportReceipts(Session& session, const std::string& host_id,
                                             SystemTime cutoff) {
  auto deleted =
      session.execute("DELETE FROM report_receipts WHERE host_id = ? AND received_at < ?",
                      {host_id, toMicros(cutoff)});
  if (!deleted) return tl::unexpected(deleted.error());
  return session.changedRows();
}

}  // namespace pk::store
