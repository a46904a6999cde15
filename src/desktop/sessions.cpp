#include "desktop/sessions.h"

#include <pwd.h>
#include <systemd/sd-login.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include <fmt/format.h>

namespace pk::desktop {
namespace {

// Frees a string or a NULL-terminated array of strings that sd-login allocated.
struct FreeDeleter {
  void operator()(char* text) const { std::free(text); }
};
using OwnedText = std::unique_ptr<char, FreeDeleter>;

std::string takeText(char* text) {
  OwnedText owned(text);
  return owned ? std::string(owned.get()) : std::string();
}

// Reads one variable from /proc/PID/environ; empty when missing or unreadable.
std::string processEnvironmentValue(pid_t pid, std::string_view name) {
  std::ifstream file(fmt::format("/proc/{}/environ", pid), std::ios::binary);
  const std::string environ((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
  const std::string prefix = std::string(name) + "=";
  std::size_t start = 0;
  while (start < environ.size()) {
    auto end = environ.find('\0', start);
    if (end == std::string::npos) end = environ.size();
    const std::string_view entry(environ.data() + start, end - start);
    if (entry.starts_with(prefix)) return std::string(entry.substr(prefix.size()));
    start = end + 1;
  }
  return {};
}

// Fills the X authority file, and the display where logind has none, from
// the environment of a process in the session. sd-login in systemd 252 has
// no call for the session's leader, so this scans /proc for the session's
// processes.
void readSessionEnvironment(LoginSession& session) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const auto name = entry.path().filename().string();
    pid_t pid = 0;
    const auto [end, parse_error] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (parse_error != std::errc() || end != name.data() + name.size()) continue;

    char* owner = nullptr;
    if (sd_pid_get_session(pid, &owner) < 0) continue;
    if (takeText(owner) != session.id) continue;

    const auto xauthority = processEnvironmentValue(pid, "XAUTHORITY");
    const auto display = processEnvironmentValue(pid, "DISPLAY");
    const auto wayland_display = processEnvironmentValue(pid, "WAYLAND_DISPLAY");
    if (session.xauthority.empty()) session.xauthority = xauthority;
    if (session.display.empty()) session.display = display;
    if (session.wayland_display.empty()) session.wayland_display = wayland_display;
    if (!session.xauthority.empty() && !session.display.empty()) return;
  }
}

std::string homeFolder(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  char buffer[4096];
  if (getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) != 0 || found == nullptr) return {};
  return found->pw_dir;
}

gid_t primaryGroup(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  char buffer[4096];
  if (getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) != 0 || found == nullptr) {
    return static_cast<gid_t>(-1);
  }
  return found->pw_gid;
}

}  // namespace

std::string userName(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  char buffer[4096];
  if (getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) != 0 || found == nullptr) {
    return fmt::format("uid {}", uid);
  }
  return found->pw_name;
}

Result<std::vector<LoginSession>> LogindSessionSource::sessions() const {
  char** ids = nullptr;
  const int count = sd_get_sessions(&ids);
  if (count < 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("Reading the login sessions from systemd-logind failed (error {}); "
                            "check that systemd-logind runs.",
                            -count));
  }

  std::vector<LoginSession> sessions;
  for (int i = 0; i < count; ++i) {
    const std::string id = takeText(ids[i]);
    LoginSession session;
    session.id = id;

    char* state = nullptr;
    if (sd_session_get_state(id.c_str(), &state) < 0) continue;
    if (takeText(state) == "closing") continue;
    if (sd_session_get_uid(id.c_str(), &session.uid) < 0) continue;

    session.user = userName(session.uid);
    session.gid = primaryGroup(session.uid);
    session.remote = sd_session_is_remote(id.c_str()) > 0;
    char* type = nullptr;
    if (sd_session_get_type(id.c_str(), &type) >= 0) session.type = takeText(type);
    char* display = nullptr;
    if (sd_session_get_display(id.c_str(), &display) >= 0) session.display = takeText(display);
    session.bus_address = fmt::format("unix:path=/run/user/{}/bus", session.uid);

    if (session.graphical()) readSessionEnvironment(session);
    if (session.xauthority.empty() && !session.display.empty()) {
      const auto home = homeFolder(session.uid);
      if (!home.empty()) session.xauthority = home + "/.Xauthority";
    }
    sessions.push_back(std::move(session));
  }
  std::free(static_cast<void*>(ids));
  return sessions;
}

Result<void> checkChoiceAllowed(const PeerCredentials& peer, const std::string& user,
                                const std::vector<LoginSession>& sessions) {
  if (peer.uid == 0) return {};
  bool remote_only = false;
  for (const auto& session : sessions) {
    if (session.uid != peer.uid) continue;
    if (!session.remote) return {};
    remote_only = true;
  }
  if (remote_only) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("User {} is logged in only over the network; only users logged in at "
                            "this machine, or root, may snooze or restart it.",
                            user));
  }
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("User {} has no login session at this machine; only users logged in at "
                          "this machine, or root, may snooze or restart it.",
                          user));
}

}  // namespace pk::desktop
