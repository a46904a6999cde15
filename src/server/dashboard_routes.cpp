#include "server/dashboard_routes.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/deployments.h"
#include "store/dashboard_repository.h"
#include "store/deployment_repository.h"
#include "store/finding_repository.h"
#include "store/host_repository.h"
#include "store/inventory_repository.h"

namespace pk::server {
namespace {

using nlohmann::json;

constexpr std::int64_t kDashboardRows = 20;
constexpr std::int64_t kDefaultJobLimit = 20;
constexpr std::int64_t kMaxJobLimit = 500;
constexpr std::int64_t kDefaultPackageLimit = 100;
constexpr std::int64_t kMaxPackageLimit = 1000;

// Reads query parameter `name` as a whole number from `low` to `high`, or
// `fallback` when absent. Returns nullopt when it is malformed.
std::optional<std::int64_t> boundedNumber(const Request& request, std::string_view name,
                                          std::int64_t fallback, std::int64_t low,
                                          std::int64_t high) {
  const auto text = request.queryValue(name);
  if (!text) return fallback;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < low || value > high) {
    return std::nullopt;
  }
  return value;
}

Response invalidNumber(std::string_view name, std::int64_t low, std::int64_t high) {
  return errorResponse(
      400, "invalid_query",
      fmt::format("Query parameter \"{}\": use a whole number from {} to {}.", name, low, high));
}

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
  const auto limit = boundedNumber(request, "limit", kDefaultJobLimit, 1, kMaxJobLimit);
  if (!limit) return invalidNumber("limit", 1, kMaxJobLimit);

  json items = json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = json::array();
    auto jobs = store::listJobsOfHost(session, *host);
    if (!jobs) return tl::unexpected(jobs.error());
    // Oldest first from the store; the newest `limit` are wanted.
    for (auto job = jobs->rbegin(); job != jobs->rend(); ++job) {
      if (static_cast<std::int64_t>(items.size()) >= *limit) break;
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

Response hostPackages(ServerContext& context, const Request& request) {
  const std::string& host_id = request.path_params.at(0);
  const auto limit = boundedNumber(request, "limit", kDefaultPackageLimit, 1, kMaxPackageLimit);
  if (!limit) return invalidNumber("limit", 1, kMaxPackageLimit);
  const auto offset =
      boundedNumber(request, "offset", 0, 0, std::numeric_limits<std::int32_t>::max());
  if (!offset) return invalidNumber("offset", 0, std::numeric_limits<std::int32_t>::max());
  std::string search;
  if (const auto q = request.queryValue("q")) search = *q;

  const Principal& principal = *request.principal;
  std::optional<Response> missing;
  json body;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    missing.reset();
    auto host = store::getHost(session, host_id);
    if (!host) return tl::unexpected(host.error());
    // Another owner's host gets the same 404 as an unknown one, as on the host routes.
    if (!*host || (!principal.seesAllHosts() && (*host)->owner != principal.username)) {
      missing = errorResponse(404, "not_found", fmt::format("No host {} exists.", host_id));
      return {};
    }
    auto inventory = store::loadInventory(session, host_id);
    if (!inventory) return tl::unexpected(inventory.error());
    json items = json::array();
    std::int64_t total = 0;
    if (*inventory) {
      for (const auto& package : (*inventory)->packages) {
        if (!search.empty() && package.name.find(search) == std::string::npos &&
            package.source_name.find(search) == std::string::npos) {
          continue;
        }
        if (total >= *offset && static_cast<std::int64_t>(items.size()) < *limit) {
          items.push_back({{"name", package.name},
                           {"version", package.version},
                           {"architecture", package.architecture},
                           {"source_name", package.source_name},
                           {"source_version", package.source_version}});
        }
        ++total;
      }
    }
    body = {{"items", std::move(items)}, {"total", total}, {"offset", *offset}, {"limit", *limit}};
    return {};
  });
  if (!read) {
    spdlog::error("listing the packages of host={} failed: {}", host_id, read.error().message);
    return serverErrorResponse();
  }
  if (missing) return *missing;
  return jsonResponse(200, body);
}

}  // namespace

void addDashboardRoutes(Router& router, ServerContext& context) {
  router.add("GET", "/api/v1/dashboard", Permission::kReadReports,
             [&context](Request&) { return dashboard(context); });
  router.add("GET", "/api/v1/jobs", Permission::kReadDeployments,
             [&context](Request& request) { return hostJobs(context, request); });
  router.add("GET", "/api/v1/hosts/(h-[0-9a-f]{16})/packages", Permission::kReadHosts,
             [&context](Request& request) { return hostPackages(context, request); });
}

}  // namespace pk::server
