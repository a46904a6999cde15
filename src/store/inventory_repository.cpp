#include "store/inventory_repository.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "inventory/windows_inventory.h"

namespace pk::store {
namespace {

std::int64_t toMicros(SystemTime time) {
  return time.time_since_epoch().count();
}

// Rows per multi-row INSERT: 7 parameters each stays well under SQLite's
// limit of 32766 bound parameters and PostgreSQL's 65535, and cuts the
// statement count of a 5,000-package inventory to 25.
constexpr std::size_t kPackagesPerInsert = 200;

// Names per IN (...) list, for the same reason.
constexpr std::size_t kNamesPerQuery = 500;

std::string placeholders(std::size_t count) {
  return fmt::format("{}", fmt::join(std::vector<std::string_view>(count, "?"), ", "));
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

Result<void> insertPackages(Session& session, const std::string& host_id,
                            const std::vector<inventory::Package>& packages) {
  for (std::size_t first = 0; first < packages.size(); first += kPackagesPerInsert) {
    const std::size_t count = std::min(kPackagesPerInsert, packages.size() - first);
    std::vector<std::string> rows(count, "(?, ?, ?, ?, ?, ?, ?)");
    std::vector<Value> params;
    params.reserve(count * 7);
    for (std::size_t i = first; i < first + count; ++i) {
      const auto& package = packages[i];
      params.emplace_back(host_id);
      params.emplace_back(package.name);
      params.emplace_back(package.version);
      params.emplace_back(package.architecture);
      params.emplace_back(package.source_name);
      params.emplace_back(package.source_version);
      params.emplace_back(package.state);
    }
    auto inserted = session.execute(
        fmt::format("INSERT INTO inventory_packages (host_id, name, version, architecture, "
                    "source_name, source_version, state) VALUES {}",
                    fmt::join(rows, ", ")),
        params);
    if (!inserted) return inserted;
  }
  return {};
}

std::string joinLines(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, "\n"));
}

// Replaces the Windows facts of `host_id`; removes them when `facts` is
// empty (the host reports packages now).
Result<void> saveWindowsFacts(Session& session, const std::string& host_id,
                              const std::optional<inventory::WindowsFacts>& facts) {
  for (std::string_view table : {"windows_host_updates", "windows_host_kbs", "windows_hosts"}) {
    auto deleted =
        session.execute(fmt::format("DELETE FROM {} WHERE host_id = ?", table), {host_id});
    if (!deleted) return deleted;
  }
  if (!facts) return {};

  auto saved = session.execute(
      "INSERT INTO windows_hosts (host_id, product, edition, release_name, build, "
      "installation_type, architecture) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {host_id, inventory::windowsProduct(*facts).value_or(""), facts->edition, facts->release,
       facts->build, facts->installation_type, facts->architecture});
  if (!saved) return saved;

  // Many rows per statement, as for packages: a host may list thousands.
  std::set<std::string> kbs(facts->installed_kbs.begin(), facts->installed_kbs.end());
  std::vector<std::string> unique_kbs(kbs.begin(), kbs.end());
  for (std::size_t first = 0; first < unique_kbs.size(); first += kNamesPerQuery) {
    const std::size_t count = std::min(kNamesPerQuery, unique_kbs.size() - first);
    std::vector<Value> params;
    params.reserve(count * 2);
    for (std::size_t i = first; i < first + count; ++i) {
      params.emplace_back(host_id);
      params.emplace_back(unique_kbs[i]);
    }
    auto inserted = session.execute(
        fmt::format("INSERT INTO windows_host_kbs (host_id, kb) VALUES {}",
                    fmt::join(std::vector<std::string_view>(count, "(?, ?)"), ", ")),
        params);
    if (!inserted) return inserted;
  }
  // A KB offered twice is stored once, as first listed.
  std::set<std::string> offered;
  for (const auto& update : facts->pending_updates) {
    if (!offered.insert(update.kb).second) continue;
    auto inserted = session.execute(
        "INSERT INTO windows_host_updates (host_id, kb, title, classification, severity, "
        "cve_ids, supersedes, restart_required) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {host_id, update.kb, update.title, update.classification, update.severity,
         joinLines(update.cve_ids), joinLines(update.supersedes),
         std::int64_t{update.restart_required ? 1 : 0}});
    if (!inserted) return inserted;
  }
  return {};
}

}  // namespace

Result<void> saveInventory(Session& session, const std::string& host_id, const std::string& hash,
                           const inventory::HostInventory& inventory, SystemTime received_at) {
  // The meta row first: its foreign key rejects an unknown host before any
  // package row is written.
  auto meta = session.execute(
      "INSERT INTO host_inventories (host_id, scheme, hash, received_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (host_id) DO UPDATE SET scheme = excluded.scheme, hash = excluded.hash, "
      "received_at = excluded.received_at",
      {host_id, std::string(version::schemeName(inventory.scheme)), hash, toMicros(received_at)});
  if (!meta) return meta;

  auto deleted = session.execute("DELETE FROM inventory_packages WHERE host_id = ?", {host_id});
  if (!deleted) return deleted;
  if (auto windows = saveWindowsFacts(session, host_id, inventory.windows); !windows) {
    return windows;
  }
  return insertPackages(session, host_id, inventory.packages);
}

Result<std::optional<inventory::HostInventory>> loadInventory(Session& session,
                                                              const std::string& host_id) {
  auto meta = session.queryOne(
      "SELECT i.scheme, h.os_id, h.os_version_id, h.os_codename, h.os_pretty_name, "
      "h.os_ecosystem, h.restart_required, h.restart_reason, h.restart_packages "
      "FROM host_inventories i JOIN hosts h ON h.id = i.host_id WHERE i.host_id = ?",
      {host_id});
  if (!meta) return tl::unexpected(meta.error());
  if (!*meta) return std::optional<inventory::HostInventory>();
  const Row& row = **meta;

  inventory::HostInventory inventory;
  const std::string scheme_name = row.text(0);
  const auto scheme = version::parseSchemeName(scheme_name);
  if (!scheme) {
    return fail(ErrorCode::kInternal,
                fmt::format("host {} has a stored inventory with unknown version scheme \"{}\"",
                            host_id, scheme_name));
  }
  inventory.scheme = *scheme;
  inventory.os.id = row.text(1);
  inventory.os.version_id = row.text(2);
  inventory.os.version_codename = row.text(3);
  inventory.os.pretty_name = row.text(4);
  inventory.os.ecosystem = row.text(5);
  inventory.restart.required = row.boolean(6);
  inventory.restart.reason = row.text(7);
  inventory.restart.packages = splitLines(row.text(8));

  auto packages = session.query(
      "SELECT name, version, architecture, source_name, source_version, state "
      "FROM inventory_packages WHERE host_id = ? ORDER BY name, architecture, version",
      {host_id});
  if (!packages) return tl::unexpected(packages.error());
  inventory.packages.reserve(packages->size());
  for (const auto& package : *packages) {
    inventory.packages.push_back(inventory::Package{
        .name = package.text(0),
        .version = package.text(1),
        .architecture = package.text(2),
        .source_name = package.text(3),
        .source_version = package.text(4),
        .state = package.text(5),
    });
  }
  if (inventory.scheme == version::Scheme::kWindows) {
    auto windows = loadWindowsFacts(session, host_id);
    if (!windows) return tl::unexpected(windows.error());
    inventory.windows = std::move(*windows);
  }
  return std::optional<inventory::HostInventory>(std::move(inventory));
}

Result<std::optional<inventory::WindowsFacts>> loadWindowsFacts(Session& session,
                                                                const std::string& host_id) {
  auto row = session.queryOne(
      "SELECT edition, release_name, build, installation_type, architecture "
      "FROM windows_hosts WHERE host_id = ?",
      {host_id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<inventory::WindowsFacts>();
  inventory::WindowsFacts facts;
  facts.edition = (*row)->text(0);
  facts.release = (*row)->text(1);
  facts.build = (*row)->text(2);
  facts.installation_type = (*row)->text(3);
  facts.architecture = (*row)->text(4);

  auto kbs =
      session.query("SELECT kb FROM windows_host_kbs WHERE host_id = ? ORDER BY kb", {host_id});
  if (!kbs) return tl::unexpected(kbs.error());
  for (const auto& kb : *kbs) facts.installed_kbs.push_back(kb.text(0));

  auto updates = session.query(
      "SELECT kb, title, classification, severity, cve_ids, supersedes, restart_required "
      "FROM windows_host_updates WHERE host_id = ? ORDER BY kb",
      {host_id});
  if (!updates) return tl::unexpected(updates.error());
  for (const auto& update : *updates) {
    facts.pending_updates.push_back(inventory::WindowsPendingUpdate{
        .kb = update.text(0),
        .title = update.text(1),
        .classification = update.text(2),
        .severity = update.text(3),
        .cve_ids = splitLines(update.text(4)),
        .supersedes = splitLines(update.text(5)),
        .restart_required = update.boolean(6),
    });
  }
  return std::optional<inventory::WindowsFacts>(std::move(facts));
}

Result<std::optional<std::string>> inventoryHashOf(Session& session, const std::string& host_id) {
  auto row = session.queryOne("SELECT hash FROM host_inventories WHERE host_id = ?", {host_id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>((*row)->text(0));
}

Result<std::vector<std::string>> hostsWithPackages(Session& session,
                                                   const std::vector<std::string>& names) {
  std::set<std::string> host_ids;
  for (std::size_t first = 0; first < names.size(); first += kNamesPerQuery) {
    const std::size_t count = std::min(kNamesPerQuery, names.size() - first);
    std::vector<Value> params;
    params.reserve(count * 2);
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t i = first; i < first + count; ++i) params.emplace_back(names[i]);
    }
    const std::string list = placeholders(count);
    auto rows = session.query(
        fmt::format("SELECT DISTINCT p.host_id FROM inventory_packages p "
                    "JOIN hosts h ON h.id = p.host_id "
                    "WHERE h.status = 'active' AND (p.name IN ({}) OR p.source_name IN ({}))",
                    list, list),
        params);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) host_ids.insert(row.text(0));

    // Windows advisories name products, which Windows hosts run.
    auto windows = session.query(
        fmt::format("SELECT w.host_id FROM windows_hosts w JOIN hosts h ON h.id = w.host_id "
                    "WHERE h.status = 'active' AND w.product IN ({})",
                    list),
        std::vector<Value>(params.begin(), params.begin() + static_cast<std::ptrdiff_t>(count)));
    if (!windows) return tl::unexpected(windows.error());
    for (const auto& row : *windows) host_ids.insert(row.text(0));
  }
  return std::vector<std::string>(host_ids.begin(), host_ids.end());
}

Result<std::vector<std::string>> activeHostIds(Session& session) {
  auto rows = session.query("SELECT id FROM hosts WHERE status = 'active' ORDER BY id");
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::string> ids;
  ids.reserve(rows->size());
  for (const auto& row : *rows) ids.push_back(row.text(0));
  return ids;
}

}  // namespace pk::store
