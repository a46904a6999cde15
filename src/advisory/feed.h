#pragma once

// Loading advisory feeds from paths given on a command line: each file's
// format is recognised from its content, so a folder may mix OSV records,
// Debian lists, Alpine secdb files, CSAF documents, KEV and EPSS.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>

#include "advisory/advisory.h"
#include "advisory/enrichment.h"
#include "common/error.h"

namespace pk::advisory {

enum class FeedFormat {
  kOsv,            // one OSV record per .json file, or a .zip of them
  kDebianTracker,  // the Debian security tracker's JSON export
  kDebianList,     // the tracker's DSA or DLA list
  kAlpineSecdb,    // Alpine's secdb JSON
  kCsaf,           // a CSAF 2.0 document, or a .tar.xz/.tar.gz of them
  kKev,            // CISA's KEV catalog (JSON)
  kEpss,           // FIRST EPSS scores (JSON or CSV)
  kMsrcCvrf,       // an MSRC monthly CVRF document (XML); see msrc_cvrf.h
  kKbMapping,      // a CVE -> KB -> fixed build table (JSON or CSV); see kb_mapping.h
  kUnknown,
};

std::string_view feedFormatName(FeedFormat format);

// Recognises a feed from the start of its content (a few KiB are enough).
FeedFormat sniffFeedFormat(std::string_view head);

struct FeedProgress {
  std::size_t files_read = 0;
  std::size_t advisories = 0;
};

struct FeedLoadOptions {
  // Called after each file; may be empty.
  std::function<void(const FeedProgress&, const std::filesystem::path& file)> on_progress;
};

// Loads `path`: a feed file, an archive (.zip of OSV records, .tar.xz or
// .tar.gz of CSAF documents) or a folder tree of them. Advisories go to
// `sink`; KEV and EPSS tables are merged into `enrichment`. Malformed
// records are reported in `report` and skipped. In folders, files that are
// not feeds (README, LICENSE, ...) are skipped silently, and unrecognised
// .json or .csv files are reported in `report`. A file named directly whose
// format is not recognised is an error (kUnsupported), as is a missing path
// (kNotFound).
//
// MSRC CVRF documents and CVE -> KB tables give Windows advisories, as
// advisory/windows_fixes.h describes.
Result<void> loadFeed(const std::filesystem::path& path, const AdvisorySink& sink,
                      Enrichment& enrichment, LoadReport& report,
                      const FeedLoadOptions& options = {});

}  // namespace pk::advisory
