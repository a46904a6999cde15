#pragma once

// Reads a binary package's Debian changelog out of its .deb file.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace pk::apt {

struct DebDocFiles {
  // Decompressed text of usr/share/doc/<package>/changelog.Debian.gz, or of
  // changelog.gz when the package has no changelog.Debian.gz (a native
  // package's only changelog). Empty optional when neither exists.
  std::optional<std::string> changelog;
  std::string changelog_path;  // the member it came from, "usr/share/doc/jq/changelog.Debian.gz"
  // When the package's doc folder (or its changelog) is a symbolic link to
  // another package's folder, that package's name ("libssl3" when
  // usr/share/doc/openssl-dev -> libssl3). Empty otherwise.
  std::string linked_package;
};

// Returns the file name apt gives a downloaded .deb in its archives cache:
// "<package>_<version>_<architecture>.deb" with ':' of an epoch written as
// "%3a" ("zlib1g_1%3a1.2.13.dfsg-1+deb12u1_amd64.deb").
std::string debFileName(std::string_view package, std::string_view version,
                        std::string_view architecture);

// Extracts the changelog of `package` from `deb_file` by running
// `dpkg-deb --fsys-tarfile` and reading its tar stream with libarchive.
// Reading stops at changelog.Debian.gz. Changelogs larger than 16 MiB once
// decompressed are rejected as damaged.
//
// Fails with kNotFound when `deb_file` does not exist, kIoError when
// dpkg-deb cannot run or fails (its standard error is in the message), and
// kMalformedInput when the tar stream or the changelog's gzip data is damaged.
Result<DebDocFiles> readDebChangelog(const std::filesystem::path& deb_file,
                                     std::string_view package);

}  // namespace pk::apt
