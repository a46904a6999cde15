#include "server/host_routes.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "inventory/windows_inventory.h"
#include "server/compliance.h"
#include "server/credentials.h"
#include "server/enrolment.h"
#include "server/report_intake.h"
#include "server/restart_routes.h"
#include "server/tickets.h"
#include "server/window_assignment.h"
#include "store/audit_repository.h"
#include "store/finding_repository.h"
#include "store/inventory_repository.h"
#include "store/patch_repository.h"

namespace pk::server {
namespace {

constexpr std::string_view kHostsMetric = "patchkeeper_hosts";

// Host ids are "h-" and 16 hex digits. For any other id in the path the
// Router returns 404 without calling a handler.
constexpr std::string_view kHostPath = "/api/v1/hosts/(h-[0-9a-f]{16})";

Response hostNotFound(const std::string& host_id) {
  return errorResponse(404, "not_found", fmt::format("No host has id {}.", host_id));
}

nlohmann::json optionalTime(const std::optional<SystemTime>& time) {
  return time ? nlohmann::json(formatRfc3339(*time)) : nlohmann::json();
}

// Seconds from `time` to `now`, never negative (a host clock ahead of the
// server's counts as fresh); null when `time` is unknown.
nlohmann::json ageSeconds(const std::optional<SystemTime>& time, SystemTime now) {
  if (!time) return nullptr;
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *time);
  return std::max<std::int64_t>(0, age.count());
}

// Returns a Windows host's facts as GET shows them. product is null when
// the build names no known product, so no Windows advisory can match it.
nlohmann::json windowsView(const inventory::WindowsFacts& facts) {
  auto product = inventory::windowsProduct(facts);
  nlohmann::json kbs = nlohmann::json::array();
  for (const auto& kb : facts.installed_kbs) kbs.push_back("KB" + kb);
  nlohmann::json offered = nlohmann::json::array();
  for (const auto& update : facts.pending_updates) {
    offered.push_back({{"kb", "KB" + update.kb},
                       {"title", update.title},
                       {"classification", update.classification},
                       {"severity", update.severity},
                       {"cve_ids", update.cve_ids},
                       {"restart_required", update.restart_required}});
  }
  return {
      {"product", product ? nlohmann::json(*product) : nlohmann::json()},
      {"edition", facts.edition},
      {"release", facts.release},
      {"build", facts.build},
      {"installation_type", facts.installation_type},
      {"architecture", facts.architecture},
      {"installed_kbs", std::move(kbs)},
      {"pending_updates", std::move(offered)},
  };
}

bool visibleTo(const Principal& principal, const store::HostRecord& host) {
  return principal.seesAllHosts() || host.owner == principal.username;
}

std::string userActor(const Request& request) {
  return request.principal ? "user:" + request.principal->username : std::string("system");
}

// The host as GET returns it: the stored fields, the age of its data and
// its compliance.
nlohmann::json hostView(const store::HostRecord& host, std::int64_t open_findings, SystemTime now,
                        const HostRouteOptions& options) {
  nlohmann::json view = hostToJson(host);
  view["data_age_seconds"] = {
      {"last_seen", ageSeconds(host.last_seen_at, now)},
      {"inventory", ageSeconds(host.inventory_received_at, now)},
      {"package_lists", ageSeconds(host.package_lists_updated_at, now)},
  };

  const Compliance compliance =
      computeCompliance(complianceFactsOf(host, open_findings), now, options.stale_after);
  nlohmann::json data_age = nullptr;
  if (compliance.data_age) {
    data_age = std::chrono::duration_cast<std::chrono::seconds>(*compliance.data_age).count();
  }
  view["open_findings"] = open_findings;
  view["compliance"] = {
      {"status", complianceStatusName(compliance.status)},
      {"reason", compliance.reason},
      {"data_age_seconds", data_age},
  };
  return view;
}

store::AuditEvent hostAuditEvent(const Request& request, SystemTime now, std::string action,
                                 const store::HostRecord& before, const store::HostRecord& after) {
  store::AuditEvent event;
  event.at = now;
  event.actor = userActor(request);
  event.action = std::move(action);
  event.object_type = "host";
  event.object_id = after.id;
  event.before_json = hostToJson(before).dump();
  event.after_json = hostToJson(after).dump();
  event.remote_address = request.remote_address;
  return event;
}

Response invalidQuery(std::string_view name, std::string_view problem) {
  return errorResponse(400, "invalid_query",
                       fmt::format("Query parameter \"{}\": {}", name, problem));
}

constexpr std::size_t kMaxHostPage = 1000;

store::HostCompliance storeCompliance(ComplianceStatus status) {
  switch (status) {
    case ComplianceStatus::kCompliant:
      return store::HostCompliance::kCompliant;
    case ComplianceStatus::kNotCompliant:
      return store::HostCompliance::kNotCompliant;
    case ComplianceStatus::kUnknown:
      return store::HostCompliance::kUnknown;
  }
  return store::HostCompliance::kUnknown;
}

std::optional<std::size_t> parseCount(std::string_view text) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Response listHosts(ServerContext& context, const HostRouteOptions& options,
                   const Request& request) {
  const Principal& principal = *request.principal;
  store::HostFilter filter;
  filter.owner = request.queryValue("owner");
  filter.kind = request.queryValue("kind");
  filter.status = request.queryValue("status");
  filter.collection = request.queryValue("collection");
  if (filter.kind && *filter.kind != store::kHostKindServer &&
      *filter.kind != store::kHostKindEndpoint) {
    return invalidQuery("kind", "use \"server\" or \"endpoint\".");
  }
  if (filter.status && *filter.status != store::kHostStatusActive &&
      *filter.status != store::kHostStatusRevoked) {
    return invalidQuery("status", "use \"active\" or \"revoked\".");
  }
  store::HostPageQuery query;
  query.filter = std::move(filter);
  query.now = context.clock.now();
  query.stale_after = options.stale_after;
  if (const auto compliance = request.queryValue("compliance")) {
    const auto status = parseComplianceStatus(*compliance);
    if (!status) {
      return invalidQuery("compliance", "use \"compliant\", \"not_compliant\" or \"unknown\".");
    }
    query.compliance = storeCompliance(*status);
  }

  // Paging and search, for the web console: `q` matches part of the host
  // name, id or owner in any case; `limit` and `offset` pick one page of
  // the hosts sorted by name, and the response then includes `total`. The
  // store does all of it in SQL.
  if (const auto q = request.queryValue("q")) query.search = *q;
  if (const auto text = request.queryValue("limit")) {
    const auto parsed = parseCount(*text);
    if (!parsed || *parsed < 1 || *parsed > kMaxHostPage) {
      return invalidQuery("limit", fmt::format("use a whole number from 1 to {}.", kMaxHostPage));
    }
    query.limit = *parsed;
  }
  if (const auto text = request.queryValue("offset")) {
    const auto parsed = parseCount(*text);
    if (!parsed) return invalidQuery("offset", "use a whole number from 0.");
    query.offset = *parsed;
  }

  // An owner sees only their own hosts, whatever owner the query names.
  if (!principal.seesAllHosts()) {
    if (query.filter.owner && *query.filter.owner != principal.username) {
      return jsonResponse(200, {{"items", nlohmann::json::array()}, {"total", 0}});
    }
    query.filter.owner = principal.username;
  }

  nlohmann::json items = nlohmann::json::array();
  std::size_t total = 0;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = nlohmann::json::array();
    auto page = store::listHostPage(session, query);
    if (!page) return tl::unexpected(page.error());
    total = page->total;
    std::vector<std::string> ids;
    ids.reserve(page->hosts.size());
    for (const auto& host : page->hosts) ids.push_back(host.id);
    auto open = store::countOpenFindingsWithoutException(session, ids, query.now);
    if (!open) return tl::unexpected(open.error());
    for (const auto& host : page->hosts) {
      const auto count = open->find(host.id);
      items.push_back(hostView(host, count == open->end() ? 0 : count->second, query.now, options));
    }
    return {};
  });
  if (!read) {
    spdlog::error("listing hosts failed: {}", read.error().message);
    return serverErrorResponse();
  }
  if (!query.limit) return jsonResponse(200, {{"items", std::move(items)}});
  return jsonResponse(200, {{"items", std::move(items)},
                            {"total", total},
                            {"offset", query.offset},
                            {"limit", *query.limit}});
}

Response getHost(ServerContext& context, const HostRouteOptions& options, const Request& request) {
  const std::string& host_id = request.path_params.at(0);
  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto host = store::getHost(session, host_id);
    if (!host) return tl::unexpected(host.error());
    if (!*host || !visibleTo(*request.principal, **host)) {
      response = hostNotFound(host_id);
      return {};
    }
    auto open = store::countOpenFindingsWithoutException(session, {host_id}, now);
    if (!open) return tl::unexpected(open.error());
    const auto count = open->find(host_id);
    nlohmann::json view = hostView(**host, count == open->end() ? 0 : count->second, now, options);
    auto windows = store::loadWindowsFacts(session, host_id);
    if (!windows) return tl::unexpected(windows.error());
    if (*windows) view["windows"] = windowsView(**windows);
    auto endpoint_restart = restartView(session, host_id);
    if (!endpoint_restart) return tl::unexpected(endpoint_restart.error());
    view["endpoint_restart"] = std::move(*endpoint_restart);
    response = jsonResponse(200, view);
    return {};
  });
  if (!read) {
    spdlog::error("reading host={} failed: {}", host_id, read.error().message);
    return serverErrorResponse();
  }
  return std::move(*response);
}

// Runs `change` on the stored host of the path inside a write transaction,
// for the manage_hosts routes. `change` edits the host and returns the
// audit action, or a response to send instead (nothing is written then).
// When `change` leaves the host as it was, nothing is written either. On
// success the response is the host as GET returns it.
using HostChange =
    std::function<std::variant<std::string, Response>(store::Session&, store::HostRecord&)>;

Response changeHost(ServerContext& context, const HostRouteOptions& options, const Request& request,
                    const HostChange& change) {
  const std::string& host_id = request.path_params.at(0);
  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  // The action of a change that was written, logged once the write commits.
  std::optional<std::string> changed_by_action;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    changed_by_action.reset();
    auto stored = store::getHost(session, host_id);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored || !visibleTo(*request.principal, **stored)) {
      response = hostNotFound(host_id);
      return {};
    }
    const store::HostRecord before = **stored;
    store::HostRecord after = before;
    auto decision = change(session, after);
    if (auto* rejection = std::get_if<Response>(&decision)) {
      response = std::move(*rejection);
      return {};
    }

    const nlohmann::json before_json = hostToJson(before);
    if (hostToJson(after) != before_json) {
      auto updated = store::updateHost(session, after);
      if (!updated) return updated;
      auto event = hostAuditEvent(request, now, std::get<std::string>(decision), before, after);
      auto appended = store::appendAuditEvent(session, event);
      if (!appended) return tl::unexpected(appended.error());
      changed_by_action = std::get<std::string>(decision);
    }

    auto open = store::countOpenFindingsWithoutException(session, {host_id}, now);
    if (!open) return tl::unexpected(open.error());
    const auto count = open->find(host_id);
    response =
        jsonResponse(200, hostView(after, count == open->end() ? 0 : count->second, now, options));
    return {};
  });
  if (!written) {
    spdlog::error("changing host={} failed: {}", host_id, written.error().message);
    return serverErrorResponse();
  }
  if (changed_by_action) {
    spdlog::info("host={} changed by {}: {}", host_id, userActor(request), *changed_by_action);
  }
  return std::move(*response);
}

// PATCH: validates the whole body before anything is changed.
Response patchHost(ServerContext& context, const HostRouteOptions& options,
                   const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);

  for (const auto& [key, value] : body.items()) {
    if (key != "kind" && key != "owner" && key != "collections") {
      return errorResponse(
          400, "invalid_field",
          fmt::format("Field \"{}\" cannot be changed. A host's kind, owner and collections can.",
                      key.substr(0, 80)));
    }
  }

  std::optional<std::string> kind;
  if (const auto found = body.find("kind"); found != body.end()) {
    if (!found->is_string() || (found->get_ref<const std::string&>() != store::kHostKindServer &&
                                found->get_ref<const std::string&>() != store::kHostKindEndpoint)) {
      return errorResponse(400, "invalid_field",
                           "Field \"kind\": expected \"server\" or \"endpoint\".");
    }
    kind = found->get<std::string>();
  }

  std::optional<std::string> owner;
  if (const auto found = body.find("owner"); found != body.end()) {
    if (found->is_null()) {
      owner = std::string();
    } else if (!found->is_string() || !isValidOwner(found->get_ref<const std::string&>())) {
      return errorResponse(400, "invalid_field",
                           "Field \"owner\": expected a username of at most 255 characters "
                           "without control characters, or null for no owner.");
    } else {
      owner = found->get<std::string>();
    }
  }

  std::optional<std::vector<std::string>> collections;
  if (const auto found = body.find("collections"); found != body.end()) {
    auto parsed_collections = parseCollectionList(*found, "collections");
    if (auto* rejection = std::get_if<Response>(&parsed_collections)) return std::move(*rejection);
    collections = std::get<std::vector<std::string>>(std::move(parsed_collections));
  }

  const SystemTime now = context.clock.now();
  return changeHost(
      context, options, request,
      [&](store::Session& session, store::HostRecord& host) -> std::variant<std::string, Response> {
        if (kind && *kind == store::kHostKindEndpoint && host.kind == store::kHostKindServer) {
          // Endpoints are in no maintenance window: the server leaves its
          // window, and a pending move to another is dropped, at once.
          auto released = releaseWindowOfHost(session, host.id, now, userActor(request),
                                              request.remote_address);
          Result<void> settled;
          if (released) settled = settleTicketsOfMove(session, *released, userActor(request), now);
          if (!released || !settled) {
            const std::string message =
                released ? settled.error().message : released.error().message;
            spdlog::error("taking host={} out of its window failed: {}", host.id, message);
            // Thrown so that the transaction rolls back; the Router returns 500.
            throw std::runtime_error("taking a host out of its window failed: " + message);
          }
        }
        if (kind) host.kind = *kind;
        if (owner) host.owner = *owner;
        if (collections) host.collections = *collections;
        return std::string("host.update");
      });
}

Response revokeHost(ServerContext& context, const HostRouteOptions& options,
                    const Request& request) {
  const SystemTime now = context.clock.now();
  return changeHost(
      context, options, request,
      [&](store::Session& session, store::HostRecord& host) -> std::variant<std::string, Response> {
        if (host.status == store::kHostStatusRevoked) return std::string("host.revoke");
        host.status = std::string(store::kHostStatusRevoked);
        host.reenrolment_approved_until.reset();
        // The revoke runs in the same transaction as the status change, so a
        // revoked host never keeps a working token.
        auto revoked = revokeHostCredentials(session, host.id, now);
        if (!revoked) {
          spdlog::error("revoking the credentials of host={} failed: {}", host.id,
                        revoked.error().message);
          // Thrown so that the transaction rolls back; the Router returns 500.
          throw std::runtime_error("revoking host credentials failed: " + revoked.error().message);
        }
        return std::string("host.revoke");
      });
}

Response approveReenrolment(ServerContext& context, const HostRouteOptions& options,
                            const Request& request) {
  const SystemTime now = context.clock.now();
  return changeHost(
      context, options, request,
      [&](store::Session&, store::HostRecord& host) -> std::variant<std::string, Response> {
        if (host.status == store::kHostStatusRevoked) {
          return errorResponse(
              409, "host_revoked",
              fmt::format("Host {} is revoked, so its machine can enrol as a new host without "
                          "approval.",
                          host.id));
        }
        host.reenrolment_approved_until = now + kReenrolmentApprovalValidity;
        return std::string("host.approve_reenrolment");
      });
}

void collectHostCounts(ServerContext& context, Metrics& metrics) {
  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
  for (const auto status : {store::kHostStatusActive, store::kHostStatusRevoked}) {
    for (const auto kind : {store::kHostKindServer, store::kHostKindEndpoint}) {
      counts[{std::string(status), std::string(kind)}] = 0;
    }
  }
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto stored = store::countHostsByStatusAndKind(session);
    if (!stored) return tl::unexpected(stored.error());
    for (const auto& [key, count] : *stored) counts[key] = count;
    return {};
  });
  if (!read) {
    // The previous values stay, so a failed read does not look like an
    // empty fleet.
    spdlog::warn("counting hosts for /metrics failed: {}", read.error().message);
    return;
  }
  for (const auto& [key, count] : counts) {
    metrics.set(kHostsMetric, {{"status", key.first}, {"kind", key.second}},
                static_cast<double>(count));
  }
}

}  // namespace

nlohmann::json hostToJson(const store::HostRecord& host) {
  return {
      {"id", host.id},
      {"hostname", host.hostname},
      {"machine_id", host.machine_id},
      {"kind", host.kind},
      {"owner", host.owner},
      {"collections", host.collections},
      {"status", host.status},
      {"reenrolment_approved_until", optionalTime(host.reenrolment_approved_until)},
      {"enrolled_at", formatRfc3339(host.enrolled_at)},
      {"last_seen_at", optionalTime(host.last_seen_at)},
      {"os",
       {{"id", host.os_id},
        {"version_id", host.os_version_id},
        {"codename", host.os_codename},
        {"pretty_name", host.os_pretty_name},
        {"ecosystem", host.os_ecosystem}}},
      {"kernel", host.kernel},
      {"last_boot", optionalTime(host.last_boot)},
      {"restart",
       {{"required", host.restart_required},
        {"reason", host.restart_reason},
        {"packages", host.restart_packages}}},
      {"inventory",
       {{"hash",
         host.inventory_hash.empty() ? nlohmann::json() : nlohmann::json(host.inventory_hash)},
        {"received_at", optionalTime(host.inventory_received_at)}}},
      {"package_lists_updated_at", optionalTime(host.package_lists_updated_at)},
  };
}

void addHostRoutes(Router& router, ServerContext& context, const HostRouteOptions& options) {
  // Handlers outlive this call; the options are copied into shared state.
  auto shared_options = std::make_shared<const HostRouteOptions>(options);
  ServerContext* ctx = &context;

  describeCheckinMetrics(context.metrics);
  context.metrics.describe(kHostsMetric, Metrics::Type::kGauge,
                           "Enrolled hosts, by status (active, revoked) and kind.");
  context.metrics.addCollector([ctx](Metrics& metrics) { collectHostCounts(*ctx, metrics); });

  router.add("POST", "/api/v1/enrol", Permission::kPublic,
             [ctx](Request& request) { return handleEnrol(*ctx, request); });
  router.add("POST", fmt::format("{}/reports", kHostPath), Permission::kAgent,
             [ctx, shared_options](Request& request) {
               return handleReport(*ctx, *shared_options, request);
             });
  router.add("GET", "/api/v1/hosts", Permission::kReadHosts,
             [ctx, shared_options](Request& request) {
               return listHosts(*ctx, *shared_options, request);
             });
  router.add(
      "GET", std::string(kHostPath), Permission::kReadHosts,
      [ctx, shared_options](Request& request) { return getHost(*ctx, *shared_options, request); });
  router.add("PATCH", std::string(kHostPath), Permission::kManageHosts,
             [ctx, shared_options](Request& request) {
               return patchHost(*ctx, *shared_options, request);
             });
  router.add("POST", fmt::format("{}/revoke", kHostPath), Permission::kManageHosts,
             [ctx, shared_options](Request& request) {
               return revokeHost(*ctx, *shared_options, request);
             });
  router.add("POST", fmt::format("{}/approve-reenrolment", kHostPath), Permission::kManageHosts,
             [ctx, shared_options](Request& request) {
               return approveReenrolment(*ctx, *shared_options, request);
             });
  router.add("GET", "/api/v1/enrolment-secrets", Permission::kManageEnrolment,
             [ctx](Request& request) { return handleListEnrolmentSecrets(*ctx, request); });
  router.add("POST", "/api/v1/enrolment-secrets", Permission::kManageEnrolment,
             [ctx](Request& request) { return handleCreateEnrolmentSecret(*ctx, request); });
  router.add("DELETE", "/api/v1/enrolment-secrets/([0-9]+)", Permission::kManageEnrolment,
             [ctx](Request& request) { return handleRevokeEnrolmentSecret(*ctx, request); });
}

}  // namespace pk::server
