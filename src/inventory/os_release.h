#pragma once

// os-release(5): the operating system's identification, KEY=value lines
// with shell-style quoting.

#include <string>
#include <string_view>

#include "inventory/inventory.h"

namespace pk::inventory {

// Parses the text of an os-release file and fills `ecosystem` with
// osvEcosystem(). Pure and total: blank lines, comments and lines without
// "KEY=" are ignored, and a value with an unterminated quote keeps what was
// read. Values follow shell quoting: '...' is literal, "..." and unquoted
// text honour backslash escapes. Keys other than ID, ID_LIKE, VERSION_ID,
// VERSION_CODENAME and PRETTY_NAME are ignored.
OsRelease parseOsRelease(std::string_view text);

// Returns the OSV ecosystem name for an os-release ID, VERSION_ID and
// VERSION_CODENAME, or an empty string when patchkeeper has no mapping:
//   debian 12            -> "Debian:12"
//   debian "" trixie     -> "Debian:13" (Debian testing has only a codename)
//   ubuntu 24.04         -> "Ubuntu:24.04:LTS" (only YY.04 with an even YY is LTS)
//   ubuntu 23.10         -> "Ubuntu:23.10"
//   almalinux 9.4        -> "AlmaLinux:9"
//   rocky 9.4            -> "Rocky Linux:9"
//   alpine 3.20.3        -> "Alpine:v3.20"
// Debian codenames map to numbers from buster (10) to forky (14); "sid" and
// other codenames give an empty string. Any other empty VERSION_ID (Alpine
// edge, for example) also gives an empty string. ID_LIKE is not used.
std::string osvEcosystem(std::string_view id, std::string_view version_id,
                         std::string_view version_codename = {});

}  // namespace pk::inventory
