#include "server/compliance_summary.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "server/collection_membership.h"
#include "server/compliance.h"
#include "server/window_assignment.h"
#include "store/collection_repository.h"
#include "store/compliance_history_repository.h"
#include "store/finding_repository.h"
#include "store/host_repository.h"
#include "store/patch_repository.h"
#include "store/window_repository.h"

namespace pk::server {
namespace {

struct HostVerdict {
  store::HostRecord host;
  ComplianceStatus status = ComplianceStatus::kUnknown;
};

// The verdict of every active host (of `owner` when set), with servers'
// windows taken at `now`.
struct Fleet {
  std::vector<HostVerdict> hosts;
  std::map<std::string, std::string> window_of;  // host id -> window id
};

Result<Fleet> loadFleet(store::Session& session, SystemTime now,
                        const std::optional<std::string>& owner, std::chrono::days stale_after) {
  store::HostFilter filter;
  filter.status = std::string(store::kHostStatusActive);
  filter.owner = owner;
  auto hosts = store::listHosts(session, filter);
  if (!hosts) return tl::unexpected(hosts.error());

  std::vector<std::string> ids;
  ids.reserve(hosts->size());
  for (const auto& host : *hosts) ids.push_back(host.id);
  auto open = store::countOpenFindingsWithoutException(session, ids, now);
  if (!open) return tl::unexpected(open.error());
  auto window_of = currentWindowsAt(session, now);
  if (!window_of) return tl::unexpected(window_of.error());

  Fleet fleet;
  fleet.window_of = std::move(*window_of);
  fleet.hosts.reserve(hosts->size());
  for (auto& host : *hosts) {
    const auto count = open->find(host.id);
    ComplianceFacts facts = complianceFactsOf(host, count == open->end() ? 0 : count->second);
    facts.server_without_window =
        host.kind == store::kHostKindServer && fleet.window_of.count(host.id) == 0;
    const Compliance compliance = computeCompliance(facts, now, stale_after);
    fleet.hosts.push_back(HostVerdict{std::move(host), compliance.status});
  }
  return fleet;
}

void countIn(ComplianceGroup& group, ComplianceStatus status) {
  switch (status) {
    case ComplianceStatus::kCompliant:
      ++group.compliant;
      return;
    case ComplianceStatus::kNotCompliant:
      ++group.not_compliant;
      return;
    case ComplianceStatus::kUnknown:
      ++group.unknown;
      return;
  }
}

// Returns the groups of `by_id` in id order, with the group "" last.
std::vector<ComplianceGroup> orderedGroups(std::map<std::string, ComplianceGroup> by_id) {
  std::vector<ComplianceGroup> groups;
  std::optional<ComplianceGroup> none;
  for (auto& [id, group] : by_id) {
    if (id.empty()) {
      none = std::move(group);
      continue;
    }
    groups.push_back(std::move(group));
  }
  if (none) groups.push_back(std::move(*none));
  return groups;
}

ComplianceGroup emptyGroup(std::string id, std::string name) {
  ComplianceGroup group;
  group.id = std::move(id);
  group.name = std::move(name);
  return group;
}

Result<std::vector<ComplianceGroup>> byWindow(store::Session& session, const Fleet& fleet) {
  auto windows = store::listWindows(session);
  if (!windows) return tl::unexpected(windows.error());
  std::map<std::string, ComplianceGroup> groups;
  for (const auto& window : *windows) groups.emplace(window.id, emptyGroup(window.id, window.name));
  for (const auto& verdict : fleet.hosts) {
    if (verdict.host.kind != store::kHostKindServer) continue;
    const auto found = fleet.window_of.find(verdict.host.id);
    const std::string id = found == fleet.window_of.end() ? "" : found->second;
    auto [group, inserted] = groups.try_emplace(id, emptyGroup(id, "(no window)"));
    countIn(group->second, verdict.status);
  }
  return orderedGroups(std::move(groups));
}

Result<std::vector<ComplianceGroup>> byOwner(const Fleet& fleet) {
  std::map<std::string, ComplianceGroup> groups;
  for (const auto& verdict : fleet.hosts) {
    const std::string& owner = verdict.host.owner;
    auto [group, inserted] =
        groups.try_emplace(owner, emptyGroup(owner, owner.empty() ? "(no owner)" : owner));
    countIn(group->second, verdict.status);
  }
  return orderedGroups(std::move(groups));
}

// Returns the ids of the members of `collection` among the active hosts.
Result<std::set<std::string>> memberIds(store::Session& session,
                                        const store::CollectionRecord& collection) {
  auto members = collectionMembers(session, collection);
  if (!members) return tl::unexpected(members.error());
  std::set<std::string> ids;
  for (const auto& member : *members) ids.insert(member.id);
  return ids;
}

Result<std::vector<ComplianceGroup>> byCollection(store::Session& session, const Fleet& fleet) {
  auto collections = store::listCollections(session);
  if (!collections) return tl::unexpected(collections.error());
  std::map<std::string, ComplianceGroup> groups;
  std::set<std::string> in_some_collection;
  for (const auto& collection : *collections) {
    auto members = memberIds(session, collection);
    if (!members) return tl::unexpected(members.error());
    ComplianceGroup group = emptyGroup(collection.id, collection.name);
    for (const auto& verdict : fleet.hosts) {
      if (members->count(verdict.host.id) == 0) continue;
      countIn(group, verdict.status);
      in_some_collection.insert(verdict.host.id);
    }
    groups.emplace(collection.id, std::move(group));
  }
  ComplianceGroup none = emptyGroup("", "(no collection)");
  for (const auto& verdict : fleet.hosts) {
    if (in_some_collection.count(verdict.host.id) == 0) countIn(none, verdict.status);
  }
  if (none.total() > 0) groups.emplace("", std::move(none));
  return orderedGroups(std::move(groups));
}

Result<std::vector<ComplianceGroup>> byRing(store::Session& session, const Fleet& fleet,
                                            const std::string& sequence_id) {
  auto sequence = store::loadRingSequence(session, sequence_id);
  if (!sequence) return tl::unexpected(sequence.error());
  if (!sequence->has_value()) {
    return fail(ErrorCode::kNotFound,
                fmt::format("No ring sequence has the id \"{}\"; list them with GET "
                            "/api/v1/ring-sequences.",
                            sequence_id));
  }
  std::vector<ComplianceGroup> groups;
  std::int64_t position = 0;
  for (const auto& ring : (*sequence)->rings) {
    auto collection = store::getCollection(session, ring.collection_id);
    if (!collection) return tl::unexpected(collection.error());
    ComplianceGroup group = emptyGroup(ring.collection_id, ring.collection_id);
    group.position = position++;
    if (collection->has_value()) {
      group.name = (*collection)->name;
      auto members = memberIds(session, **collection);
      if (!members) return tl::unexpected(members.error());
      for (const auto& verdict : fleet.hosts) {
        if (members->count(verdict.host.id) != 0) countIn(group, verdict.status);
      }
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

Result<std::vector<ComplianceGroup>> groupFleet(store::Session& session, const Fleet& fleet,
                                                ComplianceGrouping grouping,
                                                const std::string& ring_sequence_id) {
  switch (grouping) {
    case ComplianceGrouping::kFleet: {
      ComplianceGroup all = emptyGroup("", "All hosts");
      for (const auto& verdict : fleet.hosts) countIn(all, verdict.status);
      return std::vector<ComplianceGroup>{std::move(all)};
    }
    case ComplianceGrouping::kCollection:
      return byCollection(session, fleet);
    case ComplianceGrouping::kWindow:
      return byWindow(session, fleet);
    case ComplianceGrouping::kRing:
      return byRing(session, fleet, ring_sequence_id);
    case ComplianceGrouping::kOwner:
      return byOwner(fleet);
  }
  return std::vector<ComplianceGroup>{};
}

}  // namespace

std::string_view complianceGroupingName(ComplianceGrouping grouping) {
  switch (grouping) {
    case ComplianceGrouping::kFleet:
      return "fleet";
    case ComplianceGrouping::kCollection:
      return "collection";
    case ComplianceGrouping::kWindow:
      return "window";
    case ComplianceGrouping::kRing:
      return "ring";
    case ComplianceGrouping::kOwner:
      return "owner";
  }
  return "fleet";
}

std::optional<ComplianceGrouping> parseComplianceGrouping(std::string_view name) {
  for (auto grouping :
       {ComplianceGrouping::kFleet, ComplianceGrouping::kCollection, ComplianceGrouping::kWindow,
        ComplianceGrouping::kRing, ComplianceGrouping::kOwner}) {
    if (complianceGroupingName(grouping) == name) return grouping;
  }
  return std::nullopt;
}

std::optional<double> ComplianceGroup::percentCompliant() const {
  if (total() == 0) return std::nullopt;
  return 100.0 * static_cast<double>(compliant) / static_cast<double>(total());
}

Result<std::vector<ComplianceGroup>> summarizeCompliance(store::Session& session, SystemTime now,
                                                         const ComplianceSummaryQuery& query) {
  auto fleet = loadFleet(session, now, query.owner, query.stale_after);
  if (!fleet) return tl::unexpected(fleet.error());
  return groupFleet(session, *fleet, query.grouping, query.ring_sequence_id);
}

std::string utcDay(SystemTime time) {
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(time)};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

Result<bool> recordComplianceSnapshot(store::Session& session, SystemTime now,
                                      std::chrono::days stale_after) {
  const std::string day = utcDay(now);
  auto present = store::hasComplianceSnapshot(session, day);
  if (!present) return tl::unexpected(present.error());
  if (*present) return false;

  auto fleet = loadFleet(session, now, std::nullopt, stale_after);
  if (!fleet) return tl::unexpected(fleet.error());
  std::vector<store::ComplianceSnapshotRow> rows;
  // A ring sequence may list a collection twice, but a day keeps one row
  // per group id.
  std::set<std::pair<std::string_view, std::string>> written;
  for (auto grouping :
       {ComplianceGrouping::kFleet, ComplianceGrouping::kCollection, ComplianceGrouping::kWindow,
        ComplianceGrouping::kRing, ComplianceGrouping::kOwner}) {
    auto groups = groupFleet(session, *fleet, grouping, std::string(kDefaultRingSequenceId));
    // A deleted default ring sequence leaves the ring history empty, and
    // the other groupings are still worth keeping.
    if (!groups && groups.error().code == ErrorCode::kNotFound) continue;
    if (!groups) return tl::unexpected(groups.error());
    for (const auto& group : *groups) {
      if (!written.emplace(complianceGroupingName(grouping), group.id).second) continue;
      rows.push_back(store::ComplianceSnapshotRow{
          .day = day,
          .group_kind = std::string(complianceGroupingName(grouping)),
          .group_id = group.id,
          .group_name = group.name,
          .compliant = group.compliant,
          .not_compliant = group.not_compliant,
          .unknown = group.unknown,
          .recorded_at = now,
      });
    }
  }
  auto inserted = store::insertComplianceSnapshotRows(session, rows);
  if (!inserted) return tl::unexpected(inserted.error());
  return true;
}

}  // namespace pk::server
