#pragma once

// The job journal: one file per job the agent works on, in STATE/jobs/,
// written atomically (writeFileAtomically) before every step of the job, so
// an agent killed at any point finds on start which step was under way.
// Each entry also contains the job events that the server has not yet
// acknowledged, with their event ids, so they are sent again unchanged
// and the server applies each of them once.
//
//   STATE/jobs/j-0123456789abcdef.json
//
// Not thread-safe: one agent process owns the folder.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "deploy/window_fit.h"
#include "installer/installer.h"

namespace pk::agent {

// The step a job was at when its entry was written. The order is the order
// of a job's steps.
enum class JobPhase {
  kWaiting,     // waiting for a window; waiting_for_window was sent for one occurrence
  kStarting,    // inventory read, pre hook about to run
  kInstalling,  // the package manager about to run or running
  kInstalled,   // install and post hook done, "installed" queued; report next
  kRestarting,  // boot id recorded, restart about to be requested or requested
  kFinished,    // the last event queued ("verifying" or "restart_pending")
  kFailed,      // "failed" queued
};

// Returns the phase's name in the journal file ("waiting", "starting", ...).
std::string_view jobPhaseName(JobPhase phase);

// Parses a name that jobPhaseName returns.
std::optional<JobPhase> parseJobPhase(std::string_view name);

// A job event kept until the server acknowledges it. `body` is the JSON
// text posted to the job's events route.
struct PendingEvent {
  std::string event_id{};  // 32 lower-case hex digits
  std::string state{};     // the job state that the event reports
  std::string body{};
};

// The state of one job that the agent runs, resumes or finishes.
struct JobEntry {
  std::string job_id{};
  std::string deployment_id{};
  bool endpoint = false;  // an endpoint job, which never restarts the host itself
  installer::Manager manager = installer::Manager::kApt;
  std::vector<installer::PackageTarget> targets{};
  std::string pre_hook{};   // empty: none
  std::string post_hook{};  // empty: none
  JobPhase phase = JobPhase::kWaiting;
  // Start of the window occurrence for which waiting_for_window was sent.
  std::optional<SystemTime> waiting_for{};
  std::optional<SystemTime> started_at{};
  // Installed packages before the install: name to version.
  std::map<std::string, std::string> versions_before{};
  std::string boot_id_before_restart{};
  std::string restart_reason{};
  bool restart_requested = false;
  // A server job outside an emergency restarts the host only inside one of
  // these occurrences of its window; they are refreshed from each job list.
  bool restart_in_window = false;
  std::vector<deploy::TimeSpan> restart_windows{};
  // An endpoint job's restart policy, in seconds, which the restart
  // service applies when the install requires a restart.
  std::int64_t restart_deadline_seconds = 24 * 3600;
  std::int64_t restart_countdown_seconds = 90 * 60;
  std::int64_t restart_reminder_seconds = 4 * 3600;
  std::vector<PendingEvent> unsent{};
};

// Encodes `entry` as the JSON text of its journal file.
std::string encodeJobEntry(const JobEntry& entry);

// Parses a journal file's text. Fails with kMalformedInput naming the
// problem when the text is not a valid entry.
Result<JobEntry> decodeJobEntry(std::string_view text);

class JobJournal {
 public:
  // Opens STATE_FOLDER/jobs, creating it with mode 0700 when missing.
  // Fails with kIoError when it cannot be created.
  static Result<JobJournal> open(const std::filesystem::path& state_folder);

  // Returns every readable entry, ordered by job id. A file that cannot be
  // parsed is moved to STATE/corrupt/ with a log line and left out.
  Result<std::vector<JobEntry>> entries();

  // Returns the entry of `job_id`, or nullopt when there is none.
  Result<std::optional<JobEntry>> find(std::string_view job_id);

  // Writes the entry atomically. Fails with kInvalidArgument when the job
  // id is invalid, kIoError when the file cannot be written.
  Result<void> save(const JobEntry& entry);

  // Removes the entry; removing a missing one succeeds.
  Result<void> remove(std::string_view job_id);

 private:
  JobJournal(std::filesystem::path folder, std::filesystem::path corrupt_folder)
      : folder_(std::move(folder)), corrupt_folder_(std::move(corrupt_folder)) {}
  std::filesystem::path pathOf(std::string_view job_id) const;

  std::filesystem::path folder_;
  std::filesystem::path corrupt_folder_;
};

}  // namespace pk::agent
