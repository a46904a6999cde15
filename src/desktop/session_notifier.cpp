#include "desktop/session_notifier.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "desktop/log.h"

namespace pk::desktop {
namespace {

constexpr const char* kService = "org.freedesktop.Notifications";
constexpr const char* kPath = "/org/freedesktop/Notifications";
constexpr const char* kInterface = "org.freedesktop.Notifications";
constexpr const char* kApplication = "patchkeeper";

// How long a call to the notification server may take before it fails.
constexpr std::uint64_t kCallTimeoutMicroseconds = 5'000'000;

std::string busError(int result) {
  return std::strerror(-result);
}

// Returns the socket path of a "unix:path=..." address, ignoring other
// keys such as "guid".
std::optional<std::string> socketPath(std::string_view address) {
  constexpr std::string_view kPrefix = "unix:path=";
  if (!address.starts_with(kPrefix)) return std::nullopt;
  auto path = address.substr(kPrefix.size());
  path = path.substr(0, path.find(','));
  if (path.empty()) return std::nullopt;
  return std::string(path);
}

// Appends the Notify call's arguments after app_name and replaces_id.
int appendNotification(sd_bus_message* call, const NoticeText& text) {
  int result =
      sd_bus_message_append(call, "sss", "system-reboot", text.summary.c_str(), text.body.c_str());
  if (result < 0) return result;

  result = sd_bus_message_open_container(call, 'a', "s");
  for (const auto& action : text.actions) {
    if (result < 0) return result;
    result = sd_bus_message_append(call, "ss", action.key.c_str(), action.label.c_str());
  }
  if (result < 0) return result;
  result = sd_bus_message_close_container(call);
  if (result < 0) return result;

  // Hints: the urgency, and "resident" so that servers which honour it keep
  // a notice with actions after one was clicked.
  const auto urgency = static_cast<std::uint8_t>(text.urgency);
  result = sd_bus_message_append(call, "a{sv}", 2, "urgency", "y", urgency, "resident", "b",
                                 !text.actions.empty() ? 1 : 0);
  if (result < 0) return result;

  // Critical notices never expire; others follow the server's default.
  const std::int32_t expire_timeout = text.urgency == Urgency::kCritical ? 0 : -1;
  return sd_bus_message_append(call, "i", expire_timeout);
}

}  // namespace

Result<std::unique_ptr<SessionNotifier>> SessionNotifier::connect(const std::string& bus_address,
                                                                  const UserIdentity& user,
                                                                  ActionHandler on_action) {
  const auto path = socketPath(bus_address);
  if (!path) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("The session bus address '{}' is not a unix:path= address.", bus_address));
  }
  auto fd = connectUnixSocketAs(*path, user);
  if (!fd) return tl::unexpected(fd.error());
  FileDescriptor socket(*fd);

  sd_bus* bus = nullptr;
  int result = sd_bus_new(&bus);
  if (result < 0) {
    return fail(ErrorCode::kIoError, fmt::format("sd_bus_new failed: {}.", busError(result)));
  }
  // sd-bus owns the socket from here on.
  result = sd_bus_set_fd(bus, socket.get(), socket.get());
  if (result >= 0) {
    socket.release();
    result = sd_bus_set_bus_client(bus, 1);
  }
  if (result >= 0) result = sd_bus_start(bus);
  if (result >= 0) result = sd_bus_set_method_call_timeout(bus, kCallTimeoutMicroseconds);
  if (result < 0) {
    sd_bus_flush_close_unref(bus);
    return fail(ErrorCode::kIoError, fmt::format("Connecting to the session bus {} failed: {}.",
                                                 bus_address, busError(result)));
  }

  FileDescriptor wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (wake.get() < 0) {
    sd_bus_flush_close_unref(bus);
    return fail(ErrorCode::kIoError,
                fmt::format("Creating an eventfd failed: {}.", std::strerror(errno)));
  }
  const int wake_fd = wake.release();
  std::unique_ptr<SessionNotifier> notifier(
      new SessionNotifier(bus, wake_fd, bus_address, std::move(on_action)));

  // The server's signals go to every client that matches them; the
  // handlers compare the notification id with the one this notifier shows.
  result = sd_bus_match_signal(bus, nullptr, nullptr, kPath, kInterface, "ActionInvoked",
                               reinterpret_cast<sd_bus_message_handler_t>(&onActionInvoked),
                               notifier.get());
  if (result >= 0) {
    result =
        sd_bus_match_signal(bus, nullptr, nullptr, kPath, kInterface, "NotificationClosed",
                            reinterpret_cast<sd_bus_message_handler_t>(&onClosed), notifier.get());
  }
  if (result < 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("Subscribing to notification signals on {} failed: {}.", bus_address,
                            busError(result)));
  }
  notifier->thread_ = std::thread([raw = notifier.get()] { raw->run(); });
  return notifier;
}

SessionNotifier::SessionNotifier(sd_bus* bus, int wake, std::string address,
                                 ActionHandler on_action)
    : bus_(bus), wake_(wake), address_(std::move(address)), on_action_(std::move(on_action)) {}

SessionNotifier::~SessionNotifier() {
  stopping_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  // Also drops the signal matches, which are floating slots of the bus.
  sd_bus_flush_close_unref(bus_);
}

void SessionNotifier::show(const NoticeText& text) {
  post({.close = false, .text = text});
}

void SessionNotifier::close() {
  post({.close = true, .text = {}});
}

void SessionNotifier::post(Command command) {
  {
    std::lock_guard lock(mutex_);
    commands_.push_back(std::move(command));
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_.get(), &one, sizeof(one));
}

void SessionNotifier::run() {
  while (!stopping_) {
    std::deque<Command> commands;
    {
      std::lock_guard lock(mutex_);
      commands.swap(commands_);
    }
    for (const auto& command : commands) {
      if (command.close) {
        sendClose();
      } else {
        send(command.text);
      }
    }

    const int processed = sd_bus_process(bus_, nullptr);
    if (processed < 0) {
      logger().warn("session bus {}: connection lost: {}", address_, busError(processed));
      connected_ = false;
      return;
    }
    if (processed > 0) continue;

    pollfd watched[2] = {{sd_bus_get_fd(bus_), static_cast<short>(sd_bus_get_events(bus_)), 0},
                         {wake_.get(), POLLIN, 0}};
    std::uint64_t timeout_usec = 0;
    int timeout_ms = -1;
    if (sd_bus_get_timeout(bus_, &timeout_usec) > 0 && timeout_usec != UINT64_MAX) {
      timeout_ms = 100;  // sd-bus has timed work pending; come back soon
    }
    if (::poll(watched, 2, timeout_ms) < 0 && errno != EINTR) {
      logger().error("session bus {}: poll failed: {}", address_, std::strerror(errno));
      connected_ = false;
      return;
    }
    if (watched[1].revents != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] const auto read = ::read(wake_.get(), &count, sizeof(count));
    }
  }
}

void SessionNotifier::send(const NoticeText& text) {
  sd_bus_message* call = nullptr;
  int result = sd_bus_message_new_method_call(bus_, &call, kService, kPath, kInterface, "Notify");
  if (result >= 0) result = sd_bus_message_append(call, "su", kApplication, shown_id_);
  if (result >= 0) result = appendNotification(call, text);

  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  if (result >= 0) result = sd_bus_call(bus_, call, 0, &error, &reply);
  std::uint32_t id = 0;
  if (result >= 0) result = sd_bus_message_read(reply, "u", &id);
  if (result < 0) {
    logger().warn("session bus {}: showing the notice '{}' failed: {}", address_, text.summary,
                  error.message != nullptr ? error.message : busError(result));
  } else {
    shown_id_ = id;
    logger().info("session bus {}: notice '{}' shown as notification {}", address_, text.summary,
                  id);
  }
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  sd_bus_message_unref(call);
}

void SessionNotifier::sendClose() {
  if (shown_id_ == 0) return;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  const int result = sd_bus_call_method(bus_, kService, kPath, kInterface, "CloseNotification",
                                        &error, nullptr, "u", shown_id_);
  if (result < 0) {
    logger().warn("session bus {}: closing notification {} failed: {}", address_, shown_id_,
                  error.message != nullptr ? error.message : busError(result));
  }
  sd_bus_error_free(&error);
  shown_id_ = 0;
}

int SessionNotifier::onActionInvoked(sd_bus_message* message, void* data, void*) {
  auto* notifier = static_cast<SessionNotifier*>(data);
  std::uint32_t id = 0;
  const char* key = nullptr;
  if (sd_bus_message_read(message, "us", &id, &key) < 0 || key == nullptr) return 0;
  if (id == 0 || id != notifier->shown_id_) return 0;
  logger().info("session bus {}: action '{}' invoked on notification {}", notifier->address_, key,
                id);
  notifier->on_action_(key);
  return 0;
}

int SessionNotifier::onClosed(sd_bus_message* message, void* data, void*) {
  auto* notifier = static_cast<SessionNotifier*>(data);
  std::uint32_t id = 0;
  std::uint32_t reason = 0;
  if (sd_bus_message_read(message, "uu", &id, &reason) < 0) return 0;
  // A closed notification cannot be replaced; the next notice gets a new id.
  if (id != 0 && id == notifier->shown_id_) notifier->shown_id_ = 0;
  return 0;
}

}  // namespace pk::desktop
