#include "protocol/messages.h"

#include "protocol/message_reader.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "common/sha256.h"

namespace pk::protocol {
namespace {

using Json = nlohmann::json;
using detail::FieldError;
using detail::indexPath;
using detail::isLowerHex;
using detail::ObjectReader;
using detail::parseMessage;

Json optionalTimeJson(const std::optional<SystemTime>& time) {
  return time ? Json(formatRfc3339(*time)) : Json(nullptr);
}

Json packageJson(const inventory::Package& package) {
  return Json{{"name", package.name},
              {"version", package.version},
              {"architecture", package.architecture},
              {"source_name", package.source_name},
              {"source_version", package.source_version},
              {"state", package.state}};
}

Json inventoryJson(const InventoryPayload& inventory) {
  Json packages = Json::array();
  for (const auto& package : inventory.packages) packages.push_back(packageJson(package));
  return Json{{"scheme", std::string(version::schemeName(inventory.scheme))},
              {"packages", std::move(packages)}};
}

Json changelogJson(const std::vector<ChangelogEntry>& entries) {
  Json list = Json::array();
  for (const auto& entry : entries) {
    list.push_back(Json{{"version", entry.version},
                        {"distributions", entry.distributions},
                        {"urgency", entry.urgency},
                        {"date", entry.date},
                        {"body", entry.body}});
  }
  return list;
}

Json pendingUpdateJson(const PendingUpdate& update) {
  return Json{{"package", update.package},
              {"architecture", update.architecture},
              {"source_package", update.source_package},
              {"installed_version", update.installed_version},
              {"candidate_version", update.candidate_version},
              {"archive", update.archive},
              {"cve_ids", update.cve_ids},
              {"changelog", changelogJson(update.changelog)}};
}

inventory::Package readPackage(const Json& value, const std::string& path, version::Scheme scheme) {
  ObjectReader reader(value, path);
  inventory::Package package;
  package.name = reader.nonEmptyString("name");
  package.version = reader.nonEmptyString("version");
  if (auto valid = version::validate(scheme, package.version); !valid) {
    throw FieldError{reader.field("version"),
                     fmt::format("is not a valid {} version: {}", version::schemeName(scheme),
                                 valid.error().message)};
  }
  package.architecture = reader.string("architecture");
  package.source_name = reader.string("source_name");
  package.source_version = reader.string("source_version");
  package.state = reader.optionalString("state");
  return package;
}

InventoryPayload readInventory(const Json& value, const std::string& path) {
  ObjectReader reader(value, path);
  InventoryPayload inventory;
  std::string scheme_name = reader.string("scheme");
  auto scheme = version::parseSchemeName(scheme_name);
  if (!scheme) {
    throw FieldError{
        reader.field("scheme"),
        fmt::format("\"{}\" is not one of dpkg, rpm, apk, semver, windows", scheme_name)};
  }
  inventory.scheme = *scheme;

  if (reader.find("packages") == nullptr) throw FieldError{reader.field("packages"), "is missing"};
  const Json& packages = reader.array("packages", kMaxPackages);
  inventory.packages.reserve(packages.size());
  for (std::size_t i = 0; i < packages.size(); ++i) {
    inventory.packages.push_back(
        readPackage(packages[i], indexPath(reader.field("packages"), i), inventory.scheme));
  }
  return inventory;
}

inventory::OsRelease readOs(const Json& value, const std::string& path) {
  ObjectReader reader(value, path);
  inventory::OsRelease os;
  os.id = reader.optionalString("id");
  os.id_like = reader.optionalString("id_like");
  os.version_id = reader.optionalString("version_id");
  os.version_codename = reader.optionalString("version_codename");
  os.pretty_name = reader.optionalString("pretty_name");
  os.ecosystem = reader.optionalString("ecosystem");
  return os;
}

inventory::RestartState readRestart(const Json& value, const std::string& path) {
  ObjectReader reader(value, path);
  inventory::RestartState restart;
  restart.required = reader.boolean("required");
  restart.packages = reader.stringList("packages", kMaxPackages);
  restart.reason = reader.optionalString("reason");
  return restart;
}

ChangelogEntry readChangelogEntry(const Json& value, const std::string& path) {
  ObjectReader reader(value, path);
  ChangelogEntry entry;
  entry.version = reader.nonEmptyString("version");
  entry.distributions = reader.optionalString("distributions");
  entry.urgency = reader.optionalString("urgency");
  entry.date = reader.optionalString("date");
  entry.body = reader.optionalLongString("body", kMaxChangelogBytesPerUpdate);
  return entry;
}

PendingUpdate readPendingUpdate(const Json& value, const std::string& path) {
  ObjectReader reader(value, path);
  PendingUpdate update;
  update.package = reader.nonEmptyString("package");
  update.architecture = reader.string("architecture");
  update.source_package = reader.string("source_package");
  update.installed_version = reader.string("installed_version");
  update.candidate_version = reader.nonEmptyString("candidate_version");
  update.archive = reader.string("archive");
  update.cve_ids = reader.stringList("cve_ids", kMaxCveIdsPerUpdate);

  const std::string changelog_path = reader.field("changelog");
  const Json& changelog = reader.array("changelog", kMaxChangelogEntriesPerUpdate);
  update.changelog.reserve(changelog.size());
  for (std::size_t i = 0; i < changelog.size(); ++i) {
    update.changelog.push_back(readChangelogEntry(changelog[i], indexPath(changelog_path, i)));
  }
  if (const std::size_t bytes = changelogBytes(update.changelog);
      bytes > kMaxChangelogBytesPerUpdate) {
    throw FieldError{changelog_path, fmt::format("has {} bytes of text, more than the limit of {}",
                                                 bytes, kMaxChangelogBytesPerUpdate)};
  }
  return update;
}

// Shortens `text` to at most `bound` bytes without splitting a UTF-8
// sequence.
void cutUtf8(std::string& text, std::size_t bound) {
  if (text.size() <= bound) return;
  std::size_t end = bound;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0u) == 0x80u) --end;
  text.resize(end);
}

// Appends `field` as an 8-byte big-endian length and its bytes, so that no
// two different package lists serialize to the same byte string.
void hashField(Sha256& state, std::string_view field) {
  std::array<unsigned char, 8> length{};
  auto size = static_cast<std::uint64_t>(field.size());
  for (int i = 7; i >= 0; --i) {
    length[static_cast<std::size_t>(i)] = static_cast<unsigned char>(size & 0xffu);
    size >>= 8;
  }
  state.update(length.data(), length.size());
  state.update(field);
}

auto packageKey(const inventory::Package& package) {
  return std::tie(package.name, package.architecture, package.version, package.source_name,
                  package.source_version, package.state);
}

}  // namespace

std::string inventoryHash(const InventoryPayload& inventory) {
  std::vector<const inventory::Package*> sorted;
  sorted.reserve(inventory.packages.size());
  for (const auto& package : inventory.packages) sorted.push_back(&package);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return packageKey(*a) < packageKey(*b); });

  Sha256 state;
  hashField(state, "patchkeeper-inventory-v1");
  hashField(state, version::schemeName(inventory.scheme));
  hashField(state, std::to_string(sorted.size()));
  for (const auto* package : sorted) {
    hashField(state, package->name);
    hashField(state, package->version);
    hashField(state, package->architecture);
    hashField(state, package->source_name);
    hashField(state, package->source_version);
    hashField(state, package->state);
  }
  if (inventory.windows) {
    const inventory::WindowsFacts& facts = *inventory.windows;
    for (std::string_view field :
         {std::string_view("windows"), std::string_view(facts.edition),
          std::string_view(facts.release), std::string_view(facts.build),
          std::string_view(facts.installation_type), std::string_view(facts.architecture)}) {
      hashField(state, field);
    }
    hashField(state, std::to_string(facts.installed_kbs.size()));
    for (const auto& kb : facts.installed_kbs) hashField(state, kb);
    hashField(state, std::to_string(facts.pending_updates.size()));
    for (const auto& update : facts.pending_updates) {
      hashField(state, update.kb);
      hashField(state, update.title);
      hashField(state, update.classification);
      hashField(state, update.severity);
      hashField(state, update.restart_required ? "1" : "0");
      hashField(state, std::to_string(update.cve_ids.size()));
      for (const auto& cve : update.cve_ids) hashField(state, cve);
      hashField(state, std::to_string(update.supersedes.size()));
      for (const auto& kb : update.supersedes) hashField(state, kb);
    }
  }
  const Sha256::Digest digest = state.finish();
  return lowerHex(digest.data(), digest.size());
}

InventoryPayload windowsPayload(const inventory::WindowsInventory& document) {
  InventoryPayload payload;
  payload.scheme = version::Scheme::kWindows;
  payload.packages.reserve(document.programs.size());
  for (const auto& program : document.programs) {
    inventory::Package package;
    package.name = program.name;
    package.version = program.version;
    payload.packages.push_back(std::move(package));
  }
  payload.windows = document.facts;
  return payload;
}

bool isReportId(std::string_view text) {
  return isLowerHex(text, 32);
}

bool isHostId(std::string_view text) {
  return text.size() == 18 && text.substr(0, 2) == "h-" && isLowerHex(text.substr(2), 16);
}

std::size_t changelogBytes(const std::vector<ChangelogEntry>& entries) {
  std::size_t bytes = 0;
  for (const auto& entry : entries) {
    bytes += entry.version.size() + entry.distributions.size() + entry.urgency.size() +
             entry.date.size() + entry.body.size();
  }
  return bytes;
}

std::vector<ChangelogEntry> limitChangelog(std::vector<ChangelogEntry> entries) {
  if (entries.size() <= kMaxChangelogEntriesPerUpdate &&
      changelogBytes(entries) <= kMaxChangelogBytesPerUpdate) {
    for (auto& entry : entries) {
      for (std::string* field :
           {&entry.version, &entry.distributions, &entry.urgency, &entry.date}) {
        cutUtf8(*field, kMaxStringLength);
      }
    }
    return entries;
  }

  // Space for the marker is kept back, so the cut list ends with it.
  const std::size_t budget = kMaxChangelogBytesPerUpdate - kChangelogCutMarker.size();
  std::vector<ChangelogEntry> kept;
  std::size_t used = 0;
  for (auto& entry : entries) {
    if (kept.size() == kMaxChangelogEntriesPerUpdate) break;
    // The parser bounds these header fields, and four of them leave room
    // in the budget for at least the first entry.
    for (std::string* field : {&entry.version, &entry.distributions, &entry.urgency, &entry.date}) {
      cutUtf8(*field, kMaxStringLength);
    }
    const std::size_t header_bytes = entry.version.size() + entry.distributions.size() +
                                     entry.urgency.size() + entry.date.size();
    if (used + header_bytes > budget) break;
    const std::size_t body_room = budget - used - header_bytes;
    const bool whole = entry.body.size() <= body_room;
    if (!whole) cutUtf8(entry.body, body_room);
    used += header_bytes + entry.body.size();
    kept.push_back(std::move(entry));
    if (!whole) break;
  }
  if (!kept.empty()) kept.back().body.append(kChangelogCutMarker);
  return kept;
}

nlohmann::json toJson(const EnrolRequest& request) {
  return Json{{"secret", request.secret},
              {"hostname", request.hostname},
              {"machine_id", request.machine_id}};
}

nlohmann::json toJson(const EnrolResponse& response) {
  return Json{{"host_id", response.host_id}, {"token", response.token}};
}

nlohmann::json toJson(const Report& report) {
  Json updates = Json::array();
  for (const auto& update : report.security_updates) updates.push_back(pendingUpdateJson(update));

  Json json{{"report_id", report.report_id},
            {"collected_at", formatRfc3339(report.collected_at)},
            {"hostname", report.hostname},
            {"os",
             {{"id", report.os.id},
              {"id_like", report.os.id_like},
              {"version_id", report.os.version_id},
              {"version_codename", report.os.version_codename},
              {"pretty_name", report.os.pretty_name},
              {"ecosystem", report.os.ecosystem}}},
            {"kernel", report.kernel},
            {"last_boot", optionalTimeJson(report.last_boot)},
            {"restart",
             {{"required", report.restart.required},
              {"packages", report.restart.packages},
              {"reason", report.restart.reason}}},
            {"inventory_hash", report.inventory_hash},
            {"security_updates", std::move(updates)},
            {"package_lists_updated_at", optionalTimeJson(report.package_lists_updated_at)}};
  if (report.windows) {
    json["windows"] = Json::parse(inventory::toJsonText(*report.windows));
  } else if (report.inventory) {
    json["inventory"] = inventoryJson(*report.inventory);
  }
  return json;
}

nlohmann::json toJson(const ReportResponse& response) {
  return Json{{"duplicate", response.duplicate},
              {"inventory_needed", response.inventory_needed},
              {"next_checkin_seconds", response.next_checkin_seconds}};
}

Result<EnrolRequest> parseEnrolRequest(std::string_view text) {
  return parseMessage<EnrolRequest>("enrol request", text, [](const Json& document) {
    ObjectReader reader(document, "");
    EnrolRequest request;
    request.secret = reader.nonEmptyString("secret");
    request.hostname = reader.string("hostname");
    request.machine_id = reader.nonEmptyString("machine_id");
    return request;
  });
}

Result<EnrolResponse> parseEnrolResponse(std::string_view text) {
  return parseMessage<EnrolResponse>("enrol response", text, [](const Json& document) {
    ObjectReader reader(document, "");
    EnrolResponse response;
    response.host_id = reader.string("host_id");
    if (!isHostId(response.host_id)) {
      throw FieldError{"host_id", fmt::format("\"{}\" is not \"h-\" followed by 16 hex digits",
                                              response.host_id)};
    }
    response.token = reader.string("token");
    if (!isLowerHex(response.token, 64)) {
      throw FieldError{"token", "is not 64 lower-case hex digits"};
    }
    return response;
  });
}

Result<Report> parseReport(std::string_view text) {
  return parseMessage<Report>("report", text, [](const Json& document) {
    ObjectReader reader(document, "");
    Report report;
    report.report_id = reader.string("report_id");
    if (!isReportId(report.report_id)) {
      throw FieldError{"report_id",
                       fmt::format("\"{}\" is not 32 lower-case hex digits", report.report_id)};
    }
    report.collected_at = reader.time("collected_at");
    report.hostname = reader.string("hostname");
    report.os = readOs(reader.require("os"), "os");
    report.kernel = reader.optionalString("kernel");
    report.last_boot = reader.optionalTime("last_boot");
    if (const Json* restart = reader.find("restart")) {
      report.restart = readRestart(*restart, "restart");
    }

    report.inventory_hash = reader.string("inventory_hash");
    if (!isLowerHex(report.inventory_hash, 64)) {
      throw FieldError{"inventory_hash", "is not 64 lower-case hex digits (a SHA-256)"};
    }
    if (const Json* windows = reader.find("windows")) {
      if (reader.find("inventory")) {
        throw FieldError{"windows", "cannot come with \"inventory\" in one report"};
      }
      std::vector<inventory::WindowsInventoryIssue> issues;
      auto parsed = inventory::parseWindowsInventory(windows->dump(), "report", issues);
      if (!parsed) throw FieldError{"windows", parsed.error().message};
      if (!issues.empty()) {
        throw FieldError{"windows" + issues.front().element, issues.front().message};
      }
      report.inventory = windowsPayload(*parsed);
      report.windows = std::move(*parsed);
      std::string actual = inventoryHash(*report.inventory);
      if (actual != report.inventory_hash) {
        throw FieldError{"inventory_hash",
                         fmt::format("is {} but the Windows inventory sent hashes to {}",
                                     report.inventory_hash, actual)};
      }
    } else if (const Json* inventory = reader.find("inventory")) {
      report.inventory = readInventory(*inventory, "inventory");
      std::string actual = inventoryHash(*report.inventory);
      if (actual != report.inventory_hash) {
        throw FieldError{"inventory_hash", fmt::format("is {} but the inventory sent hashes to {}",
                                                       report.inventory_hash, actual)};
      }
    }

    const Json& updates = reader.array("security_updates", kMaxSecurityUpdates);
    report.security_updates.reserve(updates.size());
    for (std::size_t i = 0; i < updates.size(); ++i) {
      report.security_updates.push_back(
          readPendingUpdate(updates[i], indexPath("security_updates", i)));
    }
    report.package_lists_updated_at = reader.optionalTime("package_lists_updated_at");
    return report;
  });
}

Result<ReportResponse> parseReportResponse(std::string_view text) {
  return parseMessage<ReportResponse>("report response", text, [](const Json& document) {
    ObjectReader reader(document, "");
    ReportResponse response;
    response.duplicate = reader.optionalBoolean("duplicate", false);
    response.inventory_needed = reader.optionalBoolean("inventory_needed", false);
    const Json& next = reader.require("next_checkin_seconds");
    if (!next.is_number_integer()) {
      throw FieldError{"next_checkin_seconds", "must be a whole number"};
    }
    auto seconds = next.get<std::int64_t>();
    if (seconds < 0 || seconds > kMaxNextCheckinSeconds) {
      throw FieldError{"next_checkin_seconds",
                       fmt::format("is {}, outside 0 to {}", seconds, kMaxNextCheckinSeconds)};
    }
    response.next_checkin_seconds = static_cast<int>(seconds);
    return response;
  });
}

}  // namespace pk::protocol
