#pragma once

// The Debian security tracker's JSON export, the document served at
// https://security-tracker.debian.org/tracker/data/json. Its shape is
//
//   { "<source package>": { "<CVE id>": {
//       "description": "...", "scope": "...", "debianbug": 123,
//       "releases": { "<codename>": {
//           "status": "resolved" | "open" | "undetermined",
//           "fixed_version": "1.2-3",          // absent unless resolved
//           "urgency": "low" | "medium*" | "not yet assigned" | ...,
//           "repositories": { "<codename>": "<version>" },
//           "nodsa": "..." } } } } }
//
// Release codenames map to OSV's Debian ecosystems by
// debianEcosystemForCodename. Parsing is pure: text in, advisories out.

#include <optional>
#include <string_view>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::advisory {

// Value of Advisory::source for advisories from the tracker's JSON export.
inline constexpr std::string_view kDebianTrackerSource = "debian-tracker";

// Returns the OSV ecosystem of a Debian release codename as OSV spells it:
// "woody" -> "Debian:3.0", "sarge" -> "Debian:3.1", "etch" -> "Debian:4.0",
// "lenny" -> "Debian:5.0", "squeeze" -> "Debian:6.0", then "wheezy" ->
// "Debian:7" up to "forky" -> "Debian:14". Returns nullopt for any other
// name, including "sid" and "experimental": they have no version number and
// OSV publishes no ecosystem for them.
std::optional<std::string_view> debianEcosystemForCodename(std::string_view codename);

// Checks a source package name against Debian Policy's rule for package
// names: at least two characters, only lower-case letters, digits, '+', '-'
// and '.', and a letter or digit first.
bool isValidDebianPackageName(std::string_view name);

// Parses the tracker's JSON export and sends one Advisory per CVE id to
// `sink`, in ascending order of id, after the whole document was read,
// because one CVE id appears under every package it affects.
//
// Each advisory has id = the CVE id (or the tracker's TEMP-... id), source
// kDebianTrackerSource, summary = the first non-empty description, and one
// AffectedPackage per (package, release) that is affected:
//   - resolved with fixed_version "0": not affected, no entry;
//   - resolved with a fixed version V: range {introduced "0", fixed V};
//   - open or undetermined: range {introduced "0"} with no fixed event, so
//     every version is affected and no fix is known.
// Entries carry ecosystem "Debian:<n>", name = the source package, name_kind
// kSource, and the release's urgency as severity (trailing '*' marks are
// dropped; urgencies such as "not yet assigned" or "end-of-life" leave it
// unset). The advisory's severity is the highest of its entries. Releases
// that debianEcosystemForCodename does not know, such as "sid", are ignored
// without an issue.
//
// A malformed package, CVE entry or release becomes a LoadIssue in `report`,
// and only that part is skipped. Examples are a value that is not an object,
// an unknown status, a missing fixed_version and a version that dpkg rejects.
// The issue has file `origin`, the CVE id (or the package name) as
// record_id, and a JSON pointer as field. records_loaded counts the
// advisories sent to `sink`.
//
// Fails with kMalformedInput, and sends nothing, when `json` is not valid
// JSON or its top level is not an object.
//
// NOTE: the document, a padded copy, simdjson's DOM and every advisory are in
// memory at once. A synthetic 149 MB export took 3.9 s and peaked at 0.9 GB
// of RSS (RelWithDebInfo build, one core of a 2-core x86-64 machine).
Result<void> parseDebianTrackerJson(std::string_view json, std::string_view origin,
                                    const AdvisorySink& sink, LoadReport& report);

}  // namespace pk::advisory
