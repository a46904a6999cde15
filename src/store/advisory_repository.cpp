#include "store/advisory_repository.h"

namespace pk::store {
namespace {

Result<std::map<std::string, std::string>> hashesOf(Session& session, std::string_view sql,
                                                    const std::string& feed) {
  auto rows = session.query(sql, {feed});
  if (!rows) return tl::unexpected(rows.error());
  std::map<std::string, std::string> hashes;
  for (const auto& row : *rows) hashes.emplace(row.text(0), row.text(1));
  return hashes;
}

}  // namespace

Result<std::map<std::string, std::string>> advisoryHashes(Session& session,
                                                          const std::string& feed) {
  return hashesOf(session, "SELECT advisory_id, content_hash FROM advisories WHERE feed = ?", feed);
}

Result<std::map<std::string, std::string>> kevHashes(Session& session, const std::string& feed) {
  return hashesOf(session, "SELECT cve_id, content_hash FROM kev_entries WHERE feed = ?", feed);
}

Result<std::map<std::string, std::string>> epssHashes(Session& session, const std::string& feed) {
  return hashesOf(session, "SELECT cve_id, content_hash FROM epss_scores WHERE feed = ?", feed);
}

Result<void> upsertAdvisory(Session& session, const StoredAdvisory& advisory) {
  auto stored = session.execute(
      "INSERT INTO advisories (feed, advisory_id, content_hash, body) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (feed, advisory_id) DO UPDATE SET content_hash = excluded.content_hash, "
      "body = excluded.body",
      {advisory.feed, advisory.advisory_id, advisory.content_hash, advisory.body});
  if (!stored) return stored;

  // The package names are replaced whole: an update may drop some.
  auto cleared = session.execute("DELETE FROM advisory_packages WHERE feed = ? AND advisory_id = ?",
                                 {advisory.feed, advisory.advisory_id});
  if (!cleared) return cleared;
  for (const auto& package : advisory.packages) {
    auto inserted = session.execute(
        "INSERT INTO advisory_packages (feed, advisory_id, ecosystem, package) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (feed, advisory_id, ecosystem, package) DO NOTHING",
        {advisory.feed, advisory.advisory_id, package.ecosystem, package.package});
    if (!inserted) return inserted;
  }
  return {};
}

Result<void> deleteAdvisory(Session& session, const std::string& feed,
                            const std::string& advisory_id) {
  // advisory_packages rows go by ON DELETE CASCADE; deleting them first
  // keeps the result the same on a backend without foreign keys enforced.
  auto packages = session.execute(
      "DELETE FROM advisory_packages WHERE feed = ? AND advisory_id = ?", {feed, advisory_id});
  if (!packages) return packages;
  return session.execute("DELETE FROM advisories WHERE feed = ? AND advisory_id = ?",
                         {feed, advisory_id});
}

Result<std::vector<AdvisoryPackageName>> advisoryPackages(Session& session, const std::string& feed,
                                                          const std::string& advisory_id) {
  auto rows = session.query(
      "SELECT ecosystem, package FROM advisory_packages WHERE feed = ? AND advisory_id = ? "
      "ORDER BY ecosystem, package",
      {feed, advisory_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<AdvisoryPackageName> packages;
  packages.reserve(rows->size());
  for (const auto& row : *rows) packages.push_back({row.text(0), row.text(1)});
  return packages;
}

Result<std::optional<StoredAdvisory>> getAdvisory(Session& session, const std::string& feed,
                                                  const std::string& advisory_id) {
  auto row = session.queryOne(
      "SELECT content_hash, body FROM advisories WHERE feed = ? AND advisory_id = ?",
      {feed, advisory_id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<StoredAdvisory>();

  StoredAdvisory advisory{feed, advisory_id, (*row)->text(0), (*row)->text(1), {}};
  auto packages = advisoryPackages(session, feed, advisory_id);
  if (!packages) return tl::unexpected(packages.error());
  advisory.packages = std::move(*packages);
  return std::optional<StoredAdvisory>(std::move(advisory));
}

Result<void> forEachAdvisory(Session& session,
                             const std::function<Result<void>(const StoredAdvisory&)>& visit) {
  // NOTE: Session::query() returns every row at once, so the bodies of all
  // feeds are in memory together for the duration of the call.
  auto rows = session.query(
      "SELECT feed, advisory_id, content_hash, body FROM advisories ORDER BY feed, advisory_id");
  if (!rows) return tl::unexpected(rows.error());
  for (const auto& row : *rows) {
    StoredAdvisory advisory{row.text(0), row.text(1), row.text(2), row.text(3), {}};
    if (auto visited = visit(advisory); !visited) return visited;
  }
  return {};
}

Result<std::int64_t> countAdvisories(Session& session, const std::string& feed) {
  auto row = session.queryOne("SELECT COUNT(*) FROM advisories WHERE feed = ?", {feed});
  if (!row) return tl::unexpected(row.error());
  return *row ? (*row)->integer(0) : 0;
}

Result<void> upsertKevEntry(Session& session, const std::string& feed,
                            const StoredKevEntry& entry) {
  return session.execute(
      "INSERT INTO kev_entries (feed, cve_id, content_hash, vendor, product, name, date_added, "
      "due_date, known_ransomware_use) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (feed, cve_id) DO UPDATE SET content_hash = excluded.content_hash, "
      "vendor = excluded.vendor, product = excluded.product, name = excluded.name, "
      "date_added = excluded.date_added, due_date = excluded.due_date, "
      "known_ransomware_use = excluded.known_ransomware_use",
      {feed, entry.cve_id, entry.content_hash, entry.vendor, entry.product, entry.name,
       entry.date_added, entry.due_date, std::int64_t{entry.known_ransomware_use ? 1 : 0}});
}

Result<void> deleteKevEntry(Session& session, const std::string& feed, const std::string& cve_id) {
  return session.execute("DELETE FROM kev_entries WHERE feed = ? AND cve_id = ?", {feed, cve_id});
}

Result<std::vector<StoredKevEntry>> loadKevEntries(Session& session) {
  auto rows = session.query(
      "SELECT cve_id, content_hash, vendor, product, name, date_added, due_date, "
      "known_ransomware_use FROM kev_entries ORDER BY cve_id, feed");
  if (!rows) return tl::unexpected(rows.error());
  std::vector<StoredKevEntry> entries;
  entries.reserve(rows->size());
  for (const auto& row : *rows) {
    entries.push_back(StoredKevEntry{row.text(0), row.text(1), row.text(2), row.text(3),
                                     row.text(4), row.text(5), row.text(6), row.boolean(7)});
  }
  return entries;
}

Result<void> upsertEpssScore(Session& session, const std::string& feed,
                             const StoredEpssScore& score) {
  return session.execute(
      "INSERT INTO epss_scores (feed, cve_id, content_hash, probability, percentile) "
      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (feed, cve_id) DO UPDATE SET "
      "content_hash = excluded.content_hash, probability = excluded.probability, "
      "percentile = excluded.percentile",
      {feed, score.cve_id, score.content_hash, score.probability, score.percentile});
}

Result<void> deleteEpssScore(Session& session, const std::string& feed, const std::string& cve_id) {
  return session.execute("DELETE FROM epss_scores WHERE feed = ? AND cve_id = ?", {feed, cve_id});
}

Result<std::vector<StoredEpssScore>> loadEpssScores(Session& session) {
  auto rows = session.query(
      "SELECT cve_id, content_hash, probability, percentile FROM epss_scores "
      "ORDER BY cve_id, feed");
  if (!rows) return tl::unexpected(rows.error());
  std::vector<StoredEpssScore> scores;
  scores.reserve(rows->size());
  for (const auto& row : *rows) {
    scores.push_back(StoredEpssScore{row.text(0), row.text(1), row.real(2), row.real(3)});
  }
  return scores;
}

}  // namespace pk::store
