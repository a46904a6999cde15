#pragma once

// The security updates a host's own repositories offer it, as its last
// report listed them. The list is replaced whole at each report: an update
// that disappeared was installed or withdrawn.

#include <string>
#include <vector>

#include "common/error.h"
#include "store/database.h"

namespace pk::store {

// One changelog entry sent with a pending update.
struct ChangelogEntryRecord {
  std::string version;  // source version of the entry
  std::string distributions;
  std::string urgency;
  std::string date;  // the trailer's date, as written
  std::string body;

  bool operator==(const ChangelogEntryRecord&) const = default;
};

struct PendingUpdateRecord {
  std::string package;  // binary package name
  std::string architecture;
  std::string source_package;
  std::string installed_version;
  std::string candidate_version;     // the version the security archive offers
  std::string archive;               // "bookworm-security"
  std::vector<std::string> cve_ids;  // may be empty; ids contain no commas
  // Entries newer than the installed version and not newer than the
  // candidate, newest first; may be empty.
  std::vector<ChangelogEntryRecord> changelog;
};

// Replaces every pending update of `host_id` with `updates`. The host must
// exist (kInvalidArgument otherwise). Two updates with the same package and
// architecture fail with kInvalidArgument; nothing is changed then when
// called inside Database::write().
Result<void> replacePendingUpdates(Session& session, const std::string& host_id,
                                   const std::vector<PendingUpdateRecord>& updates);

// Returns the pending updates of `host_id`, sorted by package then
// architecture, each with its changelog; empty for a host with none or an
// unknown host.
Result<std::vector<PendingUpdateRecord>> loadPendingUpdates(Session& session,
                                                            const std::string& host_id);

// Returns the distinct changelog entries sent with the pending updates
// built from `source_package`. Only hosts with an open finding linked to
// patch `patch_id` count. Entries that many hosts sent alike come back
// once. They are ordered by version and body as text in the database's
// collation, which is not dpkg's order.
Result<std::vector<ChangelogEntryRecord>> loadPatchChangelogEntries(
    Session& session, const std::string& patch_id, const std::string& source_package);

}  // namespace pk::store
