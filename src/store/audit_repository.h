#pragma once

// The audit log: every change anyone makes, append-only. Rows are never
// updated or deleted through this interface, and the schema rejects it
// with triggers, so raw SQL that tries fails with kInvalidArgument.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct AuditEvent {
  std::int64_t id = 0;  // assigned on append, increasing
  SystemTime at{};
  std::string actor;        // "user:alice", "host:h-0123...", "system"
  std::string action;       // "host.revoke", "user.create", "feed.confirm", ...
  std::string object_type;  // "host", "user", "feed", ...
  std::string object_id;
  std::string before_json;  // the object before the change, JSON text, "" when created
  std::string after_json;   // the object after the change, JSON text, "" when deleted
  std::string remote_address;
};

struct AuditQuery {
  std::optional<SystemTime> since;        // at >= since
  std::optional<std::int64_t> after_id;   // id > after_id, for paging and SIEM tailing
  std::optional<std::int64_t> before_id;  // id < before_id, for paging back from the newest
  bool newest_first = false;              // sort by id descending instead of ascending
  std::optional<std::string> actor;
  std::optional<std::string> object_type;
  std::optional<std::string> object_id;
  std::size_t limit = 1000;
};

// Appends `event` (its id is ignored) and returns the id given to it. Call
// it in the same transaction as the change it records, so the two commit
// or fail together.
Result<std::int64_t> appendAuditEvent(Session& session, const AuditEvent& event);

// Returns at most `query.limit` events matching `query`, oldest first, or
// newest first when `query.newest_first` is set.
Result<std::vector<AuditEvent>> listAuditEvents(Session& session, const AuditQuery& query);

}  // namespace pk::store
