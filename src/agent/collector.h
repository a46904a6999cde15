#pragma once

// Builds the report an agent sends: what is installed, the security updates
// the host's own apt repositories offer, the kernel, the last boot, and how
// fresh the package lists are. Everything is read under a root folder, "/"
// on a real host, so tests can point it at a sandbox.

#include <filesystem>
#include <optional>
#include <string>

#include "agent/random.h"
#include "common/clock.h"
#include "common/error.h"
#include "protocol/messages.h"

namespace pk::agent {

struct CollectorOptions {
  std::filesystem::path root = "/";
  // Lets findSecurityUpdates fetch missing .debs with apt-get to read their
  // changelogs' CVE ids (network access to the host's archives).
  bool download_changelogs = false;
};

class Collector {
 public:
  // `clock` and `random` must outlive the collector.
  Collector(CollectorOptions options, Clock& clock, RandomSource& random)
      : options_(std::move(options)), clock_(clock), random_(random) {}

  // Collects one report with a new random report id. The inventory is
  // included when its hash differs from `acknowledged_hash` or when
  // `include_inventory` is set; inventory_hash is always set.
  //   - packages: inventory::readHostInventory(root);
  //   - security updates: apt::findSecurityUpdates over the installed
  //     packages, reading cached changelogs; no apt lists means none. Any
  //     other failure there is logged as an error and the report carries
  //     no updates, so the inventory still reaches the server;
  //   - kernel: uname(2) when root is "/", else the newest ROOT/boot/vmlinuz-*
  //     (empty when there is none);
  //   - last boot: btime of /proc/stat when root is "/", else unknown;
  //   - package_lists_updated_at: the newest modification time of a file in
  //     ROOT/var/lib/apt/lists, unknown when there is none;
  //   - hostname: gethostname(2) when root is "/", else ROOT/etc/hostname.
  // Fails as readHostInventory does (no package database, unreadable files).
  Result<protocol::Report> collect(const std::string& acknowledged_hash, bool include_inventory);

 private:
  CollectorOptions options_;
  Clock& clock_;
  RandomSource& random_;
};

// Returns whether `root` names the running system's own root, "/".
bool isHostRoot(const std::filesystem::path& root);

// Returns the host name: gethostname(2) when root is "/", else the first
// line of ROOT/etc/hostname; empty when neither is available.
std::string readHostname(const std::filesystem::path& root);

// Reads the machine id from `path` inside `root` (see resolveInRoot): the
// file's first line, trimmed. Fails with kNotFound when the file is missing
// and kMalformedInput when it is empty.
Result<std::string> readMachineId(const std::filesystem::path& root,
                                  const std::filesystem::path& path);

// Returns the release of the newest ROOT/boot/vmlinuz-RELEASE, compared in
// dpkg version order, or an empty string when there is none.
std::string newestBootKernel(const std::filesystem::path& root);

// Returns the newest modification time of a regular file directly in
// ROOT/var/lib/apt/lists, or nullopt when there is none.
std::optional<SystemTime> packageListsUpdatedAt(const std::filesystem::path& root);

// Returns when the running system booted, from the btime line of
// /proc/stat, or nullopt when it cannot be read.
std::optional<SystemTime> hostBootTime();

}  // namespace pk::agent
