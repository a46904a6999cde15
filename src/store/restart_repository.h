#pragma once

// The endpoint restart state that each host reports, and the log of every
// notice shown and choice made on it. Events are stored once per host and
// event id, so an agent that resends a report after a lost response
// changes nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

// A host's latest restart report. The times are set while a restart is
// pending; restarted_at is set once the boot after the install was seen.
struct RestartStateRecord {
  std::string host_id{};
  bool pending = false;
  std::optional<SystemTime> required_since{};
  std::optional<SystemTime> deadline{};
  std::optional<SystemTime> restart_at{};
  std::optional<SystemTime> countdown_start{};
  std::optional<SystemTime> next_reminder{};
  bool in_countdown = false;
  std::optional<SystemTime> restarted_at{};
  std::vector<std::string> job_ids{};
  SystemTime updated_at{};
};

// One notice shown or choice made. `type` is "notice", "choice" or
// "restart_requested"; the other text fields are empty where they do not
// apply.
struct RestartEventRecord {
  std::string host_id{};
  std::string event_id{};
  SystemTime at{};
  std::string type{};
  std::string notice{};
  std::vector<std::string> offered{};
  std::optional<SystemTime> restart_at{};
  std::string choice{};
  std::string user{};
  std::optional<std::int64_t> snooze_seconds{};
  SystemTime received_at{};
};

// Inserts or replaces the host's restart state. The host must exist.
Result<void> saveRestartState(Session& session, const RestartStateRecord& record);

// Returns the host's restart state, or nullopt when it never reported one.
Result<std::optional<RestartStateRecord>> loadRestartState(Session& session,
                                                           const std::string& host_id);

// Stores an event. Returns true when it is new, false when the host's
// event id was stored before (nothing changes then).
Result<bool> insertRestartEvent(Session& session, const RestartEventRecord& event);

// Marks the host as waiting for a restart, with `reason`, unless its
// inventory already shows one. The next inventory the host reports sets
// the flag again from what the host finds, so after the boot it clears.
Result<void> markRestartRequired(Session& session, const std::string& host_id,
                                 const std::string& reason);

// Returns the host's events at or after `since` (all when nullopt), oldest
// first, at most `limit` of them.
Result<std::vector<RestartEventRecord>> listRestartEvents(Session& session,
                                                          const std::string& host_id,
                                                          std::optional<SystemTime> since,
                                                          std::int64_t limit);

}  // namespace pk::store
