#include "desktop/desktop_channel.h"

#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <date/tz.h>
#include <fmt/format.h>

#include "common/child_process.h"
#include "common/file_descriptor.h"
#include "desktop/log.h"
#include "desktop/notice_text.h"

extern char** environ;

namespace pk::desktop {
namespace {

// Countdown windows whose ends differ by at most this much count the same.
constexpr auto kSameEnd = std::chrono::seconds(2);

Result<schedule::Zone> displayZone(const std::string& name) {
  if (!name.empty()) return schedule::Zone::find(name);
  try {
    return schedule::Zone::find(date::current_zone()->name());
  } catch (const std::exception& error) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("The machine's time zone is unknown ({}); set time_zone.", error.what()));
  }
}

}  // namespace

Result<void> broadcastToTerminals(const std::vector<std::string>& command,
                                  const std::string& message) {
  if (command.empty()) return {};
  // A socket pair rather than a pipe: send() with MSG_NOSIGNAL cannot raise
  // SIGPIPE in the agent when the program exits without reading.
  int pipe_ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pipe_ends) != 0) {
    return fail(ErrorCode::kIoError, fmt::format("socketpair failed: {}.", std::strerror(errno)));
  }
  FileDescriptor read_end(pipe_ends[0]);
  FileDescriptor write_end(pipe_ends[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, read_end.get(), STDIN_FILENO);
  std::vector<char*> argv;
  for (const auto& argument : command) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  pid_t child = -1;
  const int spawned = ::posix_spawnp(&child, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return fail(ErrorCode::kNotFound,
                fmt::format("Starting {} failed: {}.", command[0], std::strerror(spawned)));
  }
  read_end.reset();

  std::string_view rest = message;
  while (!rest.empty()) {
    const auto written = ::send(write_end.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) break;
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
  write_end.reset();

  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  ProcessOutcome outcome;
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (outcome.exit_code != 0) {
    return fail(ErrorCode::kIoError, describeFailure(command, outcome));
  }
  return {};
}

Result<std::unique_ptr<DesktopNoticeChannel>> DesktopNoticeChannel::create(
    DesktopChannelOptions options, const SessionSource& sessions, restart::ChoiceSink& sink,
    const Clock& clock) {
  auto zone = displayZone(options.time_zone);
  if (!zone) return tl::unexpected(zone.error());
  return std::unique_ptr<DesktopNoticeChannel>(
      new DesktopNoticeChannel(std::move(options), *zone, sessions, sink, clock));
}

DesktopNoticeChannel::DesktopNoticeChannel(DesktopChannelOptions options, schedule::Zone zone,
                                           const SessionSource& sessions, restart::ChoiceSink& sink,
                                           const Clock& clock)
    : options_(std::move(options)), zone_(zone), sessions_(sessions), sink_(sink), clock_(clock) {}

DesktopNoticeChannel::~DesktopNoticeChannel() {
  std::lock_guard lock(mutex_);
  windows_.clear();
  notifiers_.clear();
}

void DesktopNoticeChannel::onAction(const std::string& session_id, const std::string& user,
                                    std::string_view key) {
  const auto now = restart::Instant(std::chrono::floor<std::chrono::seconds>(clock_.now()));
  const auto choice = choiceForAction(key, user, now);
  if (!choice) return;
  const auto outcome = sink_.apply(*choice);
  logger().info("session {}: {} chose '{}': {}{}", session_id, user, key,
                outcome.applied ? "applied" : "not applied",
                outcome.message.empty() ? "" : ": " + outcome.message);
  if (outcome.applied) return;

  // Tell the user why, in the session where the choice was made.
  std::lock_guard lock(mutex_);
  const auto found = notifiers_.find(session_id);
  if (found != notifiers_.end()) {
    found->second->show({.summary = "Your choice was not applied",
                         .body = outcome.message,
                         .actions = {},
                         .urgency = Urgency::kNormal});
  }
}

SessionNotifier* DesktopNoticeChannel::notifierFor(const LoginSession& session) {
  auto found = notifiers_.find(session.id);
  if (found != notifiers_.end() && found->second->connected()) return found->second.get();

  auto notifier =
      SessionNotifier::connect(session.bus_address, {.uid = session.uid, .gid = session.gid},
                               [this, id = session.id, user = session.user](std::string_view key) {
                                 onAction(id, user, key);
                               });
  if (!notifier) {
    logger().warn("session {} ({}): {}", session.id, session.user, notifier.error().message);
    return nullptr;
  }
  auto* raw = notifier->get();
  notifiers_[session.id] = std::move(*notifier);
  return raw;
}

void DesktopNoticeChannel::updateWindows(const restart::Notice& notice,
                                         const std::vector<LoginSession>& sessions) {
  if (notice.kind != restart::NoticeKind::kCountdown) {
    windows_.clear();
    return;
  }
  // The notice's restart time is on the wall clock; the windows count down
  // on the elapsed clock, which setting the wall clock does not move.
  const auto wall = std::chrono::floor<std::chrono::seconds>(clock_.now());
  const Elapsed end = clock_.elapsed() + (notice.restart_at - restart::Instant(wall));
  std::map<std::string, std::unique_ptr<CountdownWindow>> running;
  for (const auto& session : sessions) {
    if (!session.graphical()) continue;
    if (session.display.empty() && session.wayland_display.empty()) continue;
    auto found = windows_.find(session.id);
    // Whole-second readings of two clocks may differ by a second between
    // two steps; a window for the same end keeps running.
    if (found != windows_.end() && std::chrono::abs(found->second->end() - end) <= kSameEnd) {
      running[session.id] = std::move(found->second);
      continue;
    }
    running[session.id] = std::make_unique<CountdownWindow>(
        options_.countdown_program, session, end, clock_, options_.window_restart_delay);
  }
  // Windows of sessions that ended, or for another restart time, stop here.
  windows_ = std::move(running);
}

void DesktopNoticeChannel::show(const restart::Notice& notice) {
  auto sessions = sessions_.sessions();
  if (!sessions) {
    logger().error("{}", sessions.error().message);
    return;
  }
  const auto text = formatDesktopNotice(notice, zone_);

  bool terminal_session = false;
  {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::unique_ptr<SessionNotifier>> current;
    for (const auto& session : *sessions) {
      if (!session.graphical()) {
        terminal_session = true;
        continue;
      }
      if (session.bus_address.empty()) continue;
      if (auto* notifier = notifierFor(session)) {
        notifier->show(text);
        current[session.id] = std::move(notifiers_[session.id]);
      }
    }
    // Notifiers of sessions that ended are dropped.
    notifiers_ = std::move(current);
    updateWindows(notice, *sessions);
  }

  const auto key = std::pair(notice.kind, notice.shown_at);
  if (terminal_session && !options_.wall_command.empty() && last_terminal_notice_ != key) {
    if (auto sent =
            broadcastToTerminals(options_.wall_command, formatTerminalNotice(notice, zone_));
        !sent) {
      logger().warn("sending the restart notice to terminals failed: {}", sent.error().message);
    } else {
      last_terminal_notice_ = key;
    }
  }
}

void DesktopNoticeChannel::keepShown(const restart::Notice& current) {
  auto sessions = sessions_.sessions();
  if (!sessions) {
    logger().error("{}", sessions.error().message);
    return;
  }
  std::lock_guard lock(mutex_);
  const auto text = formatDesktopNotice(current, zone_);
  std::map<std::string, std::unique_ptr<SessionNotifier>> current_notifiers;
  for (const auto& session : *sessions) {
    if (!session.graphical() || session.bus_address.empty()) continue;
    auto found = notifiers_.find(session.id);
    if (found != notifiers_.end() && found->second->connected()) {
      current_notifiers[session.id] = std::move(found->second);
      continue;
    }
    // A session that began (or whose bus went away) since the notice was
    // shown gets it now.
    if (auto* notifier = notifierFor(session)) {
      notifier->show(text);
      current_notifiers[session.id] = std::move(notifiers_[session.id]);
    }
  }
  notifiers_ = std::move(current_notifiers);
  updateWindows(current, *sessions);
}

void DesktopNoticeChannel::clear() {
  std::lock_guard lock(mutex_);
  windows_.clear();
  for (auto& [id, notifier] : notifiers_) notifier->close();
  last_terminal_notice_.reset();
}

}  // namespace pk::desktop
