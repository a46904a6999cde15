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
};

struct HostInventory {
  OsRelease os;
  version::Scheme scheme = version::Scheme::kDpkg;  // of the installed packages
  std::vector<Package> packages;
  RestartState restart;
};

}  // namespace pk::inventory
