#pragma once

// Security updates from a Debian or Ubuntu host's own apt repositories: the
// vendor's statement of what must be patched, needing no other feed.
//
// findSecurityUpdates() reads ROOT/var/lib/apt/lists, keeps the Packages
// indexes whose Release file marks a security archive (isSecurityArchive()),
// and reports every installed package for which such an archive holds a
// newer version. It does so even when apt's candidate comes from another
// archive (a point release in bookworm-updates or the main archive): the
// security archive's version is what proves the fix is a security fix.
//
// CVE ids come from the Debian changelog inside the update's .deb, read from
// ROOT/var/cache/apt/archives. Without download, only .debs already cached
// there are read, and updates without one carry no CVE ids. The field
// changelog_status records which case applies.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "apt/changelog.h"
#include "common/error.h"
#include "inventory/inventory.h"

namespace pk::apt {

enum class ChangelogStatus {
  kRead,           // the changelog was read; cve_ids lists what its new entries name
  kNotRequested,   // SecurityUpdateOptions::read_changelogs was false
  kNoPackageFile,  // no .deb of the security version in the cache, nor downloaded
  kNoChangelog,    // the .deb and its source's other cached .debs hold no Debian changelog
  kUnreadable,     // a .deb or its changelog could not be read (reason in changelog_detail)
};

// Returns "read", "not-requested", "no-package-file", "no-changelog" or
// "unreadable", for logs and JSON.
std::string_view changelogStatusName(ChangelogStatus status);

struct SecurityUpdate {
  std::string package;            // binary package name, as installed
  std::string architecture;       // the installed package's architecture
  std::string source_package;     // source of the security version ("openssl" for libssl3)
  std::string installed_version;  // binary version installed
  // Source version of the installed binary: the inventory's source_version,
  // or installed_version when that is empty.
  std::string installed_source_version;
  std::string security_version;         // newest binary version in a security archive
  std::string security_source_version;  // source version of that binary
  std::string suite;                    // Suite: of that archive's Release, "oldstable-security"
  std::string codename;                 // Codename:, "bookworm-security"
  std::string label;                    // Label:, "Debian-Security"
  std::string origin;                   // Origin:, "Debian"
  std::string filename;                 // Filename: of the .deb in the archive, "pool/updates/..."
  // CVE ids named by the changelog entries newer than the installed source
  // version and not newer than security_source_version, ordered by year and
  // number. Empty unless changelog_status is kRead.
  std::vector<std::string> cve_ids;
  // The changelog entries of that same range, newest first. Empty unless
  // changelog_status is kRead.
  std::vector<ChangelogEntry> changelog_entries;
  ChangelogStatus changelog_status = ChangelogStatus::kNotRequested;
  std::string changelog_detail;  // what was read or why nothing was, for people
};

struct SecurityUpdateOptions {
  // Reads changelogs from cached .debs to fill cve_ids.
  bool read_changelogs = true;
  // Before reading changelogs, fetches the .debs missing from the cache with
  // `apt-get download`, through the apt configuration of the machine running
  // patchkeeper (see downloadPackageFile()). Needs network access to the
  // host's archives; ignored unless read_changelogs is set.
  bool download = false;
};

// Finds the security updates for `installed`. Packages match by binary name
// and architecture, where "all" on either side matches any architecture.
// Every entry of `installed` counts, whatever its state: filter it with
// inventory::isInstalledState() first. The result is ordered by package and
// architecture. Problems with one update's changelog are reported in that
// update (changelog_status), never as a failure.
//
// Fails with kNotFound when ROOT/var/lib/apt/lists does not exist. Fails
// with kMalformedInput or kIoError, naming the file, when a release file or
// a security archive's index cannot be read, because the result would
// otherwise miss updates silently.
Result<std::vector<SecurityUpdate>> findSecurityUpdates(
    const std::filesystem::path& root, const std::vector<inventory::Package>& installed,
    const SecurityUpdateOptions& options = {});

// Returns ROOT/var/cache/apt/archives.
std::filesystem::path archivesFolder(const std::filesystem::path& root);

// Fetches one .deb into ROOT/var/cache/apt/archives (created when missing)
// by running `apt-get download <package>:<architecture>=<version>` (or
// `<package>=<version>` for "all") there. apt uses the sources, lists and
// keys of the machine running patchkeeper, which are the root's own only
// when the root is "/". For another root, this machine's apt must also know
// the requested version. Nothing is installed. Fails with kIoError, quoting
// apt-get's standard error, when apt-get cannot run or fails.
Result<void> downloadPackageFile(const std::filesystem::path& root, std::string_view package,
                                 std::string_view version, std::string_view architecture);

}  // namespace pk::apt
