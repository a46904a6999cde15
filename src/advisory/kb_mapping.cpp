#include "advisory/kb_mapping.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "advisory/kev.h"

namespace pk::advisory {
namespace {

using Json = nlohmann::json;

bool isDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Returns the digits of "KB5060526", "kb5060526" or "5060526", or an empty
// string for anything else.
std::string kbDigits(std::string_view text) {
  if (text.size() > 2 && (text[0] == 'K' || text[0] == 'k') && (text[1] == 'B' || text[1] == 'b')) {
    text.remove_prefix(2);
  }
  return isDigits(text) ? std::string(text) : std::string();
}

// Parses a CVSS base score written as a decimal number from 0 to 10.
std::optional<double> parseScore(std::string_view text) {
  double score = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), score);
  if (error != std::errc() || end != text.data() + text.size() || !(score >= 0 && score <= 10)) {
    return std::nullopt;
  }
  return score;
}

// Thrown inside one entry's or row's parse and caught by its loop.
struct RowError {
  std::string field;
  std::string message;
};

std::string requireText(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) throw RowError{key, "is missing"};
  if (!it->is_string()) throw RowError{key, "must be a string"};
  std::string text = it->get<std::string>();
  if (text.empty()) throw RowError{key, "is empty"};
  return text;
}

std::string optionalText(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  if (!it->is_string()) throw RowError{key, "must be a string"};
  return it->get<std::string>();
}

std::optional<double> optionalScore(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  std::optional<double> score;
  if (it->is_number()) {
    double value = it->get<double>();
    if (value >= 0 && value <= 10) score = value;
  } else if (it->is_string()) {
    score = parseScore(it->get_ref<const std::string&>());
  }
  if (!score) throw RowError{key, fmt::format("{} is not a CVSS score from 0 to 10", it->dump())};
  return score;
}

KbMapping readPatch(const Json& patch, const std::string& cve) {
  if (!patch.is_object()) throw RowError{"", "must be an object"};
  KbMapping row;
  row.cve = cve;
  row.product = requireText(patch, "os");
  std::string kb = requireText(patch, "kb");
  row.kb = kbDigits(kb);
  if (row.kb.empty()) throw RowError{"kb", fmt::format("\"{}\" is not a KB number", kb)};
  row.fixed_build = requireText(patch, "fixedBuild");
  row.release = optionalText(patch, "version");
  row.cvss_score = optionalScore(patch, "severity");
  row.exploit_status = optionalText(patch, "exploitStatus");
  return row;
}

void addJsonIssue(LoadReport& report, std::string_view origin, std::string record,
                  std::string pointer, std::string_view problem) {
  std::string message = fmt::format("KB mapping {}: {}: {}", origin, pointer, problem);
  report.addIssue(
      LoadIssue{std::string(origin), std::move(record), std::move(pointer), std::move(message)});
}

// Splits CSV text into rows of fields, with RFC 4180 quoting. A quoted field
// that never closes ends the reading, and unterminatedLine() then returns
// the line where it opened.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {}

  // Reads the next row into `fields`. Returns false at the end of the text
  // and at a quoted field that never closes.
  bool next(std::vector<std::string>& fields) {
    fields.clear();
    if (position_ >= text_.size() || unterminated_line_) return false;
    line_ = next_line_;
    std::string field;
    while (true) {
      if (position_ < text_.size() && text_[position_] == '"') {
        if (!readQuoted(field)) return false;
      } else {
        while (position_ < text_.size() && text_[position_] != ',' && text_[position_] != '\n' &&
               text_[position_] != '\r') {
          field += text_[position_++];
        }
      }
      fields.push_back(std::move(field));
      field.clear();
      if (position_ < text_.size() && text_[position_] == ',') {
        ++position_;
        continue;
      }
      // End of row: a CR, LF or CRLF, or the end of the text.
      if (position_ < text_.size() && text_[position_] == '\r') ++position_;
      if (position_ < text_.size() && text_[position_] == '\n') ++position_;
      ++next_line_;
      return true;
    }
  }

  std::size_t line() const { return line_; }
  std::optional<std::size_t> unterminatedLine() const { return unterminated_line_; }

 private:
  bool readQuoted(std::string& field) {
    std::size_t start_line = next_line_;
    ++position_;
    while (position_ < text_.size()) {
      char c = text_[position_++];
      if (c == '"') {
        if (position_ < text_.size() && text_[position_] == '"') {
          field += '"';
          ++position_;
          continue;
        }
        // Text after the closing quote belongs to the field, as lenient
        // readers keep it; the row's checks still apply.
        while (position_ < text_.size() && text_[position_] != ',' && text_[position_] != '\n' &&
               text_[position_] != '\r') {
          field += text_[position_++];
        }
        return true;
      }
      if (c == '\n') ++next_line_;
      field += c;
    }
    unterminated_line_ = start_line;
    return false;
  }

  std::string_view text_;
  std::size_t position_ = 0;
  std::size_t line_ = 1;       // first line of the row last returned
  std::size_t next_line_ = 1;  // line on which the next row starts
  std::optional<std::size_t> unterminated_line_;
};

constexpr std::array<std::string_view, 8> kCsvColumns{"CVE",           "KB",           "ProductID",
                                                      "ProductName",   "FixedBuild",   "Severity",
                                                      "ExploitStatus", "PublishedDate"};
constexpr std::size_t kColumnCve = 0, kColumnKb = 1, kColumnProductId = 2, kColumnProductName = 3,
                      kColumnFixedBuild = 4, kColumnSeverity = 5, kColumnExploitStatus = 6,
                      kColumnPublished = 7;

Result<std::string> readFile(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return fail(ErrorCode::kNotFound, fmt::format("KB mapping {} does not exist", path.string()));
  }
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream text;
  text << stream.rdbuf();
  if (!stream || stream.bad()) {
    return fail(ErrorCode::kIoError, fmt::format("cannot read KB mapping {}", path.string()));
  }
  return text.str();
}

}  // namespace

Result<std::vector<KbMapping>> parseKbMappingJson(std::string_view json, std::string_view origin,
                                                  LoadReport& report) {
  Json document = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return fail(ErrorCode::kMalformedInput, fmt::format("KB mapping {} is not valid JSON", origin));
  }
  if (!document.is_array()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("KB mapping {} is not a JSON array of {{\"cve\", \"patches\"}} "
                            "entries; is it a CVE_KB_Mapping file?",
                            origin));
  }

  std::vector<KbMapping> rows;
  for (std::size_t i = 0; i < document.size(); ++i) {
    const Json& entry = document[i];
    std::string entry_pointer = fmt::format("/{}", i);
    std::string cve;
    try {
      if (!entry.is_object()) throw RowError{"", "must be an object"};
      std::string raw_cve = requireText(entry, "cve");
      cve = normalizeCveId(raw_cve);
      if (cve.empty()) {
        cve = raw_cve;
        throw RowError{"cve",
                       fmt::format("\"{}\" is not a CVE id such as CVE-2025-29828", raw_cve)};
      }
      auto patches = entry.find("patches");
      if (patches == entry.end() || !patches->is_array()) {
        throw RowError{"patches", "must be an array"};
      }
      for (std::size_t j = 0; j < patches->size(); ++j) {
        std::string patch_pointer = fmt::format("{}/patches/{}", entry_pointer, j);
        try {
          rows.push_back(readPatch((*patches)[j], cve));
          ++report.records_loaded;
        } catch (const RowError& error) {
          if (!error.field.empty()) patch_pointer += "/" + error.field;
          addJsonIssue(report, origin, cve, patch_pointer, error.message);
        }
      }
    } catch (const RowError& error) {
      if (!error.field.empty()) entry_pointer += "/" + error.field;
      addJsonIssue(report, origin, cve, entry_pointer, error.message);
    }
  }
  return rows;
}

Result<std::vector<KbMapping>> parseKbMappingCsv(std::string_view csv, std::string_view origin,
                                                 LoadReport& report) {
  // A UTF-8 byte order mark is not part of the first column's name.
  if (csv.substr(0, 3) == "\xEF\xBB\xBF") csv.remove_prefix(3);
  CsvReader reader(csv);
  std::vector<std::string> fields;

  // Map each known column to its position in this file's header.
  std::array<std::optional<std::size_t>, kCsvColumns.size()> position;
  std::size_t header_size = 0;
  if (reader.next(fields)) {
    header_size = fields.size();
    for (std::size_t i = 0; i < fields.size(); ++i) {
      for (std::size_t column = 0; column < kCsvColumns.size(); ++column) {
        if (fields[i] == kCsvColumns[column] && !position[column]) position[column] = i;
      }
    }
  }
  for (std::size_t column : {kColumnCve, kColumnKb, kColumnProductName, kColumnFixedBuild}) {
    if (!position[column]) {
      return fail(ErrorCode::kMalformedInput,
                  fmt::format("KB mapping {}: the header has no {} column; expected the columns "
                              "CVE, KB, ProductID, ProductName, FixedBuild, Severity, "
                              "ExploitStatus, PublishedDate",
                              origin, kCsvColumns[column]));
    }
  }

  std::vector<KbMapping> rows;
  while (reader.next(fields)) {
    std::string where = fmt::format("line {}", reader.line());
    auto value = [&](std::size_t column) -> std::string {
      return position[column] ? fields[*position[column]] : std::string();
    };
    auto issue = [&](std::string record, std::string_view column, std::string_view problem) {
      std::string field = column.empty() ? where : fmt::format("{}/{}", where, column);
      std::string message = fmt::format("KB mapping {}: {}: {}", origin, field, problem);
      report.addIssue(LoadIssue{std::string(origin), std::move(record), field, std::move(message)});
    };

    if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line
    if (fields.size() != header_size) {
      issue("", "",
            fmt::format("has {} fields, but the header has {}", fields.size(), header_size));
      continue;
    }
    KbMapping row;
    row.cve = normalizeCveId(value(kColumnCve));
    if (row.cve.empty()) {
      issue(value(kColumnCve), "CVE",
            fmt::format("\"{}\" is not a CVE id such as CVE-2025-29828", value(kColumnCve)));
      continue;
    }
    row.kb = kbDigits(value(kColumnKb));
    if (row.kb.empty()) {
      issue(row.cve, "KB", fmt::format("\"{}\" is not a KB number", value(kColumnKb)));
      continue;
    }
    row.product = value(kColumnProductName);
    if (row.product.empty()) {
      issue(row.cve, "ProductName", "missing ProductName");
      continue;
    }
    row.fixed_build = value(kColumnFixedBuild);
    if (row.fixed_build.empty()) {
      issue(row.cve, "FixedBuild", "missing FixedBuild");
      continue;
    }
    if (std::string score = value(kColumnSeverity); !score.empty()) {
      row.cvss_score = parseScore(score);
      if (!row.cvss_score) {
        issue(row.cve, "Severity", fmt::format("\"{}\" is not a CVSS score from 0 to 10", score));
        continue;
      }
    }
    row.product_id = value(kColumnProductId);
    row.exploit_status = value(kColumnExploitStatus);
    row.published = value(kColumnPublished);
    rows.push_back(std::move(row));
    ++report.records_loaded;
  }

  if (auto line = reader.unterminatedLine()) {
    report.addIssue(LoadIssue{
        std::string(origin), "", fmt::format("line {}", *line),
        fmt::format("KB mapping {}: line {}: a quoted field never closes; the rows after it "
                    "are not read",
                    origin, *line)});
  }
  return rows;
}

Result<std::vector<KbMapping>> readKbMapping(const std::filesystem::path& path,
                                             LoadReport& report) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension != ".json" && extension != ".csv") {
    return fail(ErrorCode::kUnsupported,
                fmt::format("KB mapping {} is neither .json nor .csv", path.string()));
  }
  auto text = readFile(path);
  if (!text) return tl::unexpected(text.error());
  std::string origin = path.filename().string();
  if (extension == ".json") return parseKbMappingJson(*text, origin, report);
  return parseKbMappingCsv(*text, origin, report);
}

}  // namespace pk::advisory
