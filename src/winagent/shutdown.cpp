#include "winagent/shutdown.h"

#include <fmt/format.h>

namespace pk::winagent {

Result<void> enableShutdownPrivilege() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token)) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot open the process token (Windows error {}).", GetLastError()));
  }
  TOKEN_PRIVILEGES privileges{};
  privileges.PrivilegeCount = 1;
  privileges.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
  if (!LookupPrivilegeValueW(nullptr, SE_SHUTDOWN_NAME, &privileges.Privileges[0].Luid)) {
    const DWORD error = GetLastError();
    CloseHandle(token);
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot look up SeShutdownPrivilege (Windows error {}).", error));
  }
  // AdjustTokenPrivileges succeeds even when the token lacks the privilege;
  // only GetLastError reports it (ERROR_NOT_ALL_ASSIGNED).
  const BOOL adjusted = AdjustTokenPrivileges(token, FALSE, &privileges, 0, nullptr, nullptr);
  const DWORD error = GetLastError();
  CloseHandle(token);
  if (!adjusted || error != ERROR_SUCCESS) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot enable SeShutdownPrivilege (Windows error {}); the service "
                            "must run as LocalSystem or an administrator.",
                            error));
  }
  return {};
}

Result<void> Win32Restarter::requestRestart(const std::wstring& message) {
  if (auto enabled = enableShutdownPrivilege(); !enabled) return enabled;
  const DWORD result = InitiateShutdownW(nullptr, const_cast<wchar_t*>(message.c_str()), 0,
                                         kRestartFlags, kRestartReason);
  if (result == ERROR_SUCCESS || result == ERROR_SHUTDOWN_IN_PROGRESS) return {};
  return fail(ErrorCode::kIoError,
              fmt::format("InitiateShutdownW rejected the restart (Windows error {}).", result));
}

}  // namespace pk::winagent
