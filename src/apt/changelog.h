#pragma once

// Debian changelogs (debian/changelog, installed as
// /usr/share/doc/<package>/changelog.Debian.gz): entries, newest first, each
//
//   openssl (3.0.22-1~deb12u2) bookworm-security; urgency=high
//
//     * CVE-2026-35189 ("Memory Allocation in Relative CRLDP Processing")
//
//    -- Arnaud Rebillout <arnaudr@debian.org>  Wed, 21 Oct 2026 16:54:24 +0700
//
// Pure: text in, entries out.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace pk::apt {

struct ChangelogEntry {
  std::string source;         // source package name of the header line
  std::string version;        // version in the header's parentheses, as written
  std::string distributions;  // "bookworm-security", "unstable experimental"
  std::string urgency;        // value of urgency= in the header; empty when absent
  std::string body;           // the lines between header and trailer, '\n'-terminated
  std::string maintainer;     // "Name <mail>" of the trailer; empty when the trailer is missing
  std::string date;           // date of the trailer, as written
};

// Parses every entry of a changelog. Lines outside an entry that are not
// headers are ignored; reading stops at the first "Old Changelog:" line or
// an editor's "Local variables:" or "vim:" footer, as dpkg-parsechangelog
// does. An entry without its trailer still counts, with empty maintainer and
// date. Fails with kMalformedInput when the text holds no header line at all
// (it is not a Debian changelog, for example an upstream changelog.gz).
Result<std::vector<ChangelogEntry>> parseChangelog(std::string_view text);

// Returns the CVE ids ("CVE-YYYY-NNNN", four or more digits after the year)
// named in `text`, without repeats, ordered by year and then by number.
std::vector<std::string> findCveIds(std::string_view text);

// Returns the CVE ids named in the bodies of the entries whose version is
// newer than `installed_version` and not newer than `target_version` (by
// dpkg's order), without repeats, ordered as findCveIds() orders them.
std::vector<std::string> cveIdsBetween(const std::vector<ChangelogEntry>& entries,
                                       std::string_view installed_version,
                                       std::string_view target_version);

// Returns the entries whose version is newer than `installed_version` and
// not newer than `target_version` (by dpkg's order), in their order in
// `entries`.
std::vector<ChangelogEntry> entriesBetween(const std::vector<ChangelogEntry>& entries,
                                           std::string_view installed_version,
                                           std::string_view target_version);

}  // namespace pk::apt
