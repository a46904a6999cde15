// patchkeeper-agent.exe: the Windows agent. `service` is the entry point the
// Service Control Manager starts; the other commands run in a console, for
// tests and first checks on a host.
//
//   patchkeeper-agent.exe --version
//   patchkeeper-agent.exe inventory [--no-update-search]
//   patchkeeper-agent.exe checkin [--state-dir DIR] [--no-update-search]
//   patchkeeper-agent.exe service
//   patchkeeper-agent.exe fetch URL PATH [--pin PIN] [--token TOKEN] [--allow-plain-http]
//
// fetch sends one GET through the WinHTTP transport and prints the status
// and body, to check the server URL and pin from the host.

#include <windows.h>
// objbase.h and wuapi.h need the types of windows.h.
#include <objbase.h>
#include <wuapi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include <fmt/format.h>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "inventory/windows_inventory.h"
#include "winagent/agent_files.h"
#include "winagent/checkin.h"
#include "winagent/com.h"
#include "winagent/inventory_collector.h"
#include "winagent/job_round.h"
#include "winagent/registry.h"
#include "winagent/restart_round.h"
#include "winagent/restart_service.h"
#include "winagent/session_notices.h"
#include "winagent/sessions.h"
#include "winagent/shutdown.h"
#include "winagent/state_file.h"
#include "winagent/update_job.h"
#include "winagent/winhttp_transport.h"
#include "winagent/wua.h"

#ifndef PK_VERSION
#define PK_VERSION "unknown"
#endif

namespace {

using namespace pk;
using namespace pk::winagent;

constexpr wchar_t kServiceName[] = L"patchkeeper-agent";
// How long the service waits after a failed round.
constexpr DWORD kRetryMilliseconds = 10 * 60 * 1000;
constexpr std::string_view kConfigFile = "agent.json";
constexpr std::string_view kMachineGuidKey = "SOFTWARE\\Microsoft\\Cryptography";

SERVICE_STATUS_HANDLE service_status_handle = nullptr;
HANDLE stop_event = nullptr;

// Creates the Windows Update Agent's session. mingw-w64's libuuid lacks
// CLSID_UpdateSession, so the class is found by its ProgID, as scripts
// create it.
Result<ComPtr<IUpdateSession>> createUpdateSession() {
  ComPtr<IUpdateSession> session;
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
  return session;
}

// Collects the inventory with the real registry and, unless
// `search_updates` is false, the real Windows Update Agent.
Result<CollectedInventory> collect(bool search_updates) {
  Win32Registry registry(HKEY_LOCAL_MACHINE, "");
  ComPtr<IUpdateSession> session;
  if (search_updates) {
    auto created = createUpdateSession();
    if (!created) return tl::unexpected(created.error());
    session = std::move(*created);
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

// Returns the text of a file with surrounding blanks and line ends cut.
Result<std::string> readTrimmed(const std::filesystem::path& path) {
  auto text = readStateFile(path);
  if (!text) return tl::unexpected(text.error());
  if (!text->has_value()) {
    return fail(ErrorCode::kNotFound, "The file " + toUtf8(path.wstring()) + " does not exist.");
  }
  std::string value = **text;
  const auto first = value.find_first_not_of(" \t\r\n");
  const auto last = value.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
}

// One round: collect the inventory and keep it in inventory.json, then,
// when agent.json exists, enrol if needed, send a report and run the
// deployment jobs. Without the update search (`search_updates` false) no
// job runs. With a restart service, endpoint jobs that need a restart are
// attached to it and its reports are sent; without one they stay
// installed. Returns the seconds until the next round.
Result<std::int64_t> checkinRound(const std::filesystem::path& state_directory, bool search_updates,
                                  RestartService* restart_service) {
  // Each report collects afresh, so the report after a job's install lists
  // the new KBs.
  auto collect_and_keep = [&]() -> Result<CollectedInventory> {
    auto collected = collect(search_updates);
    if (!collected) return collected;
    auto kept = writeFileAtomically(state_directory / "inventory.json",
                                    inventory::toJsonText(collected->inventory));
    if (!kept) return tl::unexpected(kept.error());
    return collected;
  };
  auto collected = collect_and_keep();
  if (!collected) return tl::unexpected(collected.error());

  const auto config_path = state_directory / kConfigFile;
  auto config_text = readStateFile(config_path);
  if (!config_text) return tl::unexpected(config_text.error());
  if (!config_text->has_value()) {
    return fail(ErrorCode::kNotFound, "There is no " + toUtf8(config_path.wstring()) +
                                          ", so the inventory is kept only locally.");
  }
  auto config = parseWindowsAgentConfig(**config_text, toUtf8(config_path.wstring()));
  if (!config) return tl::unexpected(config.error());

  auto transport = WinHttpTransport::create(TransportOptions{
      .base_url = config->server_url,
      .server_pin = config->server_pin,
      .allow_plain_http = config->allow_plain_http,
  });
  if (!transport) return tl::unexpected(transport.error());
  SystemClock clock;
  // The first report reuses the inventory collected above.
  bool first_report = true;
  WindowsCheckin checkin(
      **transport, state_directory,
      [&]() -> Result<CollectedInventory> {
        if (std::exchange(first_report, false)) return *collected;
        return collect_and_keep();
      },
      randomEventId, clock);

  auto identity = checkin.identity();
  if (!identity) return tl::unexpected(identity.error());
  if (!identity->has_value()) {
    if (config->enrolment_secret_file.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "The agent is not enrolled and agent.json names no enrolment_secret_file.");
    }
    auto secret = readTrimmed(
        std::filesystem::path(toWide(config->enrolment_secret_file).value_or(std::wstring())));
    if (!secret) return tl::unexpected(secret.error());
    Win32Registry registry(HKEY_LOCAL_MACHINE, "");
    auto machine_id = registry.readString(kMachineGuidKey, "MachineGuid");
    if (!machine_id || machine_id->empty()) {
      return fail(ErrorCode::kNotFound,
                  "The registry value MachineGuid under HKLM\\SOFTWARE\\Microsoft\\Cryptography "
                  "is missing, so the host cannot identify itself to the server.");
    }
    auto enrolled = checkin.enrol(*secret, collected->inventory.hostname, *machine_id);
    if (!enrolled) return tl::unexpected(enrolled.error());
  }
  auto reported = checkin.report();
  if (!reported) return tl::unexpected(reported.error());
  const std::int64_t interval = std::int64_t{config->interval_minutes} * 60;
  const std::int64_t next = std::min(interval, reported->next_checkin_seconds);
  auto identity_now = checkin.identity();
  if (!identity_now || !identity_now->has_value()) return next;
  const FreshReport fresh_report = [&checkin]() -> Result<std::string> {
    auto fresh = checkin.report();
    if (!fresh) return tl::unexpected(fresh.error());
    return fresh->report_id;
  };
  // The restart part comes first, so that the jobs of a completed restart
  // are verified before new jobs install.
  if (restart_service != nullptr) {
    auto carried = carryRestart(*restart_service, **transport, **identity_now, clock, randomEventId,
                                fresh_report);
    if (!carried) return tl::unexpected(carried.error());
  }
  if (!search_updates) return next;

  auto session = createUpdateSession();
  if (!session) return tl::unexpected(session.error());
  AttachRestart attach_restart;
  if (restart_service != nullptr) {
    attach_restart = [restart_service](const protocol::JobOrder& order) {
      return restart_service->attach(
          order.job_id,
          restart::Policy{.deadline = std::chrono::seconds(order.restart.deadline_seconds),
                          .countdown = std::chrono::seconds(order.restart.countdown_seconds),
                          .reminder = std::chrono::seconds(order.restart.reminder_seconds)});
    };
  }
  JobOutbox outbox(state_directory / "job-outbox.json");
  auto jobs = runJobRound(**transport, **identity_now, clock, *session->get(),
                          windowsUpdateCollectionFactory(), randomEventId, fresh_report,
                          attach_restart, &outbox);
  if (!jobs) return tl::unexpected(jobs.error());
  if (!jobs->problems.empty()) {
    return fail(ErrorCode::kIoError, fmt::format("{}", fmt::join(jobs->problems, " ")));
  }
  return next;
}

int runCheckin(int argc, char** argv) {
  std::filesystem::path state_directory;
  bool search_updates = true;
  for (int i = 2; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument == "--state-dir" && i + 1 < argc) {
      state_directory = std::filesystem::path(toWide(argv[++i]).value_or(std::wstring()));
    } else if (argument == "--no-update-search") {
      search_updates = false;
    } else {
      return -1;
    }
  }
  if (state_directory.empty()) {
    auto folder = defaultStateDirectory();
    if (!folder) {
      std::fprintf(stderr, "patchkeeper-agent: %s\n", folder.error().message.c_str());
      return 1;
    }
    state_directory = *folder;
  }
  if (auto prepared = preparePrivateDirectory(state_directory); !prepared) {
    std::fprintf(stderr, "patchkeeper-agent: %s\n", prepared.error().message.c_str());
    return 1;
  }
  // The console round never restarts the host: jobs that need a restart
  // stay installed until the service runs them.
  auto next = checkinRound(state_directory, search_updates, nullptr);
  if (!next) {
    std::fprintf(stderr, "patchkeeper-agent: %s\n", next.error().message.c_str());
    return 1;
  }
  std::printf("checked in; next check-in in %lld s\n", static_cast<long long>(*next));
  return 0;
}

// One round of the service. The error of a failed round is kept in
// last-error.txt.
// NOTE: the service has no log yet, so a failure to write that file is
// lost.
std::chrono::milliseconds serviceRound(const std::filesystem::path& state_directory,
                                       RestartService& restart_service) {
  auto next = checkinRound(state_directory, true, &restart_service);
  if (!next) {
    writeFileAtomically(state_directory / "last-error.txt", next.error().message + "\n");
    return std::chrono::milliseconds(kRetryMilliseconds);
  }
  writeFileAtomically(state_directory / "last-error.txt", "");
  return std::chrono::seconds(std::max<std::int64_t>(*next, 60));
}

// Keeps the restart service's and the notices' last failures in
// restart-error.txt, rewritten only when they change.
void reportRestartProblems(const std::filesystem::path& state_directory,
                           const RestartService& restart_service,
                           const SessionNoticeChannel& channel) {
  static std::string written;
  std::string text = restart_service.lastProblem();
  for (const std::string& problem : channel.problems()) text += "\n" + problem;
  if (text == written) return;
  if (writeFileAtomically(state_directory / "restart-error.txt", text + "\n")) written = text;
}

// patchkeeper-countdown.exe beside this program.
std::wstring countdownProgram() {
  std::wstring path(MAX_PATH, L'\0');
  const DWORD length = GetModuleFileNameW(nullptr, path.data(), MAX_PATH);
  path.resize(length);
  return (std::filesystem::path(path).parent_path() / L"patchkeeper-countdown.exe").wstring();
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

  SystemClock clock;
  Win32Registry registry(HKEY_LOCAL_MACHINE, "");
  RegistryBootId boot_id(registry);
  Win32Sessions sessions;
  SessionNoticeChannel channel(sessions, countdownProgram(), formatHostLocalTime);
  Win32Restarter restarter;
  RestartService restart_service({.state_file = *state_directory / "restart.json",
                                  .clock = &clock,
                                  .boot_id = &boot_id,
                                  .channel = &channel,
                                  .restarter = &restarter,
                                  .new_series_id = randomEventId});
  if (auto loaded = restart_service.load(); !loaded) {
    writeFileAtomically(*state_directory / "last-error.txt", loaded.error().message + "\n");
  }
  // A state file set aside as invalid is recorded before the first step,
  // which clears the problem when nothing is pending.
  reportRestartProblems(*state_directory, restart_service, channel);
  reportStatus(SERVICE_RUNNING);

  // The restart service steps at least every 30 s, so that its countdown
  // and sleep detection work; check-ins come at their own interval.
  Elapsed next_round = clock.elapsed();
  while (true) {
    if (clock.elapsed() >= next_round) {
      next_round = clock.elapsed() + serviceRound(*state_directory, restart_service);
    }
    const auto restart_wait = restart_service.step();
    reportRestartProblems(*state_directory, restart_service, channel);
    const auto wait =
        std::clamp<Elapsed>(std::min<Elapsed>(restart_wait, next_round - clock.elapsed()),
                            std::chrono::seconds(1), kMaxRestartStep);
    const auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(wait);
    if (WaitForSingleObject(stop_event, static_cast<DWORD>(milliseconds.count())) != WAIT_TIMEOUT) {
      break;
    }
  }
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
      "       patchkeeper-agent checkin [--state-dir DIR] [--no-update-search]\n"
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
  if (command == "checkin") {
    CoInitializeEx(nullptr, COINIT_MULTITHREADED);
    const int status = runCheckin(argc, argv);
    CoUninitialize();
    if (status < 0) printUsage();
    return status < 0 ? 2 : status;
  }
  if (command == "fetch") {
    const int status = runFetch(argc, argv);
    if (status < 0) printUsage();
    return status < 0 ? 2 : status;
  }
  printUsage();
  return 2;
}
