#pragma once

// Restarts Windows after an install that requires it, through the
// documented shutdown API: InitiateShutdownW with a planned
// "operating system: security fix" reason code, after enabling
// SE_SHUTDOWN_NAME in the process token. Behind an interface so that tests
// record the request instead of restarting anything.

#include <windows.h>

#include <string>

#include "common/error.h"

namespace pk::winagent {

// The reason recorded in the System event log (event 1074) and shown by
// the shutdown tracker: planned, operating system, security fix.
inline constexpr DWORD kRestartReason =
    SHTDN_REASON_MAJOR_OPERATINGSYSTEM | SHTDN_REASON_MINOR_SECURITYFIX | SHTDN_REASON_FLAG_PLANNED;

// InitiateShutdownW's flags: restart, and close the applications of every
// session, the service's own included, without waiting for them. The
// countdown has warned the users, and the policy allows no further delay.
inline constexpr DWORD kRestartFlags =
    SHUTDOWN_RESTART | SHUTDOWN_FORCE_OTHERS | SHUTDOWN_FORCE_SELF;

class Restarter {
 public:
  virtual ~Restarter() = default;
  // Requests the restart, with `message` for the event log. Returns once
  // Windows accepted the request; the restart follows. Fails with kIoError
  // naming the Windows error when the request is rejected.
  virtual Result<void> requestRestart(const std::wstring& message) = 0;
};

// The real restart: SE_SHUTDOWN_NAME, then InitiateShutdownW(nullptr,
// message, 0 s grace period, kRestartFlags, kRestartReason). A shutdown
// already in progress (ERROR_SHUTDOWN_IN_PROGRESS) counts as accepted.
class Win32Restarter final : public Restarter {
 public:
  Result<void> requestRestart(const std::wstring& message) override;
};

// Enables SE_SHUTDOWN_NAME in the process token. Fails with kIoError when
// the process may not shut the machine down (the privilege is not in its
// token) or the token cannot be changed.
Result<void> enableShutdownPrivilege();

}  // namespace pk::winagent
