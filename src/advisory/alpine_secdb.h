#pragma once

// Reader of Alpine's security database (secdb): one JSON file per release and
// repository, listing for each package the versions that fixed vulnerabilities:
//   {"distroversion": "v3.20", "reponame": "main",
//    "packages": [{"pkg": {"name": "openssl",
//                          "secfixes": {"3.3.2-r0": ["CVE-2024-6119"],
//                                       "0": ["CVE-2022-3996"]}}}]}
//
// Shape of the output. One Advisory per vulnerability id and file: its id is
// the CVE id where the line names one (so a finding names the CVE), and the
// other ids on the same line (XSA-, GHSA-, GNUTLS-SA-...) become aliases. A
// line without a CVE id uses its first id. The advisory has one
// AffectedPackage per package that fixes it in that release, with the range
// {introduced "0", fixed V}. When one package lists the same id under several
// versions, the highest version (apk order) is kept, since the earlier fix was
// incomplete in that release.
//
// Ids repeat across releases and repositories, so one file's advisories are
// only part of the feed; readAlpineSecdb (alpine_secdb_files.h) merges them.
//
// Ecosystem: "Alpine:" + distroversion, such as "Alpine:v3.20". The "edge"
// branch gives "Alpine:edge", and a distroversion without its leading "v"
// ("3.20") gets one.
//
// Package names: secdb names the aport, that is the origin (source) package,
// so a fix listed for "openssl" also covers its subpackages libcrypto3 and
// libssl3. Entries carry PackageNameKind::kSource, to be matched against the
// `o:` origin of an installed apk.

#include <string_view>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::advisory {

// The value of Advisory::source for advisories from Alpine's secdb.
inline constexpr std::string_view kAlpineSecdbSource = "alpine-secdb";

// Parses one secdb file. `origin` names the file in LoadIssue::file.
//
// Per-record problems are reported in `report` and skipped while the rest of
// the file loads: a package without a name, a version that apk rejects
// (pk::version::apk::validate), a line without any usable id, or a malformed
// CVE id ("CVE-46838"). A version key "0" lists ids that never
// affected the package in this release: each such (package, id) gives no
// affected entry, even when another key of the package lists the id, and
// counts once in records_withdrawn.
// records_loaded counts the advisories passed to `sink`.
//
// Fails with kMalformedInput, without calling `sink`, when the text is not
// JSON or lacks a string "distroversion" or a "packages" array.
Result<void> parseAlpineSecdb(std::string_view json, std::string_view origin,
                              const AdvisorySink& sink, LoadReport& report);

}  // namespace pk::advisory
