#include "server/deployment_routes.h"

#include <charconv>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/deployment_repository.h"
#include "store/host_repository.h"

namespace pk::server {
namespace {

using json = nlohmann::json;

constexpr std::string_view kDeploymentPath = "/api/v1/deployments/(d-[0-9a-f]{16})";
constexpr std::string_view kAgentJobsPath = "/api/v1/hosts/(h-[0-9a-f]{16})/jobs";
constexpr std::size_t kMaxListLimit = 500;

std::string actorOf(const Request& request) {
  return request.principal ? "user:" + request.principal->username : std::string("system");
}

Response rejectionResponse(const Rejection& rejection) {
  return errorResponse(rejection.status, rejection.code, rejection.message);
}

// Runs `change` in a write transaction and responds with the deployment it
// returns, or with its rejection.
template <typename Change>
Response writeDeployment(ServerContext& context, const char* what, int success_status,
                         const Change& change) {
  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto outcome = change(session, now);
    if (!outcome) return tl::unexpected(outcome.error());
    if (auto* rejection = std::get_if<Rejection>(&*outcome)) {
      response = rejectionResponse(*rejection);
      return {};
    }
    response =
        jsonResponse(success_status, deploymentToJson(std::get<store::DeploymentRecord>(*outcome)));
    return {};
  });
  if (!written) {
    spdlog::error("{} a deployment failed: {}", what, written.error().message);
    return serverErrorResponse();
  }
  return std::move(*response);
}

std::optional<std::size_t> sizeQuery(const Request& request, std::string_view name,
                                     std::size_t fallback, std::size_t maximum) {
  auto text = request.queryValue(name);
  if (!text) return fallback;
  std::size_t value = 0;
  const auto* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end || value > maximum) return std::nullopt;
  return value;
}

Response listRoute(ServerContext& context, const Request& request) {
  store::DeploymentFilter filter;
  if (auto status = request.queryValue("status")) {
    static const std::set<std::string> kStatuses = {
        std::string(store::kDeploymentAwaitingApproval), std::string(store::kDeploymentActive),
        std::string(store::kDeploymentHalted), std::string(store::kDeploymentCompleted),
        std::string(store::kDeploymentCancelled)};
    if (!kStatuses.contains(*status)) {
      return errorResponse(400, "invalid_query",
                           "Query parameter \"status\": use awaiting_approval, active, halted, "
                           "completed or cancelled.");
    }
    filter.status = *status;
  }
  auto limit = sizeQuery(request, "limit", 100, kMaxListLimit);
  auto offset = sizeQuery(request, "offset", 0, SIZE_MAX / 2);
  if (!limit || *limit == 0 || !offset) {
    return errorResponse(400, "invalid_query",
                         fmt::format("Query parameters \"limit\" (1 to {}) and \"offset\" must "
                                     "be whole numbers.",
                                     kMaxListLimit));
  }
  filter.limit = *limit;
  filter.offset = *offset;
  json items = json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = json::array();
    auto deployments = store::listDeployments(session, filter);
    if (!deployments) return tl::unexpected(deployments.error());
    for (const auto& deployment : *deployments) items.push_back(deploymentToJson(deployment));
    return {};
  });
  if (!read) {
    spdlog::error("listing deployments failed: {}", read.error().message);
    return serverErrorResponse();
  }
  return jsonResponse(200, {{"deployments", items}, {"limit", *limit}, {"offset", *offset}});
}

// Builds the JSON view of object `id` in one read transaction. `build`
// returns nullopt when the object does not exist, which gives 404.
Response viewRoute(ServerContext& context, std::string_view noun, const std::string& id,
                   const std::function<Result<std::optional<json>>(store::Session&)>& build) {
  std::optional<json> body;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto built = build(session);
    if (!built) return tl::unexpected(built.error());
    body = std::move(*built);
    return {};
  });
  if (!read) {
    spdlog::error("reading {} {} failed: {}", noun, id, read.error().message);
    return serverErrorResponse();
  }
  if (!body) return errorResponse(404, "not_found", fmt::format("No {} {} exists.", noun, id));
  return jsonResponse(200, *body);
}

Response showRoute(ServerContext& context, const Request& request) {
  const std::string& id = request.path_params.at(0);
  return viewRoute(context, "deployment", id,
                   [&](store::Session& session) -> Result<std::optional<json>> {
                     auto deployment = store::getDeployment(session, id);
                     if (!deployment) return tl::unexpected(deployment.error());
                     if (!*deployment) return std::nullopt;
                     json view = deploymentToJson(**deployment);
                     auto events = store::listDeploymentEvents(session, id);
                     if (!events) return tl::unexpected(events.error());
                     json log = json::array();
                     for (const auto& event : *events) {
                       log.push_back({{"at", formatRfc3339(event.at)},
                                      {"kind", event.kind},
                                      {"actor", event.actor},
                                      {"message", event.message}});
                     }
                     view["events"] = std::move(log);
                     json counts = json::array();
                     for (const auto& ring : (*deployment)->rings) {
                       auto states = store::countJobStates(session, id, ring.position);
                       if (!states) return tl::unexpected(states.error());
                       counts.push_back(*states);
                     }
                     view["job_states_by_ring"] = std::move(counts);
                     return view;
                   });
}

Response jobsRoute(ServerContext& context, const Request& request) {
  const std::string& id = request.path_params.at(0);
  return viewRoute(context, "deployment", id,
                   [&](store::Session& session) -> Result<std::optional<json>> {
                     auto deployment = store::getDeployment(session, id);
                     if (!deployment) return tl::unexpected(deployment.error());
                     if (!*deployment) return std::nullopt;
                     auto jobs = store::listJobsOfDeploymentWithHostnames(session, id);
                     if (!jobs) return tl::unexpected(jobs.error());
                     json items = json::array();
                     for (const auto& listed : *jobs) {
                       json item = jobToJson(listed.job);
                       item["hostname"] = listed.hostname;
                       items.push_back(std::move(item));
                     }
                     return json{{"jobs", std::move(items)}};
                   });
}

Response jobRoute(ServerContext& context, const Request& request) {
  const std::string& id = request.path_params.at(0);
  return viewRoute(context, "job", id, [&](store::Session& session) -> Result<std::optional<json>> {
    auto job = store::getJob(session, id);
    if (!job) return tl::unexpected(job.error());
    if (!*job) return std::nullopt;
    json view = jobToJson(**job);
    auto host = store::getHost(session, (*job)->host_id);
    if (!host) return tl::unexpected(host.error());
    view["hostname"] = *host ? (*host)->hostname : std::string();
    auto events = store::listJobEvents(session, id);
    if (!events) return tl::unexpected(events.error());
    json log = json::array();
    for (const auto& event : *events) {
      log.push_back({{"at", formatRfc3339(event.at)},
                     {"received_at", formatRfc3339(event.received_at)},
                     {"source", event.source},
                     {"state", event.state},
                     {"message", event.message},
                     {"output", event.output},
                     {"packages", json::parse(event.packages_json, nullptr, false)},
                     {"report_id", event.report_id ? json(*event.report_id) : json(nullptr)}});
    }
    view["events"] = std::move(log);
    return view;
  });
}

std::optional<Response> wrongHost(const Request& request) {
  const std::string& host_id = request.path_params.at(0);
  if (request.principal && request.principal->isHost() && request.principal->host_id == host_id) {
    return std::nullopt;
  }
  return errorResponse(403, "wrong_host",
                       fmt::format("This credential may not read or write the jobs of host {}. "
                                   "An agent works only on its own host's jobs.",
                                   host_id));
}

Response agentJobsRoute(ServerContext& context, const DeploymentServices& services,
                        const Request& request) {
  if (auto refused = wrongHost(request)) return *refused;
  const std::string& host_id = request.path_params.at(0);
  const SystemTime now = context.clock.now();
  std::optional<protocol::JobList> list;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto jobs = jobsForHost(session, services, host_id, now);
    if (!jobs) return tl::unexpected(jobs.error());
    list = std::move(*jobs);
    return {};
  });
  if (!read) {
    spdlog::error("listing the jobs of host={} failed: {}", host_id, read.error().message);
    return serverErrorResponse();
  }
  return jsonResponse(200, protocol::toJson(*list));
}

Response agentEventRoute(ServerContext& context, const Request& request) {
  if (auto refused = wrongHost(request)) return *refused;
  const std::string& host_id = request.path_params.at(0);
  const std::string& job_id = request.path_params.at(1);
  auto event = protocol::parseJobEvent(request.body);
  if (!event) return errorResponse(400, "invalid_event", event.error().message);

  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto outcome = recordJobEvent(session, host_id, job_id, *event, now);
    if (!outcome) return tl::unexpected(outcome.error());
    if (auto* rejection = std::get_if<Rejection>(&*outcome)) {
      response = rejectionResponse(*rejection);
      return {};
    }
    response = jsonResponse(200, protocol::toJson(std::get<protocol::JobEventResponse>(*outcome)));
    return {};
  });
  if (!written) {
    spdlog::error("recording an event of job={} failed: {}", job_id, written.error().message);
    return serverErrorResponse();
  }
  if (response->status == 200) {
    spdlog::info("host={} job={} reported {}", host_id, job_id, deploy::jobStateName(event->state));
  }
  return std::move(*response);
}

}  // namespace

void addDeploymentRoutes(Router& router, ServerContext& context,
                         const DeploymentServices& services) {
  ServerContext* ctx = &context;
  auto shared = std::make_shared<const DeploymentServices>(services);

  router.add("GET", "/api/v1/deployments", Permission::kReadDeployments,
             [ctx](Request& request) { return listRoute(*ctx, request); });
  router.add("POST", "/api/v1/deployments", Permission::kManageDeployments,
             [ctx, shared](Request& request) {
               auto parsed = parseJsonBody(request);
               if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
               auto body = parseDeploymentRequest(std::get<json>(parsed), ctx->clock.now());
               if (auto* rejection = std::get_if<Rejection>(&body)) {
                 return rejectionResponse(*rejection);
               }
               const auto& deployment = std::get<DeploymentRequest>(body);
               const std::string actor = actorOf(request);
               return writeDeployment(
                   *ctx, "creating", 201, [&](store::Session& session, SystemTime now) {
                     return createDeployment(session, *shared, deployment, actor, now);
                   });
             });
  router.add("GET", std::string(kDeploymentPath), Permission::kReadDeployments,
             [ctx](Request& request) { return showRoute(*ctx, request); });
  router.add("GET", fmt::format("{}/jobs", kDeploymentPath), Permission::kReadDeployments,
             [ctx](Request& request) { return jobsRoute(*ctx, request); });
  router.add("POST", fmt::format("{}/approve", kDeploymentPath), Permission::kManageDeployments,
             [ctx, shared](Request& request) {
               const std::string id = request.path_params.at(0);
               const std::string actor = actorOf(request);
               return writeDeployment(*ctx, "approving", 200,
                                      [&](store::Session& session, SystemTime now) {
                                        return approveDeployment(session, *shared, id, actor, now);
                                      });
             });
  router.add("POST", fmt::format("{}/cancel", kDeploymentPath), Permission::kManageDeployments,
             [ctx](Request& request) {
               std::string reason;
               if (!request.body.empty()) {
                 auto parsed = parseJsonBody(request);
                 if (auto* rejection = std::get_if<Response>(&parsed)) {
                   return std::move(*rejection);
                 }
                 const json& body = std::get<json>(parsed);
                 if (auto it = body.find("reason"); it != body.end() && !it->is_null()) {
                   if (!it->is_string() || it->get<std::string>().size() > 4096) {
                     return errorResponse(400, "invalid_field",
                                          "Field \"reason\": expected a string of at most 4096 "
                                          "bytes.");
                   }
                   reason = it->get<std::string>();
                 }
               }
               const std::string id = request.path_params.at(0);
               const std::string actor = actorOf(request);
               return writeDeployment(*ctx, "cancelling", 200,
                                      [&](store::Session& session, SystemTime now) {
                                        return cancelDeployment(session, id, actor, reason, now);
                                      });
             });
  router.add("GET", "/api/v1/jobs/(j-[0-9a-f]{16})", Permission::kReadDeployments,
             [ctx](Request& request) { return jobRoute(*ctx, request); });
  router.add("GET", std::string(kAgentJobsPath), Permission::kAgent,
             [ctx, shared](Request& request) { return agentJobsRoute(*ctx, *shared, request); });
  router.add("POST", fmt::format("{}/(j-[0-9a-f]{{16}})/events", kAgentJobsPath),
             Permission::kAgent,
             [ctx](Request& request) { return agentEventRoute(*ctx, request); });
}

}  // namespace pk::server
