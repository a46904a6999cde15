#pragma once

// The Linux NoticeChannel: desktop notifications in every graphical login
// session, the countdown window in each of them during the final countdown,
// and wall messages for terminal sessions. Action clicks become Choices for
// the ChoiceSink, carrying the login name of the session's user.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "desktop/countdown_window.h"
#include "desktop/session_notifier.h"
#include "desktop/sessions.h"
#include "restart/notice.h"
#include "schedule/zone.h"

namespace pk::desktop {

struct DesktopChannelOptions {
  // The countdown window program.
  std::filesystem::path countdown_program = "/usr/libexec/patchkeeper/patchkeeper-countdown";
  // The program and arguments that broadcast a message to terminals; the
  // message arrives on standard input. Empty sends no terminal messages.
  std::vector<std::string> wall_command = {"wall"};
  // The IANA zone for times in notices; empty for the machine's zone.
  std::string time_zone;
  // The pause before a killed countdown window is started again.
  std::chrono::milliseconds window_restart_delay = std::chrono::seconds(1);
};

// Runs `command` with `message` on its standard input and waits for it.
// Fails with kNotFound when the program cannot be started and kIoError
// when it exits with a non-zero status.
Result<void> broadcastToTerminals(const std::vector<std::string>& command,
                                  const std::string& message);

class DesktopNoticeChannel final : public restart::NoticeChannel {
 public:
  // The references must outlive the channel. Fails with kInvalidArgument
  // when options.time_zone names no zone, or the machine's zone is unknown.
  static Result<std::unique_ptr<DesktopNoticeChannel>> create(DesktopChannelOptions options,
                                                              const SessionSource& sessions,
                                                              restart::ChoiceSink& sink,
                                                              const Clock& clock);
  ~DesktopNoticeChannel() override;

  // Lists the sessions again, connects to new graphical sessions, shows the
  // notice in each, keeps countdown windows open for kCountdown and closes
  // them otherwise, and sends a wall message once per notice when a
  // terminal session exists. Failures are logged.
  void show(const restart::Notice& notice) override;
  // Lists the sessions again: graphical sessions without the notification
  // get it, and during the countdown every graphical session gets a window.
  // Sessions that have them are left alone; wall is not repeated.
  void keepShown(const restart::Notice& current) override;
  void clear() override;

 private:
  DesktopNoticeChannel(DesktopChannelOptions options, schedule::Zone zone,
                       const SessionSource& sessions, restart::ChoiceSink& sink,
                       const Clock& clock);
  void onAction(const std::string& session_id, const std::string& user, std::string_view key);
  SessionNotifier* notifierFor(const LoginSession& session);
  void updateWindows(const restart::Notice& notice, const std::vector<LoginSession>& sessions);

  DesktopChannelOptions options_;
  schedule::Zone zone_;
  const SessionSource& sessions_;
  restart::ChoiceSink& sink_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<SessionNotifier>> notifiers_;  // by session id
  std::map<std::string, std::unique_ptr<CountdownWindow>> windows_;    // by session id
  // The notice last sent to terminals, so a repeated show() sends it once.
  std::optional<std::pair<restart::NoticeKind, restart::Instant>> last_terminal_notice_;
};

}  // namespace pk::desktop
