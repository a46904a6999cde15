#pragma once

// Keeps the patchkeeper-countdown window open in one graphical session: it
// starts the program as the session's user, with the session's display, and
// starts it again whenever it exits (for example when the user kills it)
// until the supervisor is destroyed.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "desktop/sessions.h"
#include "desktop/user_process.h"
#include "restart/notice.h"

namespace pk::desktop {

class CountdownWindow {
 public:
  // Starts `program --until RESTART_AT` in `session` on a thread of its
  // own. The environment carries the session's DISPLAY, XAUTHORITY,
  // WAYLAND_DISPLAY and DBUS_SESSION_BUS_ADDRESS, the user's HOME, USER and
  // LOGNAME, and XDG_RUNTIME_DIR /run/user/UID. A window that exits is
  // started again after `restart_delay`.
  CountdownWindow(std::filesystem::path program, const LoginSession& session,
                  restart::Instant restart_at,
                  std::chrono::milliseconds restart_delay = std::chrono::seconds(1));
  // Stops the program with SIGTERM and waits for it.
  ~CountdownWindow();
  CountdownWindow(const CountdownWindow&) = delete;
  CountdownWindow& operator=(const CountdownWindow&) = delete;

  restart::Instant restartAt() const { return restart_at_; }
  // The pid of the running window program, or -1 between two starts.
  pid_t pid() const;
  // How many times the program was started.
  int starts() const;

 private:
  void supervise();

  std::vector<std::string> argv_;
  std::vector<std::string> environment_;
  UserIdentity user_;
  std::string session_id_;
  restart::Instant restart_at_;
  std::chrono::milliseconds restart_delay_;
  mutable std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  pid_t pid_ = -1;
  int starts_ = 0;
  std::thread thread_;
};

}  // namespace pk::desktop
