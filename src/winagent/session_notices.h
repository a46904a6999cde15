#pragma once

// The restart manager's NoticeChannel on Windows. The service runs in
// session 0, which has no desktop a user sees, so every notice goes to the
// interactive user sessions (sessions.h):
//   - every notice is a message window (WTSSendMessageW) in each active
//     session, and keepShown() sends it to sessions logged on since;
//   - the final countdown also starts patchkeeper-countdown.exe in each
//     active session, and keepShown() starts it again in a session where
//     it exited (ended by the user) or that was logged on since.
// Toast notifications are not used: they need an AppUserModelID and a
// process in the user's session, which the agent does not install.

#include <windows.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "restart/notice.h"
#include "winagent/sessions.h"

namespace pk::winagent {

// Formats a UTC instant for users, in the host's local time.
using LocalTimeFormat = std::function<std::string(restart::Instant)>;

// Converts a UTC instant to the host's local time with
// SystemTimeToTzSpecificLocalTime; nullopt when Windows cannot convert it.
std::optional<SYSTEMTIME> hostLocalTime(restart::Instant at);

// Formats with the host's time zone through SystemTimeToTzSpecificLocalTime,
// as "2027-03-28 10:00 (local time)".
std::string formatHostLocalTime(restart::Instant at);

struct NoticeMessage {
  std::string title;
  std::string text;
};

// Builds the message window for `notice`: what happened, the restart time
// and, before the countdown, when the final countdown starts.
NoticeMessage noticeMessage(const restart::Notice& notice, const LocalTimeFormat& local_time);

// How long a message window stays before it closes itself, so that
// reminders do not pile up on an unattended screen.
inline constexpr DWORD kMessageTimeoutSeconds = 3600;

class SessionNoticeChannel final : public restart::NoticeChannel {
 public:
  // `sessions` must outlive the channel. `countdown_program` is the full
  // path of patchkeeper-countdown.exe.
  SessionNoticeChannel(Sessions& sessions, std::wstring countdown_program,
                       LocalTimeFormat local_time);

  void show(const restart::Notice& notice) override;
  // Sends `current` as a message window to active sessions that have not
  // had it, such as a user who logged on since. During the final countdown
  // it also starts the countdown window in each active session where none
  // is running, such as one whose window a user ended.
  void keepShown(const restart::Notice& current) override;
  void clear() override;

  // The failures of the last show() or keepShown(), one sentence each.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void sendMessage(const restart::Notice& notice, const std::vector<UserSession>& sessions);
  // Keeps a countdown window to `restart_at` running in every active session.
  void countDownTo(restart::Instant restart_at);
  void endCountdownWindows();

  Sessions& sessions_;
  std::wstring countdown_program_;
  LocalTimeFormat local_time_;
  std::optional<restart::Instant> countdown_until_;
  std::map<DWORD, DWORD> countdown_processes_;  // session id to process id
  std::set<DWORD> notified_sessions_;           // sessions shown the current notice
  std::vector<std::string> problems_;
};

}  // namespace pk::winagent
