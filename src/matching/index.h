#pragma once

// An index of advisories by ecosystem and package name, and the matcher
// that turns one host's inventory into findings.
//
// Which package name is compared follows what each feed names:
//   - source packages (Debian, Ubuntu, the Debian tracker, DSA/DLA): the
//     host's binaries built from that source, compared at the source version;
//   - binary packages (AlmaLinux OSV, CSAF binaries, Alpine): the binary at
//     its own version;
//   - rpm source packages, when an advisory names no binary for the
//     ecosystem: the source rpm's version-release, with the epoch of the
//     installed binary that has the source's own name (perl for perl-Errno)
//     on both sides, or with no epoch on either side when no such binary is
//     installed. A binary's own epoch is never put on its source's version.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "advisory/advisory.h"
#include "advisory/enrichment.h"
#include "inventory/inventory.h"
#include "matching/finding.h"
#include "matching/range.h"
#include "matching/windows.h"

namespace pk::matching {

class AdvisoryIndex {
 public:
  // Adds an advisory. Not thread-safe. A FleetMatcher in use must then be
  // given the packages it names through invalidatePackage(). Affected entries whose ecosystem has
  // no version scheme are kept out of the index (they cannot be ordered); entries whose range
  // versions are invalid are reported in `report` and skipped.
  void add(advisory::Advisory advisory, advisory::LoadReport& report);

  // Sets the KEV and EPSS tables used to enrich findings.
  void setEnrichment(advisory::Enrichment enrichment);

  // Returns the findings for `host`, most urgent first: its packages'
  // and, for a Windows host, its product's (matchWindows). Thread-safe for
  // concurrent calls once no more advisories are being added.
  std::vector<Finding> match(const inventory::HostInventory& host) const;

  // Matches a Windows host's build and KBs as matching/windows.h
  // describes; an empty result for a host without Windows facts.
  WindowsMatch matchWindows(const inventory::HostInventory& host) const;

  std::size_t advisoryCount() const { return advisories_.size(); }
  // Package entries and Windows product entries.
  std::size_t entryCount() const { return entry_count_ + windows_.entryCount(); }

  // A reference to one affected entry of one advisory, with its ranges
  // prepared for evaluation.
  struct Entry {
    std::uint32_t advisory = 0;
    std::uint32_t affected = 0;
    version::Scheme scheme = version::Scheme::kDpkg;
    std::vector<PreparedRange> ranges;
  };

  // Returns the entries that name `package` of `kind` in `ecosystem`.
  const std::vector<const Entry*>* entriesFor(std::string_view ecosystem,
                                              advisory::PackageNameKind kind,
                                              std::string_view package) const;

  const advisory::Advisory& advisory(std::uint32_t index) const { return advisories_[index]; }

  // Whether advisory `index` names any binary package in `ecosystem`; if so
  // its source-package entries there are ignored in favour of the binaries.
  bool namesBinariesIn(std::uint32_t index, std::string_view ecosystem) const;

  // Facts about a host that matching one package needs: the epochs of
  // installed rpm binaries by name, for the source-rpm rule above.
  struct HostContext {
    std::unordered_map<std::string_view, std::string_view> rpm_epoch_by_name;
  };
  static HostContext contextFor(const inventory::HostInventory& host);

  struct Hit {
    const Entry* entry = nullptr;
    std::string compared_version;
    std::string fixed_version;
  };

  // Appends to `hits` each index entry that finds `package` affected. One
  // advisory may appear more than once when it lists the package in several
  // entries (arches, ranges).
  void matchPackage(const std::string& ecosystem, const HostContext& context,
                    const inventory::Package& package, std::vector<Hit>& hits) const;

  // Builds the finding for `entry` and an installed package once it is known
  // to be affected, with severity and enrichment filled in.
  Finding makeFinding(const Entry& entry, const inventory::Package& package,
                      std::string compared_version, std::string fixed_version) const;

 private:
  static std::string keyOf(std::string_view ecosystem, advisory::PackageNameKind kind,
                           std::string_view package);

  std::deque<advisory::Advisory> advisories_;
  // A deque keeps entries at fixed addresses as advisories are added, so
  // that a FleetMatcher's cached pointers stay valid.
  std::deque<Entry> entry_storage_;
  std::unordered_map<std::string, std::vector<const Entry*>> entries_;
  std::size_t entry_count_ = 0;
  WindowsCatalog windows_;
  advisory::Enrichment enrichment_;
};

}  // namespace pk::matching
