#pragma once

// The state of each configured advisory feed: what the last sync did, and
// the changes of a sync that waits for an admin's confirmation. The feed's
// records themselves are in advisory_repository.h.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

enum class FeedStatus {
  kNeverSynced,           // configured, no sync finished yet
  kOk,                    // the last sync applied
  kFailed,                // the last sync failed; the previous records stay
  kAwaitingConfirmation,  // the last sync removes too much and waits for confirm
};

// "never_synced", "ok", "failed", "awaiting_confirmation".
std::string_view feedStatusName(FeedStatus status);
std::optional<FeedStatus> parseFeedStatus(std::string_view name);

struct FeedState {
  std::string name;
  std::string kind;    // as configured: "osv", "debian-tracker", "kev", "auto", ...
  std::string source;  // the URL or path it is read from
  FeedStatus status = FeedStatus::kNeverSynced;
  std::optional<SystemTime> last_attempt_at;
  std::optional<SystemTime> last_success_at;
  std::string last_error;         // "" after a success
  std::int64_t record_count = 0;  // records applied and live
  // A staged sync, set while status is kAwaitingConfirmation.
  std::optional<SystemTime> staged_at;
  std::int64_t staged_added = 0;
  std::int64_t staged_changed = 0;
  std::int64_t staged_removed = 0;
  std::int64_t staged_record_count = 0;  // the record count once confirmed
};

// The kind of a feed record, and of the table that holds it.
enum class RecordKind { kAdvisory, kKev, kEpss };
enum class RecordChange { kAdded, kChanged, kRemoved };

// "advisory", "kev", "epss"; "added", "changed", "removed".
std::string_view recordKindName(RecordKind kind);
std::string_view recordChangeName(RecordChange change);

// One change of a staged sync. `body` is the record as its table's body
// would hold it (advisory codec JSON for advisories, a JSON object for KEV
// and EPSS); empty for removals.
struct StagedChange {
  RecordKind kind = RecordKind::kAdvisory;
  std::string record_id;
  RecordChange change = RecordChange::kAdded;
  std::string content_hash;
  std::string body;
};

// Creates the feed's row, or updates its kind and source when it exists,
// keeping its sync state. Servers call it at start for each configured feed.
Result<void> upsertFeed(Session& session, const std::string& name, const std::string& kind,
                        const std::string& source);

// Returns the feed named `name`, or nullopt.
Result<std::optional<FeedState>> getFeed(Session& session, const std::string& name);

// Returns every feed, sorted by name.
Result<std::vector<FeedState>> listFeeds(Session& session);

// Records a failed sync at `at` with `error`: status kFailed, unless a
// staged sync waits for confirmation, which stays staged (its status and
// changes are kept, and only the error and attempt time are recorded). The
// feed's records are not touched. Fails with kNotFound for an unknown feed.
Result<void> recordFeedFailure(Session& session, const std::string& name, SystemTime at,
                               const std::string& error);

// Records an applied sync at `at`: status kOk, error cleared, record count
// set, and any staged changes dropped. kNotFound for an unknown feed.
Result<void> recordFeedSuccess(Session& session, const std::string& name, SystemTime at,
                               std::int64_t record_count);

// Replaces the feed's staged changes with `changes` and sets status
// kAwaitingConfirmation with their counts and `record_count_after`.
// kNotFound for an unknown feed.
Result<void> stageFeedChanges(Session& session, const std::string& name, SystemTime at,
                              const std::vector<StagedChange>& changes,
                              std::int64_t record_count_after);

// Returns the feed's staged changes, sorted by kind and record id.
Result<std::vector<StagedChange>> loadStagedChanges(Session& session, const std::string& name);

}  // namespace pk::store
