// patchkeeper-countdown.exe: the final restart countdown window on Windows.
//
//   patchkeeper-countdown.exe --until UNIX_SECONDS
//
// Shows the time left until the restart at UNIX_SECONDS (UTC) and the
// restart time in local time, and updates both every second. The window is
// topmost (WS_EX_TOPMOST) and has neither a title bar nor a system menu,
// so it has no close, minimise or maximise button. It ignores WM_CLOSE and
// SC_CLOSE, which Alt+F4 and the taskbar send, and undoes minimising. The agent's service starts
// one in each interactive user session, ends it with TerminateProcess once the restart is no longer
// pending, and starts it again if it exits.
//
// Exit status: 0 when Windows ends the session; 2 on invalid arguments; 1
// when the window cannot be created.

#include <windows.h>
// shellapi.h needs the types of windows.h.
#include <shellapi.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "winagent/countdown_text.h"
#include "winagent/session_notices.h"
#include "winagent/transport.h"

namespace {

using namespace pk::winagent;

constexpr UINT_PTR kRefreshTimer = 1;
constexpr int kWidth = 520;
constexpr int kHeight = 230;

struct Countdown {
  pk::restart::Instant until{};
  std::wstring restart_time{};  // the restart instant in local time, for display
  HFONT large_font = nullptr;
  HFONT text_font = nullptr;
};

Countdown countdown;

std::chrono::seconds remaining() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return countdown.until - now;
}

// Formats the restart instant in the user's time zone and locale, for
// example "14:30, 28/03/2027".
std::wstring localRestartTime(pk::restart::Instant until) {
  const std::optional<SYSTEMTIME> converted = hostLocalTime(until);
  if (!converted) return L"";
  const SYSTEMTIME& local = *converted;
  wchar_t time[64] = {};
  wchar_t date[64] = {};
  GetTimeFormatEx(LOCALE_NAME_USER_DEFAULT, TIME_NOSECONDS, &local, nullptr, time, 64);
  GetDateFormatEx(LOCALE_NAME_USER_DEFAULT, DATE_SHORTDATE, &local, nullptr, date, 64, nullptr);
  return std::wstring(time) + L", " + date;
}

void paint(HWND window) {
  PAINTSTRUCT paint_info{};
  HDC dc = BeginPaint(window, &paint_info);
  RECT client{};
  GetClientRect(window, &client);
  FillRect(dc, &client, GetSysColorBrush(COLOR_WINDOW));
  SetBkMode(dc, TRANSPARENT);
  SetTextColor(dc, GetSysColor(COLOR_WINDOWTEXT));

  const std::chrono::seconds left = remaining();
  const std::wstring heading = left.count() > 0
                                   ? L"Updates were installed. This computer restarts in"
                                   : L"This computer is restarting now.";
  const std::wstring remaining_text =
      toWide(formatCountdownRemaining(left)).value_or(std::wstring());
  const std::wstring footer = L"Restart at " + countdown.restart_time +
                              L". Save your work now: this countdown cannot be postponed.";

  RECT line = client;
  line.left += 20;
  line.right -= 20;
  line.top += 20;
  line.bottom = line.top + 30;
  SelectObject(dc, countdown.text_font);
  DrawTextW(dc, heading.c_str(), -1, &line, DT_CENTER | DT_SINGLELINE | DT_VCENTER);

  line.top = line.bottom + 10;
  line.bottom = line.top + 70;
  SelectObject(dc, countdown.large_font);
  DrawTextW(dc, remaining_text.c_str(), -1, &line, DT_CENTER | DT_SINGLELINE | DT_VCENTER);

  line.top = line.bottom + 10;
  line.bottom = client.bottom - 10;
  SelectObject(dc, countdown.text_font);
  DrawTextW(dc, footer.c_str(), -1, &line, DT_CENTER | DT_WORDBREAK);
  EndPaint(window, &paint_info);
}

void refresh(HWND window) {
  const std::wstring title = toWide(formatCountdownTitle(remaining())).value_or(std::wstring());
  SetWindowTextW(window, title.c_str());
  // Another program may have made itself topmost since: come back on top.
  SetWindowPos(window, HWND_TOPMOST, 0, 0, 0, 0, SWP_NOMOVE | SWP_NOSIZE | SWP_NOACTIVATE);
  InvalidateRect(window, nullptr, FALSE);
}

LRESULT CALLBACK windowProcedure(HWND window, UINT message, WPARAM wparam, LPARAM lparam) {
  switch (message) {
    case WM_TIMER:
      if (wparam == kRefreshTimer) refresh(window);
      return 0;
    case WM_PAINT:
      paint(window);
      return 0;
    case WM_CLOSE:
      // Alt+F4, the taskbar's "Close window" and other programs end here.
      return 0;
    case WM_SYSCOMMAND: {
      const WPARAM command = wparam & 0xFFF0;
      if (command == SC_CLOSE || command == SC_MINIMIZE) return 0;
      break;
    }
    case WM_SIZE:
      if (wparam == SIZE_MINIMIZED) ShowWindow(window, SW_RESTORE);
      return 0;
    case WM_QUERYENDSESSION:
      // The restart itself ends the session: never hold it up.
      return TRUE;
    case WM_ENDSESSION:
      if (wparam) PostQuitMessage(0);
      return 0;
    case WM_DESTROY:
      PostQuitMessage(0);
      return 0;
    default:
      break;
  }
  return DefWindowProcW(window, message, wparam, lparam);
}

std::vector<std::string> utf8Arguments() {
  int count = 0;
  wchar_t** wide = CommandLineToArgvW(GetCommandLineW(), &count);
  std::vector<std::string> arguments;
  for (int i = 1; wide != nullptr && i < count; ++i) arguments.push_back(toUtf8(wide[i]));
  LocalFree(wide);
  return arguments;
}

HFONT createFont(int height, int weight) {
  return CreateFontW(height, 0, 0, 0, weight, FALSE, FALSE, FALSE, DEFAULT_CHARSET,
                     OUT_DEFAULT_PRECIS, CLIP_DEFAULT_PRECIS, CLEARTYPE_QUALITY,
                     DEFAULT_PITCH | FF_SWISS, L"Segoe UI");
}

}  // namespace

int WINAPI WinMain(HINSTANCE instance, HINSTANCE, LPSTR, int) {
  auto until = parseCountdownArguments(utf8Arguments());
  if (!until) {
    const std::wstring message = toWide(until.error().message).value_or(L"Invalid arguments.");
    MessageBoxW(nullptr, message.c_str(), L"patchkeeper-countdown", MB_OK | MB_ICONERROR);
    return 2;
  }
  countdown.until = *until;
  countdown.restart_time = localRestartTime(*until);
  countdown.large_font = createFont(56, FW_BOLD);
  countdown.text_font = createFont(18, FW_NORMAL);

  WNDCLASSEXW window_class{};
  window_class.cbSize = sizeof(window_class);
  window_class.lpfnWndProc = windowProcedure;
  window_class.hInstance = instance;
  window_class.hCursor = LoadCursorW(nullptr, IDC_ARROW);
  window_class.hbrBackground = GetSysColorBrush(COLOR_WINDOW);
  const std::wstring class_name(kCountdownWindowClass);
  window_class.lpszClassName = class_name.c_str();
  if (RegisterClassExW(&window_class) == 0) return 1;

  // A popup with a dialog frame and no caption or system menu: there is no
  // title bar, so no close, minimise or maximise button, on Windows and on
  // X11 window managers under Wine alike. The title still names the window
  // in the taskbar (WS_EX_APPWINDOW) and for the service and tests.
  const int x = (GetSystemMetrics(SM_CXSCREEN) - kWidth) / 2;
  const int y = (GetSystemMetrics(SM_CYSCREEN) - kHeight) / 3;
  HWND window = CreateWindowExW(WS_EX_TOPMOST | WS_EX_DLGMODALFRAME | WS_EX_APPWINDOW,
                                class_name.c_str(), L"", WS_POPUP | WS_DLGFRAME, x, y, kWidth,
                                kHeight, nullptr, nullptr, instance, nullptr);
  if (window == nullptr) return 1;
  refresh(window);
  ShowWindow(window, SW_SHOWNORMAL);
  SetTimer(window, kRefreshTimer, 1000, nullptr);

  MSG message{};
  while (GetMessageW(&message, nullptr, 0, 0) > 0) {
    TranslateMessage(&message);
    DispatchMessageW(&message);
  }
  return 0;
}
