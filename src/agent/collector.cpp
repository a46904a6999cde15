#include "agent/collector.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/log.h"
#include "apt/apt_lists.h"
#include "apt/security_updates.h"
#include "inventory/host_reader.h"
#include "inventory/root_path.h"
#include "version/version.h"

namespace pk::agent {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// Returns the first line of ROOT/PATH, resolved inside the root, or nullopt
// when the file cannot be opened.
std::optional<std::string> readFirstLine(const std::filesystem::path& root,
                                         const std::filesystem::path& path) {
  auto resolved = inventory::resolveInRoot(root, path);
  if (!resolved) return std::nullopt;
  std::ifstream file(*resolved);
  if (!file) return std::nullopt;
  std::string line;
  std::getline(file, line);
  return trim(line);
}

// Replaces each invalid UTF-8 sequence in `text` with U+FFFD. JSON carries
// only UTF-8, and a stray Latin-1 byte in a package description or
// os-release would otherwise make serialization throw, or change the text
// after the inventory hash was computed over it.
void makeValidUtf8(std::string& text) {
  if (std::all_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return;
  }
  const std::string quoted =
      nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text = nlohmann::json::parse(quoted).get<std::string>();
}

void makeValidUtf8(inventory::Package& package) {
  for (std::string* field : {&package.name, &package.version, &package.architecture,
                             &package.source_name, &package.source_version, &package.state}) {
    makeValidUtf8(*field);
  }
}

void makeValidUtf8(protocol::Report& report) {
  makeValidUtf8(report.hostname);
  makeValidUtf8(report.kernel);
  for (std::string* field :
       {&report.os.id, &report.os.id_like, &report.os.version_id, &report.os.version_codename,
        &report.os.pretty_name, &report.os.ecosystem, &report.restart.reason}) {
    makeValidUtf8(*field);
  }
  for (auto& package : report.restart.packages) makeValidUtf8(package);
  for (auto& update : report.security_updates) {
    for (std::string* field :
         {&update.package, &update.architecture, &update.source_package, &update.installed_version,
          &update.candidate_version, &update.archive}) {
      makeValidUtf8(*field);
    }
    for (auto& cve : update.cve_ids) makeValidUtf8(cve);
  }
}

SystemTime toSystemTime(std::filesystem::file_time_type time) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::file_clock::to_sys(time));
}

protocol::PendingUpdate toPendingUpdate(const apt::SecurityUpdate& update) {
  protocol::PendingUpdate pending;
  pending.package = update.package;
  pending.architecture = update.architecture;
  pending.source_package = update.source_package;
  pending.installed_version = update.installed_version;
  pending.candidate_version = update.security_version;
  pending.archive = update.codename.empty() ? update.suite : update.codename;
  pending.cve_ids = update.cve_ids;

  std::vector<protocol::ChangelogEntry> changelog;
  changelog.reserve(update.changelog_entries.size());
  for (const auto& entry : update.changelog_entries) {
    protocol::ChangelogEntry sent{.version = entry.version,
                                  .distributions = entry.distributions,
                                  .urgency = entry.urgency,
                                  .date = entry.date,
                                  .body = entry.body};
    // Repaired before the cut, because U+FFFD is longer than the byte it
    // replaces and the cut must see the final length.
    for (std::string* field :
         {&sent.version, &sent.distributions, &sent.urgency, &sent.date, &sent.body}) {
      makeValidUtf8(*field);
    }
    changelog.push_back(std::move(sent));
  }
  pending.changelog = protocol::limitChangelog(std::move(changelog));
  return pending;
}

std::vector<protocol::PendingUpdate> findPendingUpdates(const CollectorOptions& options,
                                                        const inventory::HostInventory& host) {
  std::vector<inventory::Package> installed;
  std::copy_if(
      host.packages.begin(), host.packages.end(), std::back_inserter(installed),
      [](const inventory::Package& package) { return inventory::isInstalledState(package.state); });

  auto updates = apt::findSecurityUpdates(
      options.root, installed, {.read_changelogs = true, .download = options.download_changelogs});
  if (!updates) {
    // Hosts without apt (rpm, apk) and hosts whose lists were never fetched
    // have no lists folder: that means no known pending updates.
    if (updates.error().code != ErrorCode::kNotFound) {
      // NOTE: the report then lists no pending updates, which the server
      // cannot tell apart from a host that has none.
      logger().error(
          "cannot read the apt package lists, so this report lists no security "
          "updates: {}; run apt-get update to rebuild them",
          updates.error().message);
    }
    return {};
  }

  std::vector<protocol::PendingUpdate> pending;
  pending.reserve(updates->size());
  for (const auto& update : *updates) pending.push_back(toPendingUpdate(update));
  return pending;
}

}  // namespace

bool isHostRoot(const std::filesystem::path& root) {
  return root.lexically_normal() == std::filesystem::path("/");
}

std::string readHostname(const std::filesystem::path& root) {
  std::string name;
  if (isHostRoot(root)) {
    std::array<char, 256> buffer{};
    if (::gethostname(buffer.data(), buffer.size() - 1) == 0) name = buffer.data();
  } else {
    name = readFirstLine(root, "/etc/hostname").value_or("");
  }
  makeValidUtf8(name);
  return name;
}

Result<std::string> readMachineId(const std::filesystem::path& root,
                                  const std::filesystem::path& path) {
  auto line = readFirstLine(root, path);
  if (!line) {
    return fail(ErrorCode::kNotFound,
                fmt::format("machine id file {} under {} cannot be read; set machine_id_path or "
                            "run systemd-machine-id-setup",
                            path.string(), root.string()));
  }
  if (line->empty()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("machine id file {} under {} is empty; run systemd-machine-id-setup",
                            path.string(), root.string()));
  }
  return *line;
}

std::string newestBootKernel(const std::filesystem::path& root) {
  auto boot = inventory::resolveInRoot(root, "/boot");
  if (!boot) return {};
  std::string newest;
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(*boot, error)) {
    const std::string name = item.path().filename().string();
    if (!name.starts_with("vmlinuz-")) continue;
    const std::string release = name.substr(8);
    if (release.empty()) continue;
    if (newest.empty() || version::compareUnchecked(version::Scheme::kDpkg, release, newest) > 0) {
      newest = release;
    }
  }
  return newest;
}

std::optional<SystemTime> packageListsUpdatedAt(const std::filesystem::path& root) {
  auto lists = inventory::resolveInRoot(root, "/var/lib/apt/lists");
  if (!lists) return std::nullopt;
  std::optional<SystemTime> newest;
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(*lists, error)) {
    std::error_code item_error;
    // The lock file changes whenever apt runs, not only when lists change.
    if (!item.is_regular_file(item_error) || item.path().filename() == "lock") continue;
    const auto modified = item.last_write_time(item_error);
    if (item_error) continue;
    const SystemTime time = toSystemTime(modified);
    if (!newest || time > *newest) newest = time;
  }
  return newest;
}

std::optional<SystemTime> hostBootTime() {
  std::ifstream file("/proc/stat");
  std::string line;
  while (std::getline(file, line)) {
    if (!line.starts_with("btime ")) continue;
    const std::string value = trim(std::string_view(line).substr(6));
    long long seconds = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error != std::errc() || end != value.data() + value.size() || seconds <= 0) {
      return std::nullopt;
    }
    return SystemTime(std::chrono::seconds(seconds));
  }
  return std::nullopt;
}

Result<protocol::Report> Collector::collect(const std::string& acknowledged_hash,
                                            bool include_inventory) {
  inventory::HostReadOptions read_options;
  read_options.on_skipped_record = [](const inventory::SkippedRecord& skipped) {
    logger().warn("skipped package record in {} line {} ({}): {}", skipped.file, skipped.line,
                  skipped.package, skipped.reason);
  };
  auto host = inventory::readHostInventory(options_.root, read_options);
  if (!host) return tl::unexpected(host.error());

  protocol::Report report;
  report.report_id = newReportId(random_);
  report.collected_at = clock_.now();
  report.hostname = readHostname(options_.root);
  report.os = host->os;
  report.restart = host->restart;

  const bool host_root = isHostRoot(options_.root);
  report.kernel =
      host_root ? inventory::runningKernelRelease().value_or("") : newestBootKernel(options_.root);
  if (host_root) report.last_boot = hostBootTime();
  report.package_lists_updated_at = packageListsUpdatedAt(options_.root);
  report.security_updates = findPendingUpdates(options_, *host);

  makeValidUtf8(report);
  for (auto& package : host->packages) makeValidUtf8(package);
  protocol::InventoryPayload inventory{host->scheme, std::move(host->packages)};
  report.inventory_hash = protocol::inventoryHash(inventory);
  if (include_inventory || report.inventory_hash != acknowledged_hash) {
    report.inventory = std::move(inventory);
  }
  return report;
}

}  // namespace pk::agent
