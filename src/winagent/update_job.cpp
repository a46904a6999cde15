#include "winagent/update_job.h"

#include <windows.h>
// bcrypt.h needs the types of windows.h.
#include <bcrypt.h>

#include <array>

#include <fmt/format.h>

#include "common/sha256.h"

namespace pk::winagent {
protocol::JobEvent newJobEvent(const EventIdSource& new_event_id, const Clock& clock,
                               deploy::JobState state, std::string message) {
  protocol::JobEvent built;
  built.event_id = new_event_id();
  built.at = clock.now();
  built.state = state;
  built.message = std::move(message);
  return built;
}

std::string randomEventId() {
  std::array<unsigned char, 16> bytes{};
  // NOTE: a failure leaves the bytes zero; BCryptGenRandom with the system
  // generator is documented to fail only for invalid arguments.
  BCryptGenRandom(nullptr, bytes.data(), static_cast<ULONG>(bytes.size()),
                  BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  return lowerHex(bytes.data(), bytes.size());
}

UpdateJobRun runUpdateJob(const protocol::JobOrder& order, const Clock& clock,
                          IUpdateSession& session, const UpdateCollectionFactory& make_collection,
                          const EventIdSource& new_event_id, const EventSink& sink) {
  UpdateJobRun run;
  // Records an event and hands it to the sink. Returns false when the job
  // must stop.
  auto emit = [&run, &sink](protocol::JobEvent built) {
    run.events.push_back(std::move(built));
    if (sink && !sink(run.events.back())) run.stopped = true;
    return !run.stopped;
  };
  if (order.manager != protocol::JobManager::kWindowsUpdate) {
    run.decision.verdict = deploy::StartVerdict::kUnschedulable;
    emit(
        newJobEvent(new_event_id, clock, deploy::JobState::kFailed,
                    fmt::format("The Windows agent installs only windows-update jobs, not {} jobs.",
                                protocol::jobManagerName(order.manager))));
    return run;
  }
  if (order.kbs.empty()) {
    run.decision.verdict = deploy::StartVerdict::kUnschedulable;
    emit(newJobEvent(new_event_id, clock, deploy::JobState::kFailed,
                     "The job approves no KB, so there is nothing to install."));
    return run;
  }

  run.decision = deploy::decideStart(clock.now(), protocol::startRequestOf(order));
  if (run.decision.verdict == deploy::StartVerdict::kUnschedulable) return run;
  if (run.decision.verdict == deploy::StartVerdict::kWait) {
    auto waiting =
        newJobEvent(new_event_id, clock, deploy::JobState::kWaitingForWindow, run.decision.reason);
    waiting.next_window_start = run.decision.at;
    emit(std::move(waiting));
    return run;
  }

  if (!emit(newJobEvent(
          new_event_id, clock, deploy::JobState::kInstalling,
          fmt::format("Installing {} approved KB(s) through Windows Update.", order.kbs.size())))) {
    return run;
  }
  const Elapsed started = clock.elapsed();
  auto outcome = installApprovedUpdates(session, make_collection, order.kbs);
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(clock.elapsed() - started).count();
  if (!outcome) {
    auto failed =
        newJobEvent(new_event_id, clock, deploy::JobState::kFailed, outcome.error().message);
    failed.duration_seconds = seconds;
    emit(std::move(failed));
    return run;
  }

  const bool succeeded = outcome->succeeded();
  std::string message =
      succeeded ? (outcome->restart_required
                       ? "Every approved KB installed; Windows needs a restart to finish."
                       : "Every approved KB installed.")
                : "Not every approved KB installed; the output lists each update's result.";
  auto done = newJobEvent(new_event_id, clock,
                          succeeded ? deploy::JobState::kInstalled : deploy::JobState::kFailed,
                          std::move(message));
  done.output = outcome->summary();
  done.duration_seconds = seconds;
  for (const auto& update : outcome->updates) {
    if (update.succeeded()) {
      done.packages.push_back(protocol::PackageChange{"KB" + update.kb, "", "installed"});
    }
  }
  run.outcome = std::move(*outcome);
  emit(std::move(done));
  return run;
}

}  // namespace pk::winagent
