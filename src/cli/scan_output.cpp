#include "cli/scan_output.h"

#include <algorithm>
#include <array>
#include <map>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/windows_inventory.h"

namespace pk::cli {
namespace {

using advisory::Severity;

constexpr std::array<Severity, 6> kSeverities{Severity::kCritical, Severity::kHigh,
                                              Severity::kMedium,   Severity::kLow,
                                              Severity::kNone,     Severity::kUnknown};

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string result;
  for (const auto& item : items) {
    if (!result.empty()) result += separator;
    result += item;
  }
  return result;
}

// CVE ids first, because people search for them; other ids after.
std::vector<std::string> cveIdsFirst(std::vector<std::string> ids) {
  std::stable_partition(ids.begin(), ids.end(),
                        [](const std::string& id) { return id.rfind("CVE-", 0) == 0; });
  return ids;
}

std::map<Severity, std::size_t> countBySeverity(const std::vector<matching::Finding>& findings) {
  std::map<Severity, std::size_t> counts;
  for (const auto& finding : findings) ++counts[finding.severity];
  return counts;
}

nlohmann::json hostJson(const ScanReport& report) {
  const auto& host = report.host;
  nlohmann::json json = {
      {"root", report.root},
      {"os", host.os.pretty_name},
      {"ecosystem", host.os.ecosystem},
      {"package_format", version::schemeName(host.scheme)},
      {"packages", host.packages.size()},
      {"restart_required", host.restart.required},
      {"restart_reason", host.restart.reason},
  };
  if (host.windows) {
    json["windows"] = {
        {"product", inventory::windowsProduct(*host.windows).value_or("")},
        {"build", host.windows->build},
        {"installed_kbs", host.windows->installed_kbs.size()},
    };
  }
  return json;
}

void writeJson(const ScanReport& report, std::ostream& out) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& finding : report.findings) {
    nlohmann::json item = {
        {"package", finding.package},
        {"source_package", finding.source_package},
        {"installed_version", finding.installed_version},
        {"compared_version", finding.compared_version},
        {"fixed_version", finding.fixed_version.empty() ? nlohmann::json(nullptr)
                                                        : nlohmann::json(finding.fixed_version)},
        {"advisory_id", finding.advisory_id},
        {"advisory_source", finding.advisory_source},
        {"aliases", finding.aliases},
        {"ecosystem", finding.ecosystem},
        {"severity", advisory::severityName(finding.severity)},
        {"kev", finding.known_exploited},
    };
    item["fixed_binary_version"] = finding.fixed_binary_version.empty()
                                       ? nlohmann::json(nullptr)
                                       : nlohmann::json(finding.fixed_binary_version);
    item["cvss_score"] = finding.cvss_score ? nlohmann::json(*finding.cvss_score) : nullptr;
    item["kev_due_date"] = finding.known_exploited ? nlohmann::json(finding.kev_due_date) : nullptr;
    item["epss"] = finding.epss ? nlohmann::json(*finding.epss) : nullptr;
    item["fix_kb"] =
        finding.fix_kb.empty() ? nlohmann::json(nullptr) : nlohmann::json("KB" + finding.fix_kb);
    findings.push_back(std::move(item));
  }

  nlohmann::json by_severity = nlohmann::json::object();
  for (auto [severity, count] : countBySeverity(report.findings)) {
    by_severity[std::string(advisory::severityName(severity))] = count;
  }
  std::size_t known_exploited = static_cast<std::size_t>(
      std::count_if(report.findings.begin(), report.findings.end(),
                    [](const matching::Finding& finding) { return finding.known_exploited; }));
  std::size_t without_fix = static_cast<std::size_t>(std::count_if(
      report.findings.begin(), report.findings.end(),
      [](const matching::Finding& finding) { return finding.fixed_version.empty(); }));
  nlohmann::json summary = {
      {"findings", report.findings.size()},
      {"by_severity", by_severity},
      {"known_exploited", known_exploited},
      {"without_fix", without_fix},
      {"packages_scanned", report.host.packages.size()},
      {"advisories_loaded", report.advisories_loaded},
      {"records_skipped", report.records_skipped},
  };

  nlohmann::json document = {
      {"host", hostJson(report)}, {"findings", findings}, {"summary", summary}};
  out << document.dump(2) << '\n';
}

// Quotes a CSV field when it contains a separator, a quote or a line break
// (RFC 4180).
std::string csvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

void writeCsv(const ScanReport& report, std::ostream& out) {
  out << "severity,package,source_package,installed_version,fixed_version,advisory_id,aliases,"
         "kev,kev_due_date,epss,ecosystem,fix_kb\n";
  for (const auto& finding : report.findings) {
    std::vector<std::string> fields = {
        std::string(advisory::severityName(finding.severity)),
        finding.package,
        finding.source_package,
        finding.installed_version,
        finding.fixed_version,
        finding.advisory_id,
        joined(cveIdsFirst(finding.aliases), " "),
        finding.known_exploited ? "yes" : "no",
        finding.kev_due_date,
        finding.epss ? fmt::format("{:.5f}", *finding.epss) : "",
        finding.ecosystem,
        finding.fix_kb.empty() ? "" : "KB" + finding.fix_kb,
    };
    for (std::size_t i = 0; i < fields.size(); ++i) {
      out << (i == 0 ? "" : ",") << csvField(fields[i]);
    }
    out << '\n';
  }
}

void writeTable(const ScanReport& report, std::ostream& out) {
  struct Row {
    std::array<std::string, 6> cells;
  };
  std::vector<Row> rows;
  rows.push_back({{"SEVERITY", "PACKAGE", "INSTALLED", "FIXED", "ADVISORY", "IDS"}});
  for (const auto& finding : report.findings) {
    std::string severity(advisory::severityName(finding.severity));
    if (finding.known_exploited) severity += " KEV";
    auto ids = cveIdsFirst(finding.aliases);
    std::string id_text =
        joined(std::vector<std::string>(
                   ids.begin(),
                   ids.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(ids.size(), 3))),
               " ");
    if (ids.size() > 3) id_text += fmt::format(" +{}", ids.size() - 3);
    std::string fixed = finding.fixed_version.empty() ? "(no fix)" : finding.fixed_version;
    // Windows: the KB to install, with the build it brings when known.
    if (!finding.fix_kb.empty()) {
      fixed = "KB" + finding.fix_kb;
      if (!finding.fixed_version.empty()) fixed += " (" + finding.fixed_version + ")";
    }
    rows.push_back({{severity, finding.package, finding.installed_version, fixed,
                     finding.advisory_id, id_text}});
  }

  std::array<std::size_t, 6> widths{};
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row.cells[i].size());
  }
  if (!report.findings.empty()) {
    for (const auto& row : rows) {
      std::string line;
      for (std::size_t i = 0; i < widths.size(); ++i) {
        line += row.cells[i];
        if (i + 1 < widths.size()) line += std::string(widths[i] - row.cells[i].size() + 2, ' ');
      }
      line.erase(line.find_last_not_of(' ') + 1);
      out << line << '\n';
    }
  }
  out << summaryLine(report) << '\n';
}

}  // namespace

std::string summaryLine(const ScanReport& report) {
  std::string where = report.host.os.pretty_name.empty() ? report.root : report.host.os.pretty_name;
  std::size_t count = report.findings.size();
  std::string line = fmt::format("{} finding{}", count, count == 1 ? "" : "s");
  if (count > 0) {
    auto counts = countBySeverity(report.findings);
    std::vector<std::string> parts;
    for (Severity severity : kSeverities) {
      if (auto found = counts.find(severity); found != counts.end()) {
        parts.push_back(fmt::format("{} {}", found->second, advisory::severityName(severity)));
      }
    }
    auto known_exploited =
        std::count_if(report.findings.begin(), report.findings.end(),
                      [](const matching::Finding& finding) { return finding.known_exploited; });
    line += " (" + joined(parts, ", ");
    if (known_exploited > 0) line += fmt::format("; {} known exploited", known_exploited);
    line += ")";
  }
  std::size_t packages = report.host.packages.size();
  if (const auto& windows = report.host.windows) {
    std::size_t kbs = windows->installed_kbs.size();
    line += fmt::format(" on {} build {} with {} installed KB{}", where, windows->build, kbs,
                        kbs == 1 ? "" : "s");
  } else {
    line += fmt::format(" in {} package{} on {}", packages, packages == 1 ? "" : "s", where);
  }
  if (report.host.restart.required) line += "; restart required";
  return line;
}

void writeScanReport(const ScanReport& report, OutputFormat format, std::ostream& out) {
  switch (format) {
    case OutputFormat::kTable:
      writeTable(report, out);
      break;
    case OutputFormat::kJson:
      writeJson(report, out);
      break;
    case OutputFormat::kCsv:
      writeCsv(report, out);
      break;
  }
}

}  // namespace pk::cli
