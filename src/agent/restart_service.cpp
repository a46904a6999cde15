#include "agent/restart_service.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "agent/agent_state.h"
#include "agent/checkin.h"
#include "agent/log.h"
#include "restart/state_codec.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;

std::string describeNotice(const restart::Notice& notice) {
  return fmt::format("{} notice: deadline {}, restart at {}, countdown from {}",
                     restart::noticeKindName(notice.kind), restart::formatInstant(notice.deadline),
                     restart::formatInstant(notice.restart_at),
                     restart::formatInstant(notice.countdown_start));
}

SystemTime toSystemTime(restart::Instant at) {
  return SystemTime(at.time_since_epoch());
}

protocol::RestartEvent toProtocol(const restart::LogEvent& event, const std::string& series_id) {
  protocol::RestartEvent out;
  out.event_id = fmt::format("{}-{}", series_id, event.sequence);
  out.at = toSystemTime(event.at);
  switch (event.type) {
    case restart::LogEvent::Type::kNotice:
      out.type = protocol::RestartEventType::kNotice;
      out.notice = std::string(restart::noticeKindName(event.notice.kind));
      for (auto offer : event.notice.offered) out.offered.emplace_back(restart::offerName(offer));
      out.restart_at = toSystemTime(event.notice.restart_at);
      break;
    case restart::LogEvent::Type::kChoice:
      out.type = protocol::RestartEventType::kChoice;
      out.choice = std::string(restart::choiceKindName(event.choice.kind));
      out.user = event.choice.user.empty() ? "unknown" : event.choice.user;
      if (event.choice.kind == restart::ChoiceKind::kSnooze) {
        out.snooze_seconds = event.choice.snooze.count();
      }
      if (event.choice.kind == restart::ChoiceKind::kRestartAt) {
        out.restart_at = toSystemTime(event.choice.restart_at);
      }
      break;
    case restart::LogEvent::Type::kRestartRequested:
      out.type = protocol::RestartEventType::kRestartRequested;
      break;
  }
  return out;
}

}  // namespace

void LoggingNoticeChannel::show(const restart::Notice& notice) {
  logger().info("restart: {}", describeNotice(notice));
}

void LoggingNoticeChannel::clear() {
  logger().info("restart: notices cleared");
}

Result<restart::Reading> readRestartClocks(const Clock& clock, const fs::path& boot_id_path) {
  auto boot_id = readBootId(boot_id_path);
  if (!boot_id) return tl::unexpected(boot_id.error());
  return restart::Reading{
      .wall = std::chrono::floor<std::chrono::seconds>(clock.now()),
      .boottime = std::chrono::floor<std::chrono::seconds>(clock.elapsed()),
      .boot_id = *boot_id,
  };
}

RestartService::RestartService(RestartServiceOptions options, const Clock& clock,
                               restart::NoticeChannel& channel, RandomSource& random)
    : options_(std::move(options)), clock_(clock), channel_(channel), random_(random) {}

Result<restart::Reading> RestartService::reading() const {
  return readRestartClocks(clock_, options_.restart.boot_id_path);
}

Result<void> RestartService::load() {
  std::lock_guard lock(mutex_);
  const fs::path& path = options_.state_file;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    if (errno == ENOENT) return {};
    return fail(ErrorCode::kIoError, fmt::format("cannot read the restart state {}: {}",
                                                 path.string(), std::strerror(errno)));
  }
  std::stringstream text;
  text << file.rdbuf();

  restart::State state;
  std::string error;
  if (!restart::decodeState(text.str(), state, error)) {
    // The inventory still shows the pending restart to the server, so the
    // host stays not compliant until it restarts.
    const fs::path corrupt = path.parent_path() / "corrupt";
    std::error_code ignored;
    fs::create_directories(corrupt, ignored);
    fs::rename(path, corrupt / path.filename(), ignored);
    logger().error("moved the restart state {} to {}: {}", path.string(), corrupt.string(), error);
    return {};
  }
  manager_ = restart::RestartManager(std::move(state));
  written_ = text.str();
  // The notice on screen before the agent stopped may be gone (a window
  // ended with the agent's thread); the next step shows it again.
  show_current_again_ = manager_.state().pending;
  if (manager_.state().pending) {
    logger().info("restart: pending since {}, deadline {}",
                  restart::formatInstant(manager_.state().required_since),
                  restart::formatInstant(manager_.state().deadline));
  }
  return {};
}

bool RestartService::persist() {
  std::string text = restart::encodeState(manager_.state());
  if (text == written_) return true;
  if (auto written = writeFileAtomically(options_.state_file, text); !written) {
    logger().error("restart: cannot save the restart state: {}", written.error().message);
    return false;
  }
  written_ = std::move(text);
  return true;
}

Result<void> RestartService::attach(const std::string& job_id, const restart::Policy& policy) {
  std::lock_guard lock(mutex_);
  auto now = reading();
  if (!now) return tl::unexpected(now.error());
  const bool was_pending = manager_.state().pending;
  manager_.attach(job_id, policy, *now, newReportId(random_));
  if (!persist()) {
    return fail(ErrorCode::kIoError,
                "cannot save the restart state " + options_.state_file.string());
  }
  if (was_pending) {
    logger().info("restart: job={} attached to the pending restart, deadline {} unchanged", job_id,
                  restart::formatInstant(manager_.state().deadline));
  } else {
    logger().info("restart: job={} requires a restart by {}", job_id,
                  restart::formatInstant(manager_.state().deadline));
  }
  stepLocked();
  return {};
}

void RestartService::showNotices(const restart::StepResult& result,
                                 const restart::Reading& reading) {
  for (const auto& notice : result.show) {
    if (notice.kind == restart::NoticeKind::kCountdown) {
      logger().info("restart: the final countdown began; restart at {}",
                    restart::formatInstant(notice.restart_at));
    }
    channel_.show(manager_.forDisplay(notice, reading));
  }
  const auto current = manager_.currentNotice();
  // A boot since the restart began completed it: what the earlier boot
  // showed is not shown again while the jobs wait for verification.
  if (result.rebooted || !result.show.empty() || !current) {
    show_current_again_ = false;
    return;
  }
  const restart::Notice shown = manager_.forDisplay(*current, reading);
  if (show_current_again_) {
    // After the agent restarted: the notice was recorded as shown before,
    // so it is shown without a new event and without moving any time.
    logger().info("restart: showing the {} notice again after the agent started",
                  restart::noticeKindName(shown.kind));
    channel_.show(shown);
    show_current_again_ = false;
    return;
  }
  channel_.keepShown(shown);
}

void RestartService::requestRestartIfDue(const restart::StepResult& result) {
  if (!result.restart) return;

  logger().info("restart: requesting the restart");
  if (auto requested = requestRestart(options_.restart, clock_); !requested) {
    logger().error("restart: the restart request failed, retrying in {} min: {}",
                   restart::kRestartRetry.count() / 60, requested.error().message);
  }
}

Elapsed RestartService::stepLocked() {
  auto now = reading();
  if (!now) {
    logger().warn("restart: cannot read the clocks: {}", now.error().message);
    return kMaxRestartStep;
  }
  const restart::StepResult result = manager_.step(*now);
  // Notices are shown before the state that records them goes to disk: a
  // crash in between shows a notice twice, but never loses one. The
  // restart is requested after the state is saved.
  showNotices(result, *now);
  persist();
  requestRestartIfDue(result);

  Elapsed wait = kMaxRestartStep;
  if (result.next_event) {
    const restart::Instant policy_now = manager_.policyNow(*now);
    if (*result.next_event <= policy_now) return Elapsed(0);
    wait = std::min(wait, Elapsed(*result.next_event - policy_now));
  }
  return wait;
}

Elapsed RestartService::step() {
  std::lock_guard lock(mutex_);
  return stepLocked();
}

void RestartService::run(Sleeper& sleeper) {
  while (true) {
    Elapsed wait = step();
    // A due event runs at once, but never in a tight loop.
    if (wait < std::chrono::seconds(1)) wait = std::chrono::seconds(1);
    if (!sleeper.sleepFor(wait)) return;
  }
}

std::optional<std::vector<std::string>> RestartService::jobsToVerify() {
  std::lock_guard lock(mutex_);
  if (!manager_.state().pending) return std::nullopt;
  auto now = reading();
  if (!now || now->boot_id == manager_.state().boot_id) return std::nullopt;
  std::vector<std::string> jobs;
  for (const auto& job : manager_.state().earlier_boot_jobs) jobs.push_back(job.job_id);
  for (const auto& job : manager_.state().jobs) jobs.push_back(job.job_id);
  return jobs;
}

std::vector<std::string> RestartService::earlierBootJobs() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> jobs;
  for (const auto& job : manager_.state().earlier_boot_jobs) jobs.push_back(job.job_id);
  return jobs;
}

void RestartService::forgetEarlierBootJobs() {
  std::lock_guard lock(mutex_);
  manager_.forgetEarlierBootJobs();
  persist();
}

Result<void> RestartService::clearAfterBoot() {
  std::lock_guard lock(mutex_);
  logger().info("restart: the host restarted; the pending restart is done");
  manager_.clear();
  if (!persist()) {
    return fail(ErrorCode::kIoError,
                "cannot save the restart state " + options_.state_file.string());
  }
  channel_.clear();
  return {};
}

protocol::RestartReport RestartService::report(bool restarted) {
  std::lock_guard lock(mutex_);
  const restart::State& state = manager_.state();
  const restart::RestartStatus current = manager_.status();
  protocol::RestartReport out;
  out.pending = current.pending && !restarted;
  if (out.pending) {
    out.required_since = toSystemTime(current.required_since);
    out.deadline = toSystemTime(current.deadline);
    out.restart_at = toSystemTime(current.restart_at);
    out.countdown_start = toSystemTime(current.countdown_start);
    if (current.next_reminder) out.next_reminder = toSystemTime(*current.next_reminder);
    out.in_countdown = current.in_countdown;
  }
  if (restarted) out.restarted_at = clock_.now();
  for (const auto& job : state.jobs) out.job_ids.push_back(job.job_id);
  for (const auto& event : manager_.eventsAfter(0)) {
    if (out.events.size() == protocol::kMaxRestartEvents) break;
    out.events.push_back(toProtocol(event, state.series_id));
  }
  return out;
}

void RestartService::acknowledge(const protocol::RestartReport& sent) {
  std::lock_guard lock(mutex_);
  const std::string prefix = manager_.state().series_id + "-";
  std::int64_t through = 0;
  for (const auto& event : sent.events) {
    if (!event.event_id.starts_with(prefix)) continue;
    through = std::max<std::int64_t>(through, std::stoll(event.event_id.substr(prefix.size())));
  }
  if (through == 0) return;
  manager_.forgetEventsThrough(through);
  persist();
}

std::optional<fs::path> RestartService::keepRejectedReport(const protocol::RestartReport& rejected,
                                                           const std::string& server_error) {
  const fs::path path = options_.state_file.parent_path() / "restart-report-rejected.json";
  const nlohmann::json copy = {{"rejected_at", formatRfc3339(clock_.now())},
                               {"server_error", server_error},
                               {"report", protocol::toJson(rejected)}};
  if (auto written = writeFileAtomically(path, copy.dump(2) + "\n"); !written) {
    logger().error("restart: cannot keep the rejected restart report in {}: {}", path.string(),
                   written.error().message);
    return std::nullopt;
  }
  return path;
}

RestartService::Outcome RestartService::apply(const restart::Choice& choice) {
  std::lock_guard lock(mutex_);
  auto now = reading();
  if (!now) {
    return {.applied = false,
            .message = "The agent cannot read the clocks: " + now.error().message,
            .status = manager_.status()};
  }
  Outcome outcome = manager_.apply(choice, *now);
  if (!outcome.applied) {
    logger().info("restart: rejected {} from user {}: {}", restart::choiceKindName(choice.kind),
                  choice.user, outcome.message);
    return outcome;
  }
  logger().info("restart: user {} chose {}: {}", choice.user, restart::choiceKindName(choice.kind),
                outcome.message);
  persist();
  stepLocked();
  outcome.status = manager_.status();
  return outcome;
}

restart::RestartStatus RestartService::status() const {
  std::lock_guard lock(mutex_);
  return manager_.status();
}

}  // namespace pk::agent
