#pragma once

// The agent's local control socket: a Unix stream socket in a folder owned
// by root, which every local user may connect to. The agent reads the
// caller's uid with SO_PEERCRED: anyone may read the restart status, while
// only root and users logged in at the machine may snooze or restart it.
// Each choice carries the caller's login name to the ChoiceSink.

#include <atomic>
#include <filesystem>
#include <iosfwd>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "common/clock.h"
#include "common/error.h"
#include "common/file_descriptor.h"
#include "desktop/control_protocol.h"
#include "desktop/sessions.h"
#include "restart/notice.h"

namespace pk::desktop {

inline constexpr std::string_view kDefaultControlSocket = "/run/patchkeeper-agent/control.sock";

// Handles one request from `peer` (whose login name is `user`): reads the
// status, or checks that the peer may choose and hands the choice to `sink`.
// Never fails: a rejected or invalid request becomes a reply with ok false.
ControlReply answerControlRequest(const ControlRequest& request, const PeerCredentials& peer,
                                  const std::string& user, restart::ChoiceSink& sink,
                                  const SessionSource& sessions, const Clock& clock);

// Limits that protect the control server from slow or many clients.
struct ControlServerLimits {
  // The whole time a client has to send its request line, however slowly
  // its bytes arrive.
  std::chrono::milliseconds request_deadline = std::chrono::seconds(2);
  // Connections served at once, in total and per uid; more get a "busy" reply.
  std::size_t max_connections = 32;
  std::size_t max_per_user = 4;
};

// Serves the control socket until destroyed: one thread accepts, and each
// connection is served on a thread of its own, so a client that sends
// nothing delays no other. A request applies the choice once its whole
// line arrived; a client that gives up waiting for the reply after that
// still had it applied, as the log and the status show.
class ControlServer {
 public:
  // Creates the socket's folder when missing (mode 0755), replaces a stale
  // socket file, binds, makes the socket mode 0666 and starts serving. The
  // references must outlive the server. Fails with kInvalidArgument when the
  // folder is writable by users other than its owner or is not owned by this
  // process's user or root, or when a file other than a socket exists at the
  // path; with kIoError when a system call fails.
  static Result<std::unique_ptr<ControlServer>> start(const std::filesystem::path& socket_path,
                                                      restart::ChoiceSink& sink,
                                                      const SessionSource& sessions,
                                                      const Clock& clock,
                                                      ControlServerLimits limits = {});
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  struct Connection {
    std::thread thread;
    uid_t uid = 0;
    bool done = false;  // guarded by mutex_
  };

  ControlServer(std::filesystem::path path, int listener, int wake, restart::ChoiceSink& sink,
                const SessionSource& sessions, const Clock& clock, ControlServerLimits limits);
  void serve();
  void serveConnection(int connection, const PeerCredentials& peer);
  // Joins the threads of connections that were served.
  void joinFinished();

  std::filesystem::path path_;
  FileDescriptor listener_;
  FileDescriptor wake_;  // an eventfd that stops serve()
  restart::ChoiceSink& sink_;
  const SessionSource& sessions_;
  const Clock& clock_;
  ControlServerLimits limits_;
  std::mutex mutex_;
  std::list<Connection> connections_;
  std::thread thread_;
};

// Sends one request to the socket at `socket_path` and reads the reply,
// waiting at most `timeout` for each read or write. Fails with kIoError
// naming the socket when the agent cannot be reached or does not reply in
// time, and with kMalformedInput when the reply cannot be read.
Result<ControlReply> sendControlRequest(
    const std::filesystem::path& socket_path, const ControlRequest& request,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Exit statuses of runControlCommand.
inline constexpr int kControlExitOk = 0;
inline constexpr int kControlExitRejected = 1;  // the agent rejected the request, or is unreachable
inline constexpr int kControlExitUsage = 2;     // invalid arguments

// Runs a `patchkeeper-agent status | snooze | restart-now | restart-at`
// command: builds the request from the arguments (local times in `zone`),
// sends it, and prints the agent's message and the status to `out`, or an
// error prefixed with "patchkeeper-agent: " to `err`.
int runControlCommand(std::string_view command, std::optional<std::string_view> argument,
                      const std::filesystem::path& socket_path, const schedule::Zone& zone,
                      const Clock& clock, std::ostream& out, std::ostream& err);

}  // namespace pk::desktop
