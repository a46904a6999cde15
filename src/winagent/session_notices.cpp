#include "winagent/session_notices.h"

#include <windows.h>

#include <fmt/format.h>

#include "restart/manager.h"
#include "winagent/countdown_text.h"
#include "winagent/transport.h"

namespace pk::winagent {

std::optional<SYSTEMTIME> hostLocalTime(restart::Instant at) {
  // FILETIME counts 100 ns intervals since 1601-01-01 UTC.
  constexpr long long kUnixEpochAsFileTime = 116444736000000000LL;
  const long long ticks = at.time_since_epoch().count() * 10'000'000LL + kUnixEpochAsFileTime;
  const FILETIME utc{static_cast<DWORD>(ticks & 0xFFFFFFFF), static_cast<DWORD>(ticks >> 32)};
  SYSTEMTIME utc_fields{};
  SYSTEMTIME local{};
  if (!FileTimeToSystemTime(&utc, &utc_fields) ||
      !SystemTimeToTzSpecificLocalTime(nullptr, &utc_fields, &local)) {
    return std::nullopt;
  }
  return local;
}

std::string formatHostLocalTime(restart::Instant at) {
  const std::optional<SYSTEMTIME> converted = hostLocalTime(at);
  if (!converted) return restart::formatInstant(at);
  const SYSTEMTIME& local = *converted;
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} (local time)", local.wYear, local.wMonth,
                     local.wDay, local.wHour, local.wMinute);
}

NoticeMessage noticeMessage(const restart::Notice& notice, const LocalTimeFormat& local_time) {
  const std::string restart_at = local_time(notice.restart_at);
  switch (notice.kind) {
    case restart::NoticeKind::kInstalled:
      return {"Restart required: security updates were installed",
              fmt::format("Security updates were installed on this computer. It restarts at {} "
                          "at the latest. A countdown of the last minutes starts at {} and "
                          "cannot be postponed. Save your work and restart earlier if you can.",
                          restart_at, local_time(notice.countdown_start))};
    case restart::NoticeKind::kReminder:
      return {"Reminder: this computer restarts soon",
              fmt::format("This computer restarts at {} to finish installing security updates. "
                          "The final countdown starts at {}. Save your work and restart "
                          "earlier if you can.",
                          restart_at, local_time(notice.countdown_start))};
    case restart::NoticeKind::kCountdown:
      return {"This computer restarts soon",
              fmt::format("This computer restarts at {} to finish installing security updates. "
                          "The restart cannot be postponed any more. Save your work now.",
                          restart_at)};
    case restart::NoticeKind::kRestarting:
      return {"This computer is restarting",
              "This computer is restarting now to finish installing security updates."};
  }
  return {"Restart required", "Security updates require a restart of this computer."};
}

SessionNoticeChannel::SessionNoticeChannel(Sessions& sessions, std::wstring countdown_program,
                                           LocalTimeFormat local_time)
    : sessions_(sessions),
      countdown_program_(std::move(countdown_program)),
      local_time_(std::move(local_time)) {}

void SessionNoticeChannel::sendMessage(const restart::Notice& notice,
                                       const std::vector<UserSession>& sessions) {
  const NoticeMessage message = noticeMessage(notice, local_time_);
  const std::wstring title = toWide(message.title).value_or(L"Restart required");
  const std::wstring text = toWide(message.text).value_or(L"");
  for (const UserSession& session : sessions) {
    auto shown = sessions_.showMessage(session.session_id, title, text, kMessageTimeoutSeconds);
    if (!shown) {
      problems_.push_back(shown.error().message);
      continue;
    }
    notified_sessions_.insert(session.session_id);
  }
}

void SessionNoticeChannel::show(const restart::Notice& notice) {
  problems_.clear();
  notified_sessions_.clear();
  sendMessage(notice, sessions_.activeSessions());
  if (notice.kind == restart::NoticeKind::kCountdown) countDownTo(notice.restart_at);
}

void SessionNoticeChannel::keepShown(const restart::Notice& current) {
  problems_.clear();
  std::vector<UserSession> missing;
  for (const UserSession& session : sessions_.activeSessions()) {
    if (notified_sessions_.count(session.session_id) == 0) missing.push_back(session);
  }
  sendMessage(current, missing);
  if (current.kind == restart::NoticeKind::kCountdown) countDownTo(current.restart_at);
}

void SessionNoticeChannel::endCountdownWindows() {
  for (const auto& [session_id, process_id] : countdown_processes_) {
    sessions_.endProcess(process_id);
  }
  countdown_processes_.clear();
}

void SessionNoticeChannel::countDownTo(restart::Instant restart_at) {
  // Another restart time (a new countdown, or the wall clock was set)
  // replaces the windows shown.
  if (countdown_until_ && *countdown_until_ != restart_at) endCountdownWindows();
  countdown_until_ = restart_at;
  for (const UserSession& session : sessions_.activeSessions()) {
    const auto running = countdown_processes_.find(session.session_id);
    if (running != countdown_processes_.end() && sessions_.isRunning(running->second)) continue;
    auto started = sessions_.startProcess(
        session.session_id, countdownCommandLine(countdown_program_, *countdown_until_));
    if (!started) {
      problems_.push_back(started.error().message);
      continue;
    }
    countdown_processes_[session.session_id] = *started;
  }
}

void SessionNoticeChannel::clear() {
  problems_.clear();
  endCountdownWindows();
  countdown_until_.reset();
  notified_sessions_.clear();
}

}  // namespace pk::winagent
