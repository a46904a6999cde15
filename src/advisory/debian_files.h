#pragma once

// File readers for the Debian security tracker's data: they read a whole
// file and hand its text to the pure parsers in debian_tracker.h and
// debian_lists.h, with the path as the origin of every LoadIssue.

#include <filesystem>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::advisory {

// Reads the tracker's JSON export from `path` and parses it with
// parseDebianTrackerJson. Fails with kNotFound when `path` does not exist,
// kIoError when it cannot be read, and otherwise as parseDebianTrackerJson
// fails. The whole file is held in memory while it is parsed.
Result<void> readDebianTrackerJson(const std::filesystem::path& path, const AdvisorySink& sink,
                                   LoadReport& report);

// Reads a DSA or DLA list (data/DSA/list, data/DLA/list) from `path` and
// parses it with parseDebianSecurityList. Fails with kNotFound when `path`
// does not exist and kIoError when it cannot be read.
Result<void> readDebianSecurityList(const std::filesystem::path& path, const AdvisorySink& sink,
                                    LoadReport& report);

}  // namespace pk::advisory
