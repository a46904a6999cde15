#pragma once

// Runs one host's deployment jobs, step by step, with a journal entry
// written before each step (job_journal.h):
//
//   starting    read the inventory, run the pre hook
//   installing  installer::installPackages on the configured root
//   installed   post hook done; "installed" sent with the changed packages
//               and the captured output
//   then        a fresh inventory goes to the server as a report, and
//     - no restart required: "verifying" with its report id;
//     - an endpoint that requires a restart: "restart_pending", and the job
//       is attached to the restart service (restart_service.h). After the
//       boot, carryRestart() reports and sends "verifying" for it;
//     - a server that requires a restart: "restarting", with the boot id
//       and reason journaled, then the restart request. Once the boot id
//       changed, a new report and "verifying" follow.
//   Any failure sends "failed" with the message and the captured output.
//
// Every event is journaled with its event id before it is posted and
// removed once the server acknowledged it, so after a crash the agent
// sends it again unchanged. The server responds 409 (or "cancelled") when
// the job was cancelled or finished: the agent drops the job then.
//
// Recovery of an entry found in "installing" (the agent was killed during
// the install): when every target is installed and configured at its
// version, the install completed and is not run again. Otherwise the
// package manager's own recovery runs first (dpkg --configure -a for apt),
// then, unless that finished the install, the install runs again.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/hooks.h"
#include "agent/job_journal.h"
#include "agent/random.h"
#include "agent/restart_service.h"
#include "agent/restarter.h"
#include "common/clock.h"
#include "common/error.h"
#include "installer/installer.h"
#include "inventory/inventory.h"
#include "protocol/api_client.h"
#include "protocol/jobs.h"

namespace pk::agent {

struct JobRunnerOptions {
  // The host's root; tests use a sandbox.
  std::filesystem::path root = "/";
  installer::InstallerOptions installer{};
  HookOptions hooks{};
  RestartOptions restart{};
};

// The maximum captured output in one event, in bytes; the server accepts
// at most this much. Longer output keeps its end.
inline constexpr std::size_t kMaxEventOutputBytes = 256 * 1024;

// Returns name to version for every installed package of `inventory`.
std::map<std::string, std::string> installedVersions(const inventory::HostInventory& inventory);

// Returns the changes from `before` to `after`, ordered by name: an empty
// `from` means newly installed, an empty `to` removed.
std::vector<protocol::PackageChange> diffVersions(const std::map<std::string, std::string>& before,
                                                  const std::map<std::string, std::string>& after);

// Returns whether every target is installed at its version in `inventory`
// and, on dpkg hosts, fully configured (status "installed"). A leading
// "0:" epoch is ignored on both sides.
bool targetsInstalled(const inventory::HostInventory& inventory,
                      const std::vector<installer::PackageTarget>& targets);

// Collects a fresh inventory and delivers it to the server as a report.
// Returns the report id once the server accepted it.
using ReportSender = std::function<Result<std::string>()>;

class JobRunner {
 public:
  // Every reference must outlive the runner. `client` carries the host
  // token already.
  JobRunner(JobRunnerOptions options, JobJournal& journal, protocol::ApiClient& client,
            ReportSender send_report, const Clock& clock, RandomSource& random,
            installer::Waiter wait);

  // Sets the host whose jobs routes are used; call before anything else.
  void setHostId(std::string host_id) { host_id_ = std::move(host_id); }

  // Lets endpoint jobs that require a restart attach to `service`, which
  // must outlive the runner. Without it they only post restart_pending.
  void setRestartService(RestartService* service) { restart_ = service; }

  // Carries the endpoint restart forward, once per check-in: after the boot
  // that completed it, sends the final restart report, verifies the
  // attached jobs and clears the restart; before it, sends the restart
  // report when it has news. Does nothing without a restart service.
  void carryRestart();

  // Delivers a fresh inventory and sends "verifying" with its report id
  // for each of `job_ids`. Returns false, with nothing sent, when the
  // report cannot be delivered yet.
  bool verifyAfterRestart(const std::vector<std::string>& job_ids);

  // Starts the job of `entry` (its ids, manager, targets and hooks set) and
  // carries it as far as it goes now: usually to "verifying", or to the
  // requested restart.
  void start(JobEntry entry);

  // Sends "failed" with `message` for a job that cannot start at all, for
  // example one for a package manager this agent lacks.
  void failBeforeStart(JobEntry entry, const std::string& message);

  // Sends waiting_for_window for `next_window_start`, once per occurrence:
  // nothing happens when the journal shows it was sent for that start.
  void noteWaiting(JobEntry entry, SystemTime next_window_start);

  // Carries every journal entry forward: resends unacknowledged events,
  // resolves an interrupted step (see the file comment), checks whether a
  // requested restart happened, and removes entries that are done.
  void resumeAll();

  // Returns whether the journal has an entry for `job_id` that is past
  // waiting, so the job must not be started again.
  bool underway(const std::string& job_id);

  // Replaces the window occurrences in which job `job_id` may restart the
  // host with `windows`, the server's latest. Does nothing for a job that
  // restarts at any time or has no journal entry, or when `windows` is
  // empty.
  void refreshRestartWindows(const std::string& job_id,
                             const std::vector<deploy::TimeSpan>& windows);

 private:
  void advance(JobEntry& entry);
  bool runFromStart(JobEntry& entry);
  bool runInstall(JobEntry& entry, std::string& output);
  bool finishInstall(JobEntry& entry, std::string output);
  bool reportAndVerify(JobEntry& entry);
  bool resumeInstalling(JobEntry& entry);
  bool resumeRestarting(JobEntry& entry);
  void failJob(JobEntry& entry, const std::string& message, const std::string& output);

  // Queues `update` as a new event in the entry (its event_id and time set
  // here), journals it, and sends the unsent events. Returns false when the job must stop
  // (cancelled, finished, unknown, or the journal cannot be written).
  bool queue(JobEntry& entry, JobPhase phase, protocol::JobEvent update);
  // Journals the entry with `phase`. Returns false (logged) on failure.
  bool record(JobEntry& entry, JobPhase phase);
  // Sends the entry's unsent events in order. Returns false when the job
  // stops for this cycle. Either the server ended it and the entry is
  // removed, or the server lost its report and the entry reports again.
  bool sendEvents(JobEntry& entry);

  std::string jobLabel(const JobEntry& entry) const;
  // Posts `report` to the restart-state route. Returns true once the
  // server stored it. A report rejected as malformed (400) keeps its
  // events queued: it is logged, copied aside by the restart service, and
  // sent again after kFirstRestartReportBackoff, doubling up to
  // kMaxRestartReportBackoff while the server keeps rejecting it.
  bool sendRestartReport(const protocol::RestartReport& report);

  JobRunnerOptions options_;
  JobJournal& journal_;
  protocol::ApiClient& client_;
  ReportSender send_report_;
  const Clock& clock_;
  RandomSource& random_;
  installer::Waiter wait_;
  std::string host_id_;
  RestartService* restart_ = nullptr;
  // The pause after a rejected restart report, and when the next try is
  // due on the clock's elapsed time.
  Elapsed restart_report_backoff_{0};
  std::optional<Elapsed> restart_report_retry_at_;
};

inline constexpr Elapsed kFirstRestartReportBackoff = std::chrono::minutes(15);
inline constexpr Elapsed kMaxRestartReportBackoff = std::chrono::hours(24);

}  // namespace pk::agent
