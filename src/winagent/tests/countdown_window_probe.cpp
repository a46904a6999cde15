// countdown_window_probe.exe: checks, through the Win32 API of the same
// Wine (or Windows) session, the window that patchkeeper-countdown.exe
// shows. countdown_window.py starts both.
//
//   countdown_window_probe.exe
//
// Waits up to 60 s for the window, then prints one line per check and
// exits 1 when any check failed, 0 otherwise.

#include <windows.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "winagent/countdown_text.h"

namespace {

int failures = 0;

void check(bool passed, const char* description) {
  std::printf("%s: %s\n", passed ? "ok" : "FAILED", description);
  std::fflush(stdout);
  if (!passed) ++failures;
}

std::wstring windowTitle(HWND window) {
  wchar_t title[256] = {};
  GetWindowTextW(window, title, 256);
  return title;
}

// Polls every 100 ms until `done` returns true or `limit` passes, and
// returns whether it did. Another process offers no event to wait on.
template <typename Condition>
bool waitFor(Condition done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    Sleep(100);
  }
  return true;
}

}  // namespace

int main() {
  const std::wstring class_name(pk::winagent::kCountdownWindowClass);
  HWND window = nullptr;
  const bool found = waitFor(
      [&] {
        window = FindWindowW(class_name.c_str(), nullptr);
        return window != nullptr && IsWindowVisible(window);
      },
      std::chrono::seconds(60));
  check(found, "the countdown window is shown");
  if (!found) return 1;

  const LONG_PTR style = GetWindowLongPtrW(window, GWL_STYLE);
  const LONG_PTR extended_style = GetWindowLongPtrW(window, GWL_EXSTYLE);
  check((extended_style & WS_EX_TOPMOST) != 0, "WS_EX_TOPMOST is set");
  check((style & WS_SYSMENU) == 0, "WS_SYSMENU is not set, so there is no close button");
  check((style & WS_MINIMIZEBOX) == 0, "WS_MINIMIZEBOX is not set");
  check((style & WS_CAPTION) != WS_CAPTION, "there is no title bar to carry buttons");

  const std::wstring first_title = windowTitle(window);
  check(first_title.rfind(L"Restart in ", 0) == 0, "the title shows the remaining time");

  SendMessageW(window, WM_CLOSE, 0, 0);
  check(IsWindow(window) && IsWindowVisible(window), "WM_CLOSE leaves the window open");

  // Alt+F4 reaches a window as WM_SYSCOMMAND SC_CLOSE.
  SendMessageW(window, WM_SYSCOMMAND, SC_CLOSE, 0);
  check(IsWindow(window) && IsWindowVisible(window), "SC_CLOSE (Alt+F4) leaves the window open");

  SendMessageW(window, WM_SYSCOMMAND, SC_MINIMIZE, 0);
  check(!IsIconic(window), "SC_MINIMIZE leaves the window restored");

  // The remaining time goes down every second, so the title changes.
  const bool updated =
      waitFor([&] { return windowTitle(window) != first_title; }, std::chrono::seconds(5));
  check(updated, "the title changes within 5 s");

  std::printf("%d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
