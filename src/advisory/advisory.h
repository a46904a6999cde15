#pragma once

// The advisory model shared by every feed reader: one vendor or database
// record (an OSV id, a DSA, an ALSA, a CVE...) with the packages it affects
// per ecosystem, the versions that fix them, and its severity.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pk::advisory {

enum class Severity { kUnknown, kNone, kLow, kMedium, kHigh, kCritical };

// Returns "unknown", "none", "low", "medium", "high" or "critical".
std::string_view severityName(Severity severity);

// Maps a vendor's severity word to the common scale, case-insensitively:
// CVSS words (low, medium, high, critical), Red Hat's (Low, Moderate,
// Important, Critical), Debian's urgencies (unimportant, low, medium, high)
// and Ubuntu's priorities (negligible, low, medium, high, critical).
// Returns kUnknown for anything else.
Severity parseSeverityWord(std::string_view word);

// The kind of package name an affected entry uses. Debian and Ubuntu feeds name
// source packages; AlmaLinux's OSV names binary rpms; CSAF may name either.
enum class PackageNameKind { kBinary, kSource };

// One event of an OSV ECOSYSTEM range. Events may arrive in any order; the
// matcher sorts them by version.
struct RangeEvent {
  enum class Type { kIntroduced, kFixed, kLastAffected, kLimit };
  Type type = Type::kIntroduced;
  // The version, or "0" for an `introduced` that means "from the very first
  // version". That "0" is a marker, never parsed as a version.
  std::string version;
};

struct AffectedPackage {
  std::string ecosystem;  // OSV ecosystem name: "Debian:12", "AlmaLinux:9", "Alpine:v3.20"
  std::string name;
  PackageNameKind name_kind = PackageNameKind::kBinary;
  std::vector<std::vector<RangeEvent>> ranges;  // each inner vector is one range
  std::vector<std::string> versions;            // explicitly listed affected versions
  // The fixed version of each binary built from this source, where the feed
  // lists them (Ubuntu's ecosystem_specific.binaries). Binary versions may
  // differ from the source version, so findings show them to people.
  struct BinaryVersion {
    std::string name;
    std::string version;
  };
  std::vector<BinaryVersion> binaries;
  // Set when this entry carries its own severity, such as a Debian urgency
  // for one release; otherwise the advisory's severity applies.
  std::optional<Severity> severity;
  // Windows entries only (ecosystem kWindowsEcosystem, name a Windows
  // product such as "Windows Server 2019"): the KB updates that fix the
  // advisory on that product, each one enough on its own. Such entries
  // have no ranges; see advisory/windows_fixes.h.
  struct KbFix {
    std::string kb;                       // digits only, "5060531"
    std::string fixed_build;              // the build the update brings, as published
    std::string update_type;              // "Security Update", "Monthly Rollup", ...; may be empty
    std::vector<std::string> supersedes;  // KB numbers, digits only
    std::string restart_required;         // "yes", "no", "maybe" or "unknown"
    std::string url;
  };
  std::vector<KbFix> kb_fixes;
};

// The ecosystem name of Windows entries.
inline constexpr std::string_view kWindowsEcosystem = "Windows";

struct Advisory {
  std::string id;
  std::string source;  // the reader that produced it: "osv", "debian-tracker", "alpine-secdb", ...
  std::string summary;
  std::vector<std::string> aliases;  // ids from OSV `aliases` and `related`, CVE ids of a DSA
  Severity severity = Severity::kUnknown;
  std::optional<double> cvss_score;  // CVSS base score when the feed gives one
  std::string cvss_vector;
  std::string published;  // RFC 3339 as the feed gives it, or empty
  std::string modified;
  std::vector<AffectedPackage> affected;
};

// Receives each advisory a reader produces, so that large feeds stream
// through without being held in memory twice.
using AdvisorySink = std::function<void(Advisory&&)>;

// A record the reader could not use, reported and skipped; the rest of the
// feed still loads.
struct LoadIssue {
  std::string file;       // path of the file or archive member
  std::string record_id;  // the record's id when it could be read
  std::string field;      // JSON pointer or field name that was wrong
  std::string message;
};

struct LoadReport {
  std::size_t records_loaded = 0;
  std::size_t records_skipped = 0;    // malformed records
  std::size_t records_withdrawn = 0;  // withdrawn or otherwise ignored by design
  std::vector<LoadIssue> issues;

  void addIssue(LoadIssue issue) {
    ++records_skipped;
    issues.push_back(std::move(issue));
  }
};

}  // namespace pk::advisory
