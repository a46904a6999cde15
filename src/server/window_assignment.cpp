#include "server/window_assignment.h"

#include <fmt/format.h>

#include "server/calendar.h"
#include "store/audit_repository.h"
#include "store/host_repository.h"
#include "store/window_repository.h"

namespace pk::server {
namespace {

nlohmann::json optionalId(const std::optional<std::string>& id) {
  return id ? nlohmann::json(*id) : nlohmann::json();
}

// The server's window now: a pending move that is due counts as applied.
std::optional<std::string> effectiveWindow(const store::HostWindowRecord& record, SystemTime now) {
  if (record.pending_effective_at && *record.pending_effective_at <= now) {
    return record.pending_window_id;
  }
  return record.window_id;
}

// The assignment as the audit log shows it.
nlohmann::json assignmentJson(const std::optional<store::HostWindowRecord>& record) {
  if (!record) return {{"window_id", nullptr}, {"pending", nullptr}};
  nlohmann::json pending = nullptr;
  if (record->pending_effective_at) {
    pending = {{"window_id", optionalId(record->pending_window_id)},
               {"effective_at", formatRfc3339(*record->pending_effective_at)},
               {"ticket_id", optionalId(record->pending_ticket_id)}};
  }
  return {{"window_id", optionalId(record->window_id)}, {"pending", std::move(pending)}};
}

Result<void> audit(store::Session& session, SystemTime now, const std::string& actor,
                   const std::string& action, const std::string& host_id,
                   const nlohmann::json& before, const nlohmann::json& after,
                   const std::string& remote_address) {
  store::AuditEvent event;
  event.at = now;
  event.actor = actor;
  event.action = action;
  event.object_type = "host";
  event.object_id = host_id;
  event.before_json = before.dump();
  event.after_json = after.dump();
  event.remote_address = remote_address;
  auto appended = store::appendAuditEvent(session, event);
  if (!appended) return tl::unexpected(appended.error());
  return {};
}

// Returns when the occurrence of `window_id` open at `now` ends, or nullopt
// when that window is closed.
Result<std::optional<SystemTime>> openOccurrenceEnd(store::Session& session,
                                                    const std::string& window_id, SystemTime now) {
  auto window = store::getWindow(session, window_id);
  if (!window) return tl::unexpected(window.error());
  if (!*window) return std::optional<SystemTime>();
  auto rule = windowRuleOf(**window);
  if (!rule) {
    return fail(ErrorCode::kInternal, fmt::format("the stored rule of window {} is invalid: {}",
                                                  window_id, rule.error().message));
  }
  auto current = rule->currentOccurrence(now);
  if (!current) {
    return fail(ErrorCode::kInternal, fmt::format("cannot compute whether window {} is open: {}",
                                                  window_id, current.error().message));
  }
  if (!*current) return std::optional<SystemTime>();
  return std::optional<SystemTime>((*current)->end);
}

// Folds the due pending move of `record` into its assignment, audits it as
// "host.window_move_applied" and returns the move and the new record.
Result<std::pair<WindowMove, store::HostWindowRecord>> applyDueMove(
    store::Session& session, const store::HostWindowRecord& record, SystemTime now) {
  store::HostWindowRecord after;
  after.host_id = record.host_id;
  after.window_id = record.pending_window_id;
  after.assigned_at = *record.pending_effective_at;
  if (auto put = store::putHostWindow(session, after); !put) return tl::unexpected(put.error());

  nlohmann::json after_json = assignmentJson(after);
  if (record.pending_ticket_id) after_json["ticket_id"] = *record.pending_ticket_id;
  after_json["scheduled_by"] = record.pending_actor;
  if (auto audited = audit(session, now, "system", "host.window_move_applied", record.host_id,
                           assignmentJson(record), after_json, "");
      !audited) {
    return tl::unexpected(audited.error());
  }

  WindowMove move;
  move.host_id = record.host_id;
  move.from_window_id = record.window_id;
  move.to_window_id = record.pending_window_id;
  move.effective_at = *record.pending_effective_at;
  move.applied_now = true;
  move.ticket_id = record.pending_ticket_id;
  return std::pair{std::move(move), std::move(after)};
}

}  // namespace

Result<WindowMoveResult> scheduleWindowMove(store::Session& session, const std::string& host_id,
                                            const std::optional<std::string>& window_id,
                                            SystemTime now, const std::string& actor,
                                            const std::string& remote_address,
                                            const std::optional<std::string>& ticket_id) {
  return scheduleWindowMoveWithReason(session, host_id, window_id, now, actor, remote_address,
                                      ticket_id, "");
}

Result<WindowMoveResult> scheduleWindowMoveWithReason(store::Session& session,
                                                      const std::string& host_id,
                                                      const std::optional<std::string>& window_id,
                                                      SystemTime now, const std::string& actor,
                                                      const std::string& remote_address,
                                                      const std::optional<std::string>& ticket_id,
                                                      const std::string& reason) {
  auto host = store::getHost(session, host_id);
  if (!host) return tl::unexpected(host.error());
  if (!*host) return fail(ErrorCode::kNotFound, fmt::format("no host has id {}", host_id));
  if ((*host)->kind != store::kHostKindServer) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("host {} is an endpoint, and endpoints are in no maintenance window; "
                            "change its kind to server first if it is one",
                            host_id));
  }
  if ((*host)->status != store::kHostStatusActive) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("host {} is revoked, so it gets no maintenance window", host_id));
  }
  if (window_id) {
    auto window = store::getWindow(session, *window_id);
    if (!window) return tl::unexpected(window.error());
    if (!*window) {
      return fail(ErrorCode::kNotFound, fmt::format("no maintenance window has id {}", *window_id));
    }
  }

  WindowMoveResult result;
  auto stored = store::getHostWindow(session, host_id);
  if (!stored) return tl::unexpected(stored.error());
  std::optional<store::HostWindowRecord> before = *stored;
  // A pending move that is due but not yet folded by the job is applied
  // first, as the job would have, so that its ticket becomes applied too.
  if (before && before->pending_effective_at && *before->pending_effective_at <= now) {
    auto folded = applyDueMove(session, *before, now);
    if (!folded) return tl::unexpected(folded.error());
    result.applied_first = std::move(folded->first);
    before = std::move(folded->second);
  }
  const std::optional<std::string> current =
      before ? before->window_id : std::optional<std::string>();

  WindowMove& move = result.move;
  move.host_id = host_id;
  move.from_window_id = current;
  move.to_window_id = window_id;
  move.effective_at = now;
  move.applied_now = true;
  move.ticket_id = ticket_id;

  // A move from an open window waits for the open occurrence to end, so
  // patching under way finishes in the window it started in.
  std::optional<SystemTime> wait_until;
  if (current && current != window_id) {
    auto end = openOccurrenceEnd(session, *current, now);
    if (!end) return tl::unexpected(end.error());
    wait_until = *end;
  }

  store::HostWindowRecord after;
  after.host_id = host_id;
  after.window_id = current;
  after.assigned_at = before ? before->assigned_at : now;
  std::string action;
  if (wait_until) {
    after.pending_effective_at = *wait_until;
    after.pending_window_id = window_id;
    after.pending_ticket_id = ticket_id;
    after.pending_actor = actor;
    after.pending_remote_address = remote_address;
    move.applied_now = false;
    move.effective_at = *wait_until;
    action = "host.window_move_scheduled";
  } else {
    if (current != window_id) {
      after.window_id = window_id;
      after.assigned_at = now;
    }
    const bool cancels_pending = current == window_id && before && before->hasPendingMove();
    action = cancels_pending ? "host.window_move_cancelled" : "host.window_assign";
  }

  if (before && after == *before) return result;
  if (!before && !after.window_id && !after.pending_effective_at) return result;
  // The pending move this one replaces or cancels never takes effect.
  if (before && before->hasPendingMove() && before->pending_ticket_id &&
      before->pending_ticket_id != after.pending_ticket_id) {
    result.superseded_ticket_id = before->pending_ticket_id;
  }

  const nlohmann::json before_json = assignmentJson(before);
  nlohmann::json after_json = assignmentJson(after);
  if (auto put = store::putHostWindow(session, after); !put) return tl::unexpected(put.error());
  if (!reason.empty()) after_json["reason"] = reason;
  if (ticket_id) after_json["ticket_id"] = *ticket_id;
  if (result.superseded_ticket_id) {
    after_json["superseded_ticket_id"] = *result.superseded_ticket_id;
  }
  if (auto audited =
          audit(session, now, actor, action, host_id, before_json, after_json, remote_address);
      !audited) {
    return tl::unexpected(audited.error());
  }
  return result;
}

Result<WindowMoveResult> releaseWindowOfHost(store::Session& session, const std::string& host_id,
                                             SystemTime now, const std::string& actor,
                                             const std::string& remote_address) {
  WindowMoveResult result;
  result.move.host_id = host_id;
  result.move.effective_at = now;
  result.move.applied_now = true;
  auto stored = store::getHostWindow(session, host_id);
  if (!stored) return tl::unexpected(stored.error());
  std::optional<store::HostWindowRecord> before = *stored;
  if (!before) return result;
  if (before->pending_effective_at && *before->pending_effective_at <= now) {
    auto folded = applyDueMove(session, *before, now);
    if (!folded) return tl::unexpected(folded.error());
    result.applied_first = std::move(folded->first);
    before = std::move(folded->second);
  }
  result.move.from_window_id = before->window_id;
  if (!before->window_id && !before->hasPendingMove()) return result;
  result.superseded_ticket_id = before->pending_ticket_id;

  store::HostWindowRecord after;
  after.host_id = host_id;
  after.assigned_at = now;
  if (auto put = store::putHostWindow(session, after); !put) return tl::unexpected(put.error());
  nlohmann::json after_json = assignmentJson(after);
  after_json["reason"] = "the host is no longer a server";
  if (result.superseded_ticket_id) {
    after_json["superseded_ticket_id"] = *result.superseded_ticket_id;
  }
  if (auto audited = audit(session, now, actor, "host.window_release", host_id,
                           assignmentJson(before), after_json, remote_address);
      !audited) {
    return tl::unexpected(audited.error());
  }
  return result;
}

Result<std::vector<WindowMove>> reschedulePendingMovesOutOf(store::Session& session,
                                                            const std::string& window_id,
                                                            SystemTime now,
                                                            const std::string& actor,
                                                            const std::string& remote_address) {
  std::vector<WindowMove> moves;
  auto records = store::listHostWindows(session);
  if (!records) return tl::unexpected(records.error());
  std::optional<std::optional<SystemTime>> open_end;
  for (const auto& record : *records) {
    if (record.window_id != window_id || !record.pending_effective_at) continue;
    if (!open_end) {
      auto end = openOccurrenceEnd(session, window_id, now);
      if (!end) return tl::unexpected(end.error());
      open_end = *end;
    }
    // Open now: the move waits for the end of this occurrence. Closed now:
    // it may take effect at once, but never later than it was due.
    const SystemTime effective_at =
        *open_end ? **open_end : std::min(*record.pending_effective_at, now);
    if (effective_at == *record.pending_effective_at) continue;

    store::HostWindowRecord after = record;
    after.pending_effective_at = effective_at;
    if (auto put = store::putHostWindow(session, after); !put) return tl::unexpected(put.error());
    nlohmann::json after_json = assignmentJson(after);
    after_json["reason"] = "the window's rule changed";
    if (auto audited = audit(session, now, actor, "host.window_move_rescheduled", record.host_id,
                             assignmentJson(record), after_json, remote_address);
        !audited) {
      return tl::unexpected(audited.error());
    }

    WindowMove move;
    move.host_id = record.host_id;
    move.from_window_id = record.window_id;
    move.to_window_id = record.pending_window_id;
    move.effective_at = effective_at;
    move.ticket_id = record.pending_ticket_id;
    moves.push_back(std::move(move));
  }
  return moves;
}

Result<std::vector<WindowMove>> applyDueWindowMoves(store::Session& session, SystemTime now) {
  auto due = store::listDueWindowMoves(session, now);
  if (!due) return tl::unexpected(due.error());

  std::vector<WindowMove> moves;
  moves.reserve(due->size());
  for (const auto& record : *due) {
    auto folded = applyDueMove(session, record, now);
    if (!folded) return tl::unexpected(folded.error());
    moves.push_back(std::move(folded->first));
  }
  return moves;
}

Result<std::vector<WindowMove>> runDueWindowMoves(store::Database& database, Clock& clock,
                                                  const AppliedMovesHook& hook) {
  const SystemTime now = clock.now();
  std::vector<WindowMove> applied;
  auto written = database.write([&](store::Session& session) -> Result<void> {
    applied.clear();
    auto moves = applyDueWindowMoves(session, now);
    if (!moves) return tl::unexpected(moves.error());
    if (!moves->empty() && hook) {
      if (auto hooked = hook(session, *moves, now); !hooked) return hooked;
    }
    applied = std::move(*moves);
    return {};
  });
  if (!written) return tl::unexpected(written.error());
  return applied;
}

Result<std::optional<std::string>> currentWindowOf(store::Session& session,
                                                   const std::string& host_id, SystemTime now) {
  auto record = store::getHostWindow(session, host_id);
  if (!record) return tl::unexpected(record.error());
  if (!*record) return std::optional<std::string>();
  return effectiveWindow(**record, now);
}

Result<std::map<std::string, std::string>> currentWindowsAt(store::Session& session,
                                                            SystemTime now) {
  auto records = store::listHostWindows(session);
  if (!records) return tl::unexpected(records.error());
  std::map<std::string, std::string> windows;
  for (const auto& record : *records) {
    if (auto window = effectiveWindow(record, now)) windows.emplace(record.host_id, *window);
  }
  return windows;
}

nlohmann::json windowMoveToJson(const WindowMove& move) {
  return {{"host_id", move.host_id},
          {"from_window_id", optionalId(move.from_window_id)},
          {"to_window_id", optionalId(move.to_window_id)},
          {"effective_at", formatRfc3339(move.effective_at)},
          {"applied_now", move.applied_now},
          {"ticket_id", optionalId(move.ticket_id)}};
}

}  // namespace pk::server
