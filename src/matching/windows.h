#pragma once

// Matching Windows hosts against Windows advisories (advisory/windows_fixes.h)
// from the facts a host reports: its build and its installed KBs.
//
// A host is affected by an advisory entry for its product
// (inventory::windowsProduct) when both hold:
//   - no KB of the entry's fixes counts as installed. A KB counts when the
//     host lists it, or lists a KB that supersedes it, directly or through
//     a chain of supersedence. One alternative is enough: a monthly rollup
//     replaces the security-only update of the same month;
//   - the host's build is below the fixed build of each fix that can be
//     compared with it: a fix whose KB brings a Windows build with the
//     host's major.minor.build. That build is the fix's own, or one the
//     same KB lists elsewhere: MSRC sometimes gives a Windows 10 22H2 fix
//     the 21H2 build of the shared KB.
//   Hotpatch and security-only KBs are left out of the build test, on every
//   product they are listed for. Their builds are the base they install on,
//   not proof that they are installed, so they count only when installed.
// The host's build is the higher of the build it reports and the build
// each installed cumulative KB brings on its line: a host that reports
// 10.0.19045 without its update revision, or 6.1.7601 as Windows Server
// 2008 R2 always does, is at least at the build of its newest cumulative
// update or monthly rollup.
// The finding names the KB to install: the newest cumulative update for the
// product (by its fixed build) among the fixing KBs and the KBs that
// supersede them, directly or through a chain. Security-only and hotpatch
// updates are named only when the entry has no other fix.
//
// Supersedence comes from every loaded advisory: the KBs each fix lists as
// superseded, across products and months.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "advisory/advisory.h"
#include "inventory/inventory.h"
#include "matching/finding.h"

namespace pk::matching {

// The KB-level facts gathered from every Windows advisory.
class WindowsCatalog {
 public:
  // Records Windows entry `affected` of advisory `advisory` (indices into
  // the AdvisoryIndex) and its KBs.
  void add(std::uint32_t advisory, std::uint32_t affected, const advisory::AffectedPackage& entry);

  struct EntryRef {
    std::uint32_t advisory = 0;
    std::uint32_t affected = 0;
  };
  // The entries naming `product`, or nullptr.
  const std::vector<EntryRef>* entriesFor(const std::string& product) const;

  // `installed` and every KB they supersede, directly or through a chain.
  std::set<std::string> installedClosure(const std::vector<std::string>& installed) const;

  // Every fixed build that `kb` brings, on any product, as published.
  const std::set<std::string>* buildsOf(const std::string& kb) const;

  // Whether the build `kb` brings shows that it is installed: false for a
  // KB listed as a hotpatch or a security-only update on any product.
  bool buildShowsInstall(const std::string& kb) const;

  // The build that installed cumulative KB `kb` brings to `product`, or
  // nullopt for an unknown, hotpatch or security-only KB.
  std::optional<std::string> cumulativeBuild(const std::string& kb,
                                             const std::string& product) const;

  // The newest cumulative KB for `product` among `fixes` and the KBs that
  // supersede them, as described above; empty when `fixes` is empty.
  std::string recommendedKb(const std::string& product,
                            const std::vector<advisory::AffectedPackage::KbFix>& fixes) const;

  std::size_t entryCount() const { return entry_count_; }

 private:
  struct KbRecord {
    std::set<std::string> supersedes;
    std::set<std::string> superseded_by;
    // product -> the fixed build and update type the KB has there.
    std::map<std::string, std::pair<std::string, std::string>> products;
    std::set<std::string> builds;
    bool partial = false;  // listed as a hotpatch or security-only update somewhere
  };

  std::unordered_map<std::string, std::vector<EntryRef>> entries_;
  std::unordered_map<std::string, KbRecord> kbs_;
  std::size_t entry_count_ = 0;
};

// Whether `update_type` names a hotpatch ("Security Hotpatch Update",
// "SecurityHotpatchUpdate").
bool isHotpatch(std::string_view update_type);

// Whether `update_type` names a security-only update.
bool isSecurityOnly(std::string_view update_type);

// The result of matching one Windows host.
struct WindowsMatch {
  std::optional<std::string> product;  // nullopt when the host's product is not known
  std::vector<Finding> findings;
  // Advisory ids that have an entry for the product and do not affect the
  // host: verified fixed, so that an open finding for them can close.
  std::set<std::string> cleared;
};

}  // namespace pk::matching
