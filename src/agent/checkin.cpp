#include "agent/checkin.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "agent/log.h"
#include "protocol/messages.h"

namespace pk::agent {
namespace {

using std::chrono::duration_cast;

constexpr Elapsed kMinimumBackoff = std::chrono::seconds(1);
// The maximum single wait on the condition variable. Its clock
// (CLOCK_MONOTONIC) stops while the machine is suspended, so waits are cut
// into pieces and the deadline is checked against CLOCK_BOOTTIME.
constexpr Elapsed kLongestWaitPiece = std::chrono::seconds(60);

Elapsed scaled(Elapsed duration, double factor) {
  return Elapsed(
      static_cast<Elapsed::rep>(std::llround(static_cast<double>(duration.count()) * factor)));
}

double clampUnit(double value) {
  return std::clamp(value, 0.0, 1.0);
}

// The start of a response body, for log lines: enough to show the server's
// error message without flooding the log.
std::string bodyExcerpt(const std::string& body) {
  constexpr std::size_t kLength = 300;
  return body.size() <= kLength ? body : body.substr(0, kLength) + "...";
}

bool isSuccess(int status) {
  return status >= 200 && status < 300;
}

// Reads the enrolment secret: the file's first line without surrounding
// white space.
Result<std::string> readSecretFile(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  if (!file || !std::getline(file, line)) {
    return fail(ErrorCode::kNotFound,
                fmt::format("cannot read the enrolment secret from {}; check "
                            "enrolment_secret_file and the file's permissions",
                            path));
  }
  const auto first = line.find_first_not_of(" \t\r");
  const auto last = line.find_last_not_of(" \t\r");
  if (first == std::string::npos) {
    return fail(ErrorCode::kMalformedInput, fmt::format("enrolment secret file {} is empty", path));
  }
  return line.substr(first, last - first + 1);
}

}  // namespace

Elapsed nextCheckinDelay(Elapsed interval, double jitter_share, double random_value,
                         std::optional<Elapsed> server_requested) {
  const double factor = 1.0 + jitter_share * (2.0 * clampUnit(random_value) - 1.0);
  const Elapsed jittered = scaled(interval, factor);
  if (server_requested && *server_requested < jittered) return *server_requested;
  return jittered;
}

Elapsed backoffDelay(int consecutive_failures, Elapsed initial, Elapsed maximum,
                     double random_value) {
  // Doubling stops once the cap is reached, which also keeps the shift
  // from overflowing after many failures.
  Elapsed cap = initial;
  for (int i = 1; i < consecutive_failures && cap < maximum; ++i) cap *= 2;
  cap = std::min(cap, maximum);
  const Elapsed delay = scaled(cap, clampUnit(random_value));
  return std::min(std::max(delay, kMinimumBackoff), maximum);
}

bool InterruptibleSleeper::sleepFor(Elapsed duration) {
  SystemClock clock;
  const Elapsed deadline = clock.elapsed() + duration;
  std::unique_lock lock(mutex_);
  while (!stopped_.load()) {
    const Elapsed now = clock.elapsed();
    if (now >= deadline) return true;
    const Elapsed piece = std::min(deadline - now, kLongestWaitPiece);
    wake_.wait_for(lock, piece, [this] { return stopped_.load(); });
  }
  return false;
}

void InterruptibleSleeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_.store(true);
  }
  wake_.notify_all();
}

std::string_view cycleOutcomeName(CycleOutcome outcome) {
  switch (outcome) {
    case CycleOutcome::kDelivered:
      return "delivered";
    case CycleOutcome::kNotEnrolled:
      return "not-enrolled";
    case CycleOutcome::kUnauthorized:
      return "unauthorized";
    case CycleOutcome::kDeliveryFailed:
      return "delivery-failed";
    case CycleOutcome::kCollectFailed:
      return "collect-failed";
  }
  return "unknown";
}

CheckinAgent::CheckinAgent(const AgentConfig& config, AgentState& state, Collector& collector,
                           protocol::ApiClient& client, RandomSource& random, Sleeper& sleeper)
    : config_(config),
      state_(state),
      collector_(collector),
      client_(client),
      random_(random),
      sleeper_(sleeper) {}

std::optional<std::string> CheckinAgent::enrolmentSecret() {
  if (!config_.enrolment_secret.empty()) return config_.enrolment_secret;
  if (config_.enrolment_secret_file.empty()) return std::nullopt;
  auto secret = readSecretFile(config_.enrolment_secret_file);
  if (!secret) {
    logger().error("{}", secret.error().message);
    return std::nullopt;
  }
  return *secret;
}

bool CheckinAgent::ensureEnrolled() {
  if (!identity_) {
    auto loaded = state_.loadIdentity();
    if (!loaded) {
      logger().error("cannot read the agent identity: {}", loaded.error().message);
      return false;
    }
    identity_ = *loaded;
    if (identity_) {
      token_rejected_ = identity_->token_rejected;
      client_.setBearerToken(identity_->token);
      if (identity_->server_url != config_.server_url) {
        logger().warn(
            "host={} was enrolled with {} but server_url is now {}; keeping the "
            "identity. Delete {} to enrol with the new server",
            identity_->host_id, identity_->server_url, config_.server_url,
            (state_.folder() / "identity.json").string());
      }
    }
  }
  if (identity_ && !token_rejected_) return true;

  auto secret = enrolmentSecret();
  if (!secret) {
    if (identity_) return true;  // keep trying the token; the error was logged on the 401
    logger().error(
        "this host is not enrolled and no enrolment secret is configured; set "
        "enrolment_secret_file in the agent configuration");
    return false;
  }
  auto machine_id = readMachineId(config_.root, config_.machine_id_path);
  if (!machine_id) {
    logger().error("cannot enrol: {}", machine_id.error().message);
    return false;
  }

  const protocol::EnrolRequest request{*secret, readHostname(config_.root), *machine_id};
  client_.setBearerToken("");
  auto response = client_.post("/api/v1/enrol", protocol::toJson(request).dump());
  if (identity_) client_.setBearerToken(identity_->token);
  if (!response) {
    logger().warn("enrolment with {} failed: {}", client_.baseUrl(), response.error().message);
    return false;
  }
  if (response->status == 409) {
    logger().error(
        "the server already knows machine {} and refuses to enrol it again until an "
        "administrator approves re-enrolment of its host; retrying later",
        *machine_id);
    return false;
  }
  if (response->status == 401) {
    logger().error(
        "the server rejected the enrolment secret as unknown or expired; ask an "
        "administrator for a current secret: {}",
        bodyExcerpt(response->body));
    return false;
  }
  if (response->status != 201 && response->status != 200) {
    logger().warn("enrolment failed with HTTP {}: {}", response->status,
                  bodyExcerpt(response->body));
    return false;
  }

  auto enrolled = protocol::parseEnrolResponse(response->body);
  if (!enrolled) {
    logger().error("the server's enrolment response is invalid: {}", enrolled.error().message);
    return false;
  }
  const Identity identity{enrolled->host_id, enrolled->token, config_.server_url};
  if (auto saved = state_.saveIdentity(identity); !saved) {
    // Without a stored token the host could not report after a restart, and
    // enrolling again would need an administrator; stop here loudly.
    logger().error("enrolled as host={} but cannot store the identity: {}", identity.host_id,
                   saved.error().message);
    return false;
  }
  logger().info("enrolled with {} as host={}", client_.baseUrl(), identity.host_id);
  identity_ = identity;
  token_rejected_ = false;
  client_.setBearerToken(identity.token);
  // The server keeps no inventory for a new enrolment, so the next report
  // carries it in full.
  if (auto cleared = state_.saveAcknowledgedHash(""); !cleared) {
    logger().warn("cannot clear the acknowledged inventory hash: {}", cleared.error().message);
  }
  return true;
}

std::optional<std::string> CheckinAgent::collectAndQueue(bool include_inventory) {
  auto acknowledged = state_.loadAcknowledgedHash();
  if (!acknowledged) {
    logger().warn("cannot read the acknowledged inventory hash, sending the inventory: {}",
                  acknowledged.error().message);
  }
  auto report = collector_.collect(acknowledged.value_or(""), include_inventory);
  if (!report) {
    logger().error("cannot collect a report: {}", report.error().message);
    return std::nullopt;
  }
  auto queued = state_.enqueue(report->report_id, protocol::toJson(*report).dump());
  if (!queued) {
    logger().error("cannot queue report {}: {}", report->report_id, queued.error().message);
    return std::nullopt;
  }
  logger().info("queued report {} ({}, {} security updates)", report->report_id,
                report->inventory
                    ? fmt::format("inventory of {} packages", report->inventory->packages.size())
                    : std::string("inventory unchanged"),
                report->security_updates.size());
  return report->report_id;
}

CycleOutcome CheckinAgent::deliverOutbox(CycleResult& result) {
  const std::string path = fmt::format("/api/v1/hosts/{}/reports", identity_->host_id);
  bool inventory_requeued = false;
  std::set<std::string> attempted;  // report ids; sequence numbers restart in an empty outbox

  while (true) {
    auto entries = state_.pending();
    if (!entries) {
      logger().error("cannot list the outbox: {}", entries.error().message);
      return CycleOutcome::kDeliveryFailed;
    }
    if (entries->empty()) return CycleOutcome::kDelivered;
    const OutboxEntry entry = entries->front();
    // Every branch below removes or moves the entry; if one could not, stop
    // rather than send it again in this cycle.
    if (!attempted.insert(entry.report_id).second) {
      logger().error(
          "report {} is still first in the outbox after it was handled; "
          "check the permissions of {}",
          entry.report_id, entry.path.string());
      return CycleOutcome::kDeliveryFailed;
    }

    auto text = state_.read(entry);
    if (!text) {
      if (text.error().code == ErrorCode::kNotFound) continue;
      logger().error("cannot read queued report {}: {}", entry.report_id, text.error().message);
      return CycleOutcome::kDeliveryFailed;
    }
    auto report = protocol::parseReport(*text);
    if (!report || report->report_id != entry.report_id) {
      state_.moveAside(
          entry.path, report ? "its report id differs from its file name" : report.error().message);
      continue;
    }

    auto response = client_.post(path, *text);
    if (!response) {
      logger().warn("cannot deliver report {}; it stays queued: {}", entry.report_id,
                    response.error().message);
      return CycleOutcome::kDeliveryFailed;
    }
    const int status = response->status;

    if (isSuccess(status)) {
      if (auto removed = state_.remove(entry); !removed) {
        logger().error("report {} was delivered but cannot be removed from the outbox: {}",
                       entry.report_id, removed.error().message);
        return CycleOutcome::kDeliveryFailed;
      }
      ++result.delivered;
      auto answer = protocol::parseReportResponse(response->body);
      if (!answer) {
        logger().warn("report {} was accepted but the response is invalid: {}", entry.report_id,
                      answer.error().message);
        continue;
      }
      result.server_requested_delay = std::chrono::seconds(answer->next_checkin_seconds);
      logger().info("delivered report {} to host={}{}", entry.report_id, identity_->host_id,
                    answer->duplicate ? " (the server had it already)" : "");
      if (answer->inventory_needed) {
        // The server lacks the inventory behind this hash; forget the
        // acknowledgement so that the report queued now carries it.
        if (auto cleared = state_.saveAcknowledgedHash(""); !cleared) {
          logger().warn("cannot clear the acknowledged inventory hash: {}",
                        cleared.error().message);
        }
        if (!inventory_requeued) {
          logger().info("the server asked for the full inventory; collecting it now");
          inventory_requeued = true;
          collectAndQueue(true);
        }
      } else if (auto saved = state_.saveAcknowledgedHash(report->inventory_hash); !saved) {
        logger().warn("cannot record the acknowledged inventory hash: {}", saved.error().message);
      }
      continue;
    }

    if (status == 401 || status == 403) {
      token_rejected_ = true;
      identity_->token_rejected = true;
      if (auto saved = state_.saveIdentity(*identity_); !saved) {
        logger().warn("cannot record the refused token: {}", saved.error().message);
      }
      logger().error(
          "the server refused the token of host={} (HTTP {}): it was revoked or has "
          "expired. Reports stay queued. {}",
          identity_->host_id, status,
          enrolmentSecretConfigured()
              ? "The agent enrols again with its enrolment secret."
              : "Configure an enrolment secret so that the agent can enrol again.");
      return CycleOutcome::kUnauthorized;
    }

    if (status == 400 || status == 413) {
      const std::string reason = fmt::format("HTTP {} from {}: {}", status, client_.baseUrl(),
                                             bodyExcerpt(response->body));
      logger().warn(
          "the server rejected report {} and will never accept it; moving it to "
          "rejected/: {}",
          entry.report_id, reason);
      if (auto moved = state_.reject(entry, reason); !moved) {
        logger().error("cannot move report {} to rejected/: {}", entry.report_id,
                       moved.error().message);
        return CycleOutcome::kDeliveryFailed;
      }
      ++result.rejected;
      continue;
    }

    logger().warn("the server answered HTTP {} to report {}; it stays queued: {}", status,
                  entry.report_id, bodyExcerpt(response->body));
    return CycleOutcome::kDeliveryFailed;
  }
}

CycleResult CheckinAgent::runCycle() {
  CycleResult result;
  if (!ensureEnrolled()) {
    result.outcome = CycleOutcome::kNotEnrolled;
  } else {
    const bool collected = collectAndQueue(false).has_value();
    result.outcome = deliverOutbox(result);
    // A refused token may be replaced at once: the server lets a revoked
    // host's machine enrol again, or an administrator approved it already.
    if (result.outcome == CycleOutcome::kUnauthorized && enrolmentSecretConfigured() &&
        ensureEnrolled()) {
      result.outcome = deliverOutbox(result);
    }
    if (!collected && result.outcome == CycleOutcome::kDelivered) {
      result.outcome = CycleOutcome::kCollectFailed;
    }
    if (jobs_ != nullptr && result.outcome == CycleOutcome::kDelivered) {
      jobs_->runCycle(identity_->host_id);
    }
  }
  auto entries = state_.pending();
  result.queued = entries ? entries->size() : 0;
  return result;
}

Result<std::string> CheckinAgent::deliverFreshReport() {
  if (!identity_) return fail(ErrorCode::kIoError, "this host is not enrolled yet");
  auto report_id = collectAndQueue(true);
  if (!report_id) {
    return fail(ErrorCode::kIoError, "cannot collect the fresh inventory; see the log");
  }
  CycleResult result;
  if (deliverOutbox(result) != CycleOutcome::kDelivered) {
    return fail(ErrorCode::kIoError,
                fmt::format("report {} is not delivered yet; it stays queued", *report_id));
  }
  return *report_id;
}

Elapsed CheckinAgent::delayAfter(const CycleResult& result) {
  const bool failed = result.outcome != CycleOutcome::kDelivered;
  if (!failed) {
    consecutive_failures_ = 0;
    return nextCheckinDelay(std::chrono::minutes(config_.interval_minutes), config_.jitter_share,
                            random_.uniform(), result.server_requested_delay);
  }
  consecutive_failures_ = std::min(consecutive_failures_ + 1, 1000);
  return backoffDelay(consecutive_failures_, std::chrono::seconds(config_.backoff_initial_seconds),
                      std::chrono::seconds(config_.backoff_max_seconds), random_.uniform());
}

void CheckinAgent::run() {
  while (true) {
    const CycleResult result = runCycle();
    const Elapsed delay = delayAfter(result);
    logger().info("check-in {}: {} delivered, {} rejected, {} queued; next in {} s",
                  cycleOutcomeName(result.outcome), result.delivered, result.rejected,
                  result.queued, duration_cast<std::chrono::seconds>(delay).count());
    if (!sleeper_.sleepFor(delay)) return;
  }
}

}  // namespace pk::agent
