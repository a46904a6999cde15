#pragma once

// The Debian security tracker's DSA and DLA lists (data/DSA/list and
// data/DLA/list in its repository), a line-based text format:
//
//   [21 Apr 2023] DSA-5395-1 nodejs - security update
//   	{CVE-2023-23918 CVE-2023-23920}
//   	[bullseye] - nodejs 12.22.12~dfsg-1~deb11u4
//   	NOTE: free text
//
// A header line starts an entry: the date, the advisory id (DSA-n-r, DLA-n-r,
// or DSA-n in the oldest entries) and a title, usually "packages - what".
// Indented lines (a tab or spaces) follow it: CVE ids in braces, one
// "[codename] - package version" line per fixed package, and NOTE lines.
// Instead of a version a release line may carry "<not-affected>",
// "<unfixed>" or "<end-of-life>", and after either a parenthesised remark
// such as "(medium)" or "(bug #338011; high)". Parsing is pure: text in,
// advisories out.

#include <string_view>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::advisory {

// Values of Advisory::source for entries of the DSA and the DLA list.
inline constexpr std::string_view kDebianDsaSource = "debian-dsa";
inline constexpr std::string_view kDebianDlaSource = "debian-dla";

// Parses a DSA or DLA list and sends one Advisory per entry to `sink`, in
// file order, including entries that name no CVE or no package (release
// end-of-life notices and the like). Each advisory has:
//   - id: the DSA or DLA id as written; source kDebianDsaSource or
//     kDebianDlaSource, chosen by the id's prefix;
//   - summary: the header text after the id, such as "nodejs - security
//     update";
//   - aliases: the CVE ids of the entry, each once, in file order;
//   - published: the header date as YYYY-MM-DD;
//   - affected: one entry per release line, with ecosystem "Debian:<n>" from
//     debianEcosystemForCodename, name = the source package, name_kind
//     kSource, and range {introduced "0", fixed V}. A release marked
//     <unfixed> or <end-of-life> gets range {introduced "0"} with no fixed
//     event, and one marked <not-affected> gets no entry. A severity word in
//     the remark, such as "(medium)", becomes the entry's severity.
//
// Problems become LoadIssues in `report` with file `origin` and the entry's
// id as record_id when it is known. The field names the part that was wrong:
// "date", "id", "cve_ids", "release", "package", "fixed_version" or "line".
// The message starts with "line N: ", counting lines from 1. A bad header
// skips its whole entry. Any other bad line skips only that line, and the
// entry still loads. records_loaded counts the advisories sent to `sink`.
//
// Always succeeds: every problem in `text` is reported as a LoadIssue. The
// Result keeps the signature alike for every reader.
Result<void> parseDebianSecurityList(std::string_view text, std::string_view origin,
                                     const AdvisorySink& sink, LoadReport& report);

}  // namespace pk::advisory
