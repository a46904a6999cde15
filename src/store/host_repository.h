#pragma once

// Enrolled hosts: identity, administration (kind, owner, collections,
// status) and the facts each check-in reports (OS, kernel, last boot,
// restart state). The installed packages are in inventory_repository.h, the
// pending security updates in pending_update_repository.h.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

inline constexpr std::string_view kHostKindServer = "server";
inline constexpr std::string_view kHostKindEndpoint = "endpoint";
inline constexpr std::string_view kHostStatusActive = "active";
inline constexpr std::string_view kHostStatusRevoked = "revoked";

struct HostRecord {
  std::string id;  // "h-" followed by 16 lower-case hex digits
  std::string hostname;
  std::string machine_id;                               // the host's /etc/machine-id
  std::string kind;                                     // "server" or "endpoint"
  std::string owner;                                    // a username; "" when the host has no owner
  std::vector<std::string> collections;                 // sorted, each once
  std::string status = std::string(kHostStatusActive);  // "active" or "revoked"
  // Until when an admin allows this host's machine id to enrol again and
  // keep the host id; nullopt when not approved.
  std::optional<SystemTime> reenrolment_approved_until;
  SystemTime enrolled_at{};
  std::optional<SystemTime> last_seen_at;  // the last accepted report

  // Facts from the last accepted report.
  std::string os_id;  // os-release ID, "debian"
  std::string os_version_id;
  std::string os_codename;
  std::string os_pretty_name;
  std::string os_ecosystem;  // "Debian:12"; "" when unknown
  std::string kernel;        // uname -r
  std::optional<SystemTime> last_boot;
  bool restart_required = false;
  std::string restart_reason;
  std::vector<std::string> restart_packages;
  std::optional<SystemTime> package_lists_updated_at;

  // Read-only here: filled from the stored inventory (inventory_repository.h)
  // by getHost() and listHosts(), ignored by insertHost() and updateHost().
  std::string inventory_hash;  // "" when no inventory is stored
  std::optional<SystemTime> inventory_received_at;
  // Set for a host whose inventory carries Windows facts: its product
  // (inventory::windowsProduct), or "" when the build names none.
  std::optional<std::string> windows_product;
  // Whether the host is in a maintenance window, or has a move into one
  // pending. Read-only, like the inventory fields.
  bool in_window = false;
};

struct HostFilter {
  std::optional<std::string> owner;       // exact username
  std::optional<std::string> kind;        // "server" / "endpoint"
  std::optional<std::string> status;      // "active" / "revoked"
  std::optional<std::string> collection;  // hosts in this collection
  std::optional<std::string> machine_id;  // exact machine id
};

// The compliance verdicts a page of hosts can be filtered on. The store
// decides them in SQL by the rules of server/compliance.h, which
// computeCompliance() applies to one host; the two must change together.
enum class HostCompliance { kCompliant, kNotCompliant, kUnknown };

struct HostPageQuery {
  HostFilter filter;
  // Part of the host name, id or owner, in any case (ASCII letters); ""
  // matches every host.
  std::string search;
  std::optional<HostCompliance> compliance;
  // For the compliance filter: risk exceptions in force at `now` hide their
  // findings, and data older than `stale_after` before `now` is stale.
  SystemTime now{};
  std::chrono::days stale_after{14};
  // One page: at most `limit` hosts, after skipping `offset`, sorted by host
  // name, then id. Without a limit, every matching host, sorted by id.
  std::optional<std::size_t> limit;
  std::size_t offset = 0;
};

struct HostPage {
  std::vector<HostRecord> hosts;
  std::size_t total = 0;  // the hosts matching the query, on every page
};

// Returns one page of the hosts matching `query`, with the number of hosts
// that match in all. Filtering, search and paging all happen in the
// database, so the cost of a page does not grow with the fleet's size beyond
// the count.
Result<HostPage> listHostPage(Session& session, const HostPageQuery& query);

// Returns a new random host id, "h-" followed by 16 lower-case hex digits
// (64 bits from the operating system's random source).
std::string newHostId();

// Returns the host with id `id`, or nullopt.
Result<std::optional<HostRecord>> getHost(Session& session, const std::string& id);

// Returns the active host whose machine id is `machine_id`, or nullopt. At
// most one active host has a given machine id (enrolment keeps it so).
Result<std::optional<HostRecord>> findActiveHostByMachineId(Session& session,
                                                            const std::string& machine_id);

// Returns the hosts matching every field set in `filter`, sorted by id.
Result<std::vector<HostRecord>> listHosts(Session& session, const HostFilter& filter = {});

// Inserts `host` with its collections. Fails with kInvalidArgument when the
// id is taken.
Result<void> insertHost(Session& session, const HostRecord& host);

// Writes every field of `host` except id, inventory_hash and
// inventory_received_at over the stored host with the same id, replacing
// its collections. Fails with kNotFound when no host has that id.
Result<void> updateHost(Session& session, const HostRecord& host);

// Sets the status of host `id` ("active" or "revoked"). Fails with
// kNotFound for an unknown host, kInvalidArgument for another status.
Result<void> setHostStatus(Session& session, const std::string& id, const std::string& status);

// Returns how many hosts there are per (status, kind), for /metrics.
Result<std::map<std::pair<std::string, std::string>, std::int64_t>> countHostsByStatusAndKind(
    Session& session);

}  // namespace pk::store
