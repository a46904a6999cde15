#pragma once

// Whether a host waits for a restart, decided from what is on disk. Pure
// functions; host_reader.h finds the inputs.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/inventory.h"

namespace pk::inventory {

// Returns the restart state that Debian and Ubuntu record: update-notifier
// and package maintainer scripts create /run/reboot-required and append the
// package's name to /run/reboot-required.pkgs. `marker_present` is whether
// the first file exists; `packages_text` is the second file's text (empty
// when it is missing). Packages are listed once each, in first-seen order;
// lines with white space inside a name are ignored.
// Not required when the marker is absent, whatever the package list says.
RestartState restartFromRebootMarker(bool marker_present, std::string_view packages_text);

// Returns the restart state of an rpm host: required when an installed
// `kernel` or `kernel-core` package is newer, in rpm order, than the running
// kernel. `running_release` is uname(2)'s release ("5.14.0-427.13.1.el9_4.x86_64");
// a trailing ".ARCH" matching the package's architecture is ignored. With no
// running release, or no kernel package, the result is "not required".
RestartState restartFromRpmKernels(const std::vector<Package>& packages,
                                   const std::optional<std::string>& running_release);

}  // namespace pk::inventory
