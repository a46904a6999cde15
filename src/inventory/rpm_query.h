#pragma once

// The output of `rpm -qa --queryformat kRpmQueryFormat`, one package a line.

#include <string>
#include <string_view>

#include "common/error.h"
#include "inventory/parsed_packages.h"

namespace pk::inventory {

// The queryformat passed to `rpm -qa`: one line per package with six
// tab-separated fields NAME, EPOCH (empty when the package has none),
// VERSION, RELEASE, ARCH and SOURCERPM. rpm itself expands "\t" and "\n".
// rpmbuild rejects blanks in names, versions and releases, so a tab never
// appears inside a field.
inline constexpr std::string_view kRpmQueryFormat =
    "%{NAME}\\t%|EPOCH?{%{EPOCH}}:{}|\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n";

// A source rpm file name split into its parts.
struct SourceRpm {
  std::string name;
  std::string version_release;  // "3.1-7.el9"; a source rpm file name carries no epoch
};

// Splits "name-version-release.src.rpm" (or ".nosrc.rpm"). Fails with
// kMalformedInput when the suffix is missing or the name, version or release
// is empty.
Result<SourceRpm> parseSourceRpmName(std::string_view file_name);

// Parses the output of `rpm -qa --queryformat kRpmQueryFormat`. Pure:
// `file_name` only labels skipped records (for example the database path).
//
// Each package gets name, version "[epoch:]version-release", architecture
// (empty when rpm prints "(none)") and its source from SOURCERPM. A package
// without a source rpm is its own source at version-release. gpg-pubkey
// entries, which are imported signing keys and not software, are dropped
// silently. A line is skipped and listed when it does not have six fields,
// has an empty name, an epoch, version or release that
// pk::version::rpm::parse rejects, or a SOURCERPM that parseSourceRpmName
// rejects. The return type has no error case: bad lines never stop the rest
// from loading.
ParsedPackages parseRpmQueryOutput(std::string_view output, std::string_view file_name);

}  // namespace pk::inventory
