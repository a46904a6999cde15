#include "inventory/apk_installed.h"

#include <fmt/format.h>

#include <cstddef>
#include <optional>
#include <string>

#include "inventory/text_lines.h"
#include "version/apk.h"

namespace pk::inventory {
namespace {

struct Record {
  std::size_t first_line = 0;
  std::optional<std::string_view> name;
  std::optional<std::string_view> version;
  std::string_view architecture;
  std::string_view origin;
  std::optional<std::string> error;
};

void finishRecord(Record& record, std::string_view file_name, ParsedPackages& result) {
  if (record.first_line == 0) return;

  const std::string name(record.name.value_or(std::string_view{}));
  auto skip = [&](std::string reason) {
    result.skipped.push_back(
        SkippedRecord{std::string(file_name), record.first_line, name, std::move(reason)});
  };
  if (record.error) {
    skip(*record.error);
  } else if (name.empty()) {
    skip("missing or empty P: (package name)");
  } else if (!record.version || record.version->empty()) {
    skip("missing or empty V: (package version)");
  } else if (auto valid = version::apk::validate(*record.version); !valid) {
    skip(valid.error().message);
  } else {
    Package package;
    package.name = name;
    package.version = std::string(*record.version);
    package.architecture = std::string(record.architecture);
    package.source_name = record.origin.empty() ? name : std::string(record.origin);
    package.source_version = package.version;
    result.packages.push_back(std::move(package));
  }
  record = Record{};
}

}  // namespace

ParsedPackages parseApkInstalled(std::string_view text, std::string_view file_name) {
  ParsedPackages result;
  Record record;
  detail::LineCursor cursor(text);
  std::string_view line;
  while (cursor.next(line)) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      finishRecord(record, file_name, result);
      continue;
    }
    if (record.first_line == 0) record.first_line = cursor.number();

    if (line.size() < 2 || line[1] != ':') {
      if (!record.error) {
        record.error = fmt::format("line {} is not a 'X:value' line", cursor.number());
      }
      continue;
    }
    const std::string_view value = line.substr(2);
    switch (line[0]) {
      case 'P':
        record.name = value;
        break;
      case 'V':
        record.version = value;
        break;
      case 'A':
        record.architecture = value;
        break;
      case 'o':
        record.origin = value;
        break;
      default:
        break;
    }
  }
  finishRecord(record, file_name, result);
  return result;
}

}  // namespace pk::inventory
