#pragma once

// Fleet-wide evaluation. Hosts of one ecosystem share most package
// versions, so each distinct (ecosystem, package, version) is evaluated
// once and its verdicts are reused by every host that has it. A host whose
// inventory changed is re-evaluated alone, and only its package versions
// never seen before cost an evaluation.

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inventory/inventory.h"
#include "matching/index.h"

namespace pk::matching {

// The verdicts for one package of a host: every index entry that finds it
// affected. Owned by the FleetMatcher, valid for its lifetime.
using PackageVerdicts = std::vector<AdvisoryIndex::Hit>;

// One affected package of a host in compact form.
struct AffectedPackageRef {
  std::uint32_t package = 0;  // index into HostInventory::packages
  const PackageVerdicts* verdicts = nullptr;
};

class FleetMatcher {
 public:
  // `index` must outlive the matcher. Advisories may be added to it between
  // evaluations (not during one), followed by invalidatePackage().
  explicit FleetMatcher(const AdvisoryIndex& index);

  // Returns the affected packages of `host`. Safe to call from several
  // threads at once; cached verdicts are shared between the calls.
  std::vector<AffectedPackageRef> evaluate(const inventory::HostInventory& host);

  // Expands the result of evaluate() into findings, one per package and
  // advisory, most urgent first.
  std::vector<Finding> expand(const inventory::HostInventory& host,
                              const std::vector<AffectedPackageRef>& affected) const;

  // Drops the cached verdicts of every package version whose binary or
  // source name is `package`, for use after an advisory naming it changed.
  void invalidatePackage(std::string_view package);

  // Number of distinct package versions evaluated and cached.
  std::size_t cachedVersions() const;

 private:
  // What, besides the binary name, decides a package's verdicts.
  struct VersionKey {
    std::string ecosystem;
    std::string version;
    std::string source_name;
    std::string source_version;
    std::string source_epoch;  // rpm only: epoch of the binary named like the source
  };
  struct CachedVersion {
    VersionKey key;
    std::unique_ptr<const PackageVerdicts> verdicts;
  };
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };

  static constexpr std::size_t kShards = 64;
  struct Shard {
    mutable std::shared_mutex mutex;
    // Binary name -> the versions seen; a name has few distinct versions
    // across a fleet, so a short vector is searched linearly.
    // NOTE: nothing bounds it. Agents that report versions no other host
    // has (a hostile agent, or a load test giving each host its own
    // versions) grow it, and its linear search, without limit.
    std::unordered_map<std::string, std::vector<CachedVersion>, NameHash, std::equal_to<>> by_name;
    // Verdicts dropped by invalidatePackage stay alive here, because results
    // handed out earlier may still point into them.
    std::vector<std::unique_ptr<const PackageVerdicts>> retired;
  };

  const PackageVerdicts* verdictsFor(const inventory::HostInventory& host,
                                     const AdvisoryIndex::HostContext& context,
                                     const inventory::Package& package);

  const AdvisoryIndex& index_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace pk::matching
