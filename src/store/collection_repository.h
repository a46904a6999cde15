#pragma once

// Collections of hosts and ring sequences as stored objects.
//
// A collection is static or rule-based. A static collection's members are
// the hosts labelled with its id in host_collections (labels come from
// enrolment secrets and admins) plus the hosts added to it explicitly
// (collection_members). A rule collection has no stored members: the
// server matches its rule against the hosts (server/collections.h). Each
// collection carries the restart policy and the hook names that its
// deployment jobs use.
//
// A ring sequence is an ordered list of rings; each ring names one
// collection and the gate a deployment passes before it leaves that ring.
//
// The store does not validate values: server/collections.h checks them
// before the routes write. This file only reads and writes the rows.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

inline constexpr std::string_view kCollectionTypeStatic = "static";
inline constexpr std::string_view kCollectionTypeRule = "rule";

// Restart behaviour of a collection's endpoints, in seconds of elapsed time.
struct RestartPolicy {
  // From the end of the install to the forced restart.
  std::int64_t restart_deadline_seconds = 24 * 3600;
  // Length of the final countdown that cannot be dismissed.
  std::int64_t countdown_seconds = 90 * 60;
  // Interval between snoozable reminders before the countdown.
  std::int64_t reminder_seconds = 4 * 3600;

  friend bool operator==(const RestartPolicy&, const RestartPolicy&) = default;
};

// The conditions of a rule collection. An empty field matches every host;
// a host is a member when every non-empty field matches it.
struct CollectionRule {
  // Exact ecosystem ("Debian:12"), or a prefix when it ends with ':'
  // ("Debian:" matches "Debian:11" and "Debian:12").
  std::string os_ecosystem;
  std::string kind;      // "server" or "endpoint"
  std::string owner;     // exact username
  std::string hostname;  // glob pattern with '*' and '?', ASCII case ignored

  bool empty() const {
    return os_ecosystem.empty() && kind.empty() && owner.empty() && hostname.empty();
  }
  friend bool operator==(const CollectionRule&, const CollectionRule&) = default;
};

struct CollectionRecord {
  std::string id;  // slug [a-z0-9-]+, at most 64 characters
  std::string name;
  std::string description;
  std::string type = std::string(kCollectionTypeStatic);  // "static" or "rule"
  CollectionRule rule;                                    // used when type is "rule"
  // Hosts added through the API, sorted, each once; static collections only.
  std::vector<std::string> members;
  RestartPolicy restart_policy;
  std::string pre_hook;   // hook name, "" for none
  std::string post_hook;  // hook name, "" for none
  SystemTime created_at{};
  SystemTime updated_at{};

  bool isRule() const { return type == kCollectionTypeRule; }
  friend bool operator==(const CollectionRecord&, const CollectionRecord&) = default;
};

// The gate a deployment passes before it leaves a ring.
struct RingGate {
  std::int64_t min_soak_seconds = 0;  // time spent in the ring, at least
  double min_success_ratio = 0.0;     // succeeded jobs / all jobs of the ring, in [0, 1]
  std::int64_t max_failures = 0;      // failed jobs allowed, at most

  friend bool operator==(const RingGate&, const RingGate&) = default;
};

struct Ring {
  std::string collection_id;
  RingGate gate;

  friend bool operator==(const Ring&, const Ring&) = default;
};

struct RingSequence {
  std::string id;  // slug [a-z0-9-]+, at most 64 characters
  std::string name;
  std::string description;
  std::vector<Ring> rings;  // in deployment order, the first ring first
  SystemTime created_at{};
  SystemTime updated_at{};

  friend bool operator==(const RingSequence&, const RingSequence&) = default;
};

// A host as membership rules see it.
struct CollectionHostFacts {
  std::string id;
  std::string hostname;
  std::string kind;
  std::string owner;
  std::string os_ecosystem;

  friend bool operator==(const CollectionHostFacts&, const CollectionHostFacts&) = default;
};

// Returns the collection with id `id` and its explicit members, or nullopt.
Result<std::optional<CollectionRecord>> getCollection(Session& session, const std::string& id);

// Returns every collection with its explicit members, sorted by id. Runs
// two queries whatever the number of collections.
Result<std::vector<CollectionRecord>> listCollections(Session& session);

// Inserts `collection` with its explicit members. Fails with
// kInvalidArgument when the id is taken or a member is not a host.
Result<void> insertCollection(Session& session, const CollectionRecord& collection);

// Writes every field of `collection` except id and created_at over the
// stored collection with the same id, replacing its explicit members.
// Fails with kNotFound when no collection has that id, kInvalidArgument
// when a member is not a host.
Result<void> updateCollection(Session& session, const CollectionRecord& collection);

// Deletes collection `id` and its explicit members; host labels stay.
// Returns false when there was none. Fails with kInvalidArgument while a
// ring names it: callers check ringSequencesUsingCollection() first.
Result<bool> deleteCollection(Session& session, const std::string& id);

// Returns the ids of the ring sequences with a ring in collection `id`,
// sorted.
Result<std::vector<std::string>> ringSequencesUsingCollection(Session& session,
                                                              const std::string& id);

// Returns the active hosts of static collection `id` (labelled with it or
// added explicitly), sorted by id, in one query.
Result<std::vector<CollectionHostFacts>> staticCollectionHosts(Session& session,
                                                               const std::string& id);

// Returns the active hosts whose kind, owner and ecosystem satisfy the
// exact parts of `rule`, sorted by id, in one query. The caller still
// applies the whole rule (the ecosystem prefix and the hostname glob) in
// memory, so that one function decides membership on both backends.
Result<std::vector<CollectionHostFacts>> ruleCandidateHosts(Session& session,
                                                            const CollectionRule& rule);

// Returns host `host_id`'s facts, or nullopt for an unknown host.
Result<std::optional<CollectionHostFacts>> getCollectionHostFacts(Session& session,
                                                                  const std::string& host_id);

// Returns the static collection ids that host `host_id` belongs to,
// through a label or explicitly, sorted, each once. Includes labels that
// name no stored collection.
Result<std::vector<std::string>> staticCollectionIdsOfHost(Session& session,
                                                           const std::string& host_id);

// Returns the ring sequence with id `id` and its rings in order, or nullopt.
Result<std::optional<RingSequence>> loadRingSequence(Session& session, const std::string& id);

// Returns every ring sequence with its rings, sorted by id.
Result<std::vector<RingSequence>> listRingSequences(Session& session);

// Inserts `sequence` and its rings. Fails with kInvalidArgument when the
// id is taken or a ring names no stored collection.
Result<void> insertRingSequence(Session& session, const RingSequence& sequence);

// Writes name, description, rings and updated_at of `sequence` over the
// stored sequence with the same id. Fails with kNotFound when there is
// none, kInvalidArgument when a ring names no stored collection.
Result<void> updateRingSequence(Session& session, const RingSequence& sequence);

// Deletes ring sequence `id` and its rings. Returns false when there was
// none.
Result<bool> deleteRingSequence(Session& session, const std::string& id);

}  // namespace pk::store
