#include "advisory/epss.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include "advisory/kev.h"

namespace pk::advisory {
namespace {

using Json = nlohmann::json;

// Parses a probability: a decimal number from 0 to 1.
std::optional<double> parseProbability(std::string_view text) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  if (!std::isfinite(value) || value < 0.0 || value > 1.0) return std::nullopt;
  return value;
}

std::optional<double> probabilityFromJson(const Json& value) {
  if (value.is_number()) {
    double number = value.get<double>();
    if (std::isfinite(number) && number >= 0.0 && number <= 1.0) return number;
    return std::nullopt;
  }
  if (value.is_string()) return parseProbability(value.get_ref<const std::string&>());
  return std::nullopt;
}

// Adds one score, or reports why it cannot.
void addScore(EpssScores& scores, std::string_view raw_id, std::optional<double> probability,
              std::optional<double> percentile, LoadIssue issue, std::string_view epss_field,
              std::string_view percentile_field, LoadReport& report) {
  issue.record_id = std::string(raw_id);
  std::string cve_id = normalizeCveId(raw_id);
  if (cve_id.empty()) {
    issue.message = fmt::format("\"{}\" is not a CVE id such as CVE-2024-3094", raw_id);
  } else if (!probability) {
    issue.field += epss_field;
    issue.message = "the EPSS score is missing or not a number from 0 to 1";
  } else if (!percentile) {
    issue.field += percentile_field;
    issue.message = "the percentile is not a number from 0 to 1";
  } else if (!scores.emplace(cve_id, EpssScore{*probability, *percentile}).second) {
    issue.message = "repeats a CVE id read earlier; the first score is kept";
  } else {
    ++report.records_loaded;
    return;
  }
  report.addIssue(std::move(issue));
}

std::vector<std::string_view> splitCsvLine(std::string_view line) {
  std::vector<std::string_view> cells;
  while (true) {
    std::size_t comma = line.find(',');
    cells.push_back(line.substr(0, comma));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return cells;
}

Result<std::string> inflateGzip(const std::string& compressed, const std::string& name) {
  z_stream stream{};
  // 16 + MAX_WBITS selects the gzip wrapper.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    return fail(ErrorCode::kInternal, "cannot initialise zlib");
  }
  std::string output;
  std::vector<unsigned char> input(compressed.begin(), compressed.end());
  stream.next_in = input.data();
  stream.avail_in = static_cast<uInt>(input.size());
  std::vector<unsigned char> chunk(256 * 1024);
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    stream.next_out = chunk.data();
    stream.avail_out = static_cast<uInt>(chunk.size());
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) {
      inflateEnd(&stream);
      return fail(ErrorCode::kMalformedInput,
                  fmt::format("EPSS file {} is not valid gzip: {}", name,
                              stream.msg != nullptr ? stream.msg : zError(status)));
    }
    output.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - stream.avail_out);
    if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      return fail(ErrorCode::kMalformedInput,
                  fmt::format("EPSS file {} is a truncated gzip stream", name));
    }
  }
  inflateEnd(&stream);
  return output;
}

}  // namespace

Result<EpssScores> parseEpss(std::string_view text, std::string_view origin, LoadReport& report) {
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    return parseEpssJson(text, origin, report);
  }
  return parseEpssCsv(text, origin, report);
}

Result<EpssScores> parseEpssJson(std::string_view json, std::string_view origin,
                                 LoadReport& report) {
  Json document = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return fail(ErrorCode::kMalformedInput, fmt::format("EPSS file {} is not valid JSON", origin));
  }
  if (!document.is_object() || !document.contains("data") || !document["data"].is_array()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("EPSS file {} has no \"data\" array of scores", origin));
  }

  EpssScores scores;
  const Json& data = document["data"];
  scores.reserve(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    const Json& entry = data[i];
    LoadIssue issue{std::string(origin), "", fmt::format("/data/{}", i), ""};
    if (!entry.is_object()) {
      issue.message = "must be an object";
      report.addIssue(std::move(issue));
      continue;
    }
    auto id = entry.find("id");
    if (id == entry.end()) id = entry.find("cve");
    if (id == entry.end() || !id->is_string()) {
      issue.field += "/id";
      issue.message = "the CVE id (\"id\" or \"cve\") is missing or not a string";
      report.addIssue(std::move(issue));
      continue;
    }
    auto epss = entry.find("epss");
    std::optional<double> probability;
    if (epss != entry.end()) probability = probabilityFromJson(*epss);
    auto percentile_field = entry.find("percentile");
    std::optional<double> percentile = 0.0;
    if (percentile_field != entry.end()) percentile = probabilityFromJson(*percentile_field);

    addScore(scores, id->get_ref<const std::string&>(), probability, percentile, std::move(issue),
             "/epss", "/percentile", report);
  }
  return scores;
}

Result<EpssScores> parseEpssCsv(std::string_view csv, std::string_view origin, LoadReport& report) {
  EpssScores scores;
  std::optional<std::size_t> cve_column;
  std::optional<std::size_t> epss_column;
  std::optional<std::size_t> percentile_column;
  std::size_t line_number = 0;

  while (!csv.empty()) {
    std::size_t newline = csv.find('\n');
    std::string_view line = csv.substr(0, newline);
    csv = newline == std::string_view::npos ? std::string_view() : csv.substr(newline + 1);
    ++line_number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.starts_with('#')) continue;

    std::vector<std::string_view> cells = splitCsvLine(line);
    if (!cve_column) {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "cve") cve_column = i;
        if (cells[i] == "epss") epss_column = i;
        if (cells[i] == "percentile") percentile_column = i;
      }
      if (!cve_column || !epss_column) {
        return fail(ErrorCode::kMalformedInput,
                    fmt::format("EPSS file {} line {}: expected the header \"cve,epss,percentile\"",
                                origin, line_number));
      }
      continue;
    }

    LoadIssue issue{std::string(origin), "", fmt::format("line {}", line_number), ""};
    if (cells.size() <= std::max(*cve_column, percentile_column.value_or(*epss_column)) ||
        cells.size() <= *epss_column) {
      issue.record_id = std::string(cells[0]);
      issue.message = fmt::format("has {} cells, fewer than the header names", cells.size());
      report.addIssue(std::move(issue));
      continue;
    }
    std::optional<double> percentile = 0.0;
    if (percentile_column) percentile = parseProbability(cells[*percentile_column]);
    addScore(scores, cells[*cve_column], parseProbability(cells[*epss_column]), percentile,
             std::move(issue), ", epss", ", percentile", report);
  }

  if (!cve_column) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("EPSS file {} has no \"cve,epss,percentile\" header", origin));
  }
  return scores;
}

Result<EpssScores> readEpss(const std::filesystem::path& path, LoadReport& report) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return fail(ErrorCode::kNotFound,
                fmt::format("EPSS file {} does not exist; pass one of FIRST's daily "
                            "EPSS files (.csv, .csv.gz or .json)",
                            path.string()));
  }
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  if (!stream || stream.bad()) {
    return fail(ErrorCode::kIoError, fmt::format("cannot read EPSS file {}", path.string()));
  }
  std::string text = std::move(buffer).str();

  std::string name = path.string();
  if (name.size() >= 3 && name.ends_with(".gz")) {
    auto inflated = inflateGzip(text, name);
    if (!inflated) return tl::unexpected(inflated.error());
    text = std::move(*inflated);
  }
  return parseEpss(text, name, report);
}

}  // namespace pk::advisory
