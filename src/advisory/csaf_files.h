#pragma once

// File and archive access for CSAF documents, kept apart from the parser in
// csaf.h.

#include <filesystem>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::advisory {

// Reads CSAF documents from `path`, which is one of:
//   - a .json file holding one document;
//   - a folder, whose *.json files are read at any depth in path order;
//   - a tar archive, plain or compressed with xz, gzip, bzip2 or zstd
//     (.tar, .tar.xz, .txz, .tar.gz, .tgz, .tar.bz2, .tar.zst), whose *.json
//     members are read one at a time as the archive streams.
// Files and members of other types (README.md, .asc signatures) are ignored.
//
// Each document's advisory goes to `sink` as soon as it is parsed. A file or
// member that parseCsafDocument rejects (not JSON, not a CSAF document)
// becomes a LoadIssue naming it, and reading goes on. An archive member is
// named "<archive path>:<member path>" in LoadIssue::file. A member larger
// than 256 MiB is reported and skipped without being read into memory.
//
// Fails with kNotFound when `path` does not exist, with kIoError when a file
// or folder cannot be read, and with kMalformedInput when the archive is
// corrupt or truncated; advisories passed to `sink` before the failure stay
// passed.
Result<void> readCsaf(const std::filesystem::path& path, const AdvisorySink& sink,
                      LoadReport& report);

}  // namespace pk::advisory
