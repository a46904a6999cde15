#pragma once

// Readers of the CVE -> KB -> fixed build tables that the windows-version-feed
// project derives from MSRC's monthly CVRF documents, in its two forms:
//
// JSON (CVE_KB_Mapping_2025-Jun.json, CVE_KB_Mapping_current.json): an array
// of {"cve": "CVE-2025-29828", "patches": [{"os": "Windows Server 2022",
// "version": "2022", "kb": "KB5060526", "fixedBuild": "20348.3807",
// "severity": "8.1", "exploitStatus": "..."}]}. Its fixedBuild leaves out
// major.minor ("20348.3807" is build 10.0.20348.3807), except for .NET
// Framework rows, which carry their own versions.
//
// CSV (kb_cve_data.csv): a header row naming the columns CVE, KB, ProductID,
// ProductName, FixedBuild, Severity, ExploitStatus and PublishedDate, in any
// order. Then comes one row per CVE and product, with the KB as digits and
// the full build ("10.0.17763.9121"). The published file quotes every field.
//
// In both, "severity" is a CVSS base score, not a severity word, and
// FixedBuild may list several builds joined by " & " or " and ".

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::advisory {

// One row of the table: the KB that fixes a CVE on one product.
struct KbMapping {
  std::string cve;                   // upper case, "CVE-2025-29828"
  std::string kb;                    // digits only, "5060526"
  std::string product;               // JSON "os" or CSV ProductName
  std::string product_id;            // MSRC ProductID (CSV only), "11923"
  std::string release;               // JSON "version" ("22H2", "2022"); empty in CSV
  std::string fixed_build;           // as written
  std::optional<double> cvss_score;  // absent when the row gives none
  std::string exploit_status;        // MSRC's text: "Publicly Disclosed:No;Exploited:No;..."
  std::string published;             // CSV PublishedDate, "2026-08-11T07:00:00"; empty in JSON
};

// Parses the JSON form. A malformed entry or patch becomes a LoadIssue
// (file `origin`, the CVE when readable, a JSON pointer such as
// "/12/patches/3/kb") and is skipped; the rest still loads. Malformed: an
// entry that is not an object, a cve that is not a CVE id, patches that is
// not an array, a patch that is not an object, an os or fixedBuild that is
// missing, empty or not a string, a kb that is not "KB" followed by digits
// (or digits alone), a severity that is neither null nor a number from 0 to
// 10 (as a number or a string), and a version or exploitStatus that is
// present but not a string. report.records_loaded counts the rows returned.
//
// Fails with kMalformedInput when `json` is not valid JSON or not an array.
Result<std::vector<KbMapping>> parseKbMappingJson(std::string_view json, std::string_view origin,
                                                  LoadReport& report);

// Parses the CSV form (RFC 4180 quoting, LF or CRLF line ends). A row with
// the wrong number of fields, an invalid CVE id or KB number, an empty
// ProductName or FixedBuild, or a Severity that is neither empty nor a
// number from 0 to 10 becomes a LoadIssue (field "line 17/KB", say) and is
// skipped. A quoted field that never closes is reported once and ends the
// reading; the rows before it are kept.
//
// Fails with kMalformedInput when the header lacks one of the columns CVE,
// KB, ProductName or FixedBuild.
Result<std::vector<KbMapping>> parseKbMappingCsv(std::string_view csv, std::string_view origin,
                                                 LoadReport& report);

// Reads the file at `path`: .json files with parseKbMappingJson, .csv files
// with parseKbMappingCsv, naming the file by its file name. Fails with
// kNotFound when it does not exist, kIoError when it cannot be read, and
// kUnsupported for another extension.
Result<std::vector<KbMapping>> readKbMapping(const std::filesystem::path& path, LoadReport& report);

}  // namespace pk::advisory
