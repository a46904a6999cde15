#pragma once

// FIRST's Exploit Prediction Scoring System scores, in the two forms they
// are published in:
//   - JSON: {"score_date": "...", "data": [{"id": "CVE-...", "epss": 0.05,
//     "percentile": 0.9}]}, the shape of the daily files kept by scanners,
//     or the FIRST API's, whose entries name the CVE "cve" and give the
//     numbers as strings;
//   - CSV: the daily epss_scores-YYYY-MM-DD.csv(.gz), a "#model_version:...,
//     score_date:..." comment line, a "cve,epss,percentile" header, then one
//     row per CVE id.

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

#include "advisory/advisory.h"
#include "advisory/enrichment.h"
#include "common/error.h"

namespace pk::advisory {

using EpssScores = std::unordered_map<std::string, EpssScore>;

// Parses EPSS scores keyed by upper-case CVE id, choosing JSON when the
// first character that is not white space is '{' and CSV otherwise.
//
// An entry is malformed when its CVE id is not one, its epss or percentile
// is not a number (or a numeric string) from 0 to 1, or its CVE id was
// already read. Each malformed entry becomes a LoadIssue (file `origin`,
// the CVE id when readable, a JSON pointer such as "/data/7/epss" or
// "line 12" for CSV) and is skipped. A missing percentile is 0.
// report.records_loaded counts the scores returned.
//
// Fails with kMalformedInput when the JSON is not valid or has no `data`
// array, or when the CSV has no header line naming "cve" and "epss".
Result<EpssScores> parseEpss(std::string_view text, std::string_view origin, LoadReport& report);
Result<EpssScores> parseEpssJson(std::string_view json, std::string_view origin,
                                 LoadReport& report);
Result<EpssScores> parseEpssCsv(std::string_view csv, std::string_view origin, LoadReport& report);

// Reads an EPSS file and parses it as parseEpss does; a name ending in ".gz"
// is inflated first, as FIRST publishes its daily CSV files gzip-compressed.
// Fails with kNotFound when the file does not exist, kIoError when it cannot
// be read, and kMalformedInput when it is not valid gzip.
Result<EpssScores> readEpss(const std::filesystem::path& path, LoadReport& report);

}  // namespace pk::advisory
