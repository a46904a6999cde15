#pragma once

// Finds the Packages indexes in apt's lists folder (ROOT/var/lib/apt/lists)
// and pairs each with the Release or InRelease file of its dist, using apt's
// file naming: the URI with '/' turned into '_', for example
//
//   deb.debian.org_debian-security_dists_bookworm-security_InRelease
//   deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4

#include <filesystem>
#include <string>
#include <vector>

#include "apt/compressed_file.h"
#include "common/error.h"

namespace pk::apt {

struct IndexFiles {
  std::string packages_name;  // file name of the Packages index, with its extension
  std::string release_name;   // file name of the InRelease (preferred) or Release file
  Compression compression = Compression::kNone;
};

// Pairs the Packages indexes among `file_names` (plain, .lz4, .gz or .xz)
// with the release file whose name, without "InRelease" or "Release", is the
// longest prefix of the index's name; InRelease wins over Release for the
// same prefix. Indexes without a release file are left out, because nothing
// then names the archive they belong to. Pure. The result is ordered by
// packages_name.
std::vector<IndexFiles> pairIndexFiles(const std::vector<std::string>& file_names);

// Returns ROOT/var/lib/apt/lists.
std::filesystem::path listsFolder(const std::filesystem::path& root);

// Lists `lists_folder` and pairs its files with pairIndexFiles(). Fails with
// kNotFound when the folder does not exist (apt-get update has never run on
// that root) and kIoError when it cannot be listed.
Result<std::vector<IndexFiles>> findIndexFiles(const std::filesystem::path& lists_folder);

}  // namespace pk::apt
