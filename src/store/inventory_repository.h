#pragma once

// A host's installed packages, as last reported in full by its agent. The
// packages live in inventory_packages (one row per package, indexed by
// binary and by source name, so a changed advisory finds the hosts to
// re-evaluate without loading every inventory). The scheme, the hash and the
// time of receipt live in host_inventories. The operating system and the
// restart state are host facts kept in the hosts table (host_repository.h)
// and are joined in when an inventory is loaded.

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "inventory/inventory.h"
#include "store/database.h"

namespace pk::store {

// Replaces the stored inventory of `host_id` with `inventory`'s scheme and
// packages, and records `hash` (protocol::inventoryHash of the payload) and
// `received_at`, and the Windows facts when inventory.windows is set
// (removing stored ones when it is not). The host must exist: fails with
// kInvalidArgument otherwise (foreign key). The inventory's os and restart fields are not
// written here; they are host facts, set with updateHost(). Call it inside
// Database::write() so the old rows never mix with the new ones.
Result<void> saveInventory(Session& session, const std::string& host_id, const std::string& hash,
                           const inventory::HostInventory& inventory, SystemTime received_at);

// Returns the stored inventory of `host_id`: scheme and packages (sorted by
// name, then architecture, then version), with the host's os and restart
// state, and for scheme kWindows its Windows facts (installed KBs and
// pending updates sorted by KB as text, each KB once). nullopt when the host has never sent an
// inventory or does not exist.
Result<std::optional<inventory::HostInventory>> loadInventory(Session& session,
                                                              const std::string& host_id);

// Returns the Windows facts stored with the inventory of `host_id`, or
// nullopt when the host has none (no inventory, or a package inventory).
Result<std::optional<inventory::WindowsFacts>> loadWindowsFacts(Session& session,
                                                                const std::string& host_id);

// Returns the hash of the stored inventory of `host_id`, or nullopt when
// none is stored.
Result<std::optional<std::string>> inventoryHashOf(Session& session, const std::string& host_id);

// Returns the ids of active hosts (status "active") that have a stored
// package whose binary name or source name is one of `names`, or whose
// Windows product is one of them, sorted, each once. An empty `names` gives
// an empty list.
Result<std::vector<std::string>> hostsWithPackages(Session& session,
                                                   const std::vector<std::string>& names);

// Returns the ids of every active host, sorted.
Result<std::vector<std::string>> activeHostIds(Session& session);

}  // namespace pk::store
