#include "server/evaluation.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "advisory/advisory.h"
#include "advisory/enrichment.h"
#include "inventory/windows_inventory.h"
#include "matching/finding.h"
#include "matching/fleet.h"
#include "matching/index.h"
#include "matching/windows.h"
#include "server/advisory_codec.h"
#include "server/patches.h"
#include "store/advisory_repository.h"
#include "store/finding_repository.h"
#include "store/inventory_repository.h"
#include "store/pending_update_repository.h"
#include "version/version.h"

namespace pk::server {

// The matcher caches verdicts that point into the index, so it is declared
// after the index and destroyed before it.
struct Evaluator::Snapshot {
  matching::AdvisoryIndex index;
  std::unique_ptr<matching::FleetMatcher> matcher;
  advisory::Enrichment enrichment;
  // Advisories left out of the index, logged by logIndexIssues() rather
  // than while building, because building runs inside a write() that may
  // run more than once.
  std::vector<advisory::LoadIssue> issues;
};

namespace {

using store::FindingEvent;
using store::FindingEventType;
using store::FindingSource;
using store::FindingStatus;
using store::StoredFinding;

// The key a finding is unique under for one host.
using FindingKey = std::tuple<FindingSource, std::string, std::string>;

FindingKey keyOf(const StoredFinding& finding) {
  return {finding.source, finding.advisory_id, finding.package};
}

constexpr std::string_view kSecurityUpdatePrefix = "security-update:";

StoredFinding fromMatch(const std::string& host_id, const matching::Finding& match) {
  StoredFinding finding;
  finding.host_id = host_id;
  finding.source = FindingSource::kAdvisory;
  finding.advisory_id = match.advisory_id;
  finding.package = match.package;
  finding.source_package = match.source_package;
  finding.installed_version = match.installed_version;
  finding.compared_version = match.compared_version;
  finding.fixed_version = match.fixed_version;
  finding.ecosystem = match.ecosystem;
  finding.severity = std::string(advisory::severityName(match.severity));
  finding.cvss = match.cvss_score;
  finding.known_exploited = match.known_exploited;
  finding.kev_due_date = match.kev_due_date;
  finding.epss = match.epss;
  finding.aliases = match.aliases;
  finding.fix_kb = match.fix_kb;
  return finding;
}

// A host-repository finding for `advisory_id` with `cve_ids` as aliases,
// and the KEV and EPSS facts of those CVEs. Enrichment works on
// matching::Finding, so one is borrowed for the lookups.
StoredFinding hostRepositoryFinding(const std::string& host_id, std::string advisory_id,
                                    const std::vector<std::string>& cve_ids,
                                    const advisory::Enrichment& enrichment) {
  matching::Finding match;
  match.advisory_id = std::move(advisory_id);
  match.aliases = cve_ids;
  matching::enrich(match, enrichment);

  StoredFinding finding;
  finding.host_id = host_id;
  finding.source = FindingSource::kHostRepository;
  finding.advisory_id = std::move(match.advisory_id);
  finding.known_exploited = match.known_exploited;
  finding.kev_due_date = match.kev_due_date;
  finding.epss = match.epss;
  finding.aliases = cve_ids;
  return finding;
}

// A security update Windows Update offers the host: advisory id
// "security-update:KB" + the KB, package the host's product, fixed by
// installing that KB.
StoredFinding fromWindowsUpdate(const std::string& host_id, const inventory::WindowsFacts& facts,
                                const std::string& product,
                                const inventory::WindowsPendingUpdate& update,
                                const advisory::Enrichment& enrichment) {
  StoredFinding finding = hostRepositoryFinding(
      host_id, fmt::format("{}KB{}", kSecurityUpdatePrefix, update.kb), update.cve_ids, enrichment);
  finding.package = product;
  finding.installed_version = facts.build;
  finding.compared_version = facts.build;
  finding.ecosystem = std::string(advisory::kWindowsEcosystem);
  finding.severity =
      std::string(advisory::severityName(advisory::parseSeverityWord(update.severity)));
  finding.fix_kb = update.kb;
  return finding;
}

// Whether Windows Update's offer counts as a security update: its
// classification is "Security Updates" or it names CVEs.
bool isSecurityUpdate(const inventory::WindowsPendingUpdate& update) {
  return update.classification == "Security Updates" || !update.cve_ids.empty();
}

StoredFinding fromPendingUpdate(const std::string& host_id, const std::string& ecosystem,
                                const store::PendingUpdateRecord& update,
                                const advisory::Enrichment& enrichment) {
  StoredFinding finding =
      hostRepositoryFinding(host_id, std::string(kSecurityUpdatePrefix) + update.source_package,
                            update.cve_ids, enrichment);
  finding.package = update.package;
  finding.source_package = update.source_package;
  finding.installed_version = update.installed_version;
  finding.compared_version = update.installed_version;
  finding.fixed_version = update.candidate_version;
  finding.ecosystem = ecosystem;
  finding.severity = std::string(advisory::severityName(advisory::Severity::kUnknown));
  return finding;
}

// Copies the fields a new match reports onto the stored finding, keeping
// its id, status and times.
void refreshFrom(StoredFinding& stored, const StoredFinding& current) {
  stored.source_package = current.source_package;
  stored.installed_version = current.installed_version;
  stored.compared_version = current.compared_version;
  stored.fixed_version = current.fixed_version;
  stored.ecosystem = current.ecosystem;
  stored.severity = current.severity;
  stored.cvss = current.cvss;
  stored.known_exploited = current.known_exploited;
  stored.kev_due_date = current.kev_due_date;
  stored.epss = current.epss;
  stored.aliases = current.aliases;
  stored.fix_kb = current.fix_kb;
}

bool hasEpoch(std::string_view version) {
  return version.find(':') != std::string_view::npos;
}

std::string_view withoutEpoch(std::string_view version) {
  auto colon = version.find(':');
  return colon == std::string_view::npos ? version : version.substr(colon + 1);
}

// Whether `package` is at or past `fixed_version`, judged on the same kind
// of version the finding was matched on: the binary's own version when the
// match compared it, otherwise the source package's version.
bool reachesFix(version::Scheme scheme, const StoredFinding& finding,
                const inventory::Package& package) {
  bool compared_source = finding.compared_version != finding.installed_version;
  std::string_view installed = package.version;
  std::string_view fixed = finding.fixed_version;
  if (compared_source && !package.source_version.empty()) {
    installed = package.source_version;
    // A source rpm's version carries no epoch (inventory.h); comparing it
    // with an epoch-bearing fix would never reach it.
    if (scheme == version::Scheme::kRpm && !hasEpoch(installed)) fixed = withoutEpoch(fixed);
  }
  auto order = version::compare(scheme, installed, fixed);
  // An invalid version proves nothing, so the finding stays open.
  return order && *order != std::weak_ordering::less;
}

// Whether an open finding that matching no longer reports is fixed: its
// package is gone, or every installed package of that name is at or past
// the fixed version. A finding without a fixed version cannot be verified
// fixed while its package is installed.
bool verifiedFixed(const inventory::HostInventory& host, const StoredFinding& finding) {
  bool installed = false;
  for (const auto& package : host.packages) {
    if (package.name != finding.package) continue;
    if (!package.state.empty() && !inventory::isInstalledState(package.state)) continue;
    installed = true;
    if (finding.fixed_version.empty() || !reachesFix(host.scheme, finding, package)) return false;
  }
  return !installed || !finding.fixed_version.empty();
}

// Whether an open Windows finding that matching no longer reports is
// fixed: the host no longer runs Windows or runs another known product,
// matching found the advisory's fixes present, or Windows Update no longer
// offers the KB. A host whose product is unknown keeps its findings open.
bool verifiedFixedOnWindows(const inventory::HostInventory& host, const StoredFinding& finding,
                            const matching::WindowsMatch& windows) {
  if (!host.windows) return true;
  if (finding.source == FindingSource::kHostRepository) {
    const auto& offered = host.windows->pending_updates;
    return std::none_of(offered.begin(), offered.end(),
                        [&](const auto& update) { return update.kb == finding.fix_kb; });
  }
  // A build whose product is unknown proves nothing either way.
  if (!windows.product) return false;
  if (*windows.product != finding.package) return true;
  return windows.cleared.count(finding.advisory_id) != 0;
}

// Findings as matching reports them now, one per key. A package installed
// for several architectures gives one finding; the first (most urgent)
// wins.
std::map<FindingKey, StoredFinding> currentFindings(
    const std::string& host_id, const std::vector<matching::Finding>& matches,
    const inventory::HostInventory& host,
    const std::vector<store::PendingUpdateRecord>& pending_updates,
    const advisory::Enrichment& enrichment) {
  std::map<FindingKey, StoredFinding> current;
  for (const auto& match : matches) {
    StoredFinding finding = fromMatch(host_id, match);
    current.try_emplace(keyOf(finding), std::move(finding));
  }
  for (const auto& update : pending_updates) {
    StoredFinding finding = fromPendingUpdate(host_id, host.os.ecosystem, update, enrichment);
    current.try_emplace(keyOf(finding), std::move(finding));
  }
  if (host.windows) {
    std::string product = inventory::windowsProduct(*host.windows).value_or("Windows");
    for (const auto& update : host.windows->pending_updates) {
      if (!isSecurityUpdate(update)) continue;
      StoredFinding finding =
          fromWindowsUpdate(host_id, *host.windows, product, update, enrichment);
      current.try_emplace(keyOf(finding), std::move(finding));
    }
  }
  return current;
}

Result<void> recordEvent(store::Session& session, const StoredFinding& finding,
                         FindingEventType type, SystemTime now) {
  return store::appendFindingEvent(
      session, FindingEvent{0, finding.id, now, type, finding.installed_version});
}

}  // namespace

Evaluator::Evaluator() : current_(std::make_shared<Snapshot>()) {
  current_->matcher = std::make_unique<matching::FleetMatcher>(current_->index);
}

Evaluator::~Evaluator() = default;

std::shared_ptr<Evaluator::Snapshot> Evaluator::snapshot() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::size_t Evaluator::advisoryCount() const {
  return snapshot()->index.advisoryCount();
}

Result<void> Evaluator::rebuild(store::Session& session) {
  auto next = buildIndex(session);
  if (!next) return tl::unexpected(next.error());
  install(std::move(*next));
  return {};
}

std::shared_ptr<Evaluator::Snapshot> Evaluator::install(std::shared_ptr<Snapshot> index) {
  std::lock_guard lock(mutex_);
  return std::exchange(current_, std::move(index));
}

void Evaluator::logIndexIssues() const {
  for (const auto& issue : snapshot()->issues) {
    spdlog::warn("evaluation: advisory {} left out of the index: {} ({})", issue.record_id,
                 issue.message, issue.field);
  }
}

Result<std::shared_ptr<Evaluator::Snapshot>> Evaluator::buildIndex(store::Session& session) const {
  auto next = std::make_shared<Snapshot>();

  advisory::LoadReport report;
  auto loaded = store::forEachAdvisory(session, [&](const store::StoredAdvisory& stored) {
    auto decoded = decodeAdvisory(stored.body);
    if (!decoded) {
      return Result<void>(fail(decoded.error().code,
                               fmt::format("advisory {} of feed \"{}\": {}", stored.advisory_id,
                                           stored.feed, decoded.error().message)));
    }
    next->index.add(std::move(*decoded), report);
    return Result<void>();
  });
  if (!loaded) return tl::unexpected(loaded.error());
  next->issues = std::move(report.issues);

  auto kev = store::loadKevEntries(session);
  if (!kev) return tl::unexpected(kev.error());
  for (const auto& entry : *kev) {
    // The same CVE in two KEV feeds: the earlier due date is the one to meet.
    auto [it, inserted] = next->enrichment.kev.try_emplace(entry.cve_id);
    if (!inserted && it->second.due_date <= entry.due_date) continue;
    it->second = advisory::KevEntry{entry.cve_id,
                                    entry.vendor,
                                    entry.product,
                                    entry.name,
                                    entry.date_added,
                                    entry.due_date,
                                    entry.known_ransomware_use};
  }
  auto epss = store::loadEpssScores(session);
  if (!epss) return tl::unexpected(epss.error());
  for (const auto& score : *epss) {
    auto [it, inserted] = next->enrichment.epss.try_emplace(score.cve_id);
    if (!inserted && it->second.probability >= score.probability) continue;
    it->second = advisory::EpssScore{score.probability, score.percentile};
  }
  next->index.setEnrichment(next->enrichment);
  next->matcher = std::make_unique<matching::FleetMatcher>(next->index);
  return next;
}

Result<void> Evaluator::evaluateHost(store::Session& session, const std::string& host_id,
                                     SystemTime now) {
  return evaluateHostWith(snapshot(), session, host_id, now);
}

Result<void> Evaluator::evaluateHostWith(const std::shared_ptr<Snapshot>& index,
                                         store::Session& session, const std::string& host_id,
                                         SystemTime now) {
  auto inventory = store::loadInventory(session, host_id);
  if (!inventory) return tl::unexpected(inventory.error());
  if (!*inventory) {
    ++evaluation_count_;
    return {};
  }
  return evaluateInventory(index, session, host_id, **inventory, now);
}

Result<void> Evaluator::evaluateSavedInventory(store::Session& session, const std::string& host_id,
                                               const inventory::HostInventory& saved,
                                               SystemTime now) {
  return evaluateInventory(snapshot(), session, host_id, saved, now);
}

Result<void> Evaluator::evaluateInventory(const std::shared_ptr<Snapshot>& index,
                                          store::Session& session, const std::string& host_id,
                                          const inventory::HostInventory& host, SystemTime now) {
  ++evaluation_count_;

  auto pending_updates = store::loadPendingUpdates(session, host_id);
  if (!pending_updates) return tl::unexpected(pending_updates.error());

  const std::shared_ptr<Snapshot>& current = index;
  auto affected = current->matcher->evaluate(host);
  auto matches = current->matcher->expand(host, affected);
  matching::WindowsMatch windows = current->index.matchWindows(host);
  matches.insert(matches.end(), std::make_move_iterator(windows.findings.begin()),
                 std::make_move_iterator(windows.findings.end()));
  std::map<FindingKey, StoredFinding> found =
      currentFindings(host_id, matches, host, *pending_updates, current->enrichment);

  auto stored = store::loadHostFindings(session, host_id);
  if (!stored) return tl::unexpected(stored.error());

  // Stored findings: refresh what is still found, close what is verified
  // fixed, reopen what came back.
  for (StoredFinding& finding : *stored) {
    auto match = found.find(keyOf(finding));
    if (match != found.end()) {
      bool reopened = finding.status == FindingStatus::kFixed;
      refreshFrom(finding, match->second);
      finding.last_seen_at = now;
      finding.status = FindingStatus::kOpen;
      finding.fixed_at.reset();
      found.erase(match);
      if (auto updated = store::updateFinding(session, finding); !updated) return updated;
      if (reopened) {
        if (auto event = recordEvent(session, finding, FindingEventType::kReopened, now); !event) {
          return event;
        }
      }
      continue;
    }

    bool on_windows = finding.ecosystem == advisory::kWindowsEcosystem;
    bool fixed =
        on_windows ? verifiedFixedOnWindows(host, finding, windows) : verifiedFixed(host, finding);
    if (finding.status == FindingStatus::kOpen && fixed) {
      finding.status = FindingStatus::kFixed;
      finding.fixed_at = now;
      // The event records the version that fixed it.
      for (const auto& package : host.packages) {
        if (package.name == finding.package) finding.installed_version = package.version;
      }
      if (on_windows && host.windows) finding.installed_version = host.windows->build;
      if (auto updated = store::updateFinding(session, finding); !updated) return updated;
      if (auto event = recordEvent(session, finding, FindingEventType::kFixed, now); !event) {
        return event;
      }
    }
  }

  // What is left was never stored for this host.
  for (auto& [key, finding] : found) {
    finding.status = FindingStatus::kOpen;
    finding.first_seen_at = now;
    finding.last_seen_at = now;
    auto id = store::insertFinding(session, finding);
    if (!id) return tl::unexpected(id.error());
    finding.id = *id;
    if (auto event = recordEvent(session, finding, FindingEventType::kOpened, now); !event) {
      return event;
    }
  }

  // The patch catalog follows the findings in the same transaction.
  auto patches = refreshHostPatches(session, host_id, now);
  if (!patches) return tl::unexpected(patches.error());
  return {};
}

}  // namespace pk::server
