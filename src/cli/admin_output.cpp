#include "cli/admin_output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <utility>

#include <fmt/format.h>

namespace pk::cli {
namespace {

const nlohmann::json* findField(const nlohmann::json& object, std::string_view path) {
  const nlohmann::json* current = &object;
  while (true) {
    if (!current->is_object()) return nullptr;
    auto dot = path.find('.');
    auto name = path.substr(0, dot);
    auto found = current->find(name);
    if (found == current->end()) return nullptr;
    current = &*found;
    if (dot == std::string_view::npos) return current;
    path.remove_prefix(dot + 1);
  }
}

// Serializes without throwing on invalid UTF-8, which JSON built from
// command-line arguments may contain.
std::string jsonText(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string scalarText(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  return jsonText(value);
}

std::string valueText(const nlohmann::json& value) {
  if (!value.is_array()) return value.is_object() ? jsonText(value) : scalarText(value);

  bool all_scalars = std::all_of(value.begin(), value.end(), [](const nlohmann::json& item) {
    return !item.is_array() && !item.is_object();
  });
  if (!all_scalars) return jsonText(value);
  std::string joined;
  for (const auto& item : value) {
    if (!joined.empty()) joined += ',';
    joined += scalarText(item);
  }
  return joined;
}

// Counts UTF-8 code points, so that accented names keep the columns aligned.
// Wide (East Asian) characters still count as one column.
std::size_t displayWidth(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

// The length of the valid UTF-8 sequence at the start of `text`, or 0 when
// it is not one (overlong forms and surrogates count as invalid).
std::size_t utf8SequenceLength(std::string_view text, char32_t& code_point) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  std::size_t length = 0;
  char32_t minimum = 0;
  if (lead < 0x80U) {
    code_point = lead;
    return 1;
  } else if ((lead & 0xE0U) == 0xC0U) {
    length = 2;
    code_point = lead & 0x1FU;
    minimum = 0x80;
  } else if ((lead & 0xF0U) == 0xE0U) {
    length = 3;
    code_point = lead & 0x0FU;
    minimum = 0x800;
  } else if ((lead & 0xF8U) == 0xF0U) {
    length = 4;
    code_point = lead & 0x07U;
    minimum = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0U) != 0x80U) return 0;
    code_point = (code_point << 6U) | (byte(i) & 0x3FU);
  }
  if (code_point < minimum || code_point > 0x10FFFF) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  return length;
}

void writeEscaped(std::string& out, unsigned int value) {
  switch (value) {
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      out += fmt::format("\\x{:02x}", value);
  }
}

std::string bold(std::string_view text, bool colour) {
  if (!colour) return std::string(text);
  return fmt::format("\x1b[1m{}\x1b[0m", text);
}

void writeTable(const std::vector<std::vector<std::string>>& rows, bool colour, std::ostream& out) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], displayWidth(row[i]));
    }
  }

  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - displayWidth(row[i]) + 2, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    // Only the heading row is bold; padding is computed before the escape
    // sequences are added, so they do not disturb the alignment.
    out << (r == 0 ? bold(line, colour) : line) << '\n';
  }
}

void writeCsvRow(const std::vector<std::string>& cells, std::ostream& out) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out << ',';
    out << csvQuoted(cells[i]);
  }
  out << '\n';
}

void flatten(const nlohmann::json& value, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& fields) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [name, member] : value.items()) {
      flatten(member, prefix.empty() ? name : prefix + "." + name, fields);
    }
    return;
  }
  fields.emplace_back(prefix, valueText(value));
}

std::string tableCellText(const nlohmann::json& object, const Column& column) {
  if (column.style == CellStyle::kAge) {
    const nlohmann::json* value = findField(object, column.field);
    if (value != nullptr && value->is_number_integer()) {
      return formatAge(value->get<std::int64_t>());
    }
  }
  return cellText(object, column.field);
}

}  // namespace

Result<OutputFormat> parseOutputFormat(std::string_view name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "json") return OutputFormat::kJson;
  if (name == "csv") return OutputFormat::kCsv;
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("unknown output format '{}'; use table, json or csv", name));
}

bool shouldUseColour(int fd) {
  if (isatty(fd) == 0) return false;
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && *no_colour != '\0') return false;
  const char* term = std::getenv("TERM");
  return term != nullptr && std::string_view(term) != "dumb";
}

std::string cellText(const nlohmann::json& object, std::string_view path) {
  const nlohmann::json* value = findField(object, path);
  return value == nullptr ? "" : valueText(*value);
}

std::string formatAge(std::int64_t seconds) {
  constexpr std::int64_t kMinute = 60;
  constexpr std::int64_t kHour = 60 * kMinute;
  constexpr std::int64_t kDay = 24 * kHour;
  seconds = std::max<std::int64_t>(seconds, 0);
  if (seconds < kMinute) return fmt::format("{}s", seconds);
  if (seconds < kHour) return fmt::format("{}m", seconds / kMinute);
  if (seconds < kDay) return fmt::format("{}h {}m", seconds / kHour, seconds % kHour / kMinute);
  return fmt::format("{}d {}h", seconds / kDay, seconds % kDay / kHour);
}

std::string csvQuoted(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string escapeControlCharacters(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  while (!text.empty()) {
    char32_t code_point = 0;
    std::size_t length = utf8SequenceLength(text, code_point);
    if (length == 0) {
      writeEscaped(result, static_cast<unsigned char>(text[0]));
      text.remove_prefix(1);
      continue;
    }
    bool control = code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
    if (control) {
      writeEscaped(result, static_cast<unsigned int>(code_point));
    } else {
      result.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return result;
}

void writeList(const nlohmann::json& items, const std::vector<Column>& columns,
               const OutputOptions& options, std::string_view empty_message, std::ostream& out) {
  static const nlohmann::json kNoItems = nlohmann::json::array();
  const nlohmann::json& list = items.is_array() ? items : kNoItems;

  if (options.format == OutputFormat::kJson) {
    out << jsonText(list, 2) << '\n';
    return;
  }

  if (options.format == OutputFormat::kCsv) {
    std::vector<std::string> heading;
    for (const auto& column : columns) heading.push_back(column.field);
    writeCsvRow(heading, out);
    for (const auto& item : list) {
      std::vector<std::string> cells;
      for (const auto& column : columns) cells.push_back(cellText(item, column.field));
      writeCsvRow(cells, out);
    }
    return;
  }

  if (list.empty()) {
    out << empty_message << '\n';
    return;
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> heading;
  for (const auto& column : columns) heading.push_back(column.heading);
  rows.push_back(std::move(heading));
  for (const auto& item : list) {
    std::vector<std::string> cells;
    for (const auto& column : columns) {
      cells.push_back(escapeControlCharacters(tableCellText(item, column)));
    }
    rows.push_back(std::move(cells));
  }
  writeTable(rows, options.colour, out);
}

void writeObject(const nlohmann::json& object, const OutputOptions& options, std::ostream& out) {
  if (options.format == OutputFormat::kJson) {
    out << jsonText(object, 2) << '\n';
    return;
  }

  std::vector<std::pair<std::string, std::string>> fields;
  if (object.is_object()) {
    for (const auto& [name, member] : object.items()) flatten(member, name, fields);
  }

  if (options.format == OutputFormat::kCsv) {
    std::vector<std::string> names;
    std::vector<std::string> values;
    for (auto& [name, value] : fields) {
      names.push_back(name);
      values.push_back(value);
    }
    writeCsvRow(names, out);
    writeCsvRow(values, out);
    return;
  }

  std::size_t width = 0;
  for (auto& [name, value] : fields) {
    name = escapeControlCharacters(name) + ":";
    width = std::max(width, displayWidth(name));
  }
  for (const auto& [name, value] : fields) {
    std::string label = name;
    label.append(width - displayWidth(name), ' ');
    std::string line = bold(label, options.colour) + "  " + escapeControlCharacters(value);
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
  }
}

}  // namespace pk::cli
