#include "server/dashboard_routes.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/deployments.h"
#include "store/dashboard_repository.h"
#include "store/deployment_repository.h"
#include "store/finding_repository.h"

namespace pk::server {
namespace {

using nlohmann::json;

constexpr std::int64_t kDashboardRows = 20;
constexpr std::int64_t kDefaultJobLimit = 20;
constexpr std::int64_t kMaxJobLimit = 500;

// Whether `text` has the shape of a host id, "h-" and 16 lower-case hex
// digits. (std::regex is avoided: g++ 12 warns inside it in the ci preset.)
bool isHostId(std::string_view text) {
  if (text.size() != 18 || text.substr(0, 2) != "h-") return false;
  return std::all_of(text.begin() + 2, text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Response dashboard(ServerContext& context) {
  json body;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto severities = store::countOpenFindingsBySeverity(session);
    if (!severities) return tl::unexpected(severities.error());
    auto kev = store::listKevExposure(session, kDashboardRows);
    if (!kev) return tl::unexpected(kev.error());
    auto restart_count = store::countHostsNeedingRestart(session);
    if (!restart_count) return tl::unexpected(restart_count.error());
    auto restart_hosts = store::listHostsNeedingRestart(session, kDashboardRows);
    if (!restart_hosts) return tl::unexpected(restart_hosts.error());

    json kev_items = json::array();
    for (const auto& row : *kev) {
      kev_items.push_back(
          {{"advisory_id", row.advisory_id},
           {"kev_due_date", row.kev_due_date.empty() ? json() : json(row.kev_due_date)},
           {"hosts", row.hosts}});
    }
    json hosts = json::array();
    for (const auto& host : *restart_hosts) {
      hosts.push_back({{"id", host.id}, {"hostname", host.hostname}});
    }
    body = {{"findings_by_severity", *severities},
            {"kev", std::move(kev_items)},
            {"restart_required", {{"count", *restart_count}, {"hosts", std::move(hosts)}}},
            {"generated_at", formatRfc3339(context.clock.now())}};
    return {};
  });
  if (!read) {
    spdlog::error("reading the dashboard failed: {}", read.error().message);
    return serverErrorResponse();
  }
  return jsonResponse(200, body);
}

Response hostJobs(ServerContext& context, const Request& request) {
  const auto host = request.queryValue("host");
  if (!host || !isHostId(*host)) {
    return errorResponse(400, "invalid_query",
                         "Query parameter \"host\": required, a host id such as "
                         "h-0123456789abcdef.");
  }
  std::int64_t limit = kDefaultJobLimit;
  if (const auto text = request.queryValue("limit")) {
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (error != std::errc() || end != text->data() + text->size() || limit < 1 ||
        limit > kMaxJobLimit) {
      return errorResponse(
          400, "invalid_query",
          fmt::format("Query parameter \"limit\": use a whole number from 1 to {}.", kMaxJobLimit));
    }
  }

  json items = json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = json::array();
    auto jobs = store::listJobsOfHost(session, *host);
    if (!jobs) return tl::unexpected(jobs.error());
    // Oldest first from the store; the newest `limit` are wanted.
    for (auto job = jobs->rbegin(); job != jobs->rend(); ++job) {
      if (static_cast<std::int64_t>(items.size()) >= limit) break;
      items.push_back(jobToJson(*job));
    }
    return {};
  });
  if (!read) {
    spdlog::error("listing the jobs of host={} failed: {}", *host, read.error().message);
    return serverErrorResponse();
  }
  return jsonResponse(200, {{"items", std::move(items)}});
}

}  // namespace

void addDashboardRoutes(Router& router, ServerContext& context) {
  router.add("GET", "/api/v1/dashboard", Permission::kReadReports,
             [&context](Request&) { return dashboard(context); });
  router.add("GET", "/api/v1/jobs", Permission::kReadDeployments,
             [&context](Request& request) { return hostJobs(context, request); });
}

}  // namespace pk::server
