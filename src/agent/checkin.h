#pragma once

// The agent's check-in loop: enrol once, then on each cycle collect a
// report, queue it in the outbox, and deliver the outbox oldest first.
//
// Delivery of one queued report, by the server's response:
//   2xx            delivered: the file is removed and the report's inventory
//                  hash recorded as acknowledged, unless the server responded
//                  with inventory_needed, in which case a report with the full
//                  inventory is collected and queued at once;
//   401, 403       the host token is revoked or expired: sending stops, an
//                  error is logged, and the refusal is stored with the
//                  identity. With an enrolment secret configured, the agent
//                  enrols again at once and, when the server accepts that,
//                  delivers the outbox with the new token; otherwise it
//                  retries at each cycle;
//   400, 413       the server will never accept this report: it moves to
//                  rejected/ with a log line and delivery goes on;
//   anything else  (no response, 5xx, 404, 408, 429): the report stays, the
//                  cycle fails, and the next attempt is backed off.
// Enrolment: 201 saves the identity; 409 means the machine is enrolled
// already and an admin must approve re-enrolment; 401 means the secret is
// unknown or expired. Both are logged and retried after back-off.
//
// Timing is a pure function of injected random values (nextCheckinDelay,
// backoffDelay), and waiting goes through a Sleeper, so tests never sleep.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "agent/agent_state.h"
#include "agent/collector.h"
#include "agent/config.h"
#include "agent/job_scheduler.h"
#include "agent/random.h"
#include "common/clock.h"
#include "protocol/api_client.h"

namespace pk::agent {

// Returns the wait before the next regular check-in. That is `interval`
// scaled by 1 + jitter_share * (2 * random_value - 1), so it varies
// uniformly by up to ± jitter_share, unless the server requested a shorter
// wait (`server_requested`). `random_value` is in [0, 1).
Elapsed nextCheckinDelay(Elapsed interval, double jitter_share, double random_value,
                         std::optional<Elapsed> server_requested);

// Returns the wait after `consecutive_failures` (at least 1) failed cycles,
// with "full jitter": a uniform share (`random_value`, in [0, 1)) of
// min(maximum, initial * 2^(consecutive_failures - 1)). The result is at
// least one second, so a failing server is never retried in a tight loop,
// unless `maximum` is shorter.
Elapsed backoffDelay(int consecutive_failures, Elapsed initial, Elapsed maximum,
                     double random_value);

// Waits between cycles. The daemon's implementation returns early when
// stop() is called; tests record the requested waits instead.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Waits for `duration`. Returns false when the agent must stop.
  virtual bool sleepFor(Elapsed duration) = 0;
};

// Waits on a condition variable. stop() may be called from any thread.
class InterruptibleSleeper final : public Sleeper {
 public:
  bool sleepFor(Elapsed duration) override;
  void stop();
  bool stopped() const { return stopped_.load(); }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopped_{false};
};

enum class CycleOutcome {
  kDelivered,       // the outbox is empty
  kNotEnrolled,     // enrolment failed or waits for approval; nothing was sent
  kUnauthorized,    // the server refused the host token
  kDeliveryFailed,  // reports remain queued (network error, 5xx, ...)
  kCollectFailed,   // no report could be collected; older ones may have been sent
};

// Returns "delivered", "not-enrolled", "unauthorized", "delivery-failed" or
// "collect-failed".
std::string_view cycleOutcomeName(CycleOutcome outcome);

struct CycleResult {
  CycleOutcome outcome = CycleOutcome::kDelivered;
  std::size_t delivered = 0;  // reports accepted by the server in this cycle
  std::size_t rejected = 0;   // reports moved to rejected/
  std::size_t queued = 0;     // reports left in the outbox
  // The server's next_checkin_seconds from the last accepted report.
  std::optional<Elapsed> server_requested_delay;
};

class CheckinAgent {
 public:
  // Every reference must outlive the agent. `client` is configured for
  // config.server_url; the agent sets its bearer token.
  CheckinAgent(const AgentConfig& config, AgentState& state, Collector& collector,
               protocol::ApiClient& client, RandomSource& random, Sleeper& sleeper);

  // Lets each cycle run the host's deployment jobs once the outbox is
  // delivered; `jobs` must outlive the agent. Without it no job runs.
  void setJobScheduler(JobScheduler* jobs) { jobs_ = jobs; }

  // Runs one cycle: enrol when needed, collect and queue a report, deliver
  // the outbox, then, when it was delivered, run the jobs. Failures are
  // logged and reported in the outcome, not returned as errors.
  CycleResult runCycle();

  // Collects a report with the full inventory, queues it and delivers the
  // outbox, to confirm a job's install. Returns the report's id once the
  // server accepted it. Fails with kIoError when the report could not be
  // collected or delivered, and a report not delivered stays queued.
  Result<std::string> deliverFreshReport();

  // Runs cycles until the sleeper reports a stop, waiting nextCheckinDelay
  // after a good cycle and backoffDelay after a failed one.
  void run();

  // Returns the wait after `result`, given the failures counted so far
  // (updated here): the back-off after a failure, else the regular delay.
  Elapsed delayAfter(const CycleResult& result);

 private:
  bool ensureEnrolled();
  std::optional<std::string> enrolmentSecret();
  bool enrolmentSecretConfigured() const {
    return !config_.enrolment_secret.empty() || !config_.enrolment_secret_file.empty();
  }
  // Returns the queued report's id, or nullopt (logged) on failure.
  std::optional<std::string> collectAndQueue(bool include_inventory);
  CycleOutcome deliverOutbox(CycleResult& result);

  const AgentConfig& config_;
  AgentState& state_;
  Collector& collector_;
  protocol::ApiClient& client_;
  RandomSource& random_;
  Sleeper& sleeper_;
  JobScheduler* jobs_ = nullptr;

  std::optional<Identity> identity_;
  bool token_rejected_ = false;  // the server responded 401 or 403 to the current token
  int consecutive_failures_ = 0;
};

}  // namespace pk::agent
