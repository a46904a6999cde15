#pragma once

// The security updates a host's own repositories offer it, as its last
// report listed them. The list is replaced whole at each report: an update
// that disappeared was installed or withdrawn.

#include <string>
#include <vector>

#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct PendingUpdateRecord {
  std::string package;  // binary package name
  std::string architecture;
  std::string source_package;
  std::string installed_version;
  std::string candidate_version;     // the version the security archive offers
  std::string archive;               // "bookworm-security"
  std::vector<std::string> cve_ids;  // may be empty; ids contain no commas
};

// Replaces every pending update of `host_id` with `updates`. The host must
// exist (kInvalidArgument otherwise). Two updates with the same package and
// architecture fail with kInvalidArgument; nothing is changed then when
// called inside Database::write().
Result<void> replacePendingUpdates(Session& session, const std::string& host_id,
                                   const std::vector<PendingUpdateRecord>& updates);

// Returns the pending updates of `host_id`, sorted by package then
// architecture; empty for a host with none or an unknown host.
Result<std::vector<PendingUpdateRecord>> loadPendingUpdates(Session& session,
                                                            const std::string& host_id);

}  // namespace pk::store
