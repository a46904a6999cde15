#include "advisory/kev.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pk::advisory {
namespace {

using Json = nlohmann::json;

bool isDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// Checks the YYYY-MM-DD shape only; the catalog's dates are not interpreted.
bool isIsoDate(std::string_view text) {
  return text.size() == 10 && text[4] == '-' && text[7] == '-' && isDigits(text.substr(0, 4)) &&
         isDigits(text.substr(5, 2)) && isDigits(text.substr(8, 2));
}

// Thrown inside one entry's parse and caught in parseKevCatalog.
struct EntryError {
  std::string field;
  std::string message;
};

std::string requireString(const Json& entry, const char* key) {
  auto it = entry.find(key);
  if (it == entry.end()) throw EntryError{key, "is missing"};
  if (!it->is_string()) throw EntryError{key, "must be a string"};
  return it->get<std::string>();
}

std::string requireDate(const Json& entry, const char* key) {
  std::string date = requireString(entry, key);
  if (!isIsoDate(date)) {
    throw EntryError{key, fmt::format("\"{}\" is not a YYYY-MM-DD date", date)};
  }
  return date;
}

KevEntry parseEntry(const Json& entry, std::string& cve_id_for_issue) {
  if (!entry.is_object()) throw EntryError{"", "must be an object"};
  std::string raw_id = requireString(entry, "cveID");
  cve_id_for_issue = raw_id;

  KevEntry kev;
  kev.cve_id = normalizeCveId(raw_id);
  if (kev.cve_id.empty()) {
    throw EntryError{"cveID", fmt::format("\"{}\" is not a CVE id such as CVE-2024-3094", raw_id)};
  }
  kev.vendor = requireString(entry, "vendorProject");
  kev.product = requireString(entry, "product");
  kev.name = requireString(entry, "vulnerabilityName");
  kev.date_added = requireDate(entry, "dateAdded");
  kev.due_date = requireDate(entry, "dueDate");

  // Optional in CISA's schema; a missing value means no known ransomware use.
  if (auto it = entry.find("knownRansomwareCampaignUse"); it != entry.end()) {
    if (!it->is_string()) throw EntryError{"knownRansomwareCampaignUse", "must be a string"};
    const auto& use = it->get_ref<const std::string&>();
    if (use != "Known" && use != "Unknown") {
      throw EntryError{"knownRansomwareCampaignUse",
                       fmt::format("\"{}\" is neither \"Known\" nor \"Unknown\"", use)};
    }
    kev.known_ransomware_use = use == "Known";
  }
  return kev;
}

}  // namespace

std::string normalizeCveId(std::string_view id) {
  if (id.size() < 13 || id[3] != '-' || id[8] != '-') return {};
  std::string upper(id);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string_view view(upper);
  if (!view.starts_with("CVE-") || !isDigits(view.substr(4, 4)) || !isDigits(view.substr(9))) {
    return {};
  }
  return upper;
}

Result<std::unordered_map<std::string, KevEntry>> parseKevCatalog(std::string_view json,
                                                                  std::string_view origin,
                                                                  LoadReport& report) {
  Json document = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("KEV catalog {} is not valid JSON", origin));
  }
  if (!document.is_object() || !document.contains("vulnerabilities") ||
      !document["vulnerabilities"].is_array()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("KEV catalog {} has no \"vulnerabilities\" array; is it CISA's "
                            "known_exploited_vulnerabilities.json?",
                            origin));
  }

  std::unordered_map<std::string, KevEntry> entries;
  const Json& vulnerabilities = document["vulnerabilities"];
  entries.reserve(vulnerabilities.size());
  for (std::size_t i = 0; i < vulnerabilities.size(); ++i) {
    std::string cve_id;
    std::string pointer = fmt::format("/vulnerabilities/{}", i);
    try {
      KevEntry entry = parseEntry(vulnerabilities[i], cve_id);
      std::string key = entry.cve_id;
      if (!entries.emplace(std::move(key), std::move(entry)).second) {
        throw EntryError{"cveID", "repeats an entry read earlier; the first one is kept"};
      }
      ++report.records_loaded;
    } catch (const EntryError& error) {
      if (!error.field.empty()) pointer += "/" + error.field;
      report.addIssue(LoadIssue{std::string(origin), cve_id, pointer, error.message});
    }
  }
  return entries;
}

Result<std::unordered_map<std::string, KevEntry>> readKevCatalog(const std::filesystem::path& path,
                                                                 LoadReport& report) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return fail(ErrorCode::kNotFound,
                fmt::format("KEV catalog {} does not exist; download "
                            "known_exploited_vulnerabilities.json from cisa.gov",
                            path.string()));
  }
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream text;
  text << stream.rdbuf();
  if (!stream || stream.bad()) {
    return fail(ErrorCode::kIoError, fmt::format("cannot read KEV catalog {}", path.string()));
  }
  return parseKevCatalog(text.str(), path.string(), report);
}

}  // namespace pk::advisory
