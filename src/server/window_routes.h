#pragma once

// The maintenance windows domain of the API: windows as managed objects,
// which window each server is in, the calendar of occurrences, and the
// iCalendar feeds that calendar apps subscribe to.
//
//   GET    /api/v1/windows                              read_hosts
//   POST   /api/v1/windows                              manage_hosts, admin only
//   GET    /api/v1/windows/{id}                         read_hosts
//   PUT    /api/v1/windows/{id}                         manage_hosts, admin only
//   DELETE /api/v1/windows/{id}                         manage_hosts, admin only
//   GET    /api/v1/windows/{id}/occurrences             read_hosts
//   GET    /api/v1/hosts/{id}/window                    read_hosts (owners: own hosts)
//   PUT    /api/v1/hosts/{id}/window                    manage_hosts, admin only
//   GET    /api/v1/calendar                             read_hosts
//   GET    /api/v1/calendar/feed-tokens                 manage_own_tokens
//   POST   /api/v1/calendar/feed-tokens                 manage_own_tokens
//   DELETE /api/v1/calendar/feed-tokens/{id}            manage_own_tokens
//   GET    /calendar/{token}/all.ics                    public, the feed token decides
//   GET    /calendar/{token}/windows/{id}.ics           public, the feed token decides
//   GET    /calendar/{token}/hosts/{id}.ics             public, the feed token decides
//   GET    /calendar/{token}/collections/{name}.ics     public, the feed token decides
//
// Only the security team (admin) changes windows and assignments; the
// Router checks manage_hosts and the handler checks the admin role, so an
// operator gets 403 too. The schedule is published: every user who reads
// hosts reads every window. Host and collection feeds follow owner scoping
// (docs/ROLES.md): an owner's feed shows only their own hosts, and another
// host is 404 as if it did not exist. A feed whose token is unknown or
// revoked, or whose user is disabled, is 404. docs/WINDOWS.md and
// docs/CALENDAR.md describe the bodies and answers.

#include <chrono>
#include <optional>

#include <nlohmann/json.hpp>

#include "server/context.h"
#include "server/http.h"
#include "store/window_repository.h"

namespace pk::server {

// How far around now a feed publishes occurrences.
inline constexpr std::chrono::days kFeedPastHorizon{92};
inline constexpr std::chrono::days kFeedFutureHorizon{397};

// The maximum range that GET /api/v1/calendar and the occurrences route accept.
inline constexpr std::chrono::days kMaxCalendarRange{800};

// Returns whether the principal has the admin role, which changing windows requires.
bool isAdmin(const Principal& principal);

// Applies a window body (POST, or PUT over the stored window) to `window`:
// the fields name, description, rrule, start, zone, length, offset_days,
// exclusions and blackouts, normalised to the stored text forms. Returns
// the 400 response for the first problem: an unknown field, a wrong type,
// a missing required field, or a rule that schedule::WindowRule rejects
// (invalid RRULE, unknown zone, zero or negative length, a blackout that
// does not end after it starts). On nullopt `window` contains a valid rule.
std::optional<Response> applyWindowBody(const nlohmann::json& body, store::WindowRecord& window);

// Registers every route above on `router`. `context` must outlive it.
void addWindowRoutes(Router& router, ServerContext& context);

}  // namespace pk::server
