#include "store/pending_update_repository.h"

#include <fmt/format.h>

namespace pk::store {
namespace {

// CVE ids ("CVE-2024-1234") contain no commas. An id from a hostile host
// that does contain one comes back split, which is harmless.
std::string joinIds(const std::vector<std::string>& ids) {
  std::string joined;
  for (const auto& id : ids) {
    if (!joined.empty()) joined += ',';
    joined += id;
  }
  return joined;
}

std::vector<std::string> splitIds(const std::string& text) {
  std::vector<std::string> ids;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) ids.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return ids;
}

}  // namespace

Result<void> replacePendingUpdates(Session& session, const std::string& host_id,
                                   const std::vector<PendingUpdateRecord>& updates) {
  auto deleted = session.execute("DELETE FROM pending_updates WHERE host_id = ?", {host_id});
  if (!deleted) return deleted;

  for (const auto& update : updates) {
    auto inserted = session.execute(
        "INSERT INTO pending_updates (host_id, package, architecture, source_package, "
        "installed_version, candidate_version, archive, cve_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {host_id, update.package, update.architecture, update.source_package,
         update.installed_version, update.candidate_version, update.archive,
         joinIds(update.cve_ids)});
    if (!inserted) return inserted;
  }
  return {};
}

Result<std::vector<PendingUpdateRecord>> loadPendingUpdates(Session& session,
                                                            const std::string& host_id) {
  auto rows = session.query(
      "SELECT package, architecture, source_package, installed_version, candidate_version, "
      "archive, cve_ids FROM pending_updates WHERE host_id = ? ORDER BY package, architecture",
      {host_id});
  if (!rows) return tl::unexpected(rows.error());

  std::vector<PendingUpdateRecord> updates;
  updates.reserve(rows->size());
  for (const auto& row : *rows) {
    updates.push_back(PendingUpdateRecord{
        .package = row.text(0),
        .architecture = row.text(1),
        .source_package = row.text(2),
        .installed_version = row.text(3),
        .candidate_version = row.text(4),
        .archive = row.text(5),
        .cve_ids = splitIds(row.text(6)),
    });
  }
  return updates;
}

}  // namespace pk::store
