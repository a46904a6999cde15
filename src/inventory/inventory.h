#pragma once

// What is installed on a host: its packages, its operating system, and
// whether it waits for a restart. Parsers take text and are pure; readers
// take a root directory so that tests can build sandbox roots.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "version/version.h"

namespace pk::inventory {

struct Package {
  std::string name;          // binary package name
  std::string version;       // full version as the package manager prints it (with epoch)
  std::string architecture;  // "amd64", "x86_64", "noarch", ...
  // The source package it was built from, and that source's version. For
  // dpkg these come from the Source: field and default to the binary's own
  // name and version; for rpm they come from the source rpm's file name
  // (version-release, no epoch: rpm does not record the source's epoch).
  std::string source_name;
  std::string source_version;
  std::string state;  // dpkg's status word ("installed", "half-configured", ...); empty elsewhere
};

// Returns whether a package in dpkg status `state` counts as installed.
// Every state counts except "not-installed" and "config-files", whose files
// are gone; a "half-configured" or "unpacked" package still has its
// vulnerable files on disk.
bool isInstalledState(std::string_view state);

struct OsRelease {
  std::string id;          // ID=, "debian", "almalinux"
  std::string id_like;     // ID_LIKE=
  std::string version_id;  // VERSION_ID=, "12", "9.4", "3.20.3"
  std::string version_codename;
  std::string pretty_name;
  // The OSV ecosystem of the host's packages: "Debian:12", "Ubuntu:24.04:LTS",
  // "AlmaLinux:9", "Rocky Linux:9", "Alpine:v3.20". Empty when unknown.
  std::string ecosystem;
};

struct RestartState {
  bool required = false;
  std::vector<std::string> packages;  // packages that asked for the restart, when known
  std::string reason;                 // a sentence for people, empty when not required

  bool operator==(const RestartState&) const = default;
};

// One update that Windows Update offers a Windows host and that is not
// installed yet.
struct WindowsPendingUpdate {
  std::string kb;              // digits only, "5060531"
  std::string title;           // as Windows Update shows it
  std::string classification;  // "Security Updates", "Critical Updates", "Updates", ...
  std::string severity;        // MSRC severity: "Critical", "Important", ...; empty when none
  std::vector<std::string> cve_ids;
  std::vector<std::string> supersedes;  // KB numbers, digits only
  bool restart_required = false;

  bool operator==(const WindowsPendingUpdate&) const = default;
};

// The facts a Windows host reports about its operating system and updates.
struct WindowsFacts {
  std::string edition;                     // ProductName as shown: "Windows 11 Enterprise"
  std::string release;                     // DisplayVersion: "24H2", "22H2"; empty on old releases
  std::string build;                       // major.minor.build.UBR: "10.0.26100.4061"
  std::string installation_type;           // "Client", "Server" or "Server Core"
  std::string architecture;                // "x64", "ARM64" or "x86"
  std::vector<std::string> installed_kbs;  // digits only, sorted, each once
  std::vector<WindowsPendingUpdate> pending_updates;

  bool operator==(const WindowsFacts&) const = default;
};

struct HostInventory {
  OsRelease os;
  version::Scheme scheme = version::Scheme::kDpkg;  // of the installed packages
  // Installed packages; on Windows, the installed programs, whose versions
  // are the publishers' own and are not ordered.
  std::vector<Package> packages;
  RestartState restart;
  // Set for Windows hosts (scheme kWindows).
  std::optional<WindowsFacts> windows;
};

}  // namespace pk::inventory
