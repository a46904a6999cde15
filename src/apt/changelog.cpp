#include "apt/changelog.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <tuple>

#include "version/dpkg.h"

namespace pk::apt {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isLower(char c) {
  return c >= 'a' && c <= 'z';
}
bool isAlnum(char c) {
  return isDigit(c) || isLower(c) || (c >= 'A' && c <= 'Z');
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string_view trimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string_view takeLine(std::string_view& text) {
  const auto newline = text.find('\n');
  std::string_view line = text.substr(0, newline);
  text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Parses "source (version) distributions; key=value, ...". Source names
// are lower-case letters, digits and "+-." (Debian Policy 5.6.1).
std::optional<ChangelogEntry> parseHeader(std::string_view line) {
  if (line.empty() || !(isLower(line.front()) || isDigit(line.front()))) return std::nullopt;
  const auto open = line.find(" (");
  if (open == std::string_view::npos) return std::nullopt;
  const std::string_view source = line.substr(0, open);
  for (const char c : source) {
    if (!(isLower(c) || isDigit(c) || c == '+' || c == '-' || c == '.')) return std::nullopt;
  }
  const auto close = line.find(')', open + 2);
  if (close == std::string_view::npos) return std::nullopt;
  const auto semicolon = line.find(';', close);
  if (semicolon == std::string_view::npos) return std::nullopt;

  ChangelogEntry entry;
  entry.source = source;
  entry.version = trimBlanks(line.substr(open + 2, close - open - 2));
  entry.distributions = trimBlanks(line.substr(close + 1, semicolon - close - 1));
  if (entry.version.empty()) return std::nullopt;

  const std::string_view metadata = line.substr(semicolon + 1);
  const auto urgency = metadata.find("urgency=");
  if (urgency != std::string_view::npos) {
    std::string_view value = metadata.substr(urgency + 8);
    value = value.substr(0, value.find_first_of(", \t"));
    entry.urgency = value;
  }
  return entry;
}

// A trailer is " -- Name <mail>  date"; the two blanks separate the date.
bool parseTrailer(std::string_view line, ChangelogEntry& entry) {
  if (!startsWith(line, " -- ")) return false;
  const std::string_view rest = line.substr(4);
  const auto mail_end = rest.find('>');
  if (mail_end == std::string_view::npos) {
    entry.maintainer = trimBlanks(rest);
    return true;
  }
  entry.maintainer = trimBlanks(rest.substr(0, mail_end + 1));
  entry.date = trimBlanks(rest.substr(mail_end + 1));
  return true;
}

// dpkg-parsechangelog stops at these lines, which start non-Debian text.
bool isEndOfChangelog(std::string_view line) {
  std::string_view text = line;
  if (startsWith(text, ";;")) text = trimBlanks(text.substr(2));
  if (startsWith(text, "#")) text = trimBlanks(text.substr(1));
  return startsWith(line, "Old Changelog:") || startsWith(text, "Local variables:") ||
         startsWith(text, "Local Variables:") || startsWith(text, "vim:");
}

using CveKey = std::tuple<long long, long long, std::string>;

}  // namespace

Result<std::vector<ChangelogEntry>> parseChangelog(std::string_view text) {
  std::vector<ChangelogEntry> entries;
  bool in_entry = false;

  while (!text.empty()) {
    const std::string_view line = takeLine(text);
    if (isEndOfChangelog(line)) break;

    if (auto header = parseHeader(line)) {
      entries.push_back(std::move(*header));
      in_entry = true;
      continue;
    }
    if (!in_entry) continue;
    if (parseTrailer(line, entries.back())) {
      in_entry = false;
      continue;
    }
    entries.back().body.append(line);
    entries.back().body.push_back('\n');
  }

  if (entries.empty()) {
    return pk::fail(ErrorCode::kMalformedInput,
                    "changelog has no entry header line such as \"name (version) suite; "
                    "urgency=...\", so it is not a Debian changelog");
  }
  return entries;
}

std::vector<std::string> findCveIds(std::string_view text) {
  constexpr std::string_view kPrefix = "CVE-";
  std::vector<CveKey> found;

  for (auto at = text.find(kPrefix); at != std::string_view::npos;
       at = text.find(kPrefix, at + 1)) {
    // "XCVE-..." is part of another word, not an id.
    if (at > 0 && isAlnum(text[at - 1])) continue;
    std::size_t pos = at + kPrefix.size();
    const std::size_t year_start = pos;
    while (pos < text.size() && isDigit(text[pos])) ++pos;
    if (pos - year_start != 4 || pos >= text.size() || text[pos] != '-') continue;
    ++pos;
    const std::size_t number_start = pos;
    while (pos < text.size() && isDigit(text[pos])) ++pos;
    const std::size_t number_digits = pos - number_start;
    // Longer digit runs than 18 cannot be real ids and would overflow the key.
    if (number_digits < 4 || number_digits > 18) continue;

    const std::string_view year = text.substr(year_start, 4);
    const std::string_view number = text.substr(number_start, number_digits);
    found.emplace_back(std::stoll(std::string(year)), std::stoll(std::string(number)),
                       std::string(text.substr(at, pos - at)));
  }

  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  std::vector<std::string> ids;
  ids.reserve(found.size());
  for (auto& key : found) ids.push_back(std::move(std::get<2>(key)));
  return ids;
}

std::vector<ChangelogEntry> entriesBetween(const std::vector<ChangelogEntry>& entries,
                                           std::string_view installed_version,
                                           std::string_view target_version) {
  std::vector<ChangelogEntry> selected;
  for (const auto& entry : entries) {
    if (version::dpkg::compare(entry.version, installed_version) <= 0) continue;
    if (version::dpkg::compare(entry.version, target_version) > 0) continue;
    selected.push_back(entry);
  }
  return selected;
}

std::vector<std::string> cveIdsBetween(const std::vector<ChangelogEntry>& entries,
                                       std::string_view installed_version,
                                       std::string_view target_version) {
  std::string bodies;
  for (const auto& entry : entriesBetween(entries, installed_version, target_version)) {
    bodies.append(entry.body);
  }
  return findCveIds(bodies);
}

}  // namespace pk::apt
