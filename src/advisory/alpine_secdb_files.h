#pragma once

// File access for Alpine's secdb, kept apart from the parser in
// alpine_secdb.h.

#include <filesystem>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::advisory {

// Reads one secdb JSON file, or every *.json file in a folder tree (such as
// <release>/main.json and <release>/community.json for each release), and
// passes the advisories to `sink` once all files are read.
//
// Advisories with the same id from different files are merged into one: its
// affected entries are the union over releases and repositories, and its
// aliases the union of aliases. Output is sorted by id. records_loaded counts
// the merged advisories passed to `sink`.
//
// A file that is not a secdb file (parseAlpineSecdb fails on it) becomes a
// LoadIssue naming that file, and the other files still load.
//
// Fails with kNotFound when `path` does not exist, and with kIoError when a
// file or folder cannot be read; nothing is passed to `sink` then.
Result<void> readAlpineSecdb(const std::filesystem::path& path, const AdvisorySink& sink,
                             LoadReport& report);

}  // namespace pk::advisory
