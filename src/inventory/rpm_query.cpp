#include "inventory/rpm_query.h"

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <optional>

#include "inventory/text_lines.h"
#include "version/rpm.h"

namespace pk::inventory {
namespace {

constexpr std::size_t kFieldCount = 6;
constexpr std::string_view kNone = "(none)";

// Splits `line` at tabs into exactly kFieldCount fields, or returns nullopt
// and the number of fields found.
std::optional<std::array<std::string_view, kFieldCount>> splitFields(std::string_view line,
                                                                     std::size_t& found) {
  std::array<std::string_view, kFieldCount> fields;
  found = 0;
  while (true) {
    const std::size_t tab = line.find('\t');
    if (found < kFieldCount) fields[found] = line.substr(0, tab);
    ++found;
    if (tab == std::string_view::npos) break;
    line.remove_prefix(tab + 1);
  }
  if (found != kFieldCount) return std::nullopt;
  return fields;
}

std::optional<Package> toPackage(const std::array<std::string_view, kFieldCount>& fields,
                                 std::string& reason) {
  const auto [name, epoch, version, release, arch, source_rpm] = fields;
  if (name.empty()) {
    reason = "empty NAME";
    return std::nullopt;
  }

  const std::string version_release = fmt::format("{}-{}", version, release);
  const std::string full_version =
      epoch.empty() ? version_release : fmt::format("{}:{}", epoch, version_release);
  if (auto parsed = version::rpm::parse(full_version); !parsed) {
    reason = parsed.error().message;
    return std::nullopt;
  }

  Package package;
  package.name = std::string(name);
  package.version = full_version;
  package.architecture = arch == kNone ? std::string() : std::string(arch);
  if (source_rpm.empty() || source_rpm == kNone) {
    package.source_name = package.name;
    package.source_version = version_release;
    return package;
  }
  Result<SourceRpm> source = parseSourceRpmName(source_rpm);
  if (!source) {
    reason = source.error().message;
    return std::nullopt;
  }
  package.source_name = std::move(source->name);
  package.source_version = std::move(source->version_release);
  return package;
}

}  // namespace

Result<SourceRpm> parseSourceRpmName(std::string_view file_name) {
  std::string_view stem = file_name;
  for (std::string_view suffix : {std::string_view(".src.rpm"), std::string_view(".nosrc.rpm")}) {
    if (stem.size() > suffix.size() && stem.substr(stem.size() - suffix.size()) == suffix) {
      stem.remove_suffix(suffix.size());
      break;
    }
  }
  if (stem.size() == file_name.size()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("source rpm '{}' does not end in .src.rpm or .nosrc.rpm", file_name));
  }

  const std::size_t release_dash = stem.rfind('-');
  const std::size_t version_dash = release_dash == std::string_view::npos || release_dash == 0
                                       ? std::string_view::npos
                                       : stem.rfind('-', release_dash - 1);
  if (version_dash == std::string_view::npos || version_dash == 0 ||
      release_dash == version_dash + 1 || release_dash + 1 == stem.size()) {
    return fail(
        ErrorCode::kMalformedInput,
        fmt::format("source rpm '{}' is not named name-version-release.src.rpm", file_name));
  }
  return SourceRpm{std::string(stem.substr(0, version_dash)),
                   std::string(stem.substr(version_dash + 1))};
}

ParsedPackages parseRpmQueryOutput(std::string_view output, std::string_view file_name) {
  ParsedPackages result;
  detail::LineCursor cursor(output);
  std::string_view line;
  while (cursor.next(line)) {
    if (line.empty()) continue;

    std::size_t field_count = 0;
    const auto fields = splitFields(line, field_count);
    if (!fields) {
      result.skipped.push_back(SkippedRecord{
          std::string(file_name), cursor.number(), std::string(line.substr(0, line.find('\t'))),
          fmt::format("expected {} tab-separated fields, found {}", kFieldCount, field_count)});
      continue;
    }
    // Imported signing keys show up in `rpm -qa` as gpg-pubkey packages.
    if ((*fields)[0] == "gpg-pubkey") continue;

    std::string reason;
    std::optional<Package> package = toPackage(*fields, reason);
    if (!package) {
      result.skipped.push_back(SkippedRecord{std::string(file_name), cursor.number(),
                                             std::string((*fields)[0]), std::move(reason)});
      continue;
    }
    result.packages.push_back(std::move(*package));
  }
  return result;
}

}  // namespace pk::inventory
