#include "server/deployment_rule_routes.h"

#include <optional>

#include <spdlog/spdlog.h>

#include "server/deployment_rules.h"

namespace pk::server {
namespace {

using json = nlohmann::json;

std::string actorOf(const Request& request) {
  return request.principal ? "user:" + request.principal->username : std::string("system");
}

Response listRoute(ServerContext& context) {
  const SystemTime now = context.clock.now();
  json items = json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = json::array();
    auto rules = store::listDeploymentRules(session);
    if (!rules) return tl::unexpected(rules.error());
    for (const auto& rule : *rules) items.push_back(deploymentRuleToJson(rule, now));
    return {};
  });
  if (!read) {
    spdlog::error("listing deployment rules failed: {}", read.error().message);
    return serverErrorResponse();
  }
  return jsonResponse(200, {{"deployment_rules", items}});
}

Response createRoute(ServerContext& context, const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  auto body = parseDeploymentRuleRequest(std::get<json>(parsed));
  if (auto* rejection = std::get_if<Rejection>(&body)) {
    return errorResponse(rejection->status, rejection->code, rejection->message);
  }
  const auto& fields = std::get<store::DeploymentRuleRecord>(body);
  const std::string actor = actorOf(request);
  const SystemTime now = context.clock.now();
  std::optional<store::DeploymentRuleRecord> created;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    created.reset();
    auto rule = createDeploymentRule(session, fields, actor, now);
    if (!rule) return tl::unexpected(rule.error());
    created = std::move(*rule);
    return {};
  });
  if (!written) {
    spdlog::error("creating a deployment rule failed: {}", written.error().message);
    return serverErrorResponse();
  }
  return jsonResponse(201, deploymentRuleToJson(*created, now));
}

Response deleteRoute(ServerContext& context, const Request& request) {
  const std::string id = request.path_params.at(0);
  const std::string actor = actorOf(request);
  const SystemTime now = context.clock.now();
  bool deleted = false;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    auto removed = removeDeploymentRule(session, id, actor, now);
    if (!removed) return tl::unexpected(removed.error());
    deleted = *removed;
    return {};
  });
  if (!written) {
    spdlog::error("deleting deployment rule {} failed: {}", id, written.error().message);
    return serverErrorResponse();
  }
  if (!deleted) {
    return errorResponse(404, "not_found", "No deployment rule " + id + " exists.");
  }
  return Response{.status = 204, .content_type = "", .body = "", .headers = {}};
}

}  // namespace

void addDeploymentRuleRoutes(Router& router, ServerContext& context) {
  ServerContext* ctx = &context;
  router.add("GET", "/api/v1/deployment-rules", Permission::kReadDeployments,
             [ctx](Request&) { return listRoute(*ctx); });
  router.add("POST", "/api/v1/deployment-rules", Permission::kManageDeployments,
             [ctx](Request& request) { return createRoute(*ctx, request); });
  router.add("DELETE", "/api/v1/deployment-rules/(r-[0-9a-f]{16})", Permission::kManageDeployments,
             [ctx](Request& request) { return deleteRoute(*ctx, request); });
}

}  // namespace pk::server
