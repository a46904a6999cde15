#pragma once

// apk's installed database (/lib/apk/db/installed): one record per package,
// records separated by blank lines, each line "X:value" with a one-letter key.

#include <string_view>

#include "inventory/parsed_packages.h"

namespace pk::inventory {

// Parses the text of an apk installed database. Pure: `file_name` only
// labels skipped records.
//
// Reads P: (name), V: (version), A: (architecture, may be empty) and o:
// (origin, the source package; the package itself when absent). The source
// version is the package's version, because apk builds every subpackage of
// an origin at the origin's version. A record is skipped and listed when it
// has no P: or V:, a version that pk::version::apk::validate rejects, or a
// line without the "X:" form. The return type has no error case: bad records
// never stop the rest from loading.
ParsedPackages parseApkInstalled(std::string_view text, std::string_view file_name);

}  // namespace pk::inventory
