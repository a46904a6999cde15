#include "agent/job_runner.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/log.h"
#include "inventory/host_reader.h"

namespace pk::agent {
namespace {

// The start of a message, for log lines and the event's message field.
// The "code" of an error response body, or "" when the body has none.
std::string errorCodeOf(const std::string& body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("error") || !parsed["error"].is_object()) return "";
  const auto& code = parsed["error"]["code"];
  return code.is_string() ? code.get<std::string>() : "";
}

std::string firstLine(const std::string& text) {
  constexpr std::size_t kMaxLength = 500;
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > kMaxLength) line = line.substr(0, kMaxLength) + "...";
  return line;
}

// Keeps the end of `output`, where package managers print the failing step.
std::string limitOutput(std::string output) {
  if (output.size() <= kMaxEventOutputBytes) return output;
  const std::string_view marker = installer::kOutputCutMarker;
  return std::string(marker) + output.substr(output.size() - kMaxEventOutputBytes + marker.size());
}

std::string withoutZeroEpoch(std::string_view version) {
  if (version.starts_with("0:")) version.remove_prefix(2);
  return std::string(version);
}

std::string describeCommand(const std::vector<std::string>& argv) {
  std::string text = "$";
  for (const auto& word : argv) text += " " + word;
  return text;
}

// The captured output of an install, one section per command.
std::string installOutput(const installer::InstallReport& report) {
  std::string text;
  for (const auto& command : report.commands) {
    text += describeCommand(command.command.argv) + "\n" + command.result.output;
    if (!text.ends_with('\n')) text += '\n';
  }
  return text;
}

Result<inventory::HostInventory> readInventory(const std::filesystem::path& root) {
  auto host = inventory::readHostInventory(root);
  if (!host) {
    return fail(host.error().code,
                fmt::format("cannot read the installed packages: {}", host.error().message));
  }
  return host;
}

// The package manager's own recovery after an interrupted run. dpkg keeps a
// half-installed package until `dpkg --configure -a` finishes it; dnf and
// apk have no such step, and their install simply runs again.
std::optional<installer::SupervisedCommand> recoveryCommand(installer::Manager manager,
                                                            const std::filesystem::path& root) {
  if (manager != installer::Manager::kApt) return std::nullopt;
  installer::SupervisedCommand command{.argv = {"dpkg"},
                                       .environment = {"DEBIAN_FRONTEND=noninteractive"}};
  if (root != "/") {
    command.argv.push_back("--root=" + root.string());
    command.argv.push_back("--force-script-chrootless");
    command.argv.push_back("--log=" + (root / "var/log/dpkg.log").string());
  }
  command.argv.push_back("--configure");
  command.argv.push_back("-a");
  return command;
}

}  // namespace

std::map<std::string, std::string> installedVersions(const inventory::HostInventory& inventory) {
  std::map<std::string, std::string> versions;
  for (const auto& package : inventory.packages) {
    if (!inventory::isInstalledState(package.state)) continue;
    // Packages of several architectures share a name; the list shows each
    // name once, with the version of its first entry.
    versions.emplace(package.name, package.version);
  }
  return versions;
}

std::vector<protocol::PackageChange> diffVersions(const std::map<std::string, std::string>& before,
                                                  const std::map<std::string, std::string>& after) {
  std::vector<protocol::PackageChange> changes;
  for (const auto& [name, version] : after) {
    auto old = before.find(name);
    if (old == before.end()) {
      changes.push_back({.name = name, .from = "", .to = version});
    } else if (old->second != version) {
      changes.push_back({.name = name, .from = old->second, .to = version});
    }
  }
  for (const auto& [name, version] : before) {
    if (!after.contains(name)) changes.push_back({.name = name, .from = version, .to = ""});
  }
  std::sort(changes.begin(), changes.end(),
            [](const protocol::PackageChange& a, const protocol::PackageChange& b) {
              return a.name < b.name;
            });
  return changes;
}

bool targetsInstalled(const inventory::HostInventory& inventory,
                      const std::vector<installer::PackageTarget>& targets) {
  for (const auto& target : targets) {
    const bool found =
        std::any_of(inventory.packages.begin(), inventory.packages.end(), [&](const auto& package) {
          return package.name == target.name &&
                 withoutZeroEpoch(package.version) == withoutZeroEpoch(target.version) &&
                 (package.state.empty() || package.state == "installed");
        });
    if (!found) return false;
  }
  return true;
}

JobRunner::JobRunner(JobRunnerOptions options, JobJournal& journal, protocol::ApiClient& client,
                     ReportSender send_report, const Clock& clock, RandomSource& random,
                     installer::Waiter wait)
    : options_(std::move(options)),
      journal_(journal),
      client_(client),
      send_report_(std::move(send_report)),
      clock_(clock),
      random_(random),
      wait_(std::move(wait)) {}

std::string JobRunner::jobLabel(const JobEntry& entry) const {
  return fmt::format("host={} job={} deployment={}", host_id_, entry.job_id, entry.deployment_id);
}

bool JobRunner::underway(const std::string& job_id) {
  auto entry = journal_.find(job_id);
  return entry && *entry && (*entry)->phase != JobPhase::kWaiting;
}

void JobRunner::refreshRestartWindows(const std::string& job_id,
                                      const std::vector<deploy::TimeSpan>& windows) {
  auto entry = journal_.find(job_id);
  if (!entry || !*entry || !(*entry)->restart_in_window || windows.empty()) return;
  (*entry)->restart_windows = windows;
  if (auto saved = journal_.save(**entry); !saved) {
    logger().warn("{}: cannot save the new window occurrences: {}", jobLabel(**entry),
                  saved.error().message);
  }
}

bool JobRunner::record(JobEntry& entry, JobPhase phase) {
  entry.phase = phase;
  if (auto saved = journal_.save(entry); !saved) {
    // Without the journal a crash could install twice, so the job stops.
    logger().error("{}: cannot write the job journal, stopping the job: {}", jobLabel(entry),
                   saved.error().message);
    return false;
  }
  return true;
}

bool JobRunner::queue(JobEntry& entry, JobPhase phase, protocol::JobEvent update) {
  update.event_id = newReportId(random_);
  update.at = clock_.now();
  update.output = limitOutput(std::move(update.output));
  entry.unsent.push_back({.event_id = update.event_id,
                          .state = std::string(deploy::jobStateName(update.state)),
                          .body = protocol::toJson(update).dump()});
  if (!record(entry, phase)) return false;
  return sendEvents(entry);
}

bool JobRunner::sendEvents(JobEntry& entry) {
  while (!entry.unsent.empty()) {
    const PendingEvent& event = entry.unsent.front();
    auto response = client_.postJobEvent(host_id_, entry.job_id, event.body);
    if (!response) {
      logger().warn("{}: cannot send event {} ({}), it stays queued: {}", jobLabel(entry),
                    event.event_id, event.state, response.error().message);
      return true;
    }
    const int status = response->status;
    bool cancelled = false;
    if (status == 409) {
      const std::string code = errorCodeOf(response->body);
      if (code == "report_not_received") {
        // The server lost or never accepted the report, so the next cycle
        // reports a fresh inventory and verifies again.
        logger().warn("{}: the server has no record of the report of event {}; reporting again",
                      jobLabel(entry), event.event_id);
        entry.unsent.erase(entry.unsent.begin());
        entry.phase = JobPhase::kInstalled;
        if (auto saved = journal_.save(entry); !saved) {
          logger().warn("{}: cannot record the report to send again: {}", jobLabel(entry),
                        saved.error().message);
        }
        return false;
      }
      if (code == "job_state_conflict") {
        logger().error("{}: the server's job state is past event {} ({}); dropping the event: {}",
                       jobLabel(entry), event.event_id, event.state, response->body);
      } else {
        cancelled = true;
      }
    } else if (status == 200) {
      // An unreadable body still acknowledges the event.
      auto answer = protocol::parseJobEventResponse(response->body);
      cancelled = answer && answer->cancelled;
    } else if (status == 404) {
      logger().error("{}: the server does not know this job (HTTP 404); dropping it",
                     jobLabel(entry));
      cancelled = true;
    } else if (status == 400) {
      logger().error("{}: the server rejected event {} ({}) as malformed; dropping the event: {}",
                     jobLabel(entry), event.event_id, event.state, response->body);
    } else {
      logger().warn("{}: the server answered HTTP {} to event {} ({}); it stays queued",
                    jobLabel(entry), status, event.event_id, event.state);
      return true;
    }

    if (cancelled) {
      logger().info("{}: the job was cancelled or has finished on the server; stopping it",
                    jobLabel(entry));
      if (auto removed = journal_.remove(entry.job_id); !removed) {
        logger().error("{}: {}", jobLabel(entry), removed.error().message);
      }
      return false;
    }
    logger().info("{}: sent event {} ({})", jobLabel(entry), event.event_id, event.state);
    entry.unsent.erase(entry.unsent.begin());
    if (auto saved = journal_.save(entry); !saved) {
      logger().warn("{}: cannot record the acknowledged event: {}", jobLabel(entry),
                    saved.error().message);
    }
  }
  return true;
}

void JobRunner::failJob(JobEntry& entry, const std::string& message, const std::string& output) {
  logger().error("{}: the job failed: {}", jobLabel(entry), firstLine(message));
  protocol::JobEvent update{
      .state = deploy::JobState::kFailed, .message = firstLine(message), .output = output};
  if (queue(entry, JobPhase::kFailed, update) && entry.unsent.empty()) {
    (void)journal_.remove(entry.job_id);
  }
}

void JobRunner::failBeforeStart(JobEntry entry, const std::string& message) {
  if (underway(entry.job_id)) return;
  if (auto existing = journal_.find(entry.job_id); existing && *existing) {
    entry.unsent = (*existing)->unsent;
  }
  failJob(entry, message, "");
}

void JobRunner::noteWaiting(JobEntry entry, SystemTime next_window_start) {
  auto existing = journal_.find(entry.job_id);
  if (existing && *existing) {
    if ((*existing)->phase != JobPhase::kWaiting) return;
    if ((*existing)->waiting_for == next_window_start) {
      sendEvents(**existing);
      return;
    }
    entry.unsent = (*existing)->unsent;
  }
  entry.waiting_for = next_window_start;
  logger().info("{}: waiting for the window at {}", jobLabel(entry),
                formatRfc3339(next_window_start));
  queue(entry, JobPhase::kWaiting,
        {.state = deploy::JobState::kWaitingForWindow,
         .message = "waiting for the maintenance window",
         .next_window_start = next_window_start});
}

void JobRunner::start(JobEntry entry) {
  if (underway(entry.job_id)) return;
  if (auto existing = journal_.find(entry.job_id); existing && *existing) {
    entry.unsent = (*existing)->unsent;  // a waiting_for_window not yet acknowledged
  }
  logger().info("{}: starting the install of {} package(s) with {}", jobLabel(entry),
                entry.targets.size(), installer::managerName(entry.manager));

  entry.started_at = clock_.now();
  auto before = readInventory(options_.root);
  if (!before) {
    if (record(entry, JobPhase::kStarting)) failJob(entry, before.error().message, "");
    return;
  }
  entry.versions_before = installedVersions(*before);
  if (!queue(entry, JobPhase::kStarting,
             {.state = deploy::JobState::kInstalling, .message = "the install is starting"})) {
    return;
  }
  runFromStart(entry);
}

bool JobRunner::runFromStart(JobEntry& entry) {
  std::string output;
  if (!entry.pre_hook.empty()) {
    auto hook = runHook(options_.hooks, entry.pre_hook,
                        {entry.job_id, entry.deployment_id, HookPhase::kPre}, clock_);
    if (!hook) {
      failJob(entry, hook.error().message, hook.error().message);
      return false;
    }
    output += fmt::format("[pre hook {}]\n{}", entry.pre_hook, hook->output);
  }
  if (!record(entry, JobPhase::kInstalling)) return false;
  if (!runInstall(entry, output)) return false;
  return finishInstall(entry, std::move(output));
}

bool JobRunner::runInstall(JobEntry& entry, std::string& output) {
  const installer::InstallRequest request{
      .manager = entry.manager, .root = options_.root, .packages = entry.targets};
  auto report = installer::installPackages(request, options_.installer, clock_, wait_);
  if (!report) {
    failJob(entry, report.error().message, output + report.error().message);
    return false;
  }
  output += installOutput(*report);
  return true;
}

bool JobRunner::finishInstall(JobEntry& entry, std::string output) {
  if (!entry.post_hook.empty()) {
    auto hook = runHook(options_.hooks, entry.post_hook,
                        {entry.job_id, entry.deployment_id, HookPhase::kPost}, clock_);
    if (!hook) {
      failJob(entry, hook.error().message, output + hook.error().message);
      return false;
    }
    output += fmt::format("[post hook {}]\n{}", entry.post_hook, hook->output);
  }

  auto after = readInventory(options_.root);
  if (!after) {
    failJob(entry, after.error().message, output);
    return false;
  }
  protocol::JobEvent update{
      .state = deploy::JobState::kInstalled,
      .message = "the packages were installed",
      .output = std::move(output),
      .packages = diffVersions(entry.versions_before, installedVersions(*after))};
  logger().info("{}: installed; {} package(s) changed", jobLabel(entry), update.packages.size());
  if (!queue(entry, JobPhase::kInstalled, update)) return false;
  return reportAndVerify(entry);
}

bool JobRunner::reportAndVerify(JobEntry& entry) {
  auto fresh = readInventory(options_.root);
  if (!fresh) {
    failJob(entry, fresh.error().message, "");
    return false;
  }

  // A server restarts once per job. A requirement that the restart did not
  // clear goes to the server with the report, which keeps the job waiting.
  const bool restarted = !entry.boot_id_before_restart.empty();
  if (fresh->restart.required && !entry.endpoint && !restarted) {
    auto boot_id = readBootId(options_.restart.boot_id_path);
    if (!boot_id) {
      failJob(entry, "cannot restart: " + boot_id.error().message, "");
      return false;
    }
    entry.boot_id_before_restart = *boot_id;
    entry.restart_reason = fresh->restart.reason.empty()
                               ? "the installed packages require a restart"
                               : fresh->restart.reason;
    entry.restart_requested = false;
    if (!queue(entry, JobPhase::kRestarting,
               {.state = deploy::JobState::kRestarting, .message = entry.restart_reason})) {
      return false;
    }
    return resumeRestarting(entry);
  }

  auto report_id = send_report_();
  if (!report_id) {
    // The entry stays "installed"; the next cycle tries the report again.
    logger().warn("{}: cannot deliver the fresh inventory yet: {}", jobLabel(entry),
                  report_id.error().message);
    return false;
  }

  protocol::JobEvent update;
  if (fresh->restart.required && !restarted) {
    if (restart_ != nullptr) {
      const restart::Policy policy{
          .deadline = std::chrono::seconds(entry.restart_deadline_seconds),
          .countdown = std::chrono::seconds(entry.restart_countdown_seconds),
          .reminder = std::chrono::seconds(entry.restart_reminder_seconds)};
      if (auto attached = restart_->attach(entry.job_id, policy); !attached) {
        logger().error("{}: cannot hand the restart to the restart service: {}", jobLabel(entry),
                       attached.error().message);
      }
    }
    update.state = deploy::JobState::kRestartPending;
    update.message = fresh->restart.reason.empty() ? "the installed packages require a restart"
                                                   : fresh->restart.reason;
  } else {
    update.state = deploy::JobState::kVerifying;
    update.message = fresh->restart.required
                         ? "the host restarted but still requires a restart: " +
                               (fresh->restart.reason.empty() ? std::string("no reason given")
                                                              : fresh->restart.reason)
                         : "the fresh inventory was reported";
    update.report_id = *report_id;
    if (entry.started_at) {
      update.duration_seconds =
          std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - *entry.started_at)
              .count();
    }
  }
  if (!queue(entry, JobPhase::kFinished, update)) return false;
  if (entry.unsent.empty()) (void)journal_.remove(entry.job_id);
  return true;
}

bool JobRunner::resumeRestarting(JobEntry& entry) {
  auto boot_id = readBootId(options_.restart.boot_id_path);
  if (!boot_id) {
    logger().warn("{}: cannot read the boot id: {}", jobLabel(entry), boot_id.error().message);
    return false;
  }
  if (*boot_id != entry.boot_id_before_restart) {
    logger().info("{}: the host restarted; reporting the fresh inventory", jobLabel(entry));
    // After the restart no restart is required any more, so this reports
    // and sends "verifying".
    entry.restart_reason.clear();
    if (!record(entry, JobPhase::kInstalled)) return false;
    return reportAndVerify(entry);
  }
  if (entry.restart_requested) {
    // NOTE: a restart that was accepted but never happens leaves the job
    // here; the server's deadline fails it.
    return true;
  }

  // A server restarts only inside its window. An install that ran past the
  // end of its occurrence leaves the restart to the next one.
  if (entry.restart_in_window) {
    const SystemTime now = clock_.now();
    const bool inside = std::any_of(
        entry.restart_windows.begin(), entry.restart_windows.end(),
        [now](const deploy::TimeSpan& window) { return window.start <= now && now < window.end; });
    if (!inside) {
      logger().info("{}: the restart waits for the next occurrence of the host's window",
                    jobLabel(entry));
      return true;
    }
  }
  logger().info("{}: restarting the host: {}", jobLabel(entry), entry.restart_reason);
  if (auto requested = requestRestart(options_.restart, clock_); !requested) {
    failJob(entry, "the restart failed: " + requested.error().message, requested.error().message);
    return false;
  }
  entry.restart_requested = true;
  return record(entry, JobPhase::kRestarting);
}

bool JobRunner::resumeInstalling(JobEntry& entry) {
  auto host = readInventory(options_.root);
  if (!host) {
    failJob(entry, host.error().message, "");
    return false;
  }
  if (targetsInstalled(*host, entry.targets)) {
    logger().info("{}: the interrupted install had completed; not installing again",
                  jobLabel(entry));
    return finishInstall(entry, "[the agent was restarted after the install completed]\n");
  }

  std::string output;
  if (auto command = recoveryCommand(entry.manager, options_.root)) {
    logger().warn("{}: the install was interrupted; running {}", jobLabel(entry),
                  describeCommand(command->argv));
    command->timeout = options_.installer.timeout;
    auto recovered = installer::runSupervised(*command, clock_);
    if (!recovered) {
      failJob(entry, recovered.error().message, "");
      return false;
    }
    output += describeCommand(command->argv) + "\n" + recovered->output;
    host = readInventory(options_.root);
    if (host && targetsInstalled(*host, entry.targets)) {
      logger().info("{}: recovery finished the interrupted install", jobLabel(entry));
      return finishInstall(entry, std::move(output));
    }
  }
  logger().warn("{}: the interrupted install did not complete; installing again", jobLabel(entry));
  if (!runInstall(entry, output)) return false;
  return finishInstall(entry, std::move(output));
}

void JobRunner::advance(JobEntry& entry) {
  if (!sendEvents(entry)) return;
  switch (entry.phase) {
    case JobPhase::kWaiting:
      return;
    case JobPhase::kStarting:
      logger().warn("{}: the agent stopped before the install began; starting again",
                    jobLabel(entry));
      runFromStart(entry);
      return;
    case JobPhase::kInstalling:
      resumeInstalling(entry);
      return;
    case JobPhase::kInstalled:
      reportAndVerify(entry);
      return;
    case JobPhase::kRestarting:
      resumeRestarting(entry);
      return;
    case JobPhase::kFinished:
    case JobPhase::kFailed:
      if (entry.unsent.empty()) (void)journal_.remove(entry.job_id);
      return;
  }
}

bool JobRunner::sendRestartReport(const protocol::RestartReport& report) {
  const std::string path = fmt::format("/api/v1/hosts/{}/restart-state", host_id_);
  auto response = client_.post(path, protocol::toJson(report).dump());
  if (!response) {
    logger().warn("host={}: cannot send the restart report: {}", host_id_,
                  response.error().message);
    return false;
  }
  if (response->status == 200) {
    restart_report_backoff_ = Elapsed(0);
    restart_report_retry_at_.reset();
    return true;
  }
  if (response->status == 400) {
    // The events are what the security team must see, so they are never
    // dropped: they stay queued, a copy of the report goes aside for the
    // administrator, and the report is sent again after a growing pause
    // (a server upgrade may accept it).
    restart_report_backoff_ = restart_report_backoff_ == Elapsed(0)
                                  ? kFirstRestartReportBackoff
                                  : std::min(restart_report_backoff_ * 2, kMaxRestartReportBackoff);
    restart_report_retry_at_ = clock_.elapsed() + restart_report_backoff_;
    const auto kept = restart_->keepRejectedReport(report, response->body);
    logger().error(
        "host={}: the server rejected the restart report as malformed: {}; its {} events stay "
        "queued and go again in {} min{}",
        host_id_, response->body, report.events.size(),
        std::chrono::duration_cast<std::chrono::minutes>(restart_report_backoff_).count(),
        kept ? "; a copy is in " + kept->string() : "");
    return false;
  }
  logger().warn(
      "host={}: the server answered HTTP {} to the restart report; sending it again later",
      host_id_, response->status);
  return false;
}

bool JobRunner::verifyAfterRestart(const std::vector<std::string>& job_ids) {
  auto report_id = send_report_();
  if (!report_id) {
    logger().warn("host={}: cannot deliver the inventory after the restart yet: {}", host_id_,
                  report_id.error().message);
    return false;
  }
  for (const auto& job_id : job_ids) {
    JobEntry entry{.job_id = job_id, .endpoint = true};
    protocol::JobEvent update{.state = deploy::JobState::kVerifying,
                              .message = "the host restarted; the fresh inventory was reported",
                              .report_id = *report_id};
    logger().info("{}: the host restarted; verifying", jobLabel(entry));
    if (queue(entry, JobPhase::kFinished, update) && entry.unsent.empty()) {
      (void)journal_.remove(entry.job_id);
    }
  }
  return true;
}

void JobRunner::carryRestart() {
  if (restart_ == nullptr) return;
  if (restart_report_retry_at_ && clock_.elapsed() < *restart_report_retry_at_) return;

  if (auto jobs = restart_->jobsToVerify()) {
    // The final report goes first: it is idempotent, and once it is stored
    // the jobs are verified and the restart is forgotten.
    const protocol::RestartReport final_report = restart_->report(/*restarted=*/true);
    if (!sendRestartReport(final_report)) return;
    if (!verifyAfterRestart(*jobs)) return;
    if (auto cleared = restart_->clearAfterBoot(); !cleared) {
      logger().error("host={}: {}", host_id_, cleared.error().message);
    }
    return;
  }

  if (const auto earlier = restart_->earlierBootJobs(); !earlier.empty()) {
    if (verifyAfterRestart(earlier)) restart_->forgetEarlierBootJobs();
  }

  const protocol::RestartReport report = restart_->report(/*restarted=*/false);
  if (!report.pending && report.events.empty()) return;
  if (sendRestartReport(report)) restart_->acknowledge(report);
}

void JobRunner::resumeAll() {
  auto entries = journal_.entries();
  if (!entries) {
    logger().error("cannot read the job journal: {}", entries.error().message);
    return;
  }
  for (JobEntry& entry : *entries) advance(entry);
}

}  // namespace pk::agent
