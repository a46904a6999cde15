#include "desktop/control_socket.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <ostream>

#include <fmt/format.h>

#include "desktop/log.h"

namespace pk::desktop {
namespace {

std::string systemError(int error_number) {
  return std::strerror(error_number);
}

void setTimeouts(int fd, std::chrono::milliseconds timeout) {
  timeval value{};
  value.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  value.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof(value));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof(value));
}

Result<sockaddr_un> socketAddress(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const auto& text = path.native();
  if (text.size() >= sizeof(address.sun_path)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The control socket path {} is longer than {} bytes.", text,
                            sizeof(address.sun_path) - 1));
  }
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  return address;
}

// Reads up to one line, at most `limit` bytes. Returns what was read, which
// ends without "\n" when the peer closed early or sent too much.
std::string readLine(int fd, std::size_t limit) {
  std::string line;
  char buffer[512];
  while (line.size() <= limit && (line.empty() || line.back() != '\n')) {
    const auto count = ::recv(fd, buffer, sizeof(buffer), 0);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) break;
    line.append(buffer, static_cast<std::size_t>(count));
    if (const auto end = line.find('\n'); end != std::string::npos) line.resize(end + 1);
  }
  return line;
}

// Reads up to one line like readLine(), but stops at `deadline` however
// the bytes trickle in, and when `wake` becomes readable.
std::string readLineBy(int fd, std::size_t limit, std::chrono::steady_clock::time_point deadline,
                       int wake) {
  std::string line;
  char buffer[512];
  while (line.size() <= limit && (line.empty() || line.back() != '\n')) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd watched[2] = {{fd, POLLIN, 0}, {wake, POLLIN, 0}};
    const int ready = ::poll(watched, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || watched[1].revents != 0) break;
    const auto count = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (count < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (count <= 0) break;
    line.append(buffer, static_cast<std::size_t>(count));
    if (const auto end = line.find('\n'); end != std::string::npos) line.resize(end + 1);
  }
  return line;
}

bool writeAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const auto count = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(count));
  }
  return true;
}

restart::Choice choiceFor(const ControlRequest& request, const std::string& user,
                          restart::Instant now) {
  restart::Choice choice;
  choice.user = user;
  choice.made_at = now;
  switch (request.verb) {
    case ControlVerb::kSnooze:
      choice.kind = restart::ChoiceKind::kSnooze;
      choice.snooze = request.snooze;
      break;
    case ControlVerb::kSnoozeUntilCountdown:
      choice.kind = restart::ChoiceKind::kSnoozeUntilCountdown;
      break;
    case ControlVerb::kRestartNow:
      choice.kind = restart::ChoiceKind::kRestartNow;
      break;
    case ControlVerb::kRestartAt:
      choice.kind = restart::ChoiceKind::kRestartAt;
      choice.restart_at = request.restart_at;
      break;
    case ControlVerb::kStatus:
      break;
  }
  return choice;
}

// Prepares the socket's folder: creates it, or checks that no other user
// could replace the socket in it.
Result<void> prepareFolder(const std::filesystem::path& folder) {
  if (::mkdir(folder.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail(ErrorCode::kIoError,
                fmt::format("Creating the control socket folder {} failed: {}.", folder.string(),
                            systemError(errno)));
  }
  struct stat info {};
  if (::lstat(folder.c_str(), &info) != 0) {
    return fail(ErrorCode::kIoError, fmt::format("Reading the control socket folder {} failed: {}.",
                                                 folder.string(), systemError(errno)));
  }
  if (!S_ISDIR(info.st_mode)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The control socket folder {} is not a folder.", folder.string()));
  }
  if (info.st_uid != 0 && info.st_uid != ::geteuid()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The control socket folder {} belongs to uid {}; it must belong to "
                            "root or to the agent's user.",
                            folder.string(), info.st_uid));
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The control socket folder {} is writable by other users; make it "
                            "mode 0755 so that no one can replace the socket.",
                            folder.string()));
  }
  return {};
}

}  // namespace

ControlReply answerControlRequest(const ControlRequest& request, const PeerCredentials& peer,
                                  const std::string& user, restart::ChoiceSink& sink,
                                  const SessionSource& sessions, const Clock& clock) {
  if (request.verb == ControlVerb::kStatus) {
    return {.ok = true, .message = "", .status = sink.status()};
  }

  auto listed = sessions.sessions();
  if (!listed) return {.ok = false, .message = listed.error().message, .status = std::nullopt};
  if (auto allowed = checkChoiceAllowed(peer, user, *listed); !allowed) {
    return {.ok = false, .message = allowed.error().message, .status = std::nullopt};
  }

  const auto now = std::chrono::floor<std::chrono::seconds>(clock.now());
  auto outcome = sink.apply(choiceFor(request, user, restart::Instant(now)));
  return {.ok = outcome.applied, .message = outcome.message, .status = outcome.status};
}

ControlServer::ControlServer(std::filesystem::path path, int listener, int wake,
                             restart::ChoiceSink& sink, const SessionSource& sessions,
                             const Clock& clock, ControlServerLimits limits)
    : path_(std::move(path)),
      listener_(listener),
      wake_(wake),
      sink_(sink),
      sessions_(sessions),
      clock_(clock),
      limits_(limits) {
  thread_ = std::thread([this] { serve(); });
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(
    const std::filesystem::path& socket_path, restart::ChoiceSink& sink,
    const SessionSource& sessions, const Clock& clock, ControlServerLimits limits) {
  auto address = socketAddress(socket_path);
  if (!address) return tl::unexpected(address.error());
  if (auto folder = prepareFolder(socket_path.parent_path()); !folder) {
    return tl::unexpected(folder.error());
  }

  // A socket left by an agent that did not stop cleanly is replaced; any
  // other file is left alone.
  struct stat info {};
  if (::lstat(socket_path.c_str(), &info) == 0) {
    if (!S_ISSOCK(info.st_mode)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{} exists and is not a socket; remove it or choose another "
                              "control socket path.",
                              socket_path.string()));
    }
    ::unlink(socket_path.c_str());
  }

  FileDescriptor listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("Creating the control socket failed: {}.", systemError(errno)));
  }
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) != 0 ||
      ::chmod(socket_path.c_str(), 0666) != 0 || ::listen(listener.get(), 16) != 0) {
    return fail(ErrorCode::kIoError, fmt::format("Binding the control socket {} failed: {}.",
                                                 socket_path.string(), systemError(errno)));
  }
  FileDescriptor wake(::eventfd(0, EFD_CLOEXEC));
  if (wake.get() < 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("Creating an eventfd failed: {}.", systemError(errno)));
  }

  const int listener_fd = listener.get();
  const int wake_fd = wake.get();
  // The server takes over both descriptors.
  listener.release();
  wake.release();
  logger().info("control socket listening on {}", socket_path.string());
  return std::unique_ptr<ControlServer>(
      new ControlServer(socket_path, listener_fd, wake_fd, sink, sessions, clock, limits));
}

ControlServer::~ControlServer() {
  // The eventfd stays readable: it stops the accepting thread and every
  // connection still waiting for its request line.
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_.get(), &one, sizeof(one));
  thread_.join();
  std::list<Connection> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& connection : connections) connection.thread.join();
  ::unlink(path_.c_str());
}

void ControlServer::joinFinished() {
  std::list<Connection> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      const auto next = std::next(it);
      if (it->done) finished.splice(finished.end(), connections_, it);
      it = next;
    }
  }
  for (auto& connection : finished) connection.thread.join();
}

void ControlServer::serve() {
  while (true) {
    pollfd watched[2] = {{listener_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(watched, 2, -1) < 0) {
      if (errno == EINTR) continue;
      logger().error("control socket: poll failed: {}", systemError(errno));
      return;
    }
    if (watched[1].revents != 0) return;
    if (watched[0].revents == 0) continue;
    joinFinished();

    FileDescriptor connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (connection.get() < 0) {
      logger().warn("control socket: accept failed: {}", systemError(errno));
      continue;
    }
    ucred credentials{};
    socklen_t length = sizeof(credentials);
    if (::getsockopt(connection.get(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
      logger().warn("control socket: reading the peer's credentials failed: {}",
                    systemError(errno));
      continue;
    }
    const PeerCredentials peer{
        .pid = credentials.pid, .uid = credentials.uid, .gid = credentials.gid};

    // Each connection is served on its own thread, so a client that sends
    // nothing delays no one else. A user may hold only a few at once.
    std::lock_guard lock(mutex_);
    std::size_t of_user = 0;
    for (const auto& other : connections_) {
      if (!other.done && other.uid == peer.uid) ++of_user;
    }
    if (connections_.size() >= limits_.max_connections || of_user >= limits_.max_per_user) {
      const ControlReply busy{.ok = false,
                              .message = "The agent serves too many requests; try again.",
                              .status = std::nullopt};
      const auto text = formatControlReply(busy);
      [[maybe_unused]] const auto sent =
          ::send(connection.get(), text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      logger().warn("control socket: rejected a connection of uid {}: too many open", peer.uid);
      continue;
    }
    auto& served = connections_.emplace_back();
    served.uid = peer.uid;
    const int fd = connection.release();
    served.thread = std::thread([this, fd, peer, &served] {
      FileDescriptor owned(fd);
      serveConnection(owned.get(), peer);
      std::lock_guard done_lock(mutex_);
      served.done = true;
    });
  }
}

void ControlServer::serveConnection(int connection, const PeerCredentials& peer) {
  const auto user = userName(peer.uid);
  const auto deadline = std::chrono::steady_clock::now() + limits_.request_deadline;
  const auto line = readLineBy(connection, kMaxRequestBytes, deadline, wake_.get());
  ControlReply reply;
  if (line.empty() || line.back() != '\n') {
    reply.message = line.size() > kMaxRequestBytes
                        ? fmt::format("The request is longer than {} bytes.", kMaxRequestBytes)
                        : fmt::format("The request did not end with a newline within {} ms.",
                                      limits_.request_deadline.count());
  } else if (auto request = parseControlRequest(line); !request) {
    reply.message = request.error().message;
  } else {
    reply = answerControlRequest(*request, peer, user, sink_, sessions_, clock_);
    if (request->verb != ControlVerb::kStatus) {
      logger().info("control socket: {} (uid {}, pid {}) requested '{}': {}{}", user, peer.uid,
                    peer.pid, line.substr(0, line.size() - 1), reply.ok ? "applied" : "not applied",
                    reply.message.empty() ? "" : ": " + reply.message);
    }
  }
  // A client that gave up before the reply still had its choice applied;
  // the log line above and `patchkeeper-agent status` record it.
  setTimeouts(connection, limits_.request_deadline);
  if (!writeAll(connection, formatControlReply(reply))) {
    logger().warn("control socket: sending the reply to uid {} failed: {}", peer.uid,
                  systemError(errno));
  }
}

Result<ControlReply> sendControlRequest(const std::filesystem::path& socket_path,
                                        const ControlRequest& request,
                                        std::chrono::milliseconds timeout) {
  auto address = socketAddress(socket_path);
  if (!address) return tl::unexpected(address.error());
  FileDescriptor connection(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (connection.get() < 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("Creating a socket failed: {}.", systemError(errno)));
  }
  setTimeouts(connection.get(), timeout);
  if (::connect(connection.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) !=
      0) {
    return fail(ErrorCode::kIoError,
                fmt::format("Connecting to the agent's control socket {} failed: {}; check that "
                            "patchkeeper-agent runs.",
                            socket_path.string(), systemError(errno)));
  }
  if (!writeAll(connection.get(), formatControlRequest(request))) {
    return fail(ErrorCode::kIoError, fmt::format("Sending the request to {} failed: {}.",
                                                 socket_path.string(), systemError(errno)));
  }
  const auto line = readLine(connection.get(), kMaxReplyBytes);
  if (line.empty() || line.back() != '\n') {
    return fail(ErrorCode::kIoError,
                fmt::format("The agent did not reply on {} within {} ms. A snooze or restart "
                            "request may still have been applied; run patchkeeper-agent status "
                            "to see the choices made.",
                            socket_path.string(), timeout.count()));
  }
  return parseControlReply(line);
}

int runControlCommand(std::string_view command, std::optional<std::string_view> argument,
                      const std::filesystem::path& socket_path, const schedule::Zone& zone,
                      const Clock& clock, std::ostream& out, std::ostream& err) {
  const auto now = restart::Instant(std::chrono::floor<std::chrono::seconds>(clock.now()));
  auto request = requestFromArguments(command, argument, zone, now);
  if (!request) {
    err << "patchkeeper-agent: " << request.error().message << "\n";
    return kControlExitUsage;
  }
  auto reply = sendControlRequest(socket_path, *request);
  if (!reply) {
    err << "patchkeeper-agent: " << reply.error().message << "\n";
    return kControlExitRejected;
  }
  if (!reply->ok) {
    err << "patchkeeper-agent: "
        << (reply->message.empty() ? "The agent rejected the request." : reply->message) << "\n";
    return kControlExitRejected;
  }
  if (!reply->message.empty()) out << "patchkeeper-agent: " << reply->message << "\n";
  if (reply->status) out << formatStatusText(*reply->status, zone, now);
  return kControlExitOk;
}

}  // namespace pk::desktop
