#pragma once

// CISA's Known Exploited Vulnerabilities catalog in its JSON form
// (known_exploited_vulnerabilities.json): an object whose `vulnerabilities`
// array contains one entry per CVE id with cveID, vendorProject, product,
// vulnerabilityName, dateAdded, dueDate and knownRansomwareCampaignUse.

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

#include "advisory/advisory.h"
#include "advisory/enrichment.h"
#include "common/error.h"

namespace pk::advisory {

// Parses the catalog into entries keyed by upper-case CVE id.
//
// An entry is malformed when it is not an object, its cveID is not
// "CVE-<4 digits>-<4 or more digits>" (any case), vendorProject, product or
// vulnerabilityName is not a string, dateAdded or dueDate is not a
// YYYY-MM-DD date, knownRansomwareCampaignUse is present but neither
// "Known" nor "Unknown", or its CVE id was already read. Each malformed
// entry becomes a LoadIssue (file `origin`, the cveID when readable, a JSON
// pointer such as "/vulnerabilities/12/dueDate") and is skipped.
// report.records_loaded counts the entries returned.
//
// Fails with kMalformedInput when `json` is not valid JSON or has no
// `vulnerabilities` array.
Result<std::unordered_map<std::string, KevEntry>> parseKevCatalog(std::string_view json,
                                                                  std::string_view origin,
                                                                  LoadReport& report);

// Reads the catalog file at `path` and parses it as parseKevCatalog does.
// Fails with kNotFound when the file does not exist and kIoError when it
// cannot be read.
Result<std::unordered_map<std::string, KevEntry>> readKevCatalog(const std::filesystem::path& path,
                                                                 LoadReport& report);

// Returns `id` in upper case when it has the form of a CVE id
// ("CVE-2024-3094", any case), or an empty string otherwise.
std::string normalizeCveId(std::string_view id);

}  // namespace pk::advisory
