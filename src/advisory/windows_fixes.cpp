#include "advisory/windows_fixes.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "version/windows.h"

namespace pk::advisory {
namespace {

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

std::string upper(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return result;
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// A release word such as "22H2", "1809" or "26H1".
bool isReleaseWord(std::string_view word) {
  return !word.empty() && word.size() <= 8 && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
  });
}

// The product key of a client name, "windows 10 version 22h2 for
// x64-based systems" or "windows 11 version 23h2" (lower case, suffixes
// already removed).
std::optional<std::string> clientProduct(std::string_view name) {
  for (std::string_view family : {"windows 10", "windows 11"}) {
    if (!startsWith(name, family)) continue;
    std::string_view rest = trim(name.substr(family.size()));
    std::string family_name = family == "windows 10" ? "Windows 10" : "Windows 11";
    // "Windows 10 for x64-based Systems" is the first release, 1507.
    if (rest.empty() || startsWith(rest, "for ")) {
      if (family == "windows 10") return family_name + " 1507";
      return std::nullopt;
    }
    if (!startsWith(rest, "version ")) return std::nullopt;
    rest = trim(rest.substr(std::string_view("version ").size()));
    std::string_view release = rest.substr(0, rest.find(' '));
    std::string_view after = trim(rest.substr(release.size()));
    if (!isReleaseWord(release) || !(after.empty() || startsWith(after, "for "))) {
      return std::nullopt;
    }
    return family_name + " " + upper(release);
  }
  return std::nullopt;
}

std::optional<std::string> serverProduct(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kExact[] = {
      {"windows server 2012", "Windows Server 2012"},
      {"windows server 2012 r2", "Windows Server 2012 R2"},
      {"windows server 2016", "Windows Server 2016"},
      {"windows server 2019", "Windows Server 2019"},
      {"windows server 2022", "Windows Server 2022"},
      {"windows server 2025", "Windows Server 2025"},
      {"windows server 2022, 23h2 edition", "Windows Server 2022 23H2"},
      {"windows server, version 23h2", "Windows Server 2022 23H2"},
  };
  for (const auto& [msrc, product] : kExact) {
    if (name == msrc) return std::string(product);
  }
  if (startsWith(name, "windows server 2008 r2 for ") && endsWith(name, " service pack 1")) {
    return "Windows Server 2008 R2 SP1";
  }
  if (startsWith(name, "windows server 2008 for ") && endsWith(name, " service pack 2")) {
    return "Windows Server 2008 SP2";
  }
  // Semi-annual channel releases: "Windows Server, version 20H2".
  constexpr std::string_view kChannel = "windows server, version ";
  if (startsWith(name, kChannel)) {
    std::string_view release = name.substr(kChannel.size());
    if (isReleaseWord(release)) return "Windows Server " + upper(release);
  }
  return std::nullopt;
}

// The major.minor of a Windows build number, for fixed builds written
// without them.
std::string_view majorMinorOf(std::uint32_t build) {
  switch (build) {
    case 6003:
      return "6.0";
    case 7601:
      return "6.1";
    case 9200:
      return "6.2";
    case 9600:
      return "6.3";
    default:
      return "10.0";
  }
}

// "20348.3807" -> "10.0.20348.3807"; a full build is returned as it is;
// anything that is not one Windows build gives nullopt.
std::optional<std::string> fullBuild(std::string_view text) {
  text = trim(text);
  if (version::windows::parse(text)) return std::string(text);
  auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string candidate = fmt::format("0.0.{}", text);
  auto parsed = version::windows::parse(candidate);
  if (!parsed) return std::nullopt;
  return fmt::format("{}.{}", majorMinorOf(parsed->build), text);
}

Severity severityFromCvss(double score) {
  if (score >= 9.0) return Severity::kCritical;
  if (score >= 7.0) return Severity::kHigh;
  if (score >= 4.0) return Severity::kMedium;
  if (score > 0.0) return Severity::kLow;
  return Severity::kNone;
}

// Collects the fixes of one CVE, one affected entry per product and one
// KbFix per KB in each.
class AdvisoryBuilder {
 public:
  AdvisoryBuilder(std::string id, std::string source) {
    advisory_.id = std::move(id);
    advisory_.source = std::move(source);
  }

  Advisory& advisory() { return advisory_; }

  // Adds `fix` for `product`, unless that product already lists the KB
  // with the same build.
  void addFix(const std::string& product, AffectedPackage::KbFix fix,
              std::optional<Severity> severity) {
    auto [slot, inserted] = entry_of_product_.try_emplace(product, advisory_.affected.size());
    if (inserted) {
      AffectedPackage entry;
      entry.ecosystem = std::string(kWindowsEcosystem);
      entry.name = product;
      advisory_.affected.push_back(std::move(entry));
    }
    AffectedPackage& entry = advisory_.affected[slot->second];
    if (severity && *severity != Severity::kUnknown &&
        (!entry.severity || *entry.severity < *severity)) {
      entry.severity = severity;
    }
    // One KB may bring a different build to each line it lists (Windows
    // 10 21H2 and 22H2 share KBs), so a KB repeats with each build.
    bool known =
        std::any_of(entry.kb_fixes.begin(), entry.kb_fixes.end(), [&](const auto& present) {
          return present.kb == fix.kb && present.fixed_build == fix.fixed_build;
        });
    if (!known) entry.kb_fixes.push_back(std::move(fix));
  }

  bool empty() const { return advisory_.affected.empty(); }

  // Sets the advisory's severity to the highest of its entries'.
  void settleSeverity() {
    for (const auto& entry : advisory_.affected) {
      if (entry.severity && *entry.severity > advisory_.severity) {
        advisory_.severity = *entry.severity;
      }
    }
  }

 private:
  Advisory advisory_;
  std::map<std::string, std::size_t> entry_of_product_;
};

}  // namespace

std::optional<std::string> windowsProductOfMsrcName(std::string_view name) {
  std::string text = lower(trim(name));
  constexpr std::string_view kCore = "(server core installation)";
  if (endsWith(text, kCore)) text = std::string(trim(text.substr(0, text.size() - kCore.size())));
  if (startsWith(text, "windows server")) return serverProduct(text);
  return clientProduct(text);
}

void windowsAdvisoriesFromCvrf(const CvrfDocument& document, const AdvisorySink& sink,
                               LoadReport& report) {
  std::map<std::string, AdvisoryBuilder> by_cve;
  for (const auto& fix : document.fixes) {
    auto product = windowsProductOfMsrcName(fix.product_name);
    if (!product) {
      ++report.records_withdrawn;
      continue;
    }
    auto [slot, inserted] = by_cve.try_emplace(fix.cve, fix.cve, "msrc-cvrf");
    AffectedPackage::KbFix kb_fix;
    kb_fix.kb = fix.kb;
    kb_fix.fixed_build = fix.fixed_build;
    kb_fix.update_type = fix.update_type;
    kb_fix.supersedes = fix.supersedes;
    kb_fix.restart_required = std::string(restartRequiredName(fix.restart_required));
    kb_fix.url = fix.url;
    std::optional<Severity> severity;
    if (!fix.severity.empty()) severity = parseSeverityWord(fix.severity);
    slot->second.addFix(*product, std::move(kb_fix), severity);
  }
  for (auto& [cve, builder] : by_cve) {
    Advisory& advisory = builder.advisory();
    advisory.summary = document.title;
    advisory.published = document.initial_release_date;
    advisory.modified = document.current_release_date;
    builder.settleSeverity();
    sink(std::move(advisory));
  }
}

void windowsAdvisoriesFromKbMapping(const std::vector<KbMapping>& rows, std::string_view origin,
                                    const AdvisorySink& sink, LoadReport& report) {
  std::map<std::string, AdvisoryBuilder> by_cve;
  for (const auto& row : rows) {
    auto product = windowsProductOfMsrcName(row.product);
    if (!product) {
      ++report.records_withdrawn;
      continue;
    }
    auto build = fullBuild(row.fixed_build);
    if (!build) {
      report.addIssue({std::string(origin), row.cve, "FixedBuild",
                       fmt::format("KB mapping {}: {} KB{} for {}: fixed build \"{}\" is not one "
                                   "Windows build",
                                   origin, row.cve, row.kb, row.product, row.fixed_build)});
      continue;
    }
    auto [slot, inserted] = by_cve.try_emplace(row.cve, row.cve, "kb-mapping");
    Advisory& advisory = slot->second.advisory();
    if (row.cvss_score && (!advisory.cvss_score || *advisory.cvss_score < *row.cvss_score)) {
      advisory.cvss_score = row.cvss_score;
    }
    if (!row.published.empty() &&
        (advisory.published.empty() || row.published < advisory.published)) {
      advisory.published = row.published;
    }
    AffectedPackage::KbFix kb_fix;
    kb_fix.kb = row.kb;
    kb_fix.fixed_build = *build;
    kb_fix.restart_required = std::string(restartRequiredName(RestartRequired::kUnknown));
    slot->second.addFix(*product, std::move(kb_fix), std::nullopt);
  }
  for (auto& [cve, builder] : by_cve) {
    Advisory& advisory = builder.advisory();
    if (advisory.cvss_score) advisory.severity = severityFromCvss(*advisory.cvss_score);
    sink(std::move(advisory));
  }
}

}  // namespace pk::advisory
