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

#include "common/clock.h"
#include "desktop/sessions.h"
#include "desktop/user_process.h"
#include "restart/notice.h"

namespace pk::desktop {

class CountdownWindow {
 public:
  // Starts `program --seconds-left N` in `session` on a thread of its own,
  // where N is the time from `clock.elapsed()` to `end`: the window counts
  // down on CLOCK_BOOTTIME, so setting the wall clock changes nothing in
  // it. The environment carries the session's DISPLAY, XAUTHORITY,
  // WAYLAND_DISPLAY and DBUS_SESSION_BUS_ADDRESS, the user's HOME, USER and
  // LOGNAME, and XDG_RUNTIME_DIR /run/user/UID. A window that exits is
  // started again after `restart_delay`, with the time left then.
  CountdownWindow(std::filesystem::path program, const LoginSession& session, Elapsed end,
                  const Clock& clock,
                  std::chrono::milliseconds restart_delay = std::chrono::seconds(1));
  // Stops the program with SIGTERM and waits for it.
  ~CountdownWindow();
  CountdownWindow(const CountdownWindow&) = delete;
  CountdownWindow& operator=(const CountdownWindow&) = delete;

  // When the countdown ends, on the clock's elapsed time.
  Elapsed end() const { return end_; }
  // The pid of the running window program, or -1 between two starts.
  pid_t pid() const;
  // How many times the program was started.
  int starts() const;

 private:
  void supervise();

  std::filesystem::path program_;
  std::vector<std::string> environment_;
  UserIdentity user_;
  std::string session_id_;
  Elapsed end_;
  const Clock& clock_;
  std::chrono::milliseconds restart_delay_;
  mutable std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  pid_t pid_ = -1;
  int starts_ = 0;
  std::thread thread_;
};

}  // namespace pk::desktop
