#pragma once

// Which maintenance window each server is in, and how a server moves to
// another window. A server is in at most one window; an endpoint is in
// none. A move never takes a server out of a window that is open: it takes
// effect from the next occurrence of the server's current window that has
// not started, so patching that runs now finishes where it began.
//
// The rules of scheduleWindowMove, at `now`:
//   - a server with no window gets the new window at once (its first);
//   - a server whose current window is closed at `now` moves at once;
//   - a server whose current window is open at `now` keeps it until that
//     occurrence ends. The move is stored as pending, effective at that end,
//     and replaces any earlier pending move;
//   - a move to the window the server is already in cancels a pending
//     move and changes nothing else;
//   - a pending move that is due at `now` but not yet folded by the job is
//     applied first, exactly as applyDueWindowMoves would.
// The result names the ticket of a pending move that was replaced or
// cancelled, and the due move applied first, so that the caller settles
// those tickets in the same transaction (see tickets.h).
//
// Reads of a host's window (currentWindowOf) treat a pending move whose
// effective time has passed as applied, so reads are correct even before
// the job that calls applyDueWindowMoves has run.
//
// Functions here run inside the caller's transaction and write the audit
// events of what they change there. They are safe to run again in a fresh
// transaction (Database::write() may replay its work). Thread-safe as far
// as the Session they are given is.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::server {

struct WindowMove {
  std::string host_id;
  std::optional<std::string> from_window_id;  // nullopt: the server had no window
  std::optional<std::string> to_window_id;    // nullopt: the server leaves every window
  SystemTime effective_at{};                  // when the server is in the new window
  bool applied_now = false;                   // false: pending until effective_at
  std::optional<std::string> ticket_id;       // the ticket that asked for it, if any
};

// The outcome of scheduleWindowMove and releaseWindowOfHost.
struct WindowMoveResult {
  WindowMove move;  // the move asked for
  // A due pending move that was applied before the one asked for.
  std::optional<WindowMove> applied_first;
  // The ticket of a pending move that was replaced or cancelled before it
  // took effect; that move will never happen.
  std::optional<std::string> superseded_ticket_id;
};

// Moves server `host_id` to window `window_id` (nullopt: out of every
// window) by the rules above, and audits it ("host.window_assign" when it
// applies at once, "host.window_move_scheduled" when it is pending) with
// `actor` ("user:alice") and `remote_address`. `ticket_id` is stored with a
// pending move and returned by applyDueWindowMoves. Fails with
// kNotFound when the host or the window does not exist; kInvalidArgument
// when the host is an endpoint or revoked (the routes return 409 for it);
// kInternal when a stored window rule no longer validates; and passes on
// store errors.
Result<WindowMoveResult> scheduleWindowMove(store::Session& session, const std::string& host_id,
                                            const std::optional<std::string>& window_id,
                                            SystemTime now, const std::string& actor,
                                            const std::string& remote_address,
                                            const std::optional<std::string>& ticket_id);

// The same, with the `reason` an administrator gave, recorded in the audit
// event's after state.
Result<WindowMoveResult> scheduleWindowMoveWithReason(store::Session& session,
                                                      const std::string& host_id,
                                                      const std::optional<std::string>& window_id,
                                                      SystemTime now, const std::string& actor,
                                                      const std::string& remote_address,
                                                      const std::optional<std::string>& ticket_id,
                                                      const std::string& reason);

// Takes host `host_id` out of its window and drops a pending move at once,
// open window or not, because the host is no longer a server. Audits it as
// "host.window_release", and does nothing for a host in no window. Call it
// in the transaction that changes the host's kind.
Result<WindowMoveResult> releaseWindowOfHost(store::Session& session, const std::string& host_id,
                                             SystemTime now, const std::string& actor,
                                             const std::string& remote_address);

// Moves the effective time of every pending move out of window
// `window_id`, after its rule changed: to the end of the occurrence open at
// `now`, or to `now` when the window is closed and the move was due later.
// Audits each change as "host.window_move_rescheduled" and returns the
// changed moves (applied_now = false) with their ticket ids.
Result<std::vector<WindowMove>> reschedulePendingMovesOutOf(store::Session& session,
                                                            const std::string& window_id,
                                                            SystemTime now,
                                                            const std::string& actor,
                                                            const std::string& remote_address);

// Folds every pending move whose effective time is at or before `now` into
// the current assignment, audits each as "host.window_move_applied" (actor
// "system"), and returns them in host id order with applied_now = true and
// the ticket id each was scheduled with, so that tickets can be marked
// applied in the same transaction.
Result<std::vector<WindowMove>> applyDueWindowMoves(store::Session& session, SystemTime now);

// Work done in the same transaction as the moves applyDueWindowMoves
// folded (marking their tickets applied); a failure rolls all back.
using AppliedMovesHook = std::function<Result<void>(
    store::Session&, const std::vector<WindowMove>& moves, SystemTime now)>;

// The leader job's step: one write transaction that calls
// applyDueWindowMoves at clock.now() and then `hook` (may be empty) when
// moves were folded. Returns the moves after the commit, for logging.
Result<std::vector<WindowMove>> runDueWindowMoves(store::Database& database, Clock& clock,
                                                  const AppliedMovesHook& hook);

// A server's window at `now`: the stored window, or the pending one when
// its effective time has passed. nullopt when the host has no window.
Result<std::optional<std::string>> currentWindowOf(store::Session& session,
                                                   const std::string& host_id, SystemTime now);

// Every host's window at `now`, as currentWindowOf decides it, by host id.
// Hosts in no window are left out.
Result<std::map<std::string, std::string>> currentWindowsAt(store::Session& session,
                                                            SystemTime now);

// The JSON form of a move: {"host_id", "from_window_id", "to_window_id",
// "effective_at", "applied_now", "ticket_id"}, ids null where absent.
nlohmann::json windowMoveToJson(const WindowMove& move);

}  // namespace pk::server
