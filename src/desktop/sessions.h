#pragma once

// The login sessions on this machine, as systemd-logind lists them, and the
// rule for who may make restart choices through the agent's socket.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace pk::desktop {

struct LoginSession {
  std::string id;  // logind's session id, "3" or "c1"
  uid_t uid = 0;
  gid_t gid = 0;     // the user's primary group
  std::string user;  // login name
  // "x11", "wayland", "tty", "mir" or "unspecified", as logind reports it.
  std::string type;
  bool remote = false;     // logged in over the network (ssh), not at the machine
  std::string display;     // X11 display (":0") of a graphical session; may be empty on Wayland
  std::string xauthority;  // the X authority file to use with `display`; empty when unknown
  std::string wayland_display;  // "wayland-0" for a Wayland session
  // The session bus address, "unix:path=/run/user/UID/bus" for logind sessions.
  std::string bus_address;

  bool graphical() const { return type == "x11" || type == "wayland" || type == "mir"; }
};

// A source of the current login sessions. Implementations are thread-safe.
class SessionSource {
 public:
  virtual ~SessionSource() = default;
  // Lists the sessions that are active or online, leaving out those that are
  // closing. Fails with kIoError when the list cannot be read.
  virtual Result<std::vector<LoginSession>> sessions() const = 0;
};

// Reads sessions from systemd-logind through sd-login (/run/systemd). The
// bus address is the user's /run/user/UID/bus; the X authority file is
// XAUTHORITY from the environment of one of the session's processes, else
// ~/.Xauthority.
class LogindSessionSource final : public SessionSource {
 public:
  Result<std::vector<LoginSession>> sessions() const override;
};

// A fixed list, for tests and for hosts whose sessions are configured.
class StaticSessionSource final : public SessionSource {
 public:
  explicit StaticSessionSource(std::vector<LoginSession> sessions)
      : sessions_(std::move(sessions)) {}
  Result<std::vector<LoginSession>> sessions() const override { return sessions_; }

 private:
  std::vector<LoginSession> sessions_;
};

// Who is on the other end of the control socket (from SO_PEERCRED).
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Decides whether the peer may snooze or restart the machine: root may, and
// so may a user with a session at the machine (one that is not remote).
// Fails with kInvalidArgument, naming the user, otherwise. Anyone may read
// the status, so callers check this for choices only.
Result<void> checkChoiceAllowed(const PeerCredentials& peer, const std::string& user,
                                const std::vector<LoginSession>& sessions);

// Looks up the login name of `uid` in the password database; returns
// "uid N" when it has no entry.
std::string userName(uid_t uid);

}  // namespace pk::desktop
