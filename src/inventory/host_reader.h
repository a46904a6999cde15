#pragma once

// Reads what is installed on a host from its root directory: "/" on the
// host itself, or a sandbox root that tests fill.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "common/error.h"
#include "inventory/inventory.h"
#include "inventory/parsed_packages.h"

namespace pk::inventory {

struct HostReadOptions {
  // The running kernel's release as uname(2) reports it, for the rpm
  // kernel check. When unset and `root` is "/", uname(2) fills it; for any
  // other root the kernel check is skipped.
  std::optional<std::string> running_kernel_release;
  // The rpm program, looked up in PATH when it has no '/'.
  std::string rpm_program = "rpm";
  // Called once for each record the database parser skipped, in database
  // order, so the caller can log and count them. May be empty.
  std::function<void(const SkippedRecord&)> on_skipped_record;
};

// Reads ROOT/etc/os-release (or ROOT/usr/lib/os-release when the first is
// missing). Every path under ROOT, here and in readHostInventory, is looked
// up with resolveInRoot, so links in the image stay inside ROOT. Returns an
// empty OsRelease when neither file exists, because a minimal image may ship
// none. Fails with kNotFound when ROOT does not exist, kInvalidArgument when
// it is not a directory, kMalformedInput when the file is empty or has no
// ID= line, kIoError when a file exists but cannot be read, and with
// resolveInRoot's errors (a link loop, for example).
Result<OsRelease> readOsRelease(const std::filesystem::path& root);

// Reads the host's inventory under `root`, which may be relative: it is made
// absolute first because rpm's --root takes only absolute paths.
//   1. os-release, as readOsRelease does;
//   2. the first package database found, in this order, which also sets
//      `scheme`: ROOT/var/lib/dpkg/status (kDpkg); an rpm database
//      (Packages, Packages.db or rpmdb.sqlite) in ROOT/var/lib/rpm or
//      ROOT/usr/lib/sysimage/rpm (kRpm, read with readRpmDatabase);
//      ROOT/lib/apk/db/installed (kApk);
//   3. the restart state: restartFromRebootMarker on ROOT/run/reboot-required
//      for dpkg and apk hosts, restartFromRpmKernels for rpm hosts.
// Skipped records go to options.on_skipped_record and do not fail the read.
// Fails as readOsRelease does, with kNotFound when no database exists (the
// message names every path it looked for), with kIoError when a file cannot
// be read, and with readRpmDatabase's errors when rpm fails.
Result<HostInventory> readHostInventory(const std::filesystem::path& root,
                                        const HostReadOptions& options = {});

// Returns the running kernel's release from uname(2), or nullopt when the
// call fails.
std::optional<std::string> runningKernelRelease();

}  // namespace pk::inventory
