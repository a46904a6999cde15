#pragma once

// What the agent keeps on disk between runs, in its state folder:
//
//   STATE/identity.json            host id, host token, server URL, token refused?
//   STATE/acknowledged.json        the inventory hash the server last acknowledged
//   STATE/outbox/NNNNNNNNNNNN-ID.json   reports not yet delivered, oldest first
//   STATE/rejected/...             reports the server rejected (400, 413)
//   STATE/corrupt/...              files that could not be read back
//
// Every write goes to a temporary file in the same folder, which is synced,
// renamed over the target, and followed by a sync of the folder, so a crash
// leaves either the old file or the new one. Files are 0600 and folders
// 0700, because the identity contains the host's credential. A file that
// cannot be read back is moved to corrupt/ with a log line; it never stops
// the agent.
//
// Not thread-safe: one agent process owns the folder.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace pk::agent {

struct Identity {
  std::string host_id;
  std::string token;
  std::string server_url;  // the server that issued the token
  // The server refused the token (401 or 403), so the agent enrols again
  // when it can, even after a restart.
  bool token_rejected = false;
};

// One report waiting in the outbox.
struct OutboxEntry {
  std::filesystem::path path;
  std::uint64_t sequence = 0;  // position in the queue; larger is newer
  std::string report_id;
};

// The default maximum number of reports in the outbox. When a new report
// would exceed it, the oldest are dropped with a log line. A report is a
// snapshot, so the newest ones matter most, and a host offline for weeks
// must not fill its disk.
inline constexpr std::size_t kMaxOutboxReports = 100;

class AgentState {
 public:
  // Opens the state folder, creating it (and outbox/) with mode 0700 when
  // missing. Fails with kInvalidArgument when the folder exists but others
  // may read, write or enter it (mode & 0007), because it contains the host
  // token. Fails with kIoError when it cannot be created or inspected.
  // `max_outbox_reports` (at least 1) bounds the outbox, see enqueue.
  static Result<AgentState> open(const std::filesystem::path& folder,
                                 std::size_t max_outbox_reports = kMaxOutboxReports);

  const std::filesystem::path& folder() const { return folder_; }

  // Returns the stored identity, nullopt when none was saved. A file that
  // cannot be parsed is moved to corrupt/ and reads as none. Fails with
  // kIoError only when the file exists but cannot be read.
  Result<std::optional<Identity>> loadIdentity();
  Result<void> saveIdentity(const Identity& identity);

  // The inventory hash the server last acknowledged; empty when none.
  Result<std::string> loadAcknowledgedHash();
  // Stores `hash`. An empty string clears it, so the next report carries the
  // full inventory.
  Result<void> saveAcknowledgedHash(const std::string& hash);

  // Adds a report (its JSON text) at the end of the outbox, then drops the
  // oldest entries beyond the maximum given to open(). Returns the new
  // entry. Fails with kInvalidArgument when `report_id` is not a report id,
  // and with kIoError when the file cannot be written.
  Result<OutboxEntry> enqueue(const std::string& report_id, const std::string& report_json);

  // Lists the outbox, oldest first. Files whose names do not follow the
  // pattern are moved to corrupt/.
  Result<std::vector<OutboxEntry>> pending();

  // Reads one entry's JSON text. Fails with kNotFound when it was removed.
  Result<std::string> read(const OutboxEntry& entry);

  // Removes a delivered entry. Removing a missing entry succeeds.
  Result<void> remove(const OutboxEntry& entry);

  // Moves an entry to rejected/, beside a .reason file with `reason`.
  Result<void> reject(const OutboxEntry& entry, const std::string& reason);

  // Moves any file of the state folder to corrupt/, logging why.
  void moveAside(const std::filesystem::path& path, const std::string& why);

 private:
  AgentState(std::filesystem::path folder, std::size_t max_outbox_reports)
      : folder_(std::move(folder)), max_outbox_reports_(max_outbox_reports) {}

  std::filesystem::path outbox() const { return folder_ / "outbox"; }

  std::filesystem::path folder_;
  std::size_t max_outbox_reports_;
};

// Writes `content` to `path` atomically: a temporary file in the same
// folder with mode `mode`, fsync, rename over `path`, fsync of the folder.
// Fails with kIoError naming the file; the temporary file is removed then.
Result<void> writeFileAtomically(const std::filesystem::path& path, const std::string& content,
                                 unsigned mode = 0600);

}  // namespace pk::agent
