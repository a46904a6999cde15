#pragma once

// The interactive user sessions of a Windows host, as the service in
// session 0 reaches them: it cannot show a window itself, so it sends
// message windows with WTSSendMessageW and starts programs as each
// session's user with WTSQueryUserToken and CreateProcessAsUserW. Behind
// an interface so that the notice logic is tested without sessions.

#include <windows.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace pk::winagent {

struct UserSession {
  DWORD session_id = 0;
  std::string user;  // DOMAIN\name, or the name alone when there is no domain
};

class Sessions {
 public:
  virtual ~Sessions() = default;
  // The sessions with a logged-on user in the WTSActive state: the console
  // and the Remote Desktop sessions in use. Session 0, disconnected and
  // idle sessions are left out.
  virtual std::vector<UserSession> activeSessions() = 0;
  // Shows a message window with `title` and `text` and an OK button in
  // `session_id` without waiting for it to be closed. It closes itself
  // after `timeout_seconds` (0: never). Fails with kIoError naming the
  // session and the Windows error.
  virtual Result<void> showMessage(DWORD session_id, const std::wstring& title,
                                   const std::wstring& text, DWORD timeout_seconds) = 0;
  // Starts `command_line` as the session's user on its "winsta0\default"
  // desktop and returns the process id. Fails with kIoError naming the
  // session and the Windows error.
  virtual Result<DWORD> startProcess(DWORD session_id, const std::wstring& command_line) = 0;
  // Whether a process started by startProcess is still running.
  virtual bool isRunning(DWORD process_id) = 0;
  // Ends a process that startProcess started; one already gone is fine.
  virtual void endProcess(DWORD process_id) = 0;
};

// The real sessions through wtsapi32 and CreateProcessAsUserW. Starting a
// process in another session needs SE_TCB_NAME, which LocalSystem has.
// Keeps a handle to every process it started until endProcess or its
// destruction. Not thread-safe.
class Win32Sessions final : public Sessions {
 public:
  Win32Sessions() = default;
  ~Win32Sessions() override;
  Win32Sessions(const Win32Sessions&) = delete;
  Win32Sessions& operator=(const Win32Sessions&) = delete;

  std::vector<UserSession> activeSessions() override;
  Result<void> showMessage(DWORD session_id, const std::wstring& title, const std::wstring& text,
                           DWORD timeout_seconds) override;
  Result<DWORD> startProcess(DWORD session_id, const std::wstring& command_line) override;
  bool isRunning(DWORD process_id) override;
  void endProcess(DWORD process_id) override;

 private:
  struct Started {
    DWORD process_id = 0;
    HANDLE process = nullptr;
  };
  std::vector<Started> started_;
};

}  // namespace pk::winagent
