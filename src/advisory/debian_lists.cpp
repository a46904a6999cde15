#include "advisory/debian_lists.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "advisory/debian_tracker.h"
#include "version/dpkg.h"

namespace pk::advisory {

namespace {

constexpr std::string_view kBlanks = " \t";

std::string_view trimBlanks(std::string_view text) {
  std::size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  std::size_t last = text.find_last_not_of(kBlanks);
  return text.substr(first, last - first + 1);
}

// Splits off the first blank-separated word of `text` (already trimmed at
// the front) and leaves the rest, trimmed, in `text`.
std::string_view takeWord(std::string_view& text) {
  std::size_t end = text.find_first_of(kBlanks);
  std::string_view word = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view{} : trimBlanks(text.substr(end));
  return word;
}

bool isDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Parses a decimal number of at most four digits, enough for days and years.
std::optional<int> parseSmallNumber(std::string_view digits) {
  if (!isDigits(digits) || digits.size() > 4) return std::nullopt;
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

// Converts the header's "21 Apr 2023" to "2023-04-21", or nullopt when it is
// not a real calendar date in that form.
std::optional<std::string> parseListDate(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string_view rest = trimBlanks(text);
  std::string_view day_text = takeWord(rest);
  std::string_view month_text = takeWord(rest);
  std::string_view year_text = takeWord(rest);
  if (!rest.empty() || day_text.size() > 2 || year_text.size() != 4) return std::nullopt;

  std::optional<int> day = parseSmallNumber(day_text);
  std::optional<int> year = parseSmallNumber(year_text);
  auto month = std::find(kMonths.begin(), kMonths.end(), month_text);
  if (!day || !year || month == kMonths.end()) return std::nullopt;
  int month_number = static_cast<int>(month - kMonths.begin()) + 1;

  std::chrono::year_month_day date{std::chrono::year{*year},
                                   std::chrono::month{static_cast<unsigned>(month_number)},
                                   std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  return fmt::format("{:04}-{:02}-{:02}", *year, month_number, *day);
}

// Returns the source for an id of the form DSA-<n>[-<r>] or DLA-<n>[-<r>],
// or nullopt for any other id.
std::optional<std::string_view> sourceForId(std::string_view id) {
  std::optional<std::string_view> source;
  if (id.substr(0, 4) == "DSA-") source = kDebianDsaSource;
  if (id.substr(0, 4) == "DLA-") source = kDebianDlaSource;
  if (!source) return std::nullopt;

  std::string_view numbers = id.substr(4);
  std::size_t dash = numbers.find('-');
  if (!isDigits(numbers.substr(0, dash))) return std::nullopt;
  if (dash != std::string_view::npos && !isDigits(numbers.substr(dash + 1))) return std::nullopt;
  return source;
}

// CVE-YYYY-NNNN with at least four digits in the sequence number.
bool isCveId(std::string_view id) {
  if (id.size() < 13 || id.substr(0, 4) != "CVE-" || id[8] != '-') return false;
  return isDigits(id.substr(4, 4)) && isDigits(id.substr(9));
}

// Walks the list line by line. An entry is built while its indented lines
// are read and sent to the sink when the next header or the end arrives.
class ListLoader {
 public:
  ListLoader(std::string_view origin, const AdvisorySink& sink, LoadReport& report)
      : origin_(origin), sink_(sink), report_(report) {}

  void loadLine(std::string_view line) {
    ++line_number_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trimBlanks(line).empty()) return;

    if (line.front() == '[') {
      finishEntry();
      loadHeader(line);
      return;
    }
    if (line.front() != ' ' && line.front() != '\t') {
      addIssue("", "line", "unrecognised line; expected a '[date] id title' header");
      return;
    }
    if (skipping_entry_) return;
    if (!entry_) {
      addIssue("", "line", "indented line before the first entry's header");
      return;
    }

    std::string_view content = trimBlanks(line);
    if (content.substr(0, 5) == "NOTE:") return;
    if (content.front() == '{') return loadCveIds(content);
    if (content.front() == '[') return loadRelease(content);
    addIssue(entry_->id, "line",
             "unrecognised line; expected {CVE ids}, '[release] - package version' or NOTE:");
  }

  void finishEntry() {
    if (entry_) {
      sink_(std::move(*entry_));
      ++report_.records_loaded;
    }
    entry_.reset();
    skipping_entry_ = false;
  }

 private:
  void loadHeader(std::string_view line) {
    std::size_t close = line.find(']');
    if (close == std::string_view::npos) {
      skipping_entry_ = true;
      addIssue("", "date", "header has no closing ']' after the date");
      return;
    }
    std::string_view rest = trimBlanks(line.substr(close + 1));
    std::string_view id = takeWord(rest);

    std::optional<std::string_view> source = sourceForId(id);
    if (!source) {
      skipping_entry_ = true;
      addIssue(id, "id", fmt::format("invalid advisory id '{}'; expected DSA-n-r or DLA-n-r", id));
      return;
    }
    std::string_view date_text = line.substr(1, close - 1);
    std::optional<std::string> published = parseListDate(date_text);
    if (!published) {
      skipping_entry_ = true;
      addIssue(id, "date",
               fmt::format("invalid date '{}'; expected a day, month and year such as "
                           "'21 Apr 2023'",
                           date_text));
      return;
    }

    // Some old headers have no package before the dash ("DSA-1724-1  - SQL
    // injection"); the dash alone is not part of the title.
    if (rest.substr(0, 1) == "-" && (rest.size() == 1 || rest[1] == ' ' || rest[1] == '\t')) {
      rest = trimBlanks(rest.substr(1));
    }
    entry_.emplace();
    entry_->id = id;
    entry_->source = *source;
    entry_->summary = rest;
    entry_->published = std::move(*published);
  }

  void loadCveIds(std::string_view content) {
    if (content.back() != '}') {
      addIssue(entry_->id, "cve_ids", "CVE list has no closing '}'");
      return;
    }
    std::string_view ids = trimBlanks(content.substr(1, content.size() - 2));
    while (!ids.empty()) {
      std::string_view id = takeWord(ids);
      if (!isCveId(id)) {
        addIssue(entry_->id, "cve_ids",
                 fmt::format("invalid CVE id '{}'; expected CVE-YYYY-NNNN", id));
        continue;
      }
      auto& aliases = entry_->aliases;
      if (std::find(aliases.begin(), aliases.end(), id) == aliases.end()) aliases.emplace_back(id);
    }
  }

  // Reads "[codename] - package version-or-<marker> [(remark)]".
  void loadRelease(std::string_view content) {
    std::size_t close = content.find(']');
    if (close == std::string_view::npos) {
      addIssue(entry_->id, "release", "release line has no closing ']' after the codename");
      return;
    }
    std::string_view codename = content.substr(1, close - 1);
    std::optional<std::string_view> ecosystem = debianEcosystemForCodename(codename);
    if (!ecosystem) {
      addIssue(entry_->id, "release", fmt::format("unknown Debian release '{}'", codename));
      return;
    }

    std::string_view rest = trimBlanks(content.substr(close + 1));
    if (takeWord(rest) != "-") {
      addIssue(entry_->id, "line", "release line has no ' - ' after the codename");
      return;
    }
    std::string_view package = takeWord(rest);
    if (!isValidDebianPackageName(package)) {
      addIssue(entry_->id, "package", fmt::format("invalid source package name '{}'", package));
      return;
    }
    if (rest.empty()) {
      addIssue(entry_->id, "fixed_version",
               fmt::format("no fixed version for {} in {}", package, codename));
      return;
    }

    AffectedPackage affected;
    affected.ecosystem = *ecosystem;
    affected.name = package;
    affected.name_kind = PackageNameKind::kSource;
    if (rest.front() == '<') {
      if (!loadMarker(rest, affected)) return;
    } else if (!loadFixedVersion(rest, affected)) {
      return;
    }
    entry_->affected.push_back(std::move(affected));
  }

  // Handles "<marker> [(remark)]". Returns false when no affected entry
  // should be added: the release is not affected, or the marker is unknown.
  bool loadMarker(std::string_view rest, AffectedPackage& affected) {
    std::size_t close = rest.find('>');
    if (close == std::string_view::npos) {
      addIssue(entry_->id, "fixed_version", "release marker has no closing '>'");
      return false;
    }
    std::string_view marker = rest.substr(0, close + 1);
    if (!loadRemark(trimBlanks(rest.substr(close + 1)), affected)) return false;

    if (marker == "<not-affected>") return false;
    // Unfixed and end-of-life releases stay vulnerable with no fixed version.
    if (marker == "<unfixed>" || marker == "<end-of-life>") {
      affected.ranges.push_back({RangeEvent{RangeEvent::Type::kIntroduced, "0"}});
      return true;
    }
    addIssue(entry_->id, "fixed_version",
             fmt::format("unknown release marker '{}'; expected <not-affected>, <unfixed> or "
                         "<end-of-life>",
                         marker));
    return false;
  }

  bool loadFixedVersion(std::string_view rest, AffectedPackage& affected) {
    std::string_view fixed_version = takeWord(rest);
    if (auto parsed = version::dpkg::parse(fixed_version); !parsed) {
      addIssue(entry_->id, "fixed_version", parsed.error().message);
      return false;
    }
    if (!loadRemark(rest, affected)) return false;
    affected.ranges.push_back({RangeEvent{RangeEvent::Type::kIntroduced, "0"},
                               RangeEvent{RangeEvent::Type::kFixed, std::string(fixed_version)}});
    return true;
  }

  // Reads an optional "(remark; remark)" after the version or marker. The
  // first part that is a severity word, as in "(bug #338011; medium)",
  // becomes the entry's severity.
  bool loadRemark(std::string_view remark, AffectedPackage& affected) {
    if (remark.empty()) return true;
    if (remark.front() != '(' || remark.back() != ')') {
      addIssue(entry_->id, "line",
               fmt::format("unexpected text '{}' after the version; expected a (remark)", remark));
      return false;
    }
    std::string_view parts = remark.substr(1, remark.size() - 2);
    while (!parts.empty() && !affected.severity) {
      std::size_t end = parts.find(';');
      Severity severity = parseSeverityWord(trimBlanks(parts.substr(0, end)));
      if (severity != Severity::kUnknown) affected.severity = severity;
      parts = end == std::string_view::npos ? std::string_view{} : parts.substr(end + 1);
    }
    return true;
  }

  void addIssue(std::string_view record_id, std::string_view field, std::string_view message) {
    report_.addIssue(LoadIssue{std::string(origin_), std::string(record_id), std::string(field),
                               fmt::format("line {}: {}", line_number_, message)});
  }

  std::string_view origin_;
  const AdvisorySink& sink_;
  LoadReport& report_;
  std::size_t line_number_ = 0;
  std::optional<Advisory> entry_;
  // Set after a malformed header, so that the lines of that entry are
  // dropped with it instead of each being reported.
  bool skipping_entry_ = false;
};

}  // namespace

Result<void> parseDebianSecurityList(std::string_view text, std::string_view origin,
                                     const AdvisorySink& sink, LoadReport& report) {
  ListLoader loader(origin, sink, report);
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    loader.loadLine(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  loader.finishEntry();
  return {};
}

}  // namespace pk::advisory
