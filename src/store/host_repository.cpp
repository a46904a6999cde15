#include "store/host_repository.h"

#include <sys/random.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace pk::store {
namespace {

std::int64_t toMicros(SystemTime time) {
  return time.time_since_epoch().count();
}

SystemTime fromMicros(std::int64_t micros) {
  return SystemTime(std::chrono::microseconds(micros));
}

Value optionalTime(const std::optional<SystemTime>& time) {
  if (!time) return std::monostate{};
  return toMicros(*time);
}

std::optional<SystemTime> optionalTimeAt(const Row& row, std::size_t column) {
  const auto micros = row.optionalInteger(column);
  if (!micros) return std::nullopt;
  return fromMicros(*micros);
}

// Restart packages are package names, which contain no line breaks. A name
// from a hostile host that does contain one comes back split, which is harmless.
std::string joinLines(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) joined += '\n';
    joined += item;
  }
  return joined;
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) items.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

// The columns every host query selects, in the order rowToHost() reads
// them. The inventory columns come from a LEFT JOIN on host_inventories,
// the Windows product from one on windows_hosts.
constexpr std::string_view kSelectHostColumns =
    "SELECT h.id, h.hostname, h.machine_id, h.kind, h.owner, h.status, "
    "h.reenrolment_approved_until, h.enrolled_at, h.last_seen_at, h.os_id, h.os_version_id, "
    "h.os_codename, h.os_pretty_name, h.os_ecosystem, h.kernel, h.last_boot, "
    "h.restart_required, h.restart_reason, h.restart_packages, h.package_lists_updated_at, "
    "i.hash, i.received_at, w.product, "
    "CASE WHEN hw.window_id IS NOT NULL OR hw.pending_window_id IS NOT NULL THEN 1 ELSE 0 END ";
constexpr std::string_view kHostFrom =
    "FROM hosts h LEFT JOIN host_inventories i ON i.host_id = h.id "
    "LEFT JOIN windows_hosts w ON w.host_id = h.id "
    "LEFT JOIN host_windows hw ON hw.host_id = h.id";

HostRecord rowToHost(const Row& row) {
  HostRecord host;
  host.id = row.text(0);
  host.hostname = row.text(1);
  host.machine_id = row.text(2);
  host.kind = row.text(3);
  host.owner = row.text(4);
  host.status = row.text(5);
  host.reenrolment_approved_until = optionalTimeAt(row, 6);
  host.enrolled_at = fromMicros(row.integer(7));
  host.last_seen_at = optionalTimeAt(row, 8);
  host.os_id = row.text(9);
  host.os_version_id = row.text(10);
  host.os_codename = row.text(11);
  host.os_pretty_name = row.text(12);
  host.os_ecosystem = row.text(13);
  host.kernel = row.text(14);
  host.last_boot = optionalTimeAt(row, 15);
  host.restart_required = row.boolean(16);
  host.restart_reason = row.text(17);
  host.restart_packages = splitLines(row.text(18));
  host.package_lists_updated_at = optionalTimeAt(row, 19);
  host.inventory_hash = row.text(20);
  host.inventory_received_at = optionalTimeAt(row, 21);
  if (!row.isNull(22)) host.windows_product = row.text(22);
  host.in_window = row.boolean(23);
  return host;
}

// The parameters of every column that insertHost() and updateHost() write,
// after the id, in the order of kHostColumns.
std::vector<Value> hostValues(const HostRecord& host) {
  return {host.hostname,
          host.machine_id,
          host.kind,
          host.owner,
          host.status,
          optionalTime(host.reenrolment_approved_until),
          toMicros(host.enrolled_at),
          optionalTime(host.last_seen_at),
          host.os_id,
          host.os_version_id,
          host.os_codename,
          host.os_pretty_name,
          host.os_ecosystem,
          host.kernel,
          optionalTime(host.last_boot),
          std::int64_t{host.restart_required ? 1 : 0},
          host.restart_reason,
          joinLines(host.restart_packages),
          optionalTime(host.package_lists_updated_at)};
}

constexpr std::array<std::string_view, 19> kHostColumns = {"hostname",
                                                           "machine_id",
                                                           "kind",
                                                           "owner",
                                                           "status",
                                                           "reenrolment_approved_until",
                                                           "enrolled_at",
                                                           "last_seen_at",
                                                           "os_id",
                                                           "os_version_id",
                                                           "os_codename",
                                                           "os_pretty_name",
                                                           "os_ecosystem",
                                                           "kernel",
                                                           "last_boot",
                                                           "restart_required",
                                                           "restart_reason",
                                                           "restart_packages",
                                                           "package_lists_updated_at"};

Result<void> writeCollections(Session& session, const std::string& host_id,
                              const std::vector<std::string>& collections) {
  if (auto deleted = session.execute("DELETE FROM host_collections WHERE host_id = ?", {host_id});
      !deleted) {
    return deleted;
  }
  for (const auto& collection : collections) {
    auto inserted = session.execute(
        "INSERT INTO host_collections (host_id, collection) VALUES (?, ?) "
        "ON CONFLICT (host_id, collection) DO NOTHING",
        {host_id, collection});
    if (!inserted) return inserted;
  }
  return {};
}

bool isKnownStatus(std::string_view status) {
  return status == kHostStatusActive || status == kHostStatusRevoked;
}

// Builds the WHERE clause of `filter` over hosts aliased "h", appending its
// parameters to `params`.
std::string whereClause(const HostFilter& filter, std::vector<Value>& params) {
  std::vector<std::string> conditions;
  if (filter.owner) {
    conditions.emplace_back("h.owner = ?");
    params.emplace_back(*filter.owner);
  }
  if (filter.kind) {
    conditions.emplace_back("h.kind = ?");
    params.emplace_back(*filter.kind);
  }
  if (filter.status) {
    conditions.emplace_back("h.status = ?");
    params.emplace_back(*filter.status);
  }
  if (filter.machine_id) {
    conditions.emplace_back("h.machine_id = ?");
    params.emplace_back(*filter.machine_id);
  }
  if (filter.collection) {
    conditions.emplace_back(
        "EXISTS (SELECT 1 FROM host_collections c WHERE c.host_id = h.id AND c.collection = ?)");
    params.emplace_back(*filter.collection);
  }
  if (conditions.empty()) return {};
  return fmt::format(" WHERE {}", fmt::join(conditions, " AND "));
}

// A LIKE pattern matching `text` anywhere, with '!' as the escape
// character: '!' is not special to either database's string syntax, unlike
// the backslash.
std::string containsPattern(std::string_view text) {
  std::string pattern = "%";
  for (const char c : text) {
    if (c == '!' || c == '%' || c == '_') pattern += '!';
    pattern += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  pattern += '%';
  return pattern;
}

// Returns the SQL condition that a host (aliased h, with i, w and hw joined
// as in kHostFrom) has `verdict`, and appends its parameters. It follows
// computeCompliance() in server/compliance.cpp rule by rule. Open findings
// without an exception in force, a pending restart or a server in no window
// make a host not compliant. Otherwise, missing or stale data makes it
// unknown. Every term is true or false, never NULL, so NOT works on them.
std::string complianceCondition(HostCompliance verdict, SystemTime now,
                                std::chrono::days stale_after, std::vector<Value>& params) {
  const std::int64_t stale_before = timeToColumn(now - stale_after);
  // The hosts with open findings come from one uncorrelated subquery, which
  // both databases evaluate once. A correlated EXISTS per host let SQLite
  // scan every open finding (by the status index) for each host instead.
  const std::string not_compliant =
      "(h.id IN (SELECT f.host_id FROM findings f WHERE f.status = 'open' AND "
      "NOT EXISTS (SELECT 1 FROM risk_exceptions e WHERE e.host_id = f.host_id AND "
      "e.advisory_id = f.advisory_id AND e.expires_at > ?)) OR h.restart_required <> 0 OR "
      "(h.kind = 'server' AND hw.window_id IS NULL AND hw.pending_window_id IS NULL))";
  const std::string unknown =
      "(h.last_seen_at IS NULL OR h.last_seen_at < ? OR i.received_at IS NULL OR "
      "(w.product IS NOT NULL AND w.product = '') OR "
      "(h.package_lists_updated_at IS NOT NULL AND h.package_lists_updated_at < ?))";

  params.emplace_back(timeToColumn(now));
  if (verdict == HostCompliance::kNotCompliant) return not_compliant;
  params.emplace_back(stale_before);
  params.emplace_back(stale_before);
  if (verdict == HostCompliance::kUnknown) {
    return fmt::format("NOT {} AND {}", not_compliant, unknown);
  }
  return fmt::format("NOT {} AND NOT {}", not_compliant, unknown);
}

// Builds the WHERE clause of a page query: the filter's conditions, the
// search and the compliance verdict.
std::string pageWhereClause(const HostPageQuery& query, std::vector<Value>& params) {
  std::vector<std::string> conditions;
  const std::string base = whereClause(query.filter, params);
  if (!base.empty()) conditions.push_back(base.substr(std::string_view(" WHERE ").size()));
  if (!query.search.empty()) {
    conditions.emplace_back(
        "(LOWER(h.hostname) LIKE ? ESCAPE '!' OR LOWER(h.id) LIKE ? ESCAPE '!' OR "
        "LOWER(h.owner) LIKE ? ESCAPE '!')");
    const std::string pattern = containsPattern(query.search);
    for (int i = 0; i < 3; ++i) params.emplace_back(pattern);
  }
  if (query.compliance) {
    conditions.push_back(
        complianceCondition(*query.compliance, query.now, query.stale_after, params));
  }
  if (conditions.empty()) return {};
  return fmt::format(" WHERE {}", fmt::join(conditions, " AND "));
}

}  // namespace

std::string newHostId() {
  std::array<unsigned char, 8> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      // getrandom(2) fails otherwise only on a kernel without it (before
      // Linux 3.17), where nothing here could run safely.
      throw std::runtime_error(fmt::format("getrandom failed: {}", std::strerror(errno)));
    }
    filled += static_cast<std::size_t>(got);
  }
  std::string id = "h-";
  for (const unsigned char byte : bytes) id += fmt::format("{:02x}", byte);
  return id;
}

Result<std::optional<HostRecord>> getHost(Session& session, const std::string& id) {
  auto row =
      session.queryOne(fmt::format("{}{} WHERE h.id = ?", kSelectHostColumns, kHostFrom), {id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<HostRecord>();

  HostRecord host = rowToHost(**row);
  auto collections = session.query(
      "SELECT collection FROM host_collections WHERE host_id = ? ORDER BY collection", {id});
  if (!collections) return tl::unexpected(collections.error());
  for (const auto& collection : *collections) host.collections.push_back(collection.text(0));
  return std::optional<HostRecord>(std::move(host));
}

Result<std::optional<HostRecord>> findActiveHostByMachineId(Session& session,
                                                            const std::string& machine_id) {
  auto row = session.queryOne("SELECT id FROM hosts WHERE machine_id = ? AND status = 'active'",
                              {machine_id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<HostRecord>();
  return getHost(session, (*row)->text(0));
}

Result<std::vector<HostRecord>> listHosts(Session& session, const HostFilter& filter) {
  std::vector<Value> params;
  const std::string where = whereClause(filter, params);
  auto rows = session.query(
      fmt::format("{}{}{} ORDER BY h.id", kSelectHostColumns, kHostFrom, where), params);
  if (!rows) return tl::unexpected(rows.error());

  std::vector<HostRecord> hosts;
  hosts.reserve(rows->size());
  std::map<std::string, std::size_t> position_of;
  for (const auto& row : *rows) {
    hosts.push_back(rowToHost(row));
    position_of.emplace(hosts.back().id, hosts.size() - 1);
  }
  if (hosts.empty()) return hosts;

  // One query for the collections of every listed host, rather than one
  // per host.
  auto collections =
      session.query(fmt::format("SELECT c.host_id, c.collection FROM host_collections c "
                                "WHERE c.host_id IN (SELECT h.id FROM hosts h{}) "
                                "ORDER BY c.host_id, c.collection",
                                where),
                    params);
  if (!collections) return tl::unexpected(collections.error());
  for (const auto& row : *collections) {
    const auto found = position_of.find(row.text(0));
    if (found != position_of.end()) hosts[found->second].collections.push_back(row.text(1));
  }
  return hosts;
}

Result<HostPage> listHostPage(Session& session, const HostPageQuery& query) {
  std::vector<Value> params;
  const std::string where = pageWhereClause(query, params);

  HostPage page;
  auto counted = session.queryOne(fmt::format("SELECT COUNT(*) {}{}", kHostFrom, where), params);
  if (!counted) return tl::unexpected(counted.error());
  if (*counted) page.total = static_cast<std::size_t>((*counted)->integer(0));

  std::string sql = fmt::format("{}{}{}", kSelectHostColumns, kHostFrom, where);
  std::vector<Value> page_params = params;
  if (query.limit) {
    sql += " ORDER BY h.hostname, h.id LIMIT ? OFFSET ?";
    page_params.emplace_back(static_cast<std::int64_t>(*query.limit));
    page_params.emplace_back(static_cast<std::int64_t>(query.offset));
  } else {
    sql += " ORDER BY h.id";
  }
  auto rows = session.query(sql, page_params);
  if (!rows) return tl::unexpected(rows.error());
  std::map<std::string, std::size_t> position_of;
  for (const auto& row : *rows) {
    page.hosts.push_back(rowToHost(row));
    position_of.emplace(page.hosts.back().id, page.hosts.size() - 1);
  }
  if (page.hosts.empty()) return page;

  // The collections of the listed hosts, in one query: by their ids for a
  // page, by the same conditions for a whole list.
  std::string collections_sql;
  std::vector<Value> collection_params;
  if (query.limit) {
    collections_sql = fmt::format(
        "SELECT c.host_id, c.collection FROM host_collections c WHERE c.host_id IN ({}) "
        "ORDER BY c.host_id, c.collection",
        fmt::join(std::vector<std::string_view>(page.hosts.size(), "?"), ", "));
    for (const auto& host : page.hosts) collection_params.emplace_back(host.id);
  } else {
    collections_sql = fmt::format(
        "SELECT c.host_id, c.collection FROM host_collections c "
        "WHERE c.host_id IN (SELECT h.id {}{}) ORDER BY c.host_id, c.collection",
        kHostFrom, where);
    collection_params = params;
  }
  auto collections = session.query(collections_sql, collection_params);
  if (!collections) return tl::unexpected(collections.error());
  for (const auto& row : *collections) {
    const auto found = position_of.find(row.text(0));
    if (found != position_of.end()) page.hosts[found->second].collections.push_back(row.text(1));
  }
  return page;
}

Result<void> insertHost(Session& session, const HostRecord& host) {
  std::vector<Value> params{host.id};
  for (auto& value : hostValues(host)) params.push_back(std::move(value));
  const std::string placeholders = fmt::format(
      "{}", fmt::join(std::vector<std::string_view>(kHostColumns.size() + 1, "?"), ", "));
  auto inserted = session.execute(fmt::format("INSERT INTO hosts (id, {}) VALUES ({})",
                                              fmt::join(kHostColumns, ", "), placeholders),
                                  params);
  if (!inserted) return inserted;
  return writeCollections(session, host.id, host.collections);
}

Result<void> updateHost(Session& session, const HostRecord& host) {
  std::vector<std::string> assignments;
  for (const auto column : kHostColumns) assignments.push_back(fmt::format("{} = ?", column));
  std::vector<Value> params = hostValues(host);
  params.emplace_back(host.id);

  auto updated = session.execute(
      fmt::format("UPDATE hosts SET {} WHERE id = ?", fmt::join(assignments, ", ")), params);
  if (!updated) return updated;
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("host {} not found", host.id));
  }
  return writeCollections(session, host.id, host.collections);
}

Result<void> setHostStatus(Session& session, const std::string& id, const std::string& status) {
  if (!isKnownStatus(status)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid host status \"{}\": use \"active\" or \"revoked\"", status));
  }
  auto updated = session.execute("UPDATE hosts SET status = ? WHERE id = ?", {status, id});
  if (!updated) return updated;
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("host {} not found", id));
  }
  return {};
}

Result<std::map<std::pair<std::string, std::string>, std::int64_t>> countHostsByStatusAndKind(
    Session& session) {
  auto rows = session.query("SELECT status, kind, COUNT(*) FROM hosts GROUP BY status, kind");
  if (!rows) return tl::unexpected(rows.error());
  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
  for (const auto& row : *rows) counts[{row.text(0), row.text(1)}] = row.integer(2);
  return counts;
}

}  // namespace pk::store
