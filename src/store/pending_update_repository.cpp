#include "store/pending_update_repository.h"

#include <map>
#include <utility>

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

Result<void> insertChangelog(Session& session, const std::string& host_id,
                             const PendingUpdateRecord& update) {
  std::int64_t position = 0;
  for (const auto& entry : update.changelog) {
    auto inserted = session.execute(
        "INSERT INTO pending_update_changelogs (host_id, package, architecture, "
        "candidate_version, position, version, distributions, urgency, entry_date, body) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {host_id, update.package, update.architecture, update.candidate_version, position,
         entry.version, entry.distributions, entry.urgency, entry.date, entry.body});
    if (!inserted) return inserted;
    ++position;
  }
  return {};
}

ChangelogEntryRecord entryOfRow(const Row& row, std::size_t first_column) {
  return ChangelogEntryRecord{
      .version = row.text(first_column),
      .distributions = row.text(first_column + 1),
      .urgency = row.text(first_column + 2),
      .date = row.text(first_column + 3),
      .body = row.text(first_column + 4),
  };
}

}  // namespace

Result<void> replacePendingUpdates(Session& session, const std::string& host_id,
                                   const std::vector<PendingUpdateRecord>& updates) {
  auto deleted_entries =
      session.execute("DELETE FROM pending_update_changelogs WHERE host_id = ?", {host_id});
  if (!deleted_entries) return deleted_entries;
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
    if (auto entries = insertChangelog(session, host_id, update); !entries) return entries;
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

  auto entry_rows = session.query(
      "SELECT package, architecture, version, distributions, urgency, entry_date, body "
      "FROM pending_update_changelogs WHERE host_id = ? "
      "ORDER BY package, architecture, position",
      {host_id});
  if (!entry_rows) return tl::unexpected(entry_rows.error());
  // Paired through a map, because PostgreSQL may sort text by a collation
  // other than byte order.
  std::map<std::pair<std::string, std::string>, PendingUpdateRecord*> by_key;
  for (auto& update : updates) by_key[{update.package, update.architecture}] = &update;
  for (const auto& row : *entry_rows) {
    auto found = by_key.find({row.text(0), row.text(1)});
    if (found != by_key.end()) found->second->changelog.push_back(entryOfRow(row, 2));
  }
  return updates;
}

Result<std::vector<ChangelogEntryRecord>> loadPatchChangelogEntries(
    Session& session, const std::string& patch_id, const std::string& source_package) {
  auto rows = session.query(
      "SELECT DISTINCT c.version, c.distributions, c.urgency, c.entry_date, c.body "
      "FROM pending_update_changelogs c "
      "JOIN pending_updates u ON u.host_id = c.host_id AND u.package = c.package "
      "AND u.architecture = c.architecture "
      "WHERE u.source_package = ? AND c.host_id IN (SELECT f.host_id FROM patch_findings pf "
      "JOIN findings f ON f.id = pf.finding_id WHERE pf.patch_id = ? AND f.status = 'open') "
      "ORDER BY c.version, c.body",
      {source_package, patch_id});
  if (!rows) return tl::unexpected(rows.error());

  std::vector<ChangelogEntryRecord> entries;
  entries.reserve(rows->size());
  for (const auto& row : *rows) entries.push_back(entryOfRow(row, 0));
  return entries;
}

}  // namespace pk::store
