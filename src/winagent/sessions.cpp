#include "winagent/sessions.h"

#include <userenv.h>
#include <wtsapi32.h>

#include <algorithm>

#include <fmt/format.h>

#include "winagent/transport.h"

namespace pk::winagent {
namespace {

std::string sessionUser(DWORD session_id) {
  auto query = [session_id](WTS_INFO_CLASS field) {
    wchar_t* buffer = nullptr;
    DWORD bytes = 0;
    std::wstring value;
    if (WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, session_id, field, &buffer,
                                    &bytes)) {
      value = buffer;
      WTSFreeMemory(buffer);
    }
    return value;
  };
  const std::wstring name = query(WTSUserName);
  if (name.empty()) return "";
  const std::wstring domain = query(WTSDomainName);
  return toUtf8(domain.empty() ? name : domain + L"\\" + name);
}

}  // namespace

Win32Sessions::~Win32Sessions() {
  for (const Started& started : started_) CloseHandle(started.process);
}

std::vector<UserSession> Win32Sessions::activeSessions() {
  std::vector<UserSession> sessions;
  WTS_SESSION_INFOW* list = nullptr;
  DWORD count = 0;
  if (!WTSEnumerateSessionsW(WTS_CURRENT_SERVER_HANDLE, 0, 1, &list, &count)) return sessions;
  for (DWORD i = 0; i < count; ++i) {
    if (list[i].State != WTSActive || list[i].SessionId == 0) continue;
    std::string user = sessionUser(list[i].SessionId);
    if (user.empty()) continue;
    sessions.push_back({.session_id = list[i].SessionId, .user = std::move(user)});
  }
  WTSFreeMemory(list);
  return sessions;
}

Result<void> Win32Sessions::showMessage(DWORD session_id, const std::wstring& title,
                                        const std::wstring& text, DWORD timeout_seconds) {
  std::wstring title_buffer = title;
  std::wstring text_buffer = text;
  DWORD response = 0;
  // Lengths are in bytes. bWait FALSE returns at once with IDASYNC.
  if (!WTSSendMessageW(WTS_CURRENT_SERVER_HANDLE, session_id, title_buffer.data(),
                       static_cast<DWORD>(title_buffer.size() * sizeof(wchar_t)),
                       text_buffer.data(), static_cast<DWORD>(text_buffer.size() * sizeof(wchar_t)),
                       MB_OK | MB_ICONWARNING | MB_TOPMOST | MB_SETFOREGROUND, timeout_seconds,
                       &response, FALSE)) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot show the restart message in session {} (Windows error {}).",
                            session_id, GetLastError()));
  }
  return {};
}

Result<DWORD> Win32Sessions::startProcess(DWORD session_id, const std::wstring& command_line) {
  HANDLE token = nullptr;
  if (!WTSQueryUserToken(session_id, &token)) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot get the user token of session {} (Windows error {}).",
                            session_id, GetLastError()));
  }
  void* environment = nullptr;
  const bool has_environment = CreateEnvironmentBlock(&environment, token, FALSE);

  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  std::wstring desktop = L"winsta0\\default";
  startup.lpDesktop = desktop.data();
  PROCESS_INFORMATION process{};
  std::wstring command = command_line;
  const DWORD flags = has_environment ? CREATE_UNICODE_ENVIRONMENT : 0;
  const BOOL created =
      CreateProcessAsUserW(token, nullptr, command.data(), nullptr, nullptr, FALSE, flags,
                           has_environment ? environment : nullptr, nullptr, &startup, &process);
  const DWORD error = GetLastError();
  if (has_environment) DestroyEnvironmentBlock(environment);
  CloseHandle(token);
  if (!created) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot start the countdown window in session {} (Windows error {}).",
                            session_id, error));
  }
  CloseHandle(process.hThread);
  started_.push_back({.process_id = process.dwProcessId, .process = process.hProcess});
  return process.dwProcessId;
}

bool Win32Sessions::isRunning(DWORD process_id) {
  const auto found = std::find_if(started_.begin(), started_.end(),
                                  [&](const Started& s) { return s.process_id == process_id; });
  if (found == started_.end()) return false;
  return WaitForSingleObject(found->process, 0) == WAIT_TIMEOUT;
}

void Win32Sessions::endProcess(DWORD process_id) {
  const auto found = std::find_if(started_.begin(), started_.end(),
                                  [&](const Started& s) { return s.process_id == process_id; });
  if (found == started_.end()) return;
  TerminateProcess(found->process, 0);
  CloseHandle(found->process);
  started_.erase(found);
}

}  // namespace pk::winagent
