#include "inventory/dpkg_status.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "inventory/text_lines.h"
#include "version/dpkg.h"

namespace pk::inventory {
namespace {

using detail::isBlank;
using detail::trimBlanks;

struct Field {
  std::string_view name;
  std::string value;  // first line only; continuation lines carry no data we read
};

struct Paragraph {
  std::size_t first_line = 0;
  std::vector<Field> fields;
  std::optional<std::string> error;  // the first format error found in the paragraph
};

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) {
             return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

const Field* findField(const Paragraph& paragraph, std::string_view name) {
  for (const Field& field : paragraph.fields) {
    if (equalsIgnoringCase(field.name, name)) return &field;
  }
  return nullptr;
}

// Adds one "Name: value" line to `paragraph`, or records why it is not one.
void addFieldLine(Paragraph& paragraph, std::string_view line, std::size_t line_number) {
  const std::size_t colon = line.find(':');
  const std::string_view name =
      colon == std::string_view::npos ? std::string_view{} : line.substr(0, colon);
  if (name.empty() || std::any_of(name.begin(), name.end(), isBlank)) {
    if (!paragraph.error) {
      paragraph.error = fmt::format(
          "line {} is neither a 'Field: value' line nor a continuation line", line_number);
    }
    return;
  }
  if (findField(paragraph, name) != nullptr) {
    if (!paragraph.error)
      paragraph.error = fmt::format("field '{}' appears twice (line {})", name, line_number);
    return;
  }
  paragraph.fields.push_back(Field{name, std::string(trimBlanks(line.substr(colon + 1)))});
}

std::vector<Paragraph> splitParagraphs(std::string_view text) {
  std::vector<Paragraph> paragraphs;
  bool in_paragraph = false;
  detail::LineCursor cursor(text);
  std::string_view line;
  while (cursor.next(line)) {
    if (trimBlanks(line).empty()) {
      in_paragraph = false;
      continue;
    }
    if (!in_paragraph) {
      paragraphs.push_back(Paragraph{cursor.number(), {}, std::nullopt});
      in_paragraph = true;
    }
    Paragraph& paragraph = paragraphs.back();
    if (isBlank(line.front())) {
      if (paragraph.fields.empty() && !paragraph.error) {
        paragraph.error =
            fmt::format("line {} continues a field that does not exist", cursor.number());
      }
      continue;
    }
    addFieldLine(paragraph, line, cursor.number());
  }
  return paragraphs;
}

// Returns the n-th (0-based) blank-separated word of `text`, or empty.
std::string_view nthWord(std::string_view text, std::size_t n, std::size_t* word_count) {
  std::string_view found;
  std::size_t count = 0;
  while (true) {
    text = trimBlanks(text);
    if (text.empty()) break;
    const std::size_t end = std::min(text.find(' '), text.find('\t'));
    const std::string_view word = text.substr(0, end);
    if (count == n) found = word;
    ++count;
    text.remove_prefix(word.size());
  }
  *word_count = count;
  return found;
}

struct SourceField {
  std::string_view name;
  std::optional<std::string_view> version;
};

std::optional<SourceField> parseSourceField(std::string_view value) {
  const std::size_t open = value.find('(');
  if (open == std::string_view::npos) {
    if (value.find_first_of(" \t)") != std::string_view::npos) return std::nullopt;
    return SourceField{value, std::nullopt};
  }
  const std::string_view name = trimBlanks(value.substr(0, open));
  const std::string_view rest = trimBlanks(value.substr(open + 1));
  if (name.empty() || name.find_first_of(" \t") != std::string_view::npos || rest.empty() ||
      rest.back() != ')') {
    return std::nullopt;
  }
  return SourceField{name, trimBlanks(rest.substr(0, rest.size() - 1))};
}

// Turns one paragraph into a package; nullopt with `reason` set when it is
// malformed, nullopt with `reason` empty when the package is not installed.
std::optional<Package> toPackage(const Paragraph& paragraph, std::string& reason) {
  if (paragraph.error) {
    reason = *paragraph.error;
    return std::nullopt;
  }
  const Field* name = findField(paragraph, "Package");
  const Field* version = findField(paragraph, "Version");
  const Field* status = findField(paragraph, "Status");
  if (name == nullptr || name->value.empty()) {
    reason = "missing or empty Package field";
    return std::nullopt;
  }
  if (status == nullptr) {
    reason = "missing Status field";
    return std::nullopt;
  }
  std::size_t status_words = 0;
  const std::string_view state = nthWord(status->value, 2, &status_words);
  if (status_words != 3) {
    reason = fmt::format("Status '{}' does not have three words (want flag state)", status->value);
    return std::nullopt;
  }
  if (!isInstalledState(state)) return std::nullopt;

  if (version == nullptr || version->value.empty()) {
    reason = "missing or empty Version field";
    return std::nullopt;
  }
  if (auto parsed = version::dpkg::parse(version->value); !parsed) {
    reason = parsed.error().message;
    return std::nullopt;
  }

  Package package;
  package.name = name->value;
  package.version = version->value;
  package.state = std::string(state);
  if (const Field* architecture = findField(paragraph, "Architecture")) {
    package.architecture = architecture->value;
  }
  package.source_name = package.name;
  package.source_version = package.version;

  const Field* source = findField(paragraph, "Source");
  if (source == nullptr || source->value.empty()) return package;
  const std::optional<SourceField> source_field = parseSourceField(source->value);
  if (!source_field) {
    reason = fmt::format("Source '{}' is not 'name' or 'name (version)'", source->value);
    return std::nullopt;
  }
  package.source_name = std::string(source_field->name);
  if (source_field->version) {
    if (auto parsed = version::dpkg::parse(*source_field->version); !parsed) {
      reason = fmt::format("invalid source version: {}", parsed.error().message);
      return std::nullopt;
    }
    package.source_version = std::string(*source_field->version);
  }
  return package;
}

}  // namespace

ParsedPackages parseDpkgStatus(std::string_view text, std::string_view file_name) {
  ParsedPackages result;
  for (const Paragraph& paragraph : splitParagraphs(text)) {
    std::string reason;
    std::optional<Package> package = toPackage(paragraph, reason);
    if (package) {
      result.packages.push_back(std::move(*package));
      continue;
    }
    if (reason.empty()) continue;

    const Field* name = findField(paragraph, "Package");
    result.skipped.push_back(SkippedRecord{std::string(file_name), paragraph.first_line,
                                           name == nullptr ? std::string() : name->value,
                                           std::move(reason)});
  }
  return result;
}

}  // namespace pk::inventory
