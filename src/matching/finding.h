#pragma once

// A finding: one installed package on one host that an advisory marks as
// vulnerable, with the version that fixes it.

#include <optional>
#include <string>
#include <vector>

#include "advisory/advisory.h"
#include "advisory/enrichment.h"

namespace pk::matching {

struct Finding {
  std::string package;            // installed binary package
  std::string source_package;     // the source it was built from
  std::string installed_version;  // the binary's installed version
  // The version the advisory compared: the source version for feeds that
  // name source packages, otherwise the binary's version.
  std::string compared_version;
  std::string fixed_version;  // empty when no fix exists yet
  // The fixed version of this binary, when the feed lists binaries with
  // their own versions (Ubuntu); otherwise empty.
  std::string fixed_binary_version;
  std::string advisory_id;
  std::string advisory_source;       // the feed: "osv", "debian-tracker", "csaf", ...
  std::vector<std::string> aliases;  // CVE and other ids of the advisory
  std::string ecosystem;
  advisory::Severity severity = advisory::Severity::kUnknown;
  std::optional<double> cvss_score;
  bool known_exploited = false;  // listed in CISA KEV under the id or an alias
  std::string kev_due_date;      // YYYY-MM-DD when known_exploited
  std::optional<double> epss;    // highest EPSS probability among the ids
  // Windows findings: the KB to install, digits only; empty elsewhere.
  std::string fix_kb;
};

// Sets known_exploited, kev_due_date and epss from `enrichment`, looking up
// the advisory id and every alias (KEV and EPSS are keyed by CVE id). The
// earliest KEV due date and the highest EPSS probability win.
void enrich(Finding& finding, const advisory::Enrichment& enrichment);

// Orders findings most urgent first: severity, then known exploitation,
// then EPSS, then package and advisory id so the order is stable.
bool moreUrgent(const Finding& a, const Finding& b);

}  // namespace pk::matching
