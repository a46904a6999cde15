#pragma once

// The OSV record format (https://ossf.github.io/osv-schema/), as osv.dev,
// AlmaLinux, Ubuntu and others publish it. Parsing is pure: text in,
// advisories out. Reading files, folders and zips is in osv_files.h.

#include <optional>
#include <string_view>

#include "advisory/advisory.h"

namespace pk::advisory {

// Value of Advisory::source for advisories read from OSV records.
inline constexpr std::string_view kOsvSource = "osv";

// Parses one OSV record, a JSON object.
//
// Returns the advisory, counted in report.records_loaded, or nullopt when
// the record is not used:
//   - a `withdrawn` record, or a bug-fix or enhancement erratum (an id that
//     starts with ALBA-, ALEA-, RLBA-, RLEA-, RHBA- or RHEA-), is counted in
//     report.records_withdrawn, because only security advisories may create
//     findings;
//   - a malformed record becomes one LoadIssue (file `origin`, the record's
//     id when it was read, the JSON pointer of the wrong field) and is
//     counted in report.records_skipped.
// Malformed means: not a JSON object, a missing or empty `id`, a field of
// the wrong JSON type, a range event that is not exactly one of introduced,
// fixed, last_affected or limit with a non-empty string, or a version that
// the ecosystem's scheme (schemeForEcosystem) rejects. The `introduced`
// marker "0" is never validated. Events of SEMVER ranges must also be valid
// Semantic Versioning 2.0.0 versions.
//
// Mapping:
//   - aliases: the ids of `aliases`, `related` and `upstream`, in the order
//     the record lists them, without duplicates and without the record's own
//     id. Ubuntu's UBUNTU-CVE records name their CVE only in `upstream`.
//   - affected: entries without a `package` are dropped, and so are GIT
//     ranges; ECOSYSTEM and SEMVER ranges keep their events in the given
//     order. NOTE: AffectedPackage has no range type, so a matcher cannot
//     tell a SEMVER range from an ECOSYSTEM range of the same entry.
//     An entry left with neither a range nor a `versions` list is
//     dropped. Entries of unknown ecosystems are kept but not validated.
//     name_kind is kSource for the Debian and Ubuntu ecosystems, whose
//     records name source packages, and kBinary otherwise.
//   - severity, first match wins: a vendor word (`database_specific.severity`
//     or a `severity` entry of type "Ubuntu"); the base score of a CVSS_V3
//     vector (cvssV3BaseScore); the summary's errata prefix ("Important:
//     ..." or a trailing "(Important)"); the highest severity of the
//     affected entries. cvss_score is that CVSS v3 score; cvss_vector is the
//     v3 vector, or else the CVSS_V4 vector, which is stored without a score.
//     A CVSS vector that does not parse leaves the score unset and does not
//     make the record malformed.
//   - AffectedPackage::severity, first match wins: the entry's own
//     `severity` list (vendor word, then CVSS v3), `ecosystem_specific.
//     severity`, `database_specific.severity`, then the highest severity of
//     Ubuntu's `database_specific.cves_map.cves[].severity` lists.
//
// Thread-safe: each thread reuses its own simdjson parser.
std::optional<Advisory> parseOsvRecord(std::string_view json, std::string_view origin,
                                       LoadReport& report);

// Parses an OSV document that contains either one record or a JSON array of
// records, and sends each advisory that parseOsvRecord accepts to `sink`.
// A document that is neither an object nor an array, or is not JSON,
// becomes one LoadIssue with an empty record id.
void parseOsvDocument(std::string_view json, std::string_view origin, const AdvisorySink& sink,
                      LoadReport& report);

// Computes the CVSS v3.0 or v3.1 base score (0.0 to 10.0, one decimal) of a
// vector such as "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", with the
// formulas of the CVSS v3.1 specification. Temporal and environmental
// metrics may follow and are ignored. Returns nullopt when the prefix is not
// "CVSS:3.0/" or "CVSS:3.1/", or a base metric is missing, repeated or has
// an unknown value.
std::optional<double> cvssV3BaseScore(std::string_view vector);

// Maps a CVSS base score to its qualitative rating: 0.0 none, 0.1-3.9 low,
// 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical. Scores outside 0..10
// map to kUnknown.
Severity severityForCvssScore(double score);

}  // namespace pk::advisory
