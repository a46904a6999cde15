#include "advisory/debian_tracker.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>

#include "version/dpkg.h"

namespace pk::advisory {

namespace {

struct Release {
  std::string_view codename;
  std::string_view ecosystem;
};

// OSV names the releases before wheezy with their "major.minor" numbers and
// the later ones with the major number alone.
constexpr std::array<Release, 13> kReleases{{
    {"woody", "Debian:3.0"},
    {"sarge", "Debian:3.1"},
    {"etch", "Debian:4.0"},
    {"lenny", "Debian:5.0"},
    {"squeeze", "Debian:6.0"},
    {"wheezy", "Debian:7"},
    {"jessie", "Debian:8"},
    {"stretch", "Debian:9"},
    {"buster", "Debian:10"},
    {"bullseye", "Debian:11"},
    {"bookworm", "Debian:12"},
    {"trixie", "Debian:13"},
    {"forky", "Debian:14"},
}};

// Escapes one JSON pointer token as RFC 6901 requires.
std::string pointerToken(std::string_view key) {
  std::string token;
  token.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      token += "~0";
    } else if (c == '/') {
      token += "~1";
    } else {
      token += c;
    }
  }
  return token;
}

template <typename... Keys>
std::string jsonPointer(const Keys&... keys) {
  std::string pointer;
  ((pointer += '/', pointer += pointerToken(keys)), ...);
  return pointer;
}

// The tracker appends '*' marks to some urgencies ("medium*", "low**"), and
// the marks are not part of the urgency word.
std::optional<Severity> severityFromUrgency(std::string_view urgency) {
  while (!urgency.empty() && urgency.back() == '*') urgency.remove_suffix(1);
  Severity severity = parseSeverityWord(urgency);
  if (severity == Severity::kUnknown) return std::nullopt;
  return severity;
}

std::string_view trimBlanks(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r\n";
  std::size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  std::size_t last = text.find_last_not_of(kBlanks);
  return text.substr(first, last - first + 1);
}

// Collects advisories per CVE id while the document is walked, because the
// export groups CVEs under packages and a CVE may affect many packages.
class TrackerLoader {
 public:
  TrackerLoader(std::string_view origin, LoadReport& report) : origin_(origin), report_(report) {}

  void loadPackage(std::string_view package, simdjson::dom::element value) {
    if (!isValidDebianPackageName(package)) {
      addIssue(package, jsonPointer(package),
               fmt::format("invalid source package name '{}'", package));
      return;
    }
    simdjson::dom::object cves;
    if (value.get_object().get(cves) != simdjson::SUCCESS) {
      addIssue(package, jsonPointer(package), "package entry is not a JSON object");
      return;
    }
    for (auto [cve_id, entry] : cves) loadCve(package, cve_id, entry);
  }

  void emit(const AdvisorySink& sink) {
    for (auto& [id, advisory] : advisories_) {
      sink(std::move(advisory));
      ++report_.records_loaded;
    }
    advisories_.clear();
  }

 private:
  void loadCve(std::string_view package, std::string_view cve_id, simdjson::dom::element entry) {
    if (cve_id.empty()) {
      addIssue(package, jsonPointer(package, cve_id), "empty CVE id");
      return;
    }
    simdjson::dom::object fields;
    if (entry.get_object().get(fields) != simdjson::SUCCESS) {
      addIssue(cve_id, jsonPointer(package, cve_id), "CVE entry is not a JSON object");
      return;
    }

    std::string_view description;
    if (auto field = fields["description"]; field.error() == simdjson::SUCCESS) {
      if (field.get_string().get(description) != simdjson::SUCCESS) {
        addIssue(cve_id, jsonPointer(package, cve_id, "description"),
                 "description is not a string");
        return;
      }
    }
    simdjson::dom::object releases;
    if (fields["releases"].get_object().get(releases) != simdjson::SUCCESS) {
      addIssue(cve_id, jsonPointer(package, cve_id, "releases"), "missing \"releases\" object");
      return;
    }

    Advisory& advisory = advisoryFor(cve_id);
    if (advisory.summary.empty()) advisory.summary = trimBlanks(description);
    for (auto [codename, release] : releases) {
      std::optional<std::string_view> ecosystem = debianEcosystemForCodename(codename);
      if (!ecosystem) continue;  // sid, experimental and releases newer than the table
      std::optional<AffectedPackage> affected =
          loadRelease(package, cve_id, codename, *ecosystem, release);
      if (!affected) continue;
      if (affected->severity && *affected->severity > advisory.severity) {
        advisory.severity = *affected->severity;
      }
      advisory.affected.push_back(std::move(*affected));
    }
  }

  // Returns the affected entry of one release. Returns nullopt when the
  // release is not affected, or when its entry is malformed and an issue was
  // added.
  std::optional<AffectedPackage> loadRelease(std::string_view package, std::string_view cve_id,
                                             std::string_view codename, std::string_view ecosystem,
                                             simdjson::dom::element release) {
    std::string pointer = jsonPointer(package, cve_id, "releases", codename);
    simdjson::dom::object fields;
    if (release.get_object().get(fields) != simdjson::SUCCESS) {
      addIssue(cve_id, pointer, "release entry is not a JSON object");
      return std::nullopt;
    }

    std::string_view status;
    if (fields["status"].get_string().get(status) != simdjson::SUCCESS) {
      addIssue(cve_id, pointer + "/status", "missing or non-string \"status\"");
      return std::nullopt;
    }
    std::string_view urgency;
    if (auto field = fields["urgency"]; field.error() == simdjson::SUCCESS) {
      if (field.get_string().get(urgency) != simdjson::SUCCESS) {
        addIssue(cve_id, pointer + "/urgency", "urgency is not a string");
        return std::nullopt;
      }
    }

    AffectedPackage affected;
    affected.ecosystem = ecosystem;
    affected.name = package;
    affected.name_kind = PackageNameKind::kSource;
    affected.severity = severityFromUrgency(urgency);

    if (status == "open" || status == "undetermined") {
      affected.ranges.push_back({RangeEvent{RangeEvent::Type::kIntroduced, "0"}});
      return affected;
    }
    if (status != "resolved") {
      addIssue(cve_id, pointer + "/status",
               fmt::format("unknown status '{}'; expected resolved, open or undetermined", status));
      return std::nullopt;
    }

    std::string_view fixed_version;
    if (fields["fixed_version"].get_string().get(fixed_version) != simdjson::SUCCESS) {
      addIssue(cve_id, pointer + "/fixed_version",
               "resolved release has no string \"fixed_version\"");
      return std::nullopt;
    }
    fixed_version = trimBlanks(fixed_version);
    // The tracker writes fixed version "0" for a release whose package never
    // contained the vulnerable code.
    if (fixed_version == "0") return std::nullopt;
    if (auto parsed = version::dpkg::parse(fixed_version); !parsed) {
      addIssue(cve_id, pointer + "/fixed_version", parsed.error().message);
      return std::nullopt;
    }
    affected.ranges.push_back({RangeEvent{RangeEvent::Type::kIntroduced, "0"},
                               RangeEvent{RangeEvent::Type::kFixed, std::string(fixed_version)}});
    return affected;
  }

  Advisory& advisoryFor(std::string_view cve_id) {
    auto found = advisories_.find(cve_id);
    if (found != advisories_.end()) return found->second;
    Advisory advisory;
    advisory.id = cve_id;
    advisory.source = kDebianTrackerSource;
    return advisories_.emplace(std::string(cve_id), std::move(advisory)).first->second;
  }

  void addIssue(std::string_view record_id, std::string field, std::string message) {
    report_.addIssue(LoadIssue{std::string(origin_), std::string(record_id), std::move(field),
                               std::move(message)});
  }

  std::string_view origin_;
  LoadReport& report_;
  std::map<std::string, Advisory, std::less<>> advisories_;
};

}  // namespace

std::optional<std::string_view> debianEcosystemForCodename(std::string_view codename) {
  for (const auto& release : kReleases) {
    if (release.codename == codename) return release.ecosystem;
  }
  return std::nullopt;
}

bool isValidDebianPackageName(std::string_view name) {
  auto is_lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.size() < 2 || !is_lower_alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return is_lower_alnum(c) || c == '+' || c == '-' || c == '.'; });
}

Result<void> parseDebianTrackerJson(std::string_view json, std::string_view origin,
                                    const AdvisorySink& sink, LoadReport& report) {
  // simdjson's DOM parser validates the whole document before any advisory is
  // built, so a truncated download fails as a whole instead of loading half.
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json.data(), json.size());
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: invalid JSON ({}); expected the Debian security tracker's JSON "
                            "export; download it again if it was truncated",
                            origin, simdjson::error_message(error)));
  }
  simdjson::dom::object packages;
  if (root.get_object().get(packages) != simdjson::SUCCESS) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: the top level is not a JSON object of packages; expected the "
                            "Debian security tracker's JSON export",
                            origin));
  }

  TrackerLoader loader(origin, report);
  for (auto [package, value] : packages) loader.loadPackage(package, value);
  loader.emit(sink);
  return {};
}

}  // namespace pk::advisory
