#include "advisory/alpine_secdb.h"

#include <algorithm>
#include <compare>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "version/apk.h"

namespace pk::advisory {
namespace {

using Json = nlohmann::json;

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isLetter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// RFC 6901 escaping, so that a version key can sit inside a JSON pointer.
std::string escapePointerToken(std::string_view token) {
  std::string escaped;
  for (char c : token) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

// CVE-YYYY-NNNN with four or more digits in the sequence number.
bool isCveId(std::string_view token) {
  if (token.size() < 13 || token.substr(0, 4) != "CVE-" || token[8] != '-') return false;
  for (std::size_t i = 4; i < token.size(); ++i) {
    if (i != 8 && !isDigit(token[i])) return false;
  }
  return true;
}

// Vendor ids such as XSA-204, GHSA-h5c8-rqwp-cp95, VSV00010 or
// wnpa-sec-2017-18. Words such as "N/A" or "XPTI" carry no digit and are
// notes, not ids.
bool isOtherId(std::string_view token) {
  if (token.empty() || !isLetter(token.front())) return false;
  bool has_digit = false;
  for (char c : token) {
    if (isDigit(c)) {
      has_digit = true;
    } else if (!isLetter(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return has_digit;
}

struct LineIds {
  std::vector<std::string> cves;
  std::vector<std::string> others;
  std::vector<std::string> malformed_cves;
};

// Splits one secdb line into ids. A token that starts with "(" begins a
// free-text remark, as in "CVE-2017-16808 (AoE)", and ends the ids.
LineIds splitLine(std::string_view line) {
  LineIds ids;
  std::size_t pos = 0;
  while (pos < line.size()) {
    std::size_t start = line.find_first_not_of(" \t\r\n", pos);
    if (start == std::string_view::npos) break;
    std::size_t end = line.find_first_of(" \t\r\n", start);
    if (end == std::string_view::npos) end = line.size();
    std::string token(line.substr(start, end - start));
    pos = end;

    if (token.front() == '(') break;
    // "CVE_2019-2426" appears in the feed for CVE-2019-2426.
    if (token.rfind("CVE_", 0) == 0) token[3] = '-';

    if (token.rfind("CVE", 0) == 0) {
      if (isCveId(token)) {
        ids.cves.push_back(std::move(token));
      } else if (token != "CVE" && token.find('?') == std::string::npos) {
        // "CVE" alone and "CVE-2022-?????" are placeholders for an id not
        // yet assigned. Anything else that claims to be a CVE id is an error.
        ids.malformed_cves.push_back(std::move(token));
      }
      continue;
    }
    if (isOtherId(token)) ids.others.push_back(std::move(token));
  }
  return ids;
}

// One advisory being assembled: package name -> highest fixed version.
struct PendingAdvisory {
  std::vector<std::string> aliases;
  std::map<std::string, std::string> fixed_by_package;
};

void addUnique(std::vector<std::string>& values, const std::string& value) {
  if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
}

void recordFix(std::map<std::string, PendingAdvisory>& pending, const std::string& id,
               const std::vector<std::string>& aliases, const std::string& package,
               const std::string& fixed) {
  PendingAdvisory& advisory = pending[id];
  for (const auto& alias : aliases) {
    if (alias != id) addUnique(advisory.aliases, alias);
  }
  auto [it, inserted] = advisory.fixed_by_package.emplace(package, fixed);
  if (!inserted && version::apk::compare(fixed, it->second) == std::weak_ordering::greater) {
    it->second = fixed;
  }
}

std::string ecosystemFor(std::string_view distroversion) {
  if (!distroversion.empty() && isDigit(distroversion.front())) {
    return fmt::format("Alpine:v{}", distroversion);
  }
  return fmt::format("Alpine:{}", distroversion);
}

struct FileContext {
  std::string_view origin;
  LoadReport& report;

  void issue(std::string record_id, std::string field, std::string message) const {
    report.addIssue(
        LoadIssue{std::string(origin), std::move(record_id), std::move(field), std::move(message)});
  }
};

// Reads one package's secfixes into `pending`, reporting what it skips.
void readPackage(const Json& entry, std::size_t index, const FileContext& context,
                 std::map<std::string, PendingAdvisory>& pending) {
  const std::string pointer = fmt::format("/packages/{}", index);
  const Json* pkg = nullptr;
  if (entry.is_object()) {
    auto it = entry.find("pkg");
    if (it != entry.end() && it->is_object()) pkg = &*it;
  }
  if (pkg == nullptr) {
    context.issue("", pointer + "/pkg", "package entry has no \"pkg\" object");
    return;
  }
  auto name_it = pkg->find("name");
  if (name_it == pkg->end() || !name_it->is_string() ||
      name_it->get_ref<const std::string&>().empty()) {
    context.issue("", pointer + "/pkg/name", "package entry has no name");
    return;
  }
  const std::string& name = name_it->get_ref<const std::string&>();

  auto secfixes_it = pkg->find("secfixes");
  if (secfixes_it == pkg->end()) return;  // a package with no fixes yet
  if (!secfixes_it->is_object()) {
    context.issue(name, pointer + "/pkg/secfixes", "\"secfixes\" is not an object");
    return;
  }

  // Ids under "0" never affected this package in this release. A fix listed
  // for the same id under another key is history from an older release, so
  // it is dropped.
  std::vector<std::string> not_affected;
  if (auto zero = secfixes_it->find("0"); zero != secfixes_it->end() && zero->is_array()) {
    for (const Json& line : *zero) {
      if (!line.is_string()) continue;
      LineIds ids = splitLine(line.get_ref<const std::string&>());
      for (auto& id : ids.cves) not_affected.push_back(std::move(id));
      if (ids.cves.empty() && !ids.others.empty()) not_affected.push_back(ids.others.front());
    }
  }
  context.report.records_withdrawn += not_affected.size();
  auto affects = [&not_affected](const std::string& id) {
    return std::find(not_affected.begin(), not_affected.end(), id) == not_affected.end();
  };

  for (const auto& [fixed, lines] : secfixes_it->items()) {
    const std::string field = pointer + "/pkg/secfixes/" + escapePointerToken(fixed);
    if (!lines.is_array()) {
      context.issue(name, field, "the list of ids is not an array");
      continue;
    }
    if (fixed == "0") continue;
    if (auto valid = version::apk::validate(fixed); !valid) {
      context.issue(name, field,
                    fmt::format("fixed version is invalid: {}", valid.error().message));
      continue;
    }

    for (std::size_t line_index = 0; line_index < lines.size(); ++line_index) {
      const Json& line = lines[line_index];
      const std::string line_field = fmt::format("{}/{}", field, line_index);
      if (!line.is_string()) {
        context.issue(name, line_field, "id line is not a string");
        continue;
      }
      LineIds ids = splitLine(line.get_ref<const std::string&>());
      for (const auto& bad : ids.malformed_cves) {
        context.issue(name, line_field, fmt::format("\"{}\" is not a valid CVE id", bad));
      }
      if (ids.cves.empty() && ids.others.empty()) {
        if (ids.malformed_cves.empty()) {
          context.issue(name, line_field,
                        fmt::format("line \"{}\" names no vulnerability id",
                                    line.get_ref<const std::string&>()));
        }
        continue;
      }
      if (ids.cves.empty()) {
        if (affects(ids.others.front())) {
          recordFix(pending, ids.others.front(), ids.others, name, fixed);
        }
        continue;
      }
      for (const auto& cve : ids.cves) {
        if (affects(cve)) recordFix(pending, cve, ids.others, name, fixed);
      }
    }
  }
}

}  // namespace

Result<void> parseAlpineSecdb(std::string_view json, std::string_view origin,
                              const AdvisorySink& sink, LoadReport& report) {
  Json document = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: not a JSON object; expected an Alpine secdb file", origin));
  }
  auto distro_it = document.find("distroversion");
  if (distro_it == document.end() || !distro_it->is_string() ||
      distro_it->get_ref<const std::string&>().empty()) {
    return fail(
        ErrorCode::kMalformedInput,
        fmt::format("{}: missing \"distroversion\"; expected an Alpine secdb file", origin));
  }
  auto packages_it = document.find("packages");
  if (packages_it == document.end() || !packages_it->is_array()) {
    return fail(
        ErrorCode::kMalformedInput,
        fmt::format("{}: missing \"packages\" array; expected an Alpine secdb file", origin));
  }

  const std::string ecosystem = ecosystemFor(distro_it->get_ref<const std::string&>());
  const FileContext context{origin, report};
  std::map<std::string, PendingAdvisory> pending;
  for (std::size_t i = 0; i < packages_it->size(); ++i) {
    readPackage((*packages_it)[i], i, context, pending);
  }

  for (auto& [id, entry] : pending) {
    Advisory advisory;
    advisory.id = id;
    advisory.source = std::string(kAlpineSecdbSource);
    advisory.aliases = std::move(entry.aliases);
    for (auto& [package, fixed] : entry.fixed_by_package) {
      AffectedPackage affected;
      affected.ecosystem = ecosystem;
      affected.name = package;
      affected.name_kind = PackageNameKind::kSource;
      affected.ranges.push_back({RangeEvent{RangeEvent::Type::kIntroduced, "0"},
                                 RangeEvent{RangeEvent::Type::kFixed, std::move(fixed)}});
      advisory.affected.push_back(std::move(affected));
    }
    ++report.records_loaded;
    sink(std::move(advisory));
  }
  return {};
}

}  // namespace pk::advisory
