#include "server/collection_membership.h"

#include <set>

#include <fmt/format.h>

#include "server/collections.h"
#include "store/host_repository.h"

namespace pk::server {

Result<std::vector<store::CollectionHostFacts>> collectionMembers(
    store::Session& session, const store::CollectionRecord& collection) {
  if (!collection.isRule()) return store::staticCollectionHosts(session, collection.id);

  auto candidates = store::ruleCandidateHosts(session, collection.rule);
  if (!candidates) return tl::unexpected(candidates.error());
  std::vector<store::CollectionHostFacts> members;
  for (auto& host : *candidates) {
    if (matchesRule(collection.rule, host)) members.push_back(std::move(host));
  }
  return members;
}

Result<std::vector<std::string>> hostsInCollection(store::Session& session, const std::string& id) {
  auto collection = store::getCollection(session, id);
  if (!collection) return tl::unexpected(collection.error());
  if (!*collection) {
    return fail(ErrorCode::kNotFound, fmt::format("no collection has id {}", id));
  }
  auto members = collectionMembers(session, **collection);
  if (!members) return tl::unexpected(members.error());
  std::vector<std::string> ids;
  ids.reserve(members->size());
  for (const auto& host : *members) ids.push_back(host.id);
  return ids;
}

Result<std::vector<std::string>> collectionsOfHost(store::Session& session,
                                                   const std::string& host_id) {
  auto host = store::getHost(session, host_id);
  if (!host) return tl::unexpected(host.error());
  if (!*host) return fail(ErrorCode::kNotFound, fmt::format("no host has id {}", host_id));
  if ((*host)->status != store::kHostStatusActive) return std::vector<std::string>{};

  const store::CollectionHostFacts facts{.id = (*host)->id,
                                         .hostname = (*host)->hostname,
                                         .kind = (*host)->kind,
                                         .owner = (*host)->owner,
                                         .os_ecosystem = (*host)->os_ecosystem};
  auto labels = store::staticCollectionIdsOfHost(session, host_id);
  if (!labels) return tl::unexpected(labels.error());
  // A set, because the database's collation may order text differently.
  const std::set<std::string> static_ids(labels->begin(), labels->end());
  auto collections = store::listCollections(session);
  if (!collections) return tl::unexpected(collections.error());

  std::vector<std::string> ids;
  for (const auto& collection : *collections) {
    const bool member = collection.isRule() ? matchesRule(collection.rule, facts)
                                            : static_ids.count(collection.id) > 0;
    if (member) ids.push_back(collection.id);
  }
  return ids;
}

}  // namespace pk::server
