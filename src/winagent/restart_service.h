#pragma once

// The Windows agent's endpoint restart service: the shared restart state
// machine (restart/manager.h) driven by the service's loop, with its state
// in %ProgramData%\patchkeeper\restart.json (written atomically after every
// change), notices through a NoticeChannel (session_notices.h) and the
// restart through a Restarter (shutdown.h).
//
// Clocks: the wall clock and GetTickCount64, which keeps counting while
// the machine sleeps or hibernates, as CLOCK_BOOTTIME does on Linux
// (SystemClock in common/clock.h). QueryUnbiasedInterruptTime would stop
// during sleep and stretch the countdown.
//
// Not thread-safe: the service calls it from its one loop thread.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "protocol/restart_report.h"
#include "restart/manager.h"
#include "restart/notice.h"
#include "winagent/registry.h"
#include "winagent/shutdown.h"
#include "winagent/update_job.h"

namespace pk::winagent {

// Tells boots apart.
class BootIdSource {
 public:
  virtual ~BootIdSource() = default;
  // An id that stays the same during one boot and changes at the next.
  virtual Result<std::string> bootId() = 0;
};

// The registry value that Windows increments at every boot: BootId under
// HKLM, in the key kBootIdKey names.
inline constexpr std::string_view kBootIdKey =
    "SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters";
inline constexpr std::string_view kBootIdValue = "BootId";

// The boot counter from the registry, as "boot-N". Unlike a boot instant
// computed as the wall clock minus GetTickCount64, it does not move when
// the clock is set.
// NOTE: Windows does not document this value, and no real Windows
// machine has been read here. Wine's registry lacks it, so under Wine
// bootId() fails with kNotFound and no restart can be attached.
class RegistryBootId final : public BootIdSource {
 public:
  explicit RegistryBootId(Registry& registry) : registry_(registry) {}
  Result<std::string> bootId() override;

 private:
  Registry& registry_;
};

// The maximum wait between two steps, short enough that a gap of
// restart::kSleepGap means the machine slept.
inline constexpr std::chrono::seconds kMaxRestartStep{30};

struct RestartServiceParts {
  std::filesystem::path state_file;  // restart.json in the agent's folder
  const Clock* clock = nullptr;
  BootIdSource* boot_id = nullptr;
  restart::NoticeChannel* channel = nullptr;
  Restarter* restarter = nullptr;
  EventIdSource new_series_id;  // 32 lower-case hex digits
};

class RestartService {
 public:
  // Every pointer in `parts` must be set and outlive the service.
  explicit RestartService(RestartServiceParts parts);

  // Loads the state file; a missing file means no pending restart. A file
  // that cannot be parsed is renamed to restart.json.corrupt and the
  // service starts with no pending restart. Fails with kIoError when the
  // file exists but cannot be read.
  Result<void> load();

  // Attaches an endpoint job whose install requires a restart (see
  // RestartManager::attach), saves the state and shows the notice that is
  // due. Fails with kNotFound when the boot id cannot be read and with
  // kIoError when the state cannot be saved.
  Result<void> attach(const std::string& job_id, const restart::Policy& policy);

  // Shows the notices that are due, keeps the current one shown in new
  // sessions (NoticeChannel::keepShown) and requests the restart at its
  // time. Returns the wait before the next step, at most kMaxRestartStep.
  std::chrono::seconds step();

  // The attached jobs and the earlier boot's jobs, once a boot happened
  // since the restart became pending; nullopt otherwise.
  std::optional<std::vector<std::string>> jobsToVerify();

  // The jobs of an earlier restart that a boot completed before the
  // pending one began (restart::State::earlier_boot_jobs), to verify.
  std::vector<std::string> earlierBootJobs() const;
  // Forgets them once verified, and saves the state.
  void forgetEarlierBootJobs();

  // Forgets the pending restart after its boot, removes every notice and
  // saves the state. Fails with kIoError when it cannot be saved.
  Result<void> clearAfterBoot();

  // The report for POST /api/v1/hosts/{id}/restart-state: the status and
  // the events not yet acknowledged. `restarted` marks the report after the
  // boot.
  protocol::RestartReport report(bool restarted) const;

  // Drops the events of `sent` once the server stored them.
  void acknowledge(const protocol::RestartReport& sent);

  const restart::State& state() const { return manager_.state(); }

  // The failure of the last save or restart request; empty after a success.
  const std::string& lastProblem() const { return last_problem_; }

 private:
  Result<restart::Reading> reading() const;
  bool save();
  void showNotices(const restart::StepResult& result, const restart::Reading& reading);

  RestartServiceParts parts_;
  restart::RestartManager manager_;
  std::string saved_;  // the state file's content as last written
  std::string last_problem_;
  // After load(), the current notice is shown again at the next step.
  bool show_current_again_ = false;
};

// Converts one event of the restart's log to the report's form, with its
// id "<series id>-<sequence>".
protocol::RestartEvent toRestartEvent(const restart::LogEvent& event, const std::string& series_id);

}  // namespace pk::winagent
