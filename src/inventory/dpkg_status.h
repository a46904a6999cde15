#pragma once

// dpkg's status database (/var/lib/dpkg/status): deb822 paragraphs separated
// by blank lines, "Field: value" lines, and continuation lines that start
// with a space or a tab.

#include <string_view>

#include "inventory/parsed_packages.h"

namespace pk::inventory {

// Parses the text of a dpkg status file. Pure: `file_name` only labels
// skipped records.
//
// Keeps every package whose state (the third word of Status:) counts as
// installed by isInstalledState(); the others are dropped silently. Each
// kept package has name (Package:), version (Version:), architecture
// (Architecture:, may be empty) and state. Its source comes from Source:,
// "name" or "name (version)": without Source: the source is the binary
// itself, and without a version in parentheses the source version is the
// binary's version. For example `Source: lvm2 (2.03.16-2)` on dmsetup
// 2:1.02.185-2 gives source lvm2 at 2.03.16-2.
//
// A paragraph is skipped and listed in `skipped` when it breaks the format:
// no Package:, no Version:, or no Status: with three words. It is also
// skipped when pk::version::dpkg::parse rejects its version or source
// version, when a field repeats, or when a line is neither a field nor a
// continuation. Field names match case-insensitively, as in dpkg. The
// return type has no error case: bad paragraphs never stop the rest.
ParsedPackages parseDpkgStatus(std::string_view text, std::string_view file_name);

}  // namespace pk::inventory
