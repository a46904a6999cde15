#include "winagent/restart_round.h"

#include <fmt/format.h>

#include "protocol/jobs.h"
#include "protocol/restart_report.h"

namespace pk::winagent {
namespace {

// Sends one restart report. Returns true when the server stored it, and
// false when it rejected the report as malformed (HTTP 400). As on Linux,
// a rejected report keeps its events, so the security team loses no notice
// or choice, and the host's jobs go on: the report is sent again at the
// next check-in, and the server logs each rejection.
Result<bool> sendReport(Transport& transport, const HostIdentity& identity,
                        const protocol::RestartReport& report) {
  auto response = transport.send(
      HttpRequest{"POST", fmt::format("/api/v1/hosts/{}/restart-state", identity.host_id),
                  protocol::toJson(report).dump(), identity.token});
  if (!response) return tl::unexpected(response.error());
  if (response->status == 400) return false;
  if (response->status != 200) {
    return fail(ErrorCode::kIoError,
                fmt::format("The restart report failed with HTTP status {}; it is sent again at "
                            "the next check-in.",
                            response->status));
  }
  return true;
}

Result<void> postVerifying(Transport& transport, const HostIdentity& identity,
                           const std::string& job_id, const protocol::JobEvent& event) {
  auto response = transport.send(
      HttpRequest{"POST", fmt::format("/api/v1/hosts/{}/jobs/{}/events", identity.host_id, job_id),
                  protocol::toJson(event).dump(), identity.token});
  if (!response) return tl::unexpected(response.error());
  if (response->status != 200) {
    return fail(ErrorCode::kIoError,
                fmt::format("Job {}: the server rejected the verifying event with HTTP status {}.",
                            job_id, response->status));
  }
  return {};
}

// Delivers a fresh report and posts verifying with its id for each job.
Result<void> verifyJobs(Transport& transport, const HostIdentity& identity, const Clock& clock,
                        const EventIdSource& new_event_id, const FreshReport& fresh_report,
                        const std::vector<std::string>& jobs) {
  auto report_id = fresh_report();
  if (!report_id) return tl::unexpected(report_id.error());
  for (const std::string& job_id : jobs) {
    protocol::JobEvent verifying =
        newJobEvent(new_event_id, clock, deploy::JobState::kVerifying,
                    "The host restarted; the fresh report lists the installed KBs.");
    verifying.report_id = *report_id;
    if (auto posted = postVerifying(transport, identity, job_id, verifying); !posted) {
      return posted;
    }
  }
  return {};
}

}  // namespace

Result<void> carryRestart(RestartService& service, Transport& transport,
                          const HostIdentity& identity, const Clock& clock,
                          const EventIdSource& new_event_id, const FreshReport& fresh_report) {
  const auto jobs = service.jobsToVerify();
  if (!jobs) {
    // An install right after a boot started a new restart before the jobs
    // of the completed one were verified.
    if (const auto earlier = service.earlierBootJobs(); !earlier.empty()) {
      if (auto verified =
              verifyJobs(transport, identity, clock, new_event_id, fresh_report, earlier);
          !verified) {
        return verified;
      }
      service.forgetEarlierBootJobs();
    }
    const protocol::RestartReport report = service.report(false);
    if (!report.pending && report.events.empty()) return {};
    auto sent = sendReport(transport, identity, report);
    if (!sent) return tl::unexpected(sent.error());
    if (*sent) service.acknowledge(report);
    return {};
  }

  // The final report is idempotent, so it goes first: a failure later
  // sends it again unchanged.
  // A rejected final report keeps the restart pending until one is stored.
  auto sent = sendReport(transport, identity, service.report(true));
  if (!sent) return tl::unexpected(sent.error());
  if (!*sent) return {};
  if (auto verified = verifyJobs(transport, identity, clock, new_event_id, fresh_report, *jobs);
      !verified) {
    return verified;
  }
  return service.clearAfterBoot();
}

}  // namespace pk::winagent
