#include "store/collection_repository.h"

#include <map>
#include <utility>

#include <fmt/format.h>

namespace pk::store {
namespace {

constexpr std::string_view kSelectCollection =
    "SELECT id, name, description, type, rule_os_ecosystem, rule_kind, rule_owner, "
    "rule_hostname, restart_deadline_seconds, countdown_seconds, reminder_seconds, pre_hook, "
    "post_hook, created_at, updated_at FROM collections";

CollectionRecord rowToCollection(const Row& row) {
  CollectionRecord collection;
  collection.id = row.text(0);
  collection.name = row.text(1);
  collection.description = row.text(2);
  collection.type = row.text(3);
  collection.rule.os_ecosystem = row.text(4);
  collection.rule.kind = row.text(5);
  collection.rule.owner = row.text(6);
  collection.rule.hostname = row.text(7);
  collection.restart_policy.restart_deadline_seconds = row.integer(8);
  collection.restart_policy.countdown_seconds = row.integer(9);
  collection.restart_policy.reminder_seconds = row.integer(10);
  collection.pre_hook = row.text(11);
  collection.post_hook = row.text(12);
  collection.created_at = timeFromColumn(row.integer(13));
  collection.updated_at = timeFromColumn(row.integer(14));
  return collection;
}

Result<void> writeMembers(Session& session, const CollectionRecord& collection) {
  if (auto deleted = session.execute("DELETE FROM collection_members WHERE collection_id = ?",
                                     {collection.id});
      !deleted) {
    return deleted;
  }
  for (const auto& host_id : collection.members) {
    auto inserted = session.execute(
        "INSERT INTO collection_members (collection_id, host_id) VALUES (?, ?) "
        "ON CONFLICT (collection_id, host_id) DO NOTHING",
        {collection.id, host_id});
    if (!inserted) return inserted;
  }
  return {};
}

// The active hosts' columns that membership rules read, aliased "h".
constexpr std::string_view kSelectHostFacts =
    "SELECT h.id, h.hostname, h.kind, h.owner, h.os_ecosystem FROM hosts h";

CollectionHostFacts rowToFacts(const Row& row) {
  return CollectionHostFacts{.id = row.text(0),
                             .hostname = row.text(1),
                             .kind = row.text(2),
                             .owner = row.text(3),
                             .os_ecosystem = row.text(4)};
}

Result<std::vector<CollectionHostFacts>> queryFacts(Session& session, const std::string& sql,
                                                    const std::vector<Value>& params) {
  auto rows = session.query(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<CollectionHostFacts> hosts;
  hosts.reserve(rows->size());
  for (const auto& row : *rows) hosts.push_back(rowToFacts(row));
  return hosts;
}

Result<void> writeRings(Session& session, const RingSequence& sequence) {
  if (auto deleted = session.execute("DELETE FROM rings WHERE sequence_id = ?", {sequence.id});
      !deleted) {
    return deleted;
  }
  std::int64_t position = 0;
  for (const auto& ring : sequence.rings) {
    auto inserted = session.execute(
        "INSERT INTO rings (sequence_id, position, collection_id, min_soak_seconds, "
        "min_success_ratio, max_failures) VALUES (?, ?, ?, ?, ?, ?)",
        {sequence.id, position, ring.collection_id, ring.gate.min_soak_seconds,
         ring.gate.min_success_ratio, ring.gate.max_failures});
    if (!inserted) return inserted;
    ++position;
  }
  return {};
}

// Reads the sequences selected by `where` and their rings, in two queries.
Result<std::vector<RingSequence>> querySequences(Session& session, std::string_view where,
                                                 const std::vector<Value>& params) {
  auto rows = session.query(
      fmt::format("SELECT id, name, description, created_at, updated_at FROM ring_sequences "
                  "{} ORDER BY id",
                  where),
      params);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<RingSequence> sequences;
  std::map<std::string, std::size_t> position_of;
  for (const auto& row : *rows) {
    RingSequence sequence;
    sequence.id = row.text(0);
    sequence.name = row.text(1);
    sequence.description = row.text(2);
    sequence.created_at = timeFromColumn(row.integer(3));
    sequence.updated_at = timeFromColumn(row.integer(4));
    position_of.emplace(sequence.id, sequences.size());
    sequences.push_back(std::move(sequence));
  }
  if (sequences.empty()) return sequences;

  auto rings = session.query(
      fmt::format("SELECT sequence_id, collection_id, min_soak_seconds, min_success_ratio, "
                  "max_failures FROM rings WHERE sequence_id IN (SELECT id FROM ring_sequences "
                  "{}) ORDER BY sequence_id, position",
                  where),
      params);
  if (!rings) return tl::unexpected(rings.error());
  for (const auto& row : *rings) {
    const auto found = position_of.find(row.text(0));
    if (found == position_of.end()) continue;
    sequences[found->second].rings.push_back(
        Ring{.collection_id = row.text(1),
             .gate = RingGate{.min_soak_seconds = row.integer(2),
                              .min_success_ratio = row.real(3),
                              .max_failures = row.integer(4)}});
  }
  return sequences;
}

}  // namespace

Result<std::optional<CollectionRecord>> getCollection(Session& session, const std::string& id) {
  auto row = session.queryOne(fmt::format("{} WHERE id = ?", kSelectCollection), {id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<CollectionRecord>();

  CollectionRecord collection = rowToCollection(**row);
  auto members = session.query(
      "SELECT host_id FROM collection_members WHERE collection_id = ? ORDER BY host_id", {id});
  if (!members) return tl::unexpected(members.error());
  for (const auto& member : *members) collection.members.push_back(member.text(0));
  return std::optional<CollectionRecord>(std::move(collection));
}

Result<std::vector<CollectionRecord>> listCollections(Session& session) {
  auto rows = session.query(fmt::format("{} ORDER BY id", kSelectCollection));
  if (!rows) return tl::unexpected(rows.error());
  std::vector<CollectionRecord> collections;
  std::map<std::string, std::size_t> position_of;
  for (const auto& row : *rows) {
    collections.push_back(rowToCollection(row));
    position_of.emplace(collections.back().id, collections.size() - 1);
  }
  if (collections.empty()) return collections;

  auto members = session.query(
      "SELECT collection_id, host_id FROM collection_members ORDER BY collection_id, host_id");
  if (!members) return tl::unexpected(members.error());
  for (const auto& row : *members) {
    const auto found = position_of.find(row.text(0));
    if (found != position_of.end()) collections[found->second].members.push_back(row.text(1));
  }
  return collections;
}

Result<void> insertCollection(Session& session, const CollectionRecord& collection) {
  const auto& rule = collection.rule;
  const auto& policy = collection.restart_policy;
  auto inserted = session.execute(
      "INSERT INTO collections (id, name, description, type, rule_os_ecosystem, rule_kind, "
      "rule_owner, rule_hostname, restart_deadline_seconds, countdown_seconds, "
      "reminder_seconds, pre_hook, post_hook, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {collection.id, collection.name, collection.description, collection.type, rule.os_ecosystem,
       rule.kind, rule.owner, rule.hostname, policy.restart_deadline_seconds,
       policy.countdown_seconds, policy.reminder_seconds, collection.pre_hook, collection.post_hook,
       timeToColumn(collection.created_at), timeToColumn(collection.updated_at)});
  if (!inserted) return inserted;
  return writeMembers(session, collection);
}

Result<void> updateCollection(Session& session, const CollectionRecord& collection) {
  const auto& rule = collection.rule;
  const auto& policy = collection.restart_policy;
  auto updated = session.execute(
      "UPDATE collections SET name = ?, description = ?, type = ?, rule_os_ecosystem = ?, "
      "rule_kind = ?, rule_owner = ?, rule_hostname = ?, restart_deadline_seconds = ?, "
      "countdown_seconds = ?, reminder_seconds = ?, pre_hook = ?, post_hook = ?, "
      "updated_at = ? WHERE id = ?",
      {collection.name, collection.description, collection.type, rule.os_ecosystem, rule.kind,
       rule.owner, rule.hostname, policy.restart_deadline_seconds, policy.countdown_seconds,
       policy.reminder_seconds, collection.pre_hook, collection.post_hook,
       timeToColumn(collection.updated_at), collection.id});
  if (!updated) return updated;
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("no collection has id {}", collection.id));
  }
  return writeMembers(session, collection);
}

Result<bool> deleteCollection(Session& session, const std::string& id) {
  // collection_members rows go with it (ON DELETE CASCADE).
  auto deleted = session.execute("DELETE FROM collections WHERE id = ?", {id});
  if (!deleted) return tl::unexpected(deleted.error());
  return session.changedRows() > 0;
}

Result<std::vector<std::string>> ringSequencesUsingCollection(Session& session,
                                                              const std::string& id) {
  auto rows = session.query(
      "SELECT DISTINCT sequence_id FROM rings WHERE collection_id = ? ORDER BY sequence_id", {id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::string> ids;
  ids.reserve(rows->size());
  for (const auto& row : *rows) ids.push_back(row.text(0));
  return ids;
}

Result<std::vector<CollectionHostFacts>> staticCollectionHosts(Session& session,
                                                               const std::string& id) {
  return queryFacts(
      session,
      fmt::format("{} WHERE h.status = 'active' AND (EXISTS (SELECT 1 FROM host_collections c "
                  "WHERE c.host_id = h.id AND c.collection = ?) OR EXISTS (SELECT 1 FROM "
                  "collection_members m WHERE m.host_id = h.id AND m.collection_id = ?)) "
                  "ORDER BY h.id",
                  kSelectHostFacts),
      {id, id});
}

Result<std::vector<CollectionHostFacts>> ruleCandidateHosts(Session& session,
                                                            const CollectionRule& rule) {
  std::string sql = fmt::format("{} WHERE h.status = 'active'", kSelectHostFacts);
  std::vector<Value> params;
  if (!rule.kind.empty()) {
    sql += " AND h.kind = ?";
    params.emplace_back(rule.kind);
  }
  if (!rule.owner.empty()) {
    sql += " AND h.owner = ?";
    params.emplace_back(rule.owner);
  }
  // An exact ecosystem narrows the query; a prefix is matched in memory.
  if (!rule.os_ecosystem.empty() && rule.os_ecosystem.back() != ':') {
    sql += " AND h.os_ecosystem = ?";
    params.emplace_back(rule.os_ecosystem);
  }
  sql += " ORDER BY h.id";
  return queryFacts(session, sql, params);
}

Result<std::optional<CollectionHostFacts>> getCollectionHostFacts(Session& session,
                                                                  const std::string& host_id) {
  auto row = session.queryOne(fmt::format("{} WHERE h.id = ?", kSelectHostFacts), {host_id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<CollectionHostFacts>();
  return std::optional<CollectionHostFacts>(rowToFacts(**row));
}

Result<std::vector<std::string>> staticCollectionIdsOfHost(Session& session,
                                                           const std::string& host_id) {
  auto rows = session.query(
      "SELECT collection FROM host_collections WHERE host_id = ? UNION SELECT collection_id "
      "FROM collection_members WHERE host_id = ? ORDER BY 1",
      {host_id, host_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::string> ids;
  ids.reserve(rows->size());
  for (const auto& row : *rows) ids.push_back(row.text(0));
  return ids;
}

Result<std::optional<RingSequence>> loadRingSequence(Session& session, const std::string& id) {
  auto sequences = querySequences(session, "WHERE id = ?", {id});
  if (!sequences) return tl::unexpected(sequences.error());
  if (sequences->empty()) return std::optional<RingSequence>();
  return std::optional<RingSequence>(std::move(sequences->front()));
}

Result<std::vector<RingSequence>> listRingSequences(Session& session) {
  return querySequences(session, "", {});
}

Result<void> insertRingSequence(Session& session, const RingSequence& sequence) {
  auto inserted = session.execute(
      "INSERT INTO ring_sequences (id, name, description, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {sequence.id, sequence.name, sequence.description, timeToColumn(sequence.created_at),
       timeToColumn(sequence.updated_at)});
  if (!inserted) return inserted;
  return writeRings(session, sequence);
}

Result<void> updateRingSequence(Session& session, const RingSequence& sequence) {
  auto updated = session.execute(
      "UPDATE ring_sequences SET name = ?, description = ?, updated_at = ? WHERE id = ?",
      {sequence.name, sequence.description, timeToColumn(sequence.updated_at), sequence.id});
  if (!updated) return updated;
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("no ring sequence has id {}", sequence.id));
  }
  return writeRings(session, sequence);
}

Result<bool> deleteRingSequence(Session& session, const std::string& id) {
  // Its rings go with it (ON DELETE CASCADE).
  auto deleted = session.execute("DELETE FROM ring_sequences WHERE id = ?", {id});
  if (!deleted) return tl::unexpected(deleted.error());
  return session.changedRows() > 0;
}

}  // namespace pk::store
