#pragma once

// Builds Debian-like sandbox roots for tests: ROOT/var/lib/dpkg/status from a
// list of package stanzas, and ROOT/etc/os-release. The result reads back
// with pk::inventory::readHostInventory(ROOT).
//
//   auto dir = TemporaryDirectory::create("scan");
//   ASSERT_TRUE(dir);
//   ASSERT_TRUE(writeDebianRoot(dir->path(), "12",
//       {{.package = "dmsetup", .version = "2:1.02.185-2", .source = "lvm2 (2.03.16-2)"}}));

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "tests/support/temporary_directory.h"

namespace pk::test_support {

// One paragraph of a dpkg status file. Fields left empty are not written,
// so a test can produce a malformed paragraph on purpose.
struct DpkgStanza {
  std::string package{};                        // Package:
  std::string version{};                        // Version:
  std::string architecture = "amd64";           // Architecture:
  std::string status = "install ok installed";  // Status: want flag state
  std::string source{};                         // Source: as written, "lvm2" or "lvm2 (2.03.16-2)"
  std::string extra_lines{};                    // appended verbatim; each line ends in '\n'
};

// Returns the text of a status file with one paragraph per stanza, in order,
// separated by blank lines, with a short Description: and its continuation
// line so that parsers meet multi-line fields.
std::string formatDpkgStatus(const std::vector<DpkgStanza>& stanzas);

// Writes formatDpkgStatus(stanzas) to ROOT/var/lib/dpkg/status.
Result<void> writeDpkgStatus(const std::filesystem::path& root,
                             const std::vector<DpkgStanza>& stanzas);

// Writes `text` to ROOT/etc/os-release.
Result<void> writeOsRelease(const std::filesystem::path& root, std::string_view text);

// Writes a Debian os-release (ID=debian, VERSION_ID=`version_id`) and a
// status file of `stanzas`, the smallest root readHostInventory reads as
// "Debian:<version_id>".
Result<void> writeDebianRoot(const std::filesystem::path& root, std::string_view version_id,
                             const std::vector<DpkgStanza>& stanzas);

}  // namespace pk::test_support
