#pragma once

// Enrichment that ranks findings: CISA's Known Exploited Vulnerabilities
// catalog and FIRST's EPSS scores, both keyed by CVE id.

#include <string>
#include <unordered_map>

namespace pk::advisory {

struct KevEntry {
  std::string cve_id;
  std::string vendor;
  std::string product;
  std::string name;
  std::string date_added;  // YYYY-MM-DD
  std::string due_date;    // YYYY-MM-DD, the remediation deadline for US federal agencies
  bool known_ransomware_use = false;
};

struct EpssScore {
  double probability = 0.0;  // 0..1, chance of exploitation in the next 30 days
  double percentile = 0.0;   // 0..1; 0 when the file gives no percentile
};

// Lookup tables keyed by upper-case CVE id ("CVE-2024-3094").
struct Enrichment {
  std::unordered_map<std::string, KevEntry> kev;
  std::unordered_map<std::string, EpssScore> epss;
};

}  // namespace pk::advisory
