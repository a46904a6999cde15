#include "desktop/countdown_window.h"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "desktop/log.h"

namespace pk::desktop {
namespace {

std::string homeFolder(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  char buffer[4096];
  if (getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) != 0 || found == nullptr) {
    return "/";
  }
  return found->pw_dir;
}

std::vector<std::string> sessionEnvironment(const LoginSession& session) {
  std::vector<std::string> environment = {
      "PATH=/usr/local/bin:/usr/bin:/bin",
      "HOME=" + homeFolder(session.uid),
      "USER=" + session.user,
      "LOGNAME=" + session.user,
      fmt::format("XDG_RUNTIME_DIR=/run/user/{}", session.uid),
  };
  if (!session.display.empty()) environment.push_back("DISPLAY=" + session.display);
  if (!session.xauthority.empty()) environment.push_back("XAUTHORITY=" + session.xauthority);
  if (!session.wayland_display.empty()) {
    environment.push_back("WAYLAND_DISPLAY=" + session.wayland_display);
  }
  if (!session.bus_address.empty()) {
    environment.push_back("DBUS_SESSION_BUS_ADDRESS=" + session.bus_address);
  }
  // The time zone of the agent is the machine's, which the window shows.
  if (const char* zone = std::getenv("TZ"); zone != nullptr) {
    environment.push_back(std::string("TZ=") + zone);
  }
  return environment;
}

}  // namespace

CountdownWindow::CountdownWindow(std::filesystem::path program, const LoginSession& session,
                                 Elapsed end, const Clock& clock,
                                 std::chrono::milliseconds restart_delay)
    : program_(std::move(program)),
      environment_(sessionEnvironment(session)),
      user_({.uid = session.uid, .gid = session.gid}),
      session_id_(session.id),
      end_(end),
      clock_(clock),
      restart_delay_(restart_delay) {
  thread_ = std::thread([this] { supervise(); });
}

CountdownWindow::~CountdownWindow() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }
  stop_requested_.notify_all();
  thread_.join();
}

pid_t CountdownWindow::pid() const {
  std::lock_guard lock(mutex_);
  return pid_;
}

int CountdownWindow::starts() const {
  std::lock_guard lock(mutex_);
  return starts_;
}

void CountdownWindow::supervise() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(end_ - clock_.elapsed());
    const std::vector<std::string> argv = {program_.string(), "--seconds-left",
                                           std::to_string(std::max<long long>(left.count(), 0))};
    auto started = startProgramAs(argv, environment_, user_);
    if (!started) {
      logger().error("session {}: starting the countdown window failed: {}", session_id_,
                     started.error().message);
    } else {
      pid_ = *started;
      ++starts_;
      logger().info("session {}: countdown window started, pid {}", session_id_, pid_);
      const pid_t child = pid_;
      lock.unlock();

      // Wait without reaping, so that the pid cannot be reused while the
      // destructor may still signal it.
      siginfo_t info{};
      while (::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) != 0 &&
             errno == EINTR) {
      }
      lock.lock();
      pid_ = -1;
      int status = 0;
      ::waitpid(child, &status, 0);
      if (stopping_) break;
      logger().warn("session {}: countdown window pid {} ended ({} {}); starting it again",
                    session_id_, child, WIFSIGNALED(status) ? "signal" : "exit status",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
    stop_requested_.wait_for(lock, restart_delay_, [this] { return stopping_; });
  }
}

}  // namespace pk::desktop
