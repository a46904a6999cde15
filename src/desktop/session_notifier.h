#pragma once

// Desktop notifications in one login session, through the freedesktop
// notification service (org.freedesktop.Notifications) on the session's
// D-Bus, spoken with sd-bus. The notifier keeps one notification on screen
// at a time: a new one replaces it. When the user clicks one of its
// actions, the notification server emits ActionInvoked and the notifier
// passes the action key to its handler.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/error.h"
#include "common/file_descriptor.h"
#include "desktop/notice_text.h"
#include "desktop/user_process.h"

struct sd_bus;
struct sd_bus_message;

namespace pk::desktop {

class SessionNotifier {
 public:
  // Receives the action key on the notifier's own thread.
  using ActionHandler = std::function<void(std::string_view action_key)>;

  // Connects to the bus at `bus_address` ("unix:path=/run/user/1000/bus")
  // as `user` (see connectUnixSocketAs) and starts the notifier's thread.
  // Fails with kInvalidArgument when the address is not a unix:path
  // address, and with kIoError when the connection or the bus handshake
  // fails.
  static Result<std::unique_ptr<SessionNotifier>> connect(const std::string& bus_address,
                                                          const UserIdentity& user,
                                                          ActionHandler on_action);
  ~SessionNotifier();
  SessionNotifier(const SessionNotifier&) = delete;
  SessionNotifier& operator=(const SessionNotifier&) = delete;

  // Sends `text` as a notification that replaces the one shown before.
  // Returns at once; the call happens on the notifier's thread, and a
  // failure is logged. Thread-safe.
  void show(const NoticeText& text);
  // Closes the notification shown, if any. Thread-safe.
  void close();
  // False once the bus connection was lost (the user logged out); a lost
  // notifier never reconnects.
  bool connected() const { return connected_.load(); }

 private:
  struct Command {
    bool close = false;
    NoticeText text;
  };

  SessionNotifier(sd_bus* bus, int wake, std::string address, ActionHandler on_action);
  void run();
  void send(const NoticeText& text);
  void sendClose();
  void post(Command command);
  static int onActionInvoked(sd_bus_message* message, void* data, void* error);
  static int onClosed(sd_bus_message* message, void* data, void* error);

  sd_bus* bus_;
  FileDescriptor wake_;  // an eventfd that wakes run() for commands and stop
  std::string address_;
  ActionHandler on_action_;
  std::atomic<bool> connected_{true};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::deque<Command> commands_;
  std::uint32_t shown_id_ = 0;  // the notification on screen; used on the thread only
  std::thread thread_;
};

}  // namespace pk::desktop
