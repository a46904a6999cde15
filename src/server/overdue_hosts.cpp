#include "server/overdue_hosts.h"

#include <map>

#include <fmt/format.h>

#include "server/window_assignment.h"
#include "store/window_repository.h"

namespace pk::server {
namespace {

std::vector<std::string> reasonsOf(const store::OverdueJobRow& job) {
  std::vector<std::string> reasons;
  if (job.job_state == "failed") reasons.emplace_back("the job failed");
  if (job.job_state == "unschedulable") reasons.emplace_back("the job is unschedulable");
  if (job.job_state == "restart_pending" || job.host_restart_required) {
    reasons.emplace_back("a restart is pending");
  }
  if (job.open_fixed_findings == 1) {
    reasons.emplace_back("1 open finding that the deployment fixes");
  } else if (job.open_fixed_findings > 1) {
    reasons.push_back(
        fmt::format("{} open findings that the deployment fixes", job.open_fixed_findings));
  }
  return reasons;
}

}  // namespace

Result<std::vector<OverdueHost>> listOverdueHosts(store::Session& session, SystemTime now,
                                                  const std::optional<std::string>& owner) {
  auto jobs = store::listJobsPastDeadline(session, now);
  if (!jobs) return tl::unexpected(jobs.error());
  auto window_of = currentWindowsAt(session, now);
  if (!window_of) return tl::unexpected(window_of.error());
  auto windows = store::listWindows(session);
  if (!windows) return tl::unexpected(windows.error());
  std::map<std::string, std::string> window_names;
  for (const auto& window : *windows) window_names[window.id] = window.name;

  std::vector<OverdueHost> overdue;
  for (auto& job : *jobs) {
    if (owner && job.owner != *owner) continue;
    auto reasons = reasonsOf(job);
    if (reasons.empty()) continue;
    OverdueHost host;
    host.overdue = now - job.deadline;
    host.reasons = std::move(reasons);
    if (const auto found = window_of->find(job.host_id); found != window_of->end()) {
      host.window_id = found->second;
      host.window_name = window_names[found->second];
    }
    host.job = std::move(job);
    overdue.push_back(std::move(host));
  }
  // The store orders by deadline, oldest first, so the most overdue lead.
  return overdue;
}

}  // namespace pk::server
