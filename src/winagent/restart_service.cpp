#include "winagent/restart_service.h"

#include <algorithm>

#include <fmt/format.h>

#include "restart/state_codec.h"
#include "winagent/state_file.h"
#include "winagent/transport.h"

namespace pk::winagent {
namespace {

SystemTime toSystemTime(restart::Instant at) {
  return SystemTime(at.time_since_epoch());
}

}  // namespace

Result<std::string> RegistryBootId::bootId() {
  const auto counter = registry_.readDword(kBootIdKey, kBootIdValue);
  if (!counter) {
    return fail(ErrorCode::kNotFound,
                fmt::format("The registry value {} under HKLM\\{} is missing, so the agent cannot "
                            "tell whether the host restarted.",
                            kBootIdValue, kBootIdKey));
  }
  return fmt::format("boot-{}", *counter);
}

protocol::RestartEvent toRestartEvent(const restart::LogEvent& event,
                                      const std::string& series_id) {
  protocol::RestartEvent converted;
  converted.event_id = fmt::format("{}-{}", series_id, event.sequence);
  converted.at = toSystemTime(event.at);
  if (event.type == restart::LogEvent::Type::kRestartRequested) {
    converted.type = protocol::RestartEventType::kRestartRequested;
    return converted;
  }
  if (event.type == restart::LogEvent::Type::kNotice) {
    converted.type = protocol::RestartEventType::kNotice;
    converted.notice = restart::noticeKindName(event.notice.kind);
    for (const restart::Offer offer : event.notice.offered) {
      converted.offered.emplace_back(restart::offerName(offer));
    }
    converted.restart_at = toSystemTime(event.notice.restart_at);
    return converted;
  }
  // Windows users cannot choose yet, but a state file may carry choices.
  converted.type = protocol::RestartEventType::kChoice;
  converted.choice = restart::choiceKindName(event.choice.kind);
  converted.user = event.choice.user.empty() ? "unknown" : event.choice.user;
  if (event.choice.kind == restart::ChoiceKind::kSnooze) {
    converted.snooze_seconds = event.choice.snooze.count();
  } else if (event.choice.kind == restart::ChoiceKind::kRestartAt) {
    converted.restart_at = toSystemTime(event.choice.restart_at);
  }
  return converted;
}

RestartService::RestartService(RestartServiceParts parts) : parts_(std::move(parts)) {}

Result<restart::Reading> RestartService::reading() const {
  auto boot_id = parts_.boot_id->bootId();
  if (!boot_id) return tl::unexpected(boot_id.error());
  return restart::Reading{
      .wall = std::chrono::floor<std::chrono::seconds>(parts_.clock->now()),
      .boottime = std::chrono::floor<std::chrono::seconds>(parts_.clock->elapsed()),
      .boot_id = *boot_id,
  };
}

Result<void> RestartService::load() {
  auto text = readStateFile(parts_.state_file);
  if (!text) return tl::unexpected(text.error());
  if (!text->has_value()) return {};

  restart::State state;
  std::string error;
  if (!restart::decodeState(**text, state, error)) {
    // The inventory still lists the pending restart, so the server keeps
    // the host non-compliant until it restarts.
    auto corrupt = parts_.state_file;
    corrupt += ".corrupt";
    MoveFileExW(parts_.state_file.c_str(), corrupt.c_str(), MOVEFILE_REPLACE_EXISTING);
    last_problem_ =
        fmt::format("The restart state {} is invalid and was renamed to {}: {}",
                    toUtf8(parts_.state_file.wstring()), toUtf8(corrupt.wstring()), error);
    return {};
  }
  manager_ = restart::RestartManager(std::move(state));
  saved_ = **text;
  show_current_again_ = manager_.state().pending;
  return {};
}

bool RestartService::save() {
  std::string text = restart::encodeState(manager_.state());
  if (text == saved_) return true;
  if (auto written = writeFileAtomically(parts_.state_file, text); !written) {
    last_problem_ = written.error().message;
    return false;
  }
  saved_ = std::move(text);
  return true;
}

Result<void> RestartService::attach(const std::string& job_id, const restart::Policy& policy) {
  auto now = reading();
  if (!now) return tl::unexpected(now.error());
  manager_.attach(job_id, policy, *now, parts_.new_series_id());
  if (!save()) return fail(ErrorCode::kIoError, last_problem_);
  step();
  return {};
}

void RestartService::showNotices(const restart::StepResult& result,
                                 const restart::Reading& reading) {
  for (const restart::Notice& notice : result.show) {
    parts_.channel->show(manager_.forDisplay(notice, reading));
  }
  const std::optional<restart::Notice> current = manager_.currentNotice();
  if (!result.show.empty() || !current) {
    show_current_again_ = false;
    return;
  }
  const restart::Notice shown = manager_.forDisplay(*current, reading);
  if (show_current_again_) {
    // After the service started: the notice was recorded as shown before,
    // so it is shown again without a new event.
    parts_.channel->show(shown);
    show_current_again_ = false;
    return;
  }
  parts_.channel->keepShown(shown);
}

std::chrono::seconds RestartService::step() {
  // Without a pending restart there is nothing to do, and a host without
  // a boot id must not report a problem at every step.
  if (!manager_.state().pending) {
    last_problem_.clear();
    return kMaxRestartStep;
  }
  auto now = reading();
  if (!now) {
    last_problem_ = now.error().message;
    return kMaxRestartStep;
  }
  const restart::StepResult result = manager_.step(*now);
  // Notices are shown before the state that records them is saved, so a
  // crash in between shows a notice twice but never loses one. The restart
  // is requested after the save.
  showNotices(result, *now);
  const bool saved = save();
  if (result.restart) {
    auto requested = parts_.restarter->requestRestart(
        L"patchkeeper: restart to finish installing security updates");
    if (!requested) last_problem_ = requested.error().message;
  } else if (saved) {
    last_problem_.clear();
  }

  std::chrono::seconds wait = kMaxRestartStep;
  if (result.next_event) {
    const restart::Instant policy_now = manager_.policyNow(*now);
    if (*result.next_event <= policy_now) return std::chrono::seconds(0);
    wait = std::min(wait, std::chrono::seconds(*result.next_event - policy_now));
  }
  return wait;
}

std::optional<std::vector<std::string>> RestartService::jobsToVerify() {
  if (!manager_.state().pending) return std::nullopt;
  auto now = reading();
  if (!now || now->boot_id == manager_.state().boot_id) return std::nullopt;
  std::vector<std::string> jobs = earlierBootJobs();
  for (const restart::AttachedJob& job : manager_.state().jobs) jobs.push_back(job.job_id);
  return jobs;
}

std::vector<std::string> RestartService::earlierBootJobs() const {
  std::vector<std::string> jobs;
  for (const restart::AttachedJob& job : manager_.state().earlier_boot_jobs) {
    jobs.push_back(job.job_id);
  }
  return jobs;
}

void RestartService::forgetEarlierBootJobs() {
  manager_.forgetEarlierBootJobs();
  save();
}

Result<void> RestartService::clearAfterBoot() {
  manager_.clear();
  parts_.channel->clear();
  if (!save()) return fail(ErrorCode::kIoError, last_problem_);
  return {};
}

protocol::RestartReport RestartService::report(bool restarted) const {
  const restart::State& state = manager_.state();
  const restart::RestartStatus status = manager_.status();
  protocol::RestartReport report;
  report.pending = status.pending && !restarted;
  if (report.pending) {
    report.required_since = toSystemTime(status.required_since);
    report.deadline = toSystemTime(status.deadline);
    report.restart_at = toSystemTime(status.restart_at);
    report.countdown_start = toSystemTime(status.countdown_start);
    if (status.next_reminder) report.next_reminder = toSystemTime(*status.next_reminder);
    report.in_countdown = status.in_countdown;
  }
  if (restarted) report.restarted_at = parts_.clock->now();
  for (const restart::AttachedJob& job : state.jobs) report.job_ids.push_back(job.job_id);
  for (const restart::LogEvent& event : manager_.eventsAfter(0)) {
    if (report.events.size() == protocol::kMaxRestartEvents) break;
    report.events.push_back(toRestartEvent(event, state.series_id));
  }
  return report;
}

void RestartService::acknowledge(const protocol::RestartReport& sent) {
  const std::string prefix = manager_.state().series_id + "-";
  std::int64_t through = 0;
  for (const protocol::RestartEvent& event : sent.events) {
    if (!event.event_id.starts_with(prefix)) continue;
    through = std::max<std::int64_t>(through, std::stoll(event.event_id.substr(prefix.size())));
  }
  if (through == 0) return;
  manager_.forgetEventsThrough(through);
  save();
}

}  // namespace pk::winagent
