#pragma once

// What the agent and the server say to each other, as JSON over HTTPS.
// Both sides use these types; the parsers are the server's first line of
// defence against a hostile host and are fuzzed.
//
//   POST /api/v1/enrol                       EnrolRequest  -> 201 EnrolResponse
//   POST /api/v1/hosts/{host_id}/reports     Report        -> 200 ReportResponse
//        (Authorization: Bearer <host token>)
//
// A report carries the full inventory only when its hash differs from the
// last one the server acknowledged; otherwise only the hash. When the server
// lacks the inventory for a hash it answers inventory_needed, and the agent
// sends the next report with the inventory at once. Report ids make delivery
// exactly-once: the server stores each accepted id and answers a repeat with
// duplicate = true without applying it again.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "inventory/inventory.h"
#include "inventory/windows_inventory.h"

namespace pk::protocol {

// Bounds on what a parser accepts, so a hostile body cannot make the
// server allocate without limit. A larger value fails with kMalformedInput.
inline constexpr std::size_t kMaxPackages = 200'000;
inline constexpr std::size_t kMaxSecurityUpdates = 50'000;
inline constexpr std::size_t kMaxStringLength = 4096;
inline constexpr std::size_t kMaxCveIdsPerUpdate = 10'000;
// Bounds on the changelog entries sent with one pending update: the count,
// and the bytes of all their versions, distributions, urgencies, dates and
// bodies together. The agent cuts longer changelogs (limitChangelog()).
inline constexpr std::size_t kMaxChangelogEntriesPerUpdate = 50;
inline constexpr std::size_t kMaxChangelogBytesPerUpdate = 64 * 1024;
// The longest wait a server may ask of an agent: a week, in seconds.
inline constexpr std::int64_t kMaxNextCheckinSeconds = 7 * 24 * 3600;

struct EnrolRequest {
  std::string secret;      // the enrolment secret an admin created
  std::string hostname;    // for people; not unique
  std::string machine_id;  // /etc/machine-id: identifies the host across re-installs of the agent
};

struct EnrolResponse {
  std::string host_id;  // "h-" followed by 16 hex digits
  std::string token;    // the per-host token, shown once; 64 hex digits
};

// One entry of a Debian changelog, as the agent sends it.
struct ChangelogEntry {
  std::string version;        // source version, as written in the header
  std::string distributions;  // "bookworm-security"
  std::string urgency;        // "high"; empty when the header has none
  std::string date;           // date of the trailer, as written
  std::string body;           // the lines between header and trailer

  bool operator==(const ChangelogEntry&) const = default;
};

// One security update pending from the host's own repositories.
struct PendingUpdate {
  std::string package;
  std::string architecture;
  std::string source_package;
  std::string installed_version;
  std::string candidate_version;  // the version in the security archive
  std::string archive;            // the archive's codename, "bookworm-security"
  std::vector<std::string> cve_ids;
  // The changelog entries newer than the installed source version and not
  // newer than the candidate's, newest first; empty when the agent read no
  // changelog. Optional on the wire ("changelog"), so older servers ignore
  // it. Not part of inventoryHash().
  std::vector<ChangelogEntry> changelog;
};

// Returns `entries` (newest first) cut to kMaxChangelogEntriesPerUpdate
// entries and kMaxChangelogBytesPerUpdate bytes (as counted by
// changelogBytes()). When anything is cut, the last kept entry's body ends
// with kChangelogCutMarker. An entry that does not fit whole keeps the start
// of its body, cut at a UTF-8 character boundary. Header fields longer than
// kMaxStringLength are shortened to it, without a marker.
std::vector<ChangelogEntry> limitChangelog(std::vector<ChangelogEntry> entries);

// The text appended to the body of the last entry kept by limitChangelog()
// when it cut entries or text.
inline constexpr std::string_view kChangelogCutMarker =
    "\n[changelog cut: patchkeeper sends at most 50 entries and 64 KiB per update]\n";

// Returns the bytes of the version, distributions, urgency, date and body
// of every entry.
std::size_t changelogBytes(const std::vector<ChangelogEntry>& entries);

struct InventoryPayload {
  version::Scheme scheme = version::Scheme::kDpkg;
  std::vector<inventory::Package> packages;
  // Set, with scheme kWindows and the programs as packages, when the
  // report carries a Windows inventory document.
  std::optional<inventory::WindowsFacts> windows;
};

// The inventory a Windows inventory document describes: scheme kWindows,
// the programs as packages (name and version), and the Windows facts.
InventoryPayload windowsPayload(const inventory::WindowsInventory& document);

struct Report {
  std::string report_id;  // 32 lower-case hex digits, chosen by the agent
  SystemTime collected_at{};
  std::string hostname;
  inventory::OsRelease os;
  std::string kernel;                   // uname -r
  std::optional<SystemTime> last_boot;  // when the host last started
  inventory::RestartState restart;
  std::string inventory_hash;                 // inventoryHash() of the packages
  std::optional<InventoryPayload> inventory;  // present only when the hash changed
  // The Windows inventory document (inventory/windows_inventory.h), sent
  // unchanged in the field "windows" in place of "inventory". parseReport
  // then sets `inventory` to windowsPayload() of it. Present only when the
  // hash changed. The report's own os and restart fields still describe
  // the host.
  std::optional<inventory::WindowsInventory> windows;
  std::vector<PendingUpdate> security_updates;
  // When the host's package lists (apt lists, rpm metadata) were last
  // refreshed, if known: old lists make the report's view of pending
  // updates stale.
  std::optional<SystemTime> package_lists_updated_at;
};

struct ReportResponse {
  bool duplicate = false;         // this report id was accepted before
  bool inventory_needed = false;  // send the inventory with the next report
  int next_checkin_seconds = 3600;
};

// Returns the SHA-256, in lower-case hex, of a canonical serialization of
// `inventory`: the scheme, then each package's fields, packages sorted, so
// the same installed set always hashes the same whatever the database
// order.
// Every field of every package takes part, so a changed state or source
// version changes the hash. Servers store hashes, so the encoding is fixed.
// Each item is an 8-byte big-endian length followed by its bytes. The items
// are "patchkeeper-inventory-v1", the scheme name and the package count in
// decimal. Then come each package's name, version, architecture,
// source_name, source_version and state, with packages sorted by (name,
// architecture, version, source_name, source_version, state).
// A Windows inventory continues with "windows", edition, release, build,
// installation_type and architecture. Then come the installed KB count and
// each KB in the order given, and the pending update count. Each update
// adds its kb, title, classification, severity and restart_required ("1"
// or "0"), its CVE count and ids, and its superseded KB count and KBs.
std::string inventoryHash(const InventoryPayload& inventory);

// Returns whether `text` is a report id: 32 lower-case hex digits.
bool isReportId(std::string_view text);

// Returns whether `text` is a host id: "h-" followed by 16 lower-case hex
// digits.
bool isHostId(std::string_view text);

nlohmann::json toJson(const EnrolRequest& request);
nlohmann::json toJson(const EnrolResponse& response);
nlohmann::json toJson(const Report& report);
nlohmann::json toJson(const ReportResponse& response);

// Each parser accepts the JSON text of its message. It fails with
// kMalformedInput and a message naming the field when the text is not JSON,
// a required field is missing or has the wrong type, a string is longer
// than kMaxStringLength, a list exceeds its bound, a time is not RFC 3339,
// a report id is not 32 hex digits, or the inventory's hash does not match
// inventory_hash. Unknown fields are ignored, for newer agents. A report
// may carry "inventory" or "windows", not both. A "windows" document that
// parseWindowsInventory rejects, or in which it finds any element to skip,
// fails the whole report with a message naming the element. The JSON
// must not nest deeper than 32 levels.
//
// Field rules beyond types: an enrol request needs a non-empty secret and
// machine_id; an enrol response needs a host id (isHostId) and a 64-hex
// token; a report needs report_id, collected_at, hostname, os and a 64-hex
// inventory_hash, while kernel, last_boot, restart, inventory,
// security_updates and package_lists_updated_at may be absent or null (read
// as empty). A pending update's "changelog" may be absent or null. It has
// at most kMaxChangelogEntriesPerUpdate entries, each with a version, and
// their text totals at most kMaxChangelogBytesPerUpdate bytes. Inventory packages need a non-empty
// name and a version valid in the inventory's scheme. A report response needs next_checkin_seconds,
// a whole number from 0 to kMaxNextCheckinSeconds; duplicate and inventory_needed default to false.
// Messages look like
//   report: field "inventory.packages[3].version" must be a string
Result<EnrolRequest> parseEnrolRequest(std::string_view text);
Result<EnrolResponse> parseEnrolResponse(std::string_view text);
Result<Report> parseReport(std::string_view text);
Result<ReportResponse> parseReportResponse(std::string_view text);

}  // namespace pk::protocol
