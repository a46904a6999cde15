#include "matching/windows.h"

#include <algorithm>
#include <cctype>
#include <deque>

#include "inventory/windows_inventory.h"
#include "matching/index.h"
#include "version/windows.h"

namespace pk::matching {
namespace {

bool containsWord(std::string_view text, std::string_view word) {
  std::string folded;
  for (char c : text) {
    if (c != ' ') folded.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return folded.find(word) != std::string::npos;
}

// The rank of an update type when choosing the KB to name: cumulative
// updates first, then security-only ones, then hotpatches.
int preference(std::string_view update_type) {
  if (isHotpatch(update_type)) return 0;
  if (isSecurityOnly(update_type)) return 1;
  return 2;
}

// Whether `fixed` is a Windows build on the same line (major.minor.build)
// as `host`.
std::optional<version::windows::Build> comparableBuild(const version::windows::Build& host,
                                                       std::string_view fixed) {
  auto parsed = version::windows::parse(fixed);
  if (!parsed || parsed->major != host.major || parsed->minor != host.minor ||
      parsed->build != host.build) {
    return std::nullopt;
  }
  return *parsed;
}

bool below(const version::windows::Build& a, const version::windows::Build& b) {
  return std::tie(a.major, a.minor, a.build, a.revision) <
         std::tie(b.major, b.minor, b.build, b.revision);
}

// Orders KB numbers by value: "5060531" after "999999".
bool kbBefore(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

}  // namespace

bool isHotpatch(std::string_view update_type) {
  return containsWord(update_type, "hotpatch");
}

bool isSecurityOnly(std::string_view update_type) {
  return containsWord(update_type, "securityonly");
}

void WindowsCatalog::add(std::uint32_t advisory, std::uint32_t affected,
                         const advisory::AffectedPackage& entry) {
  entries_[entry.name].push_back(EntryRef{advisory, affected});
  ++entry_count_;
  for (const auto& fix : entry.kb_fixes) {
    KbRecord& record = kbs_[fix.kb];
    record.builds.insert(fix.fixed_build);
    if (isHotpatch(fix.update_type) || isSecurityOnly(fix.update_type)) record.partial = true;
    // Where a KB brings several builds to one product, the highest one
    // ranks it when choosing the KB to name.
    auto [slot, inserted] =
        record.products.try_emplace(entry.name, fix.fixed_build, fix.update_type);
    if (!inserted && version::windows::compare(slot->second.first, fix.fixed_build) ==
                         std::weak_ordering::less) {
      slot->second.first = fix.fixed_build;
    }
    for (const auto& older : fix.supersedes) {
      if (older == fix.kb) continue;
      record.supersedes.insert(older);
      kbs_[older].superseded_by.insert(fix.kb);
    }
  }
}

const std::vector<WindowsCatalog::EntryRef>* WindowsCatalog::entriesFor(
    const std::string& product) const {
  auto found = entries_.find(product);
  return found == entries_.end() ? nullptr : &found->second;
}

const std::set<std::string>* WindowsCatalog::buildsOf(const std::string& kb) const {
  auto found = kbs_.find(kb);
  return found == kbs_.end() ? nullptr : &found->second.builds;
}

bool WindowsCatalog::buildShowsInstall(const std::string& kb) const {
  auto found = kbs_.find(kb);
  return found != kbs_.end() && !found->second.partial;
}

std::optional<std::string> WindowsCatalog::cumulativeBuild(const std::string& kb,
                                                           const std::string& product) const {
  auto found = kbs_.find(kb);
  if (found == kbs_.end() || found->second.partial) return std::nullopt;
  auto on_product = found->second.products.find(product);
  if (on_product == found->second.products.end()) return std::nullopt;
  return on_product->second.first;
}

std::set<std::string> WindowsCatalog::installedClosure(
    const std::vector<std::string>& installed) const {
  std::set<std::string> closure(installed.begin(), installed.end());
  std::deque<std::string> queue(installed.begin(), installed.end());
  while (!queue.empty()) {
    auto found = kbs_.find(queue.front());
    queue.pop_front();
    if (found == kbs_.end()) continue;
    for (const auto& older : found->second.supersedes) {
      if (closure.insert(older).second) queue.push_back(older);
    }
  }
  return closure;
}

std::string WindowsCatalog::recommendedKb(
    const std::string& product, const std::vector<advisory::AffectedPackage::KbFix>& fixes) const {
  // Every KB reachable from the fixes through "superseded by".
  std::set<std::string> reachable;
  std::deque<std::string> queue;
  for (const auto& fix : fixes) {
    if (reachable.insert(fix.kb).second) queue.push_back(fix.kb);
  }
  while (!queue.empty()) {
    auto found = kbs_.find(queue.front());
    queue.pop_front();
    if (found == kbs_.end()) continue;
    for (const auto& newer : found->second.superseded_by) {
      if (reachable.insert(newer).second) queue.push_back(newer);
    }
  }

  // The best: highest preference, then newest build, then highest number.
  std::string best;
  int best_preference = -1;
  std::optional<version::windows::Build> best_build;
  for (const auto& kb : reachable) {
    auto found = kbs_.find(kb);
    if (found == kbs_.end()) continue;
    auto on_product = found->second.products.find(product);
    if (on_product == found->second.products.end()) continue;
    const auto& [fixed_build, update_type] = on_product->second;
    int rank = preference(update_type);
    auto build = version::windows::parse(fixed_build);
    std::optional<version::windows::Build> parsed;
    if (build) parsed = *build;
    bool better = false;
    if (rank != best_preference) {
      better = rank > best_preference;
    } else if (parsed.has_value() != best_build.has_value()) {
      better = parsed.has_value();
    } else if (parsed && (below(*best_build, *parsed) || below(*parsed, *best_build))) {
      better = below(*best_build, *parsed);
    } else {
      better = kbBefore(best, kb);
    }
    if (better) {
      best = kb;
      best_preference = rank;
      best_build = parsed;
    }
  }
  return best;
}

WindowsMatch AdvisoryIndex::matchWindows(const inventory::HostInventory& host) const {
  WindowsMatch result;
  if (!host.windows) return result;
  const inventory::WindowsFacts& facts = *host.windows;
  result.product = inventory::windowsProduct(facts);
  if (!result.product) return result;
  const auto* entries = windows_.entriesFor(*result.product);
  if (!entries) return result;

  std::optional<version::windows::Build> host_build;
  if (auto reported = version::windows::parse(facts.build)) host_build = *reported;
  if (host_build) {
    for (const auto& kb : facts.installed_kbs) {
      auto brought = windows_.cumulativeBuild(kb, *result.product);
      if (!brought) continue;
      auto build = comparableBuild(*host_build, *brought);
      if (build && below(*host_build, *build)) host_build = build;
    }
  }
  std::set<std::string> installed = windows_.installedClosure(facts.installed_kbs);

  for (const auto& ref : *entries) {
    const advisory::Advisory& record = advisories_[ref.advisory];
    const advisory::AffectedPackage& entry = record.affected[ref.affected];

    bool fixed = std::any_of(entry.kb_fixes.begin(), entry.kb_fixes.end(),
                             [&](const auto& fix) { return installed.count(fix.kb) != 0; });
    // The lowest build that fixes it on the host's line, if any.
    std::optional<version::windows::Build> lowest_fix;
    std::string lowest_fix_text;
    if (host_build) {
      for (const auto& fix : entry.kb_fixes) {
        if (!windows_.buildShowsInstall(fix.kb)) continue;
        auto consider = [&](const std::string& text) {
          auto build = comparableBuild(*host_build, text);
          if (!build) return;
          if (!below(*host_build, *build)) fixed = true;
          if (!lowest_fix || below(*build, *lowest_fix)) {
            lowest_fix = build;
            lowest_fix_text = text;
          }
        };
        consider(fix.fixed_build);
        if (const auto* builds = windows_.buildsOf(fix.kb)) {
          for (const auto& text : *builds) consider(text);
        }
      }
    }
    if (fixed) {
      result.cleared.insert(record.id);
      continue;
    }

    Finding finding;
    finding.package = *result.product;
    finding.installed_version = facts.build;
    finding.compared_version = facts.build;
    finding.fixed_version = lowest_fix_text;
    finding.fix_kb = windows_.recommendedKb(*result.product, entry.kb_fixes);
    finding.advisory_id = record.id;
    finding.advisory_source = record.source;
    finding.aliases = record.aliases;
    finding.ecosystem = std::string(advisory::kWindowsEcosystem);
    finding.severity = entry.severity.value_or(record.severity);
    finding.cvss_score = record.cvss_score;
    enrich(finding, enrichment_);
    result.findings.push_back(std::move(finding));
  }

  // The same CVE may come from two feeds (CVRF and a KB table): one finding.
  std::sort(result.findings.begin(), result.findings.end(), moreUrgent);
  std::set<std::string> seen;
  std::erase_if(result.findings,
                [&](const Finding& finding) { return !seen.insert(finding.advisory_id).second; });
  for (const auto& id : seen) result.cleared.erase(id);
  return result;
}

}  // namespace pk::matching
