#pragma once

// Fleet-wide evaluation. Hosts of one ecosystem share most package
// versions, so each distinct (ecosystem, package, version) is evaluated
// once and its verdicts are reused by every host that has it. A host whose
// inventory changed is re-evaluated alone, and only its package versions
// never seen before cost an evaluation.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inventory/inventory.h"
#include "matching/index.h"

namespace pk::matching {

// One finding in compact form: which package of the host, which index entry,
// and the fixed version. AdvisoryIndex::makeFinding turns it into a Finding.
struct CompactFinding {
  std::uint32_t package = 0;  // index into HostInventory::packages
  const AdvisoryIndex::Entry* entry = nullptr;
  const std::string* fixed_version = nullptr;     // owned by the matcher's cache
  const std::string* compared_version = nullptr;  // owned by the matcher's cache
};

class FleetMatcher {
 public:
  // `index` must outlive the matcher and must not change while it is used.
  explicit FleetMatcher(const AdvisoryIndex& index);

  // Returns the findings of `host` in compact form. Safe to call from several
  // threads at once; cached verdicts are shared between the calls.
  std::vector<CompactFinding> evaluate(const inventory::HostInventory& host);

  // Expands compact findings of `host` into full findings, most urgent first.
  std::vector<Finding> expand(const inventory::HostInventory& host,
                              const std::vector<CompactFinding>& compact) const;

  // Drops the cached verdicts of every package version whose binary or
  // source name is `package`, for use after an advisory naming it changed.
  void invalidatePackage(const std::string& package);

  // Number of distinct package versions evaluated so far.
  std::size_t cachedVersions() const;

 private:
  using Verdicts = std::vector<AdvisoryIndex::Hit>;

  const Verdicts& verdictsFor(const inventory::HostInventory& host,
                              const AdvisoryIndex::HostContext& context,
                              const inventory::Package& package);

  const AdvisoryIndex& index_;

  // Sharded so that threads evaluating different packages rarely contend.
  static constexpr std::size_t kShards = 64;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::unique_ptr<const Verdicts>> verdicts;
    // Verdicts dropped by invalidatePackage stay alive here, because compact
    // findings handed out earlier may still point into them.
    std::vector<std::unique_ptr<const Verdicts>> retired;
  };
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace pk::matching
