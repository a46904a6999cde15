#include "matching/index.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "advisory/ecosystem.h"
#include "version/rpm.h"

namespace pk::matching {

using advisory::PackageNameKind;

std::string AdvisoryIndex::keyOf(std::string_view ecosystem, PackageNameKind kind,
                                 std::string_view package) {
  std::string key;
  key.reserve(ecosystem.size() + package.size() + 3);
  key.append(ecosystem);
  key.push_back('\x1f');
  key.push_back(kind == PackageNameKind::kSource ? 's' : 'b');
  key.push_back('\x1f');
  key.append(package);
  return key;
}

void AdvisoryIndex::add(advisory::Advisory advisory, advisory::LoadReport& report) {
  auto advisory_index = static_cast<std::uint32_t>(advisories_.size());
  for (std::size_t i = 0; i < advisory.affected.size(); ++i) {
    const auto& affected = advisory.affected[i];
    if (affected.ecosystem == advisory::kWindowsEcosystem) {
      windows_.add(advisory_index, static_cast<std::uint32_t>(i), affected);
      continue;
    }
    auto scheme = advisory::schemeForEcosystem(affected.ecosystem);
    if (!scheme) continue;

    auto ranges = prepareRanges(*scheme, affected.ranges);
    if (!ranges) {
      report.addIssue(
          {"", advisory.id, "affected[" + std::to_string(i) + "].ranges", ranges.error().message});
      continue;
    }
    entry_storage_.push_back(
        Entry{advisory_index, static_cast<std::uint32_t>(i), *scheme, std::move(*ranges)});
    entries_[keyOf(affected.ecosystem, affected.name_kind, affected.name)].push_back(
        &entry_storage_.back());
    ++entry_count_;
  }
  advisories_.push_back(std::move(advisory));
}

void AdvisoryIndex::setEnrichment(advisory::Enrichment enrichment) {
  enrichment_ = std::move(enrichment);
}

const std::vector<const AdvisoryIndex::Entry*>* AdvisoryIndex::entriesFor(
    std::string_view ecosystem, PackageNameKind kind, std::string_view package) const {
  auto found = entries_.find(keyOf(ecosystem, kind, package));
  return found == entries_.end() ? nullptr : &found->second;
}

bool AdvisoryIndex::namesBinariesIn(std::uint32_t index, std::string_view ecosystem) const {
  const auto& affected = advisories_[index].affected;
  return std::any_of(affected.begin(), affected.end(), [&](const advisory::AffectedPackage& entry) {
    return entry.name_kind == PackageNameKind::kBinary && entry.ecosystem == ecosystem;
  });
}

Finding AdvisoryIndex::makeFinding(const Entry& entry, const inventory::Package& package,
                                   std::string compared_version, std::string fixed_version) const {
  const auto& record = advisories_[entry.advisory];
  const auto& affected = record.affected[entry.affected];

  Finding finding;
  finding.package = package.name;
  finding.source_package = package.source_name.empty() ? package.name : package.source_name;
  finding.installed_version = package.version;
  finding.compared_version = std::move(compared_version);
  finding.fixed_version = std::move(fixed_version);
  for (const auto& binary : affected.binaries) {
    if (binary.name == package.name) finding.fixed_binary_version = binary.version;
  }
  finding.advisory_id = record.id;
  finding.advisory_source = record.source;
  finding.aliases = record.aliases;
  finding.ecosystem = affected.ecosystem;
  finding.severity = affected.severity.value_or(record.severity);
  finding.cvss_score = record.cvss_score;

  enrich(finding, enrichment_);
  return finding;
}

namespace {

std::string withoutEpoch(std::string_view evr) {
  auto parts = version::rpm::split(evr);
  std::string result(parts.version);
  if (parts.release) {
    result.push_back('-');
    result.append(*parts.release);
  }
  return result;
}

}  // namespace

AdvisoryIndex::HostContext AdvisoryIndex::contextFor(const inventory::HostInventory& host) {
  HostContext context;
  if (host.scheme != version::Scheme::kRpm) return context;
  for (const auto& package : host.packages) {
    auto evr = version::rpm::split(package.version);
    context.rpm_epoch_by_name.emplace(package.name, evr.epoch ? *evr.epoch : "0");
  }
  return context;
}

void AdvisoryIndex::matchPackage(const std::string& ecosystem, const HostContext& context,
                                 const inventory::Package& package, std::vector<Hit>& hits) const {
  auto on_hit = [&hits](const Entry& entry, std::string compared, std::string fixed) {
    hits.push_back(Hit{&entry, std::move(compared), std::move(fixed)});
  };
  if (const auto* entries = entriesFor(ecosystem, PackageNameKind::kBinary, package.name)) {
    for (const Entry* binary_entry : *entries) {
      const Entry& entry = *binary_entry;
      const auto& affected = advisories_[entry.advisory].affected[entry.affected];
      auto verdict = evaluate(entry.scheme, entry.ranges, affected.versions, package.version);
      if (verdict.affected) on_hit(entry, package.version, std::move(verdict.fixed_version));
    }
  }

  const std::string& source_name = package.source_name.empty() ? package.name : package.source_name;
  const std::string& source_version =
      package.source_version.empty() ? package.version : package.source_version;
  const auto* entries = entriesFor(ecosystem, PackageNameKind::kSource, source_name);
  if (entries == nullptr) return;
  for (const Entry* source_entry : *entries) {
    const Entry& entry = *source_entry;
    const auto& affected = advisories_[entry.advisory].affected[entry.affected];
    if (entry.scheme != version::Scheme::kRpm) {
      auto verdict = evaluate(entry.scheme, entry.ranges, affected.versions, source_version);
      if (verdict.affected) on_hit(entry, source_version, std::move(verdict.fixed_version));
      continue;
    }

    // An rpm feed that names only the source rpm; see the header for the rule.
    if (namesBinariesIn(entry.advisory, ecosystem)) continue;
    auto epoch = context.rpm_epoch_by_name.find(source_name);
    bool has_epoch = epoch != context.rpm_epoch_by_name.end();
    std::string compared = has_epoch ? fmt::format("{}:{}", epoch->second, source_version)
                                     : withoutEpoch(source_version);
    if (has_epoch) {
      auto verdict = evaluate(entry.scheme, entry.ranges, affected.versions, compared);
      if (verdict.affected) on_hit(entry, compared, std::move(verdict.fixed_version));
      continue;
    }
    auto ranges = entry.ranges;
    for (auto& range : ranges) {
      for (auto& event : range.events) {
        if (event.version != "0") event.version = withoutEpoch(event.version);
      }
    }
    auto verdict = evaluate(entry.scheme, ranges, affected.versions, compared);
    if (verdict.affected) on_hit(entry, compared, std::move(verdict.fixed_version));
  }
}

std::vector<Finding> AdvisoryIndex::match(const inventory::HostInventory& host) const {
  std::vector<Finding> findings;
  if (host.windows) findings = matchWindows(host).findings;
  if (host.os.ecosystem.empty()) {
    std::sort(findings.begin(), findings.end(), moreUrgent);
    return findings;
  }
  HostContext context = contextFor(host);

  // One advisory may list a package in several ranges or arches, and the
  // same advisory may arrive from two feeds. Each (package, advisory id)
  // pair is reported once.
  std::set<std::pair<std::string_view, std::string_view>> seen;
  std::vector<Hit> hits;
  for (const auto& package : host.packages) {
    if (!package.state.empty() && !inventory::isInstalledState(package.state)) continue;
    hits.clear();
    matchPackage(host.os.ecosystem, context, package, hits);
    for (auto& hit : hits) {
      if (!seen.emplace(package.name, advisories_[hit.entry->advisory].id).second) continue;
      findings.push_back(makeFinding(*hit.entry, package, std::move(hit.compared_version),
                                     std::move(hit.fixed_version)));
    }
  }

  std::sort(findings.begin(), findings.end(), moreUrgent);
  return findings;
}

void enrich(Finding& finding, const advisory::Enrichment& enrichment) {
  auto apply = [&](const std::string& id) {
    if (auto kev = enrichment.kev.find(id); kev != enrichment.kev.end()) {
      if (!finding.known_exploited || kev->second.due_date < finding.kev_due_date) {
        finding.kev_due_date = kev->second.due_date;
      }
      finding.known_exploited = true;
    }
    if (auto epss = enrichment.epss.find(id); epss != enrichment.epss.end()) {
      finding.epss = std::max(finding.epss.value_or(0.0), epss->second.probability);
    }
  };
  apply(finding.advisory_id);
  for (const auto& alias : finding.aliases) apply(alias);
}

bool moreUrgent(const Finding& a, const Finding& b) {
  if (a.severity != b.severity) return a.severity > b.severity;
  if (a.known_exploited != b.known_exploited) return a.known_exploited;
  if (a.epss.value_or(-1.0) != b.epss.value_or(-1.0)) {
    return a.epss.value_or(-1.0) > b.epss.value_or(-1.0);
  }
  if (a.package != b.package) return a.package < b.package;
  return a.advisory_id < b.advisory_id;
}

}  // namespace pk::matching
