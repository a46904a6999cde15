#include "server/patch_routes.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/advisory_codec.h"
#include "server/patch_catalog.h"
#include "server/patches.h"
#include "store/audit_repository.h"

namespace pk::server {
namespace {

using json = nlohmann::json;

constexpr std::string_view kPatchPath = "/api/v1/patches/(p-[0-9a-f]{16})";
constexpr std::string_view kRulePath = "/api/v1/approval-rules/([0-9]{1,18})";
constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;
// Hosts shown on one patch's page; "affected_hosts" gives the full count.
constexpr std::size_t kMaxHostsShown = 1000;

PatchBodyRejection invalidField(std::string_view field, std::string_view problem) {
  return PatchBodyRejection{400, "invalid_field", fmt::format("Field \"{}\": {}", field, problem)};
}

std::optional<PatchBodyRejection> rejectUnknownFields(
    const json& body, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : body.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    return PatchBodyRejection{400, "unknown_field",
                              fmt::format("Field \"{}\" is not allowed here.", key.substr(0, 80))};
  }
  return std::nullopt;
}

// Reads an optional text field: absent gives "", anything but a string
// within `limit` bytes and free of NUL is a rejection.
std::variant<std::string, PatchBodyRejection> optionalText(const json& body, std::string_view field,
                                                           std::size_t limit) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::string();
  if (!found->is_string()) return invalidField(field, "expected a string.");
  std::string text = found->get<std::string>();
  if (text.size() > limit) {
    return invalidField(field, fmt::format("at most {} bytes are allowed.", limit));
  }
  if (text.find('\0') != std::string::npos) {
    return invalidField(field, "a NUL character is not allowed.");
  }
  return text;
}

std::variant<bool, PatchBodyRejection> optionalFlag(const json& body, std::string_view field,
                                                    bool fallback) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return fallback;
  if (!found->is_boolean()) return invalidField(field, "expected true or false.");
  return found->get<bool>();
}

Response internalError() {
  return errorResponse(500, "internal_error",
                       "The server failed to handle the request. The error has been logged; try "
                       "again, and tell the administrator if it persists.");
}

Response toResponse(const PatchBodyRejection& rejection) {
  return errorResponse(rejection.status, rejection.code, rejection.message);
}

Response invalidQuery(std::string_view name, std::string_view problem) {
  return errorResponse(400, "invalid_query",
                       fmt::format("Query parameter \"{}\": {}", name, problem));
}

Response patchNotFound(const std::string& id) {
  return errorResponse(
      404, "not_found",
      fmt::format("No patch {} is known; list patches with GET /api/v1/patches.", id));
}

std::string actorOf(const Request& request) {
  return "user:" + request.principal->username;
}

json optionalTime(const std::optional<SystemTime>& time) {
  return time ? json(formatRfc3339(*time)) : json();
}

json decisionToJson(const store::PatchRecord& patch) {
  return {
      {"status", patch.decision},
      {"decided_by", patch.decided_by.empty() ? json() : json(patch.decided_by)},
      {"decided_at", optionalTime(patch.decided_at)},
      {"reason", patch.decision_reason.empty() ? json() : json(patch.decision_reason)},
  };
}

json summaryToJson(const store::PatchSummary& summary) {
  const store::PatchRecord& patch = summary.patch;
  return {
      {"id", patch.id},
      {"kind", patch.kind},
      {"ecosystem", patch.ecosystem},
      {"name", patch.kind == kPatchKindKb ? "KB" + patch.name : patch.name},
      {"version", patch.version.empty() ? json() : json(patch.version)},
      {"first_seen_at", formatRfc3339(patch.first_seen_at)},
      {"advisories", summary.advisories},
      {"cve_ids", summary.cve_ids},
      {"highest_severity", summary.highest_severity},
      {"known_exploited", summary.known_exploited},
      {"earliest_kev_due_date",
       summary.earliest_kev_due_date.empty() ? json() : json(summary.earliest_kev_due_date)},
      {"highest_epss", summary.highest_epss ? json(*summary.highest_epss) : json()},
      {"affected_hosts", summary.affected_hosts},
      {"decision", decisionToJson(patch)},
  };
}

json ruleToJson(const store::ApprovalRuleRecord& rule) {
  return {
      {"id", rule.id},
      {"name", rule.name},
      {"ecosystem", rule.ecosystem.empty() ? json() : json(rule.ecosystem)},
      {"minimum_severity", rule.minimum_severity},
      {"kev_only", rule.known_exploited_only},
      {"include_host_repository", rule.include_host_repository},
      {"enabled", rule.enabled},
      {"created_by", rule.created_by},
      {"created_at", formatRfc3339(rule.created_at)},
  };
}

std::optional<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Reads the list filters into `query`, or returns the 400 response to send.
std::optional<Response> readPatchFilters(const Request& request, store::PatchQuery& query) {
  if (auto ecosystem = request.queryValue("ecosystem")) query.ecosystem = *ecosystem;
  if (auto decision = request.queryValue("decision")) {
    if (*decision != store::kPatchDecisionPending && *decision != store::kPatchDecisionApproved &&
        *decision != store::kPatchDecisionDeclined) {
      return invalidQuery("decision", "use pending, approved or declined.");
    }
    query.decision = *decision;
  }
  if (auto severity = request.queryValue("severity")) {
    if (!parseSeverityName(*severity)) {
      return invalidQuery("severity", "use unknown, none, low, medium, high or critical.");
    }
    query.minimum_severity = *severity;
  }
  if (auto kev = request.queryValue("kev")) {
    if (*kev != "true" && *kev != "false") return invalidQuery("kev", "use true or false.");
    query.known_exploited_only = *kev == "true";
  }
  query.limit = kDefaultLimit;
  if (auto limit = request.queryValue("limit")) {
    auto parsed = parseInteger(*limit);
    if (!parsed || *parsed < 1 || static_cast<std::size_t>(*parsed) > kMaxLimit) {
      return invalidQuery("limit", fmt::format("use a whole number from 1 to {}.", kMaxLimit));
    }
    query.limit = static_cast<std::size_t>(*parsed);
  }
  if (auto after = request.queryValue("after")) {
    if (!isPatchId(*after))
      return invalidQuery("after", "use a patch id such as p-0123456789abcdef.");
    query.after_id = *after;
  }
  return std::nullopt;
}

Response listPatchesRoute(ServerContext& context, const Request& request) {
  store::PatchQuery query;
  if (auto invalid = readPatchFilters(request, query)) return *invalid;
  std::vector<store::PatchSummary> summaries;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto listed = store::listPatchSummaries(session, query);
    if (!listed) return tl::unexpected(listed.error());
    summaries = std::move(*listed);
    return {};
  });
  if (!read) {
    spdlog::error("listing patches failed: {}", read.error().message);
    return internalError();
  }
  json items = json::array();
  for (const auto& summary : summaries) items.push_back(summaryToJson(summary));
  json next = nullptr;
  if (!summaries.empty() && summaries.size() == query.limit) next = summaries.back().patch.id;
  return jsonResponse(200, {{"items", std::move(items)}, {"next_after", std::move(next)}});
}

Response getPatchRoute(ServerContext& context, const Request& request) {
  const std::string& id = request.path_params.at(0);
  std::optional<json> view;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    store::PatchQuery query;
    query.ids = std::vector<std::string>{id};
    query.include_resolved = true;
    auto listed = store::listPatchSummaries(session, query);
    if (!listed) return tl::unexpected(listed.error());
    if (listed->empty()) return {};
    json patch = summaryToJson(listed->front());

    auto hosts = store::listPatchHosts(session, id, kMaxHostsShown);
    if (!hosts) return tl::unexpected(hosts.error());
    json host_items = json::array();
    for (const auto& host : *hosts) {
      host_items.push_back({{"host_id", host.host_id},
                            {"hostname", host.hostname},
                            {"open_findings", host.open_findings}});
    }
    patch["hosts"] = std::move(host_items);
    patch["hosts_truncated"] =
        listed->front().affected_hosts > static_cast<std::int64_t>(hosts->size());

    auto decisions = store::listPatchDecisions(session, id);
    if (!decisions) return tl::unexpected(decisions.error());
    json history = json::array();
    for (const auto& decision : *decisions) {
      history.push_back({{"decision", decision.decision},
                         {"decided_by", decision.decided_by},
                         {"decided_at", formatRfc3339(decision.decided_at)},
                         {"reason", decision.reason}});
    }
    patch["decision_history"] = std::move(history);

    auto changelog = patchChangelog(session, listed->front().patch);
    if (!changelog) return tl::unexpected(changelog.error());
    json entries = json::array();
    for (const auto& entry : *changelog) {
      entries.push_back({{"version", entry.version},
                         {"distributions", entry.distributions},
                         {"urgency", entry.urgency},
                         {"date", entry.date},
                         {"body", entry.body}});
    }
    patch["changelog"] = std::move(entries);
    view = std::move(patch);
    return {};
  });
  if (!read) {
    spdlog::error("patch={} reading failed: {}", id, read.error().message);
    return internalError();
  }
  if (!view) return patchNotFound(id);
  return jsonResponse(200, *view);
}

Response decidePatchRoute(ServerContext& context, const Request& request) {
  const std::string& id = request.path_params.at(0);
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  auto body = parsePatchDecisionBody(std::get<json>(parsed));
  if (auto* rejection = std::get_if<PatchBodyRejection>(&body)) return toResponse(*rejection);
  const PatchDecisionBody& decision = std::get<PatchDecisionBody>(body);

  const SystemTime now = context.clock.now();
  bool unknown = false;
  std::optional<store::PatchRecord> decided;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    unknown = false;
    decided.reset();
    auto result = decidePatch(session, id, decision.decision, actorOf(request), decision.reason,
                              request.remote_address, now);
    if (!result) {
      if (result.error().code != ErrorCode::kNotFound) return tl::unexpected(result.error());
      unknown = true;
      return {};
    }
    decided = std::move(*result);
    return {};
  });
  if (!written) {
    spdlog::error("patch={} decision failed: {}", id, written.error().message);
    return internalError();
  }
  if (unknown) return patchNotFound(id);
  spdlog::info("patch={} decision={} by={}", id, decision.decision, actorOf(request));
  return jsonResponse(200, {{"id", id}, {"decision", decisionToJson(*decided)}});
}

Response listRulesRoute(ServerContext& context) {
  json items = json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = json::array();
    auto rules = store::listApprovalRules(session);
    if (!rules) return tl::unexpected(rules.error());
    for (const auto& rule : *rules) items.push_back(ruleToJson(rule));
    return {};
  });
  if (!read) {
    spdlog::error("listing approval rules failed: {}", read.error().message);
    return internalError();
  }
  return jsonResponse(200, {{"items", std::move(items)}});
}

Result<void> auditRule(store::Session& session, const Request& request, SystemTime now,
                       const std::string& action, const store::ApprovalRuleRecord& rule,
                       bool created) {
  store::AuditEvent event;
  event.at = now;
  event.actor = actorOf(request);
  event.action = action;
  event.object_type = "approval_rule";
  event.object_id = std::to_string(rule.id);
  event.before_json = created ? "" : ruleToJson(rule).dump();
  event.after_json = created ? ruleToJson(rule).dump() : "";
  event.remote_address = request.remote_address;
  auto appended = store::appendAuditEvent(session, event);
  if (!appended) return tl::unexpected(appended.error());
  return {};
}

Response createRuleRoute(ServerContext& context, const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  auto body = parseApprovalRuleBody(std::get<json>(parsed));
  if (auto* rejection = std::get_if<PatchBodyRejection>(&body)) return toResponse(*rejection);

  const SystemTime now = context.clock.now();
  store::ApprovalRuleRecord rule = std::get<store::ApprovalRuleRecord>(body);
  rule.created_by = actorOf(request);
  rule.created_at = now;
  int approved = 0;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    approved = 0;
    auto id = store::insertApprovalRule(session, rule);
    if (!id) return tl::unexpected(id.error());
    rule.id = *id;
    if (auto audited = auditRule(session, request, now, "approval_rule.create", rule, true);
        !audited) {
      return audited;
    }
    auto applied = applyApprovalRules(session, now);
    if (!applied) return tl::unexpected(applied.error());
    approved = *applied;
    return {};
  });
  if (!written) {
    spdlog::error("creating an approval rule failed: {}", written.error().message);
    return internalError();
  }
  spdlog::info("approval_rule={} created by={}; it approved {} patches", rule.id, actorOf(request),
               approved);
  json view = ruleToJson(rule);
  view["approved_patches"] = approved;
  return jsonResponse(201, view);
}

Response deleteRuleRoute(ServerContext& context, const Request& request) {
  const auto id = parseInteger(request.path_params.at(0)).value_or(0);
  const SystemTime now = context.clock.now();
  bool found = false;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    found = false;
    auto rule = store::getApprovalRule(session, id);
    if (!rule) return tl::unexpected(rule.error());
    if (!*rule) return {};
    found = true;
    if (auto deleted = store::deleteApprovalRule(session, id); !deleted) return deleted;
    return auditRule(session, request, now, "approval_rule.delete", **rule, false);
  });
  if (!written) {
    spdlog::error("approval_rule={} deleting failed: {}", id, written.error().message);
    return internalError();
  }
  if (!found) {
    return errorResponse(404, "not_found", fmt::format("No approval rule has id {}.", id));
  }
  spdlog::info("approval_rule={} deleted by={}", id, actorOf(request));
  Response response;
  response.status = 204;
  return response;
}

}  // namespace

std::variant<PatchDecisionBody, PatchBodyRejection> parsePatchDecisionBody(const json& body) {
  if (!body.is_object()) return PatchBodyRejection{400, "not_an_object", "Expected a JSON object."};
  if (auto unknown = rejectUnknownFields(body, {"decision", "reason"})) return *unknown;

  const auto decision = body.find("decision");
  if (decision == body.end() || !decision->is_string() ||
      (*decision != store::kPatchDecisionApproved && *decision != store::kPatchDecisionDeclined)) {
    return invalidField("decision", "expected \"approved\" or \"declined\".");
  }
  PatchDecisionBody parsed;
  parsed.decision = decision->get<std::string>();

  auto reason = optionalText(body, "reason", kMaxDecisionReasonBytes);
  if (auto* rejection = std::get_if<PatchBodyRejection>(&reason)) return *rejection;
  parsed.reason = std::get<std::string>(std::move(reason));
  if (parsed.decision == store::kPatchDecisionDeclined && parsed.reason.empty()) {
    return invalidField("reason", "a decline needs a reason saying why.");
  }
  return parsed;
}

std::variant<store::ApprovalRuleRecord, PatchBodyRejection> parseApprovalRuleBody(
    const json& body) {
  if (!body.is_object()) return PatchBodyRejection{400, "not_an_object", "Expected a JSON object."};
  if (auto unknown = rejectUnknownFields(body, {"name", "ecosystem", "minimum_severity", "kev_only",
                                                "include_host_repository", "enabled"})) {
    return *unknown;
  }
  store::ApprovalRuleRecord rule;

  auto name = optionalText(body, "name", kMaxRuleNameBytes);
  if (auto* rejection = std::get_if<PatchBodyRejection>(&name)) return *rejection;
  rule.name = std::get<std::string>(std::move(name));
  if (rule.name.empty()) return invalidField("name", "expected a non-empty string.");

  auto ecosystem = optionalText(body, "ecosystem", kMaxRuleEcosystemBytes);
  if (auto* rejection = std::get_if<PatchBodyRejection>(&ecosystem)) return *rejection;
  rule.ecosystem = std::get<std::string>(std::move(ecosystem));

  const auto severity = body.find("minimum_severity");
  if (severity != body.end() && !severity->is_null()) {
    if (!severity->is_string() || !parseSeverityName(severity->get_ref<const std::string&>())) {
      return invalidField("minimum_severity",
                          "expected unknown, none, low, medium, high or critical.");
    }
    rule.minimum_severity = severity->get<std::string>();
  }

  for (auto [field, target, fallback] :
       {std::tuple{"kev_only", &rule.known_exploited_only, false},
        std::tuple{"include_host_repository", &rule.include_host_repository, false},
        std::tuple{"enabled", &rule.enabled, true}}) {
    auto flag = optionalFlag(body, field, fallback);
    if (auto* rejection = std::get_if<PatchBodyRejection>(&flag)) return *rejection;
    *target = std::get<bool>(flag);
  }
  return rule;
}

void addPatchRoutes(Router& router, ServerContext& context) {
  router.add("GET", "/api/v1/patches", Permission::kReadReports,
             [&context](Request& request) { return listPatchesRoute(context, request); });
  router.add("GET", std::string(kPatchPath), Permission::kReadReports,
             [&context](Request& request) { return getPatchRoute(context, request); });
  router.add("POST", fmt::format("{}/decision", kPatchPath), Permission::kDecidePatches,
             [&context](Request& request) { return decidePatchRoute(context, request); });
  router.add("GET", "/api/v1/approval-rules", Permission::kReadReports,
             [&context](Request&) { return listRulesRoute(context); });
  router.add("POST", "/api/v1/approval-rules", Permission::kDecidePatches,
             [&context](Request& request) { return createRuleRoute(context, request); });
  router.add("DELETE", std::string(kRulePath), Permission::kDecidePatches,
             [&context](Request& request) { return deleteRuleRoute(context, request); });
}

}  // namespace pk::server
