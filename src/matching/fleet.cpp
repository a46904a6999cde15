#include "matching/fleet.h"

#include <algorithm>
#include <functional>
#include <set>

namespace pk::matching {

FleetMatcher::FleetMatcher(const AdvisoryIndex& index)
    : index_(index), shards_(std::make_unique<Shard[]>(kShards)) {}

namespace {

// The cache key: everything matchPackage() reads from a package and its host.
// Fields are separated by a byte that cannot occur in names or versions.
std::string cacheKey(const inventory::HostInventory& host,
                     const AdvisoryIndex::HostContext& context, const inventory::Package& package) {
  std::string key;
  key.reserve(host.os.ecosystem.size() + package.name.size() + package.version.size() +
              package.source_name.size() + package.source_version.size() + 8);
  key.append(package.name).push_back('\x1f');
  key.append(host.os.ecosystem).push_back('\x1f');
  key.append(package.version).push_back('\x1f');
  key.append(package.source_name).push_back('\x1f');
  key.append(package.source_version).push_back('\x1f');
  if (!context.rpm_epoch_by_name.empty()) {
    const std::string& source = package.source_name.empty() ? package.name : package.source_name;
    auto epoch = context.rpm_epoch_by_name.find(source);
    if (epoch != context.rpm_epoch_by_name.end()) key.append(epoch->second);
  }
  return key;
}

}  // namespace

const FleetMatcher::Verdicts& FleetMatcher::verdictsFor(const inventory::HostInventory& host,
                                                        const AdvisoryIndex::HostContext& context,
                                                        const inventory::Package& package) {
  std::string key = cacheKey(host, context, package);
  Shard& shard = shards_[std::hash<std::string_view>{}(package.name) % kShards];
  {
    std::lock_guard lock(shard.mutex);
    if (auto found = shard.verdicts.find(key); found != shard.verdicts.end()) {
      return *found->second;
    }
  }

  // Evaluate outside the lock; if another thread got there first, keep its
  // result so that pointers already handed out stay valid.
  auto verdicts = std::make_unique<Verdicts>();
  index_.matchPackage(host.os.ecosystem, context, package, *verdicts);
  std::lock_guard lock(shard.mutex);
  auto [slot, inserted] = shard.verdicts.try_emplace(std::move(key), std::move(verdicts));
  return *slot->second;
}

std::vector<CompactFinding> FleetMatcher::evaluate(const inventory::HostInventory& host) {
  std::vector<CompactFinding> findings;
  if (host.os.ecosystem.empty()) return findings;
  AdvisoryIndex::HostContext context = AdvisoryIndex::contextFor(host);

  for (std::size_t i = 0; i < host.packages.size(); ++i) {
    const auto& package = host.packages[i];
    if (!package.state.empty() && !inventory::isInstalledState(package.state)) continue;
    const Verdicts& verdicts = verdictsFor(host, context, package);
    std::uint32_t last_advisory = UINT32_MAX;
    for (const auto& hit : verdicts) {
      // Entries of one advisory are adjacent in the index, so one look back
      // removes most duplicates; expand() removes the rest.
      if (hit.entry->advisory == last_advisory) continue;
      last_advisory = hit.entry->advisory;
      findings.push_back(CompactFinding{static_cast<std::uint32_t>(i), hit.entry,
                                        &hit.fixed_version, &hit.compared_version});
    }
  }
  return findings;
}

std::vector<Finding> FleetMatcher::expand(const inventory::HostInventory& host,
                                          const std::vector<CompactFinding>& compact) const {
  std::vector<Finding> findings;
  std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
  for (const auto& item : compact) {
    if (!seen.emplace(item.package, item.entry->advisory).second) continue;
    findings.push_back(index_.makeFinding(*item.entry, host.packages[item.package],
                                          *item.compared_version, *item.fixed_version));
  }
  std::sort(findings.begin(), findings.end(), moreUrgent);
  return findings;
}

void FleetMatcher::invalidatePackage(const std::string& package) {
  // An advisory may name a binary or a source package, so drop every cached
  // package version whose binary name (field 0) or source name (field 3) is
  // `package`.
  auto field = [](std::string_view key, std::size_t index) {
    for (std::size_t i = 0; i < index; ++i) key.remove_prefix(key.find('\x1f') + 1);
    return key.substr(0, key.find('\x1f'));
  };
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mutex);
    for (auto it = shard.verdicts.begin(); it != shard.verdicts.end();) {
      if (field(it->first, 0) == package || field(it->first, 3) == package) {
        shard.retired.push_back(std::move(it->second));
        it = shard.verdicts.erase(it);
      } else {
        ++it;
      }
    }
  }
}

std::size_t FleetMatcher::cachedVersions() const {
  std::size_t count = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    count += shards_[i].verdicts.size();
  }
  return count;
}

}  // namespace pk::matching
