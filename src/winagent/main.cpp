// patchkeeper-agent.exe: the Windows agent. `service` is the entry point the
// Service Control Manager starts; the other commands run in a console, for
// tests and first checks on a host.
//
//   patchkeeper-agent.exe --version
//   patchkeeper-agent.exe inventory [--no-update-search]
//   patchkeeper-agent.exe service
//   patchkeeper-agent.exe fetch URL PATH [--pin PIN] [--token TOKEN] [--allow-plain-http]
//
// fetch sends one GET through the WinHTTP transport and prints the status
// and body, to check the server URL and pin from the host.

#include <windows.h>
// objbase.h and wuapi.h need the types of windows.h.
#include <objbase.h>
#include <wuapi.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "inventory/windows_inventory.h"
#include "winagent/com.h"
#include "winagent/inventory_collector.h"
#include "winagent/registry.h"
#include "winagent/state_file.h"
#include "winagent/winhttp_transport.h"
#include "winagent/wua.h"

#ifndef PK_VERSION
#define PK_VERSION "unknown"
#endif

namespace {

using namespace pk;
using namespace pk::winagent;

constexpr wchar_t kServiceName[] = L"patchkeeper-agent";
// How often the service collects the inventory.
constexpr DWORD kCollectIntervalMilliseconds = 60 * 60 * 1000;

SERVICE_STATUS_HANDLE service_status_handle = nullptr;
HANDLE stop_event = nullptr;

// Collects the inventory with the real registry and, unless
// `search_updates` is false, the real Windows Update Agent.
Result<CollectedInventory> collect(bool search_updates) {
  Win32Registry registry(HKEY_LOCAL_MACHINE, "");
  ComPtr<IUpdateSession> session;
  if (search_updates) {
    // mingw-w64's libuuid lacks CLSID_UpdateSession, so the class is found
    // by its ProgID, as scripts create it.
    CLSID session_class{};
    HRESULT result = CLSIDFromProgID(L"Microsoft.Update.Session", &session_class);
    if (SUCCEEDED(result)) {
      result = CoCreateInstance(session_class, nullptr, CLSCTX_INPROC_SERVER,
                                __uuidof(IUpdateSession), reinterpret_cast<void**>(session.put()));
    }
    if (FAILED(result)) {
      return fail(ErrorCode::kIoError, "Could not create the Windows Update session (" +
                                           hresultText(result) +
                                           "); run with --no-update-search to collect without it.");
    }
  }
  SystemClock clock;
  return collectInventory(registry, session.get(), clock.now());
}

int runInventory(bool search_updates) {
  auto collected = collect(search_updates);
  if (!collected) {
    std::fprintf(stderr, "patchkeeper-agent: %s\n", collected.error().message.c_str());
    return 1;
  }
  for (const auto& issue : collected->issues) {
    std::fprintf(stderr, "patchkeeper-agent: %s\n", inventory::describe(issue).c_str());
  }
  std::fputs(inventory::toJsonText(collected->inventory).c_str(), stdout);
  return 0;
}

void reportStatus(DWORD state, DWORD exit_code = NO_ERROR) {
  SERVICE_STATUS status{};
  status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  status.dwCurrentState = state;
  status.dwControlsAccepted =
      state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
  status.dwWin32ExitCode = exit_code;
  status.dwWaitHint = state == SERVICE_RUNNING ? 0 : 30'000;
  SetServiceStatus(service_status_handle, &status);
}

DWORD WINAPI onControl(DWORD control, DWORD, void*, void*) {
  if (control == SERVICE_CONTROL_STOP || control == SERVICE_CONTROL_SHUTDOWN) {
    reportStatus(SERVICE_STOP_PENDING);
    SetEvent(stop_event);
    return NO_ERROR;
  }
  return control == SERVICE_CONTROL_INTERROGATE ? NO_ERROR : ERROR_CALL_NOT_IMPLEMENTED;
}

// One round of the service: collect the inventory and keep it, or the
// error, in the state folder.
// NOTE: the service has no log yet, so a failure to write these files is
// lost.
void serviceRound(const std::filesystem::path& state_directory) {
  auto collected = collect(true);
  if (collected) {
    writeFileAtomically(state_directory / "inventory.json",
                        inventory::toJsonText(collected->inventory));
    writeFileAtomically(state_directory / "last-error.txt", "");
  } else {
    writeFileAtomically(state_directory / "last-error.txt", collected.error().message + "\n");
  }
}

void WINAPI serviceMain(DWORD, LPWSTR*) {
  service_status_handle = RegisterServiceCtrlHandlerExW(kServiceName, onControl, nullptr);
  if (service_status_handle == nullptr) return;
  stop_event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  reportStatus(SERVICE_START_PENDING);

  auto state_directory = defaultStateDirectory();
  if (!state_directory || !preparePrivateDirectory(*state_directory)) {
    reportStatus(SERVICE_STOPPED, ERROR_PATH_NOT_FOUND);
    return;
  }
  CoInitializeEx(nullptr, COINIT_MULTITHREADED);
  reportStatus(SERVICE_RUNNING);
  do {
    serviceRound(*state_directory);
  } while (WaitForSingleObject(stop_event, kCollectIntervalMilliseconds) == WAIT_TIMEOUT);
  CoUninitialize();
  reportStatus(SERVICE_STOPPED);
}

int runService() {
  SERVICE_TABLE_ENTRYW table[] = {{const_cast<LPWSTR>(kServiceName), serviceMain},
                                  {nullptr, nullptr}};
  if (!StartServiceCtrlDispatcherW(table)) {
    std::fprintf(stderr,
                 "patchkeeper-agent: the service command is for the Service Control Manager "
                 "(Windows error %lu); see docs/WINDOWS-AGENT.md to install the service.\n",
                 GetLastError());
    return 1;
  }
  return 0;
}

int runFetch(int argc, char** argv) {
  if (argc < 4) return -1;
  TransportOptions options;
  options.base_url = argv[2];
  const std::string path = argv[3];
  for (int i = 4; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument == "--pin" && i + 1 < argc) {
      options.server_pin = argv[++i];
    } else if (argument == "--token" && i + 1 < argc) {
      options.bearer_token = argv[++i];
    } else if (argument == "--allow-plain-http") {
      options.allow_plain_http = true;
    } else {
      return -1;
    }
  }
  auto transport = WinHttpTransport::create(options);
  if (!transport) {
    std::fprintf(stderr, "patchkeeper-agent: %s\n", transport.error().message.c_str());
    return 1;
  }
  auto response = (*transport)->send(HttpRequest{"GET", path, ""});
  if (!response) {
    std::fprintf(stderr, "patchkeeper-agent: %s\n", response.error().message.c_str());
    return 1;
  }
  std::printf("status %d\n%s\n", response->status, response->body.c_str());
  return 0;
}

void printUsage() {
  std::fputs(
      "usage: patchkeeper-agent --version\n"
      "       patchkeeper-agent inventory [--no-update-search]\n"
      "       patchkeeper-agent service\n"
      "       patchkeeper-agent fetch URL PATH [--pin PIN] [--token TOKEN] [--allow-plain-http]\n",
      stderr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    printUsage();
    return 2;
  }
  const std::string_view command = argv[1];
  if (command == "--version") {
    std::printf("patchkeeper-agent %s (Windows)\n", PK_VERSION);
    return 0;
  }
  if (command == "inventory") {
    bool search_updates = true;
    for (int i = 2; i < argc; ++i) {
      if (std::string_view(argv[i]) == "--no-update-search") {
        search_updates = false;
      } else {
        printUsage();
        return 2;
      }
    }
    CoInitializeEx(nullptr, COINIT_MULTITHREADED);
    const int status = runInventory(search_updates);
    CoUninitialize();
    return status;
  }
  if (command == "service") return runService();
  if (command == "fetch") {
    const int status = runFetch(argc, argv);
    if (status < 0) printUsage();
    return status < 0 ? 2 : status;
  }
  printUsage();
  return 2;
}
