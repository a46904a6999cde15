#pragma once

// Which hosts are in which collection, read from the store. A static
// collection's members are the active hosts labelled with its id or added
// to it explicitly. A rule collection's members are the active hosts that
// match its rule (server/collections.h). Each function runs a fixed number
// of queries, whatever the number of hosts.

#include <string>
#include <vector>

#include "common/error.h"
#include "store/collection_repository.h"
#include "store/database.h"

namespace pk::server {

// Returns the facts of the active hosts in `collection`, sorted by id.
Result<std::vector<store::CollectionHostFacts>> collectionMembers(
    store::Session& session, const store::CollectionRecord& collection);

// Returns the ids of the active hosts in collection `id`, sorted. Fails
// with kNotFound when no collection has that id.
Result<std::vector<std::string>> hostsInCollection(store::Session& session, const std::string& id);

// Returns the ids of the stored collections that host `host_id` is in,
// sorted. A revoked host is in no collection, and a label that names no
// stored collection is left out. Fails with kNotFound for an unknown host.
Result<std::vector<std::string>> collectionsOfHost(store::Session& session,
                                                   const std::string& host_id);

}  // namespace pk::server
