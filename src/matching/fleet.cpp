#include "matching/fleet.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <set>

namespace pk::matching {
namespace {

std::string_view sourceEpochOf(const AdvisoryIndex::HostContext& context,
                               const inventory::Package& package) {
  if (context.rpm_epoch_by_name.empty()) return {};
  const std::string& source = package.source_name.empty() ? package.name : package.source_name;
  auto epoch = context.rpm_epoch_by_name.find(source);
  return epoch == context.rpm_epoch_by_name.end() ? std::string_view() : epoch->second;
}

}  // namespace

FleetMatcher::FleetMatcher(const AdvisoryIndex& index)
    : index_(index), shards_(std::make_unique<Shard[]>(kShards)) {}

const PackageVerdicts* FleetMatcher::verdictsFor(const inventory::HostInventory& host,
                                                 const AdvisoryIndex::HostContext& context,
                                                 const inventory::Package& package) {
  std::string_view source_epoch = sourceEpochOf(context, package);
  auto matches = [&](const VersionKey& key) {
    return key.version == package.version && key.source_version == package.source_version &&
           key.source_name == package.source_name && key.ecosystem == host.os.ecosystem &&
           key.source_epoch == source_epoch;
  };

  Shard& shard = shards_[NameHash{}(package.name) % kShards];
  {
    std::shared_lock lock(shard.mutex);
    if (auto found = shard.by_name.find(std::string_view(package.name));
        found != shard.by_name.end()) {
      for (const auto& cached : found->second) {
        if (matches(cached.key)) return cached.verdicts.get();
      }
    }
  }

  // Evaluate outside the lock; if another thread stored the same version in
  // the meantime, keep its verdicts so that pointers handed out stay valid.
  auto verdicts = std::make_unique<PackageVerdicts>();
  index_.matchPackage(host.os.ecosystem, context, package, *verdicts);

  std::unique_lock lock(shard.mutex);
  auto& versions = shard.by_name[package.name];
  for (const auto& cached : versions) {
    if (matches(cached.key)) return cached.verdicts.get();
  }
  versions.push_back(
      CachedVersion{VersionKey{host.os.ecosystem, package.version, package.source_name,
                               package.source_version, std::string(source_epoch)},
                    std::move(verdicts)});
  return versions.back().verdicts.get();
}

std::vector<AffectedPackageRef> FleetMatcher::evaluate(const inventory::HostInventory& host) {
  std::vector<AffectedPackageRef> affected;
  if (host.os.ecosystem.empty()) return affected;
  AdvisoryIndex::HostContext context = AdvisoryIndex::contextFor(host);

  for (std::size_t i = 0; i < host.packages.size(); ++i) {
    const auto& package = host.packages[i];
    if (!package.state.empty() && !inventory::isInstalledState(package.state)) continue;
    const PackageVerdicts* verdicts = verdictsFor(host, context, package);
    if (!verdicts->empty()) affected.push_back({static_cast<std::uint32_t>(i), verdicts});
  }
  return affected;
}

std::vector<Finding> FleetMatcher::expand(const inventory::HostInventory& host,
                                          const std::vector<AffectedPackageRef>& affected) const {
  std::vector<Finding> findings;
  std::set<std::pair<std::uint32_t, std::string_view>> seen;
  for (const auto& item : affected) {
    for (const auto& hit : *item.verdicts) {
      const std::string& id = index_.advisory(hit.entry->advisory).id;
      if (!seen.emplace(item.package, id).second) continue;
      findings.push_back(index_.makeFinding(*hit.entry, host.packages[item.package],
                                            hit.compared_version, hit.fixed_version));
    }
  }
  std::sort(findings.begin(), findings.end(), moreUrgent);
  return findings;
}

void FleetMatcher::invalidatePackage(std::string_view package) {
  // An advisory may name a binary or a source package, so drop every cached
  // version whose binary name or source name is `package`.
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    std::unique_lock lock(shard.mutex);
    for (auto& [name, versions] : shard.by_name) {
      bool binary_match = name == package;
      auto removed = std::remove_if(versions.begin(), versions.end(), [&](CachedVersion& cached) {
        if (!binary_match && cached.key.source_name != package) return false;
        shard.retired.push_back(std::move(cached.verdicts));
        return true;
      });
      versions.erase(removed, versions.end());
    }
  }
}

std::size_t FleetMatcher::cachedVersions() const {
  std::size_t count = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::shared_lock lock(shards_[i].mutex);
    for (const auto& [name, versions] : shards_[i].by_name) count += versions.size();
  }
  return count;
}

}  // namespace pk::matching
