#pragma once

// Reads OSV records from the places they are published in: one .json file,
// a folder tree of them (an unpacked feed, AlmaLinux's osv-database), or a
// .zip with one record per member (osv.dev's <ecosystem>/all.zip).
// Parsing itself is in osv.h.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::advisory {

// How far a reader has come, for a progress line on stderr.
struct LoadProgress {
  std::size_t records_done = 0;            // records parsed so far, used or not
  std::size_t files_done = 0;              // files or zip members read so far
  std::optional<std::size_t> files_total;  // set once the reader has listed its input
  std::uintmax_t bytes_done = 0;           // uncompressed bytes of JSON read so far
  std::optional<std::uintmax_t> bytes_total;
};

// Called after each file or zip member, on the reader's thread.
using ProgressCallback = std::function<void(const LoadProgress&)>;

// The largest file or zip member that is read as a record. OSV records are
// a few kilobytes to a few megabytes, so anything larger is reported as an
// issue rather than loaded into memory.
inline constexpr std::uintmax_t kMaxOsvFileBytes = 64 * 1024 * 1024;

// Reads every OSV record under `path` and sends each advisory that
// parseOsvRecord accepts to `sink`, updating `report` as parseOsvDocument
// does. `path` may be:
//   - a folder: every regular file named *.json below it, recursively, in
//     lexicographic order of path; other files are ignored;
//   - a file whose name ends in ".zip" (any case): every member named
//     *.json, in the archive's order;
//   - any other file: one JSON document, a record or an array of records.
// A file or member that cannot be read, or is larger than kMaxOsvFileBytes,
// becomes a LoadIssue with that file's path (for members "archive.zip:name")
// and the reading goes on.
//
// Fails with kNotFound when `path` does not exist. Fails with kIoError when
// the folder cannot be listed, the zip cannot be opened as an archive or the
// single file cannot be read. Fails with kUnsupported when the single file
// is larger than kMaxOsvFileBytes. Records sent before a failure stay sent.
Result<void> readOsv(const std::filesystem::path& path, const AdvisorySink& sink,
                     LoadReport& report, const ProgressCallback* progress = nullptr);

}  // namespace pk::advisory
