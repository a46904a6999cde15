#pragma once

// Maintenance windows as stored objects, and which window each server is
// in. The store keeps a window's rule in the text forms that
// schedule/time_text.h parses, exactly as given, and does not validate it:
// the server checks a rule with schedule::WindowRule before writing it.
// The rules of moving a server between windows are in
// server/window_assignment.h; this file only reads and writes the rows.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct WindowRecord {
  std::string id;  // "w-" followed by 16 lower-case hex digits
  std::string name;
  std::string description;
  std::string rrule;                    // RFC 5545 RRULE value
  std::string start_local;              // "YYYY-MM-DDTHH:MM:SS", local to `zone`
  std::string zone;                     // IANA zone name
  std::int64_t length_seconds = 0;      // wall-clock length, positive
  std::int64_t offset_days = 0;         // added to each expanded date
  std::vector<std::string> exclusions;  // local dates "YYYY-MM-DD", in the order given
  // Local [start, end) periods as "YYYY-MM-DDTHH:MM:SS" pairs, in the order given.
  std::vector<std::pair<std::string, std::string>> blackouts;
  SystemTime created_at{};
  SystemTime updated_at{};

  friend bool operator==(const WindowRecord&, const WindowRecord&) = default;
};

// A server's row in host_windows: its window now, and a move that waits for
// the current occurrence to end.
struct HostWindowRecord {
  std::string host_id;
  std::optional<std::string> window_id;  // nullopt: in no window
  SystemTime assigned_at{};              // when window_id took effect
  // A pending move exists while pending_effective_at is set. Its window is
  // nullopt for a move out of every window.
  std::optional<SystemTime> pending_effective_at;
  std::optional<std::string> pending_window_id;
  std::optional<std::string> pending_ticket_id;
  std::string pending_actor;           // who scheduled the pending move
  std::string pending_remote_address;  // from where

  bool hasPendingMove() const { return pending_effective_at.has_value(); }
  friend bool operator==(const HostWindowRecord&, const HostWindowRecord&) = default;
};

// Returns a new random window id, "w-" followed by 16 lower-case hex digits.
std::string newWindowId();

// Returns the window with id `id`, or nullopt.
Result<std::optional<WindowRecord>> getWindow(Session& session, const std::string& id);

// Returns every window, sorted by name.
Result<std::vector<WindowRecord>> listWindows(Session& session);

// Inserts `window`. Fails with kInvalidArgument when its id or its name is
// taken.
Result<void> insertWindow(Session& session, const WindowRecord& window);

// Writes every field of `window` except id and created_at over the stored
// window with the same id. Fails with kNotFound when no window has that id,
// kInvalidArgument when another window has its name.
Result<void> updateWindow(Session& session, const WindowRecord& window);

// Deletes window `id`. Returns false when there was none. Fails with
// kInvalidArgument while a host_windows row names it (now or pending):
// callers check countHostsOfWindow() first to say so clearly.
Result<bool> deleteWindow(Session& session, const std::string& id);

// Returns how many hosts are in window `id` or have a pending move to it.
Result<std::int64_t> countHostsOfWindow(Session& session, const std::string& id);

// Returns the host_windows row of `host_id`, or nullopt when it has none.
Result<std::optional<HostWindowRecord>> getHostWindow(Session& session, const std::string& host_id);

// Returns every host_windows row, sorted by host id.
Result<std::vector<HostWindowRecord>> listHostWindows(Session& session);

// Returns the rows whose pending move is due at `now` (effective at or
// before it), sorted by host id.
Result<std::vector<HostWindowRecord>> listDueWindowMoves(Session& session, SystemTime now);

// Inserts or replaces the host_windows row of `record.host_id`. Fails with
// kInvalidArgument when the host or a named window does not exist.
Result<void> putHostWindow(Session& session, const HostWindowRecord& record);

}  // namespace pk::store
