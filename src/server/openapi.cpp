#include "server/openapi.h"
#include "server/web_console.h"

#include <map>
#include <optional>
#include <set>

#include "deploy/job_state.h"
#include "server/principal.h"

namespace pk::server {
namespace {

using Json = nlohmann::ordered_json;

// --- Schema building blocks ---------------------------------------------------

Json ref(std::string_view name) {
  return {{"$ref", "#/components/schemas/" + std::string(name)}};
}

Json text(std::string_view description = {}) {
  Json schema = {{"type", "string"}};
  if (!description.empty()) schema["description"] = description;
  return schema;
}

Json time(std::string_view description = {}) {
  Json schema = {{"type", "string"}, {"format", "date-time"}};
  if (!description.empty()) schema["description"] = description;
  return schema;
}

Json integer(std::string_view description = {}) {
  Json schema = {{"type", "integer"}, {"format", "int64"}};
  if (!description.empty()) schema["description"] = description;
  return schema;
}

Json number(std::string_view description = {}) {
  Json schema = {{"type", "number"}};
  if (!description.empty()) schema["description"] = description;
  return schema;
}

Json boolean(std::string_view description = {}) {
  Json schema = {{"type", "boolean"}};
  if (!description.empty()) schema["description"] = description;
  return schema;
}

Json oneOfText(std::vector<std::string> values, std::string_view description = {}) {
  Json schema = text(description);
  schema["enum"] = std::move(values);
  return schema;
}

Json nullable(Json schema) {
  schema["nullable"] = true;
  return schema;
}

Json arrayOf(Json items) {
  return {{"type", "array"}, {"items", std::move(items)}};
}

Json object(std::vector<std::pair<std::string, Json>> properties,
            std::vector<std::string> required = {}) {
  Json schema = {{"type", "object"}};
  Json props = Json::object();
  for (auto& [name, property] : properties) props[name] = std::move(property);
  schema["properties"] = std::move(props);
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

Json listOf(std::string_view item, bool paged = false) {
  std::vector<std::pair<std::string, Json>> properties = {{"items", arrayOf(ref(item))}};
  if (paged) {
    properties.emplace_back("next_after_id",
                            nullable(integer("Pass as after_id for the next page; null at the "
                                             "end.")));
  }
  return object(std::move(properties), {"items"});
}

// --- Component schemas ---------------------------------------------------------

Json hostSchemas() {
  Json schemas = Json::object();
  const Json os = object({{"id", text("os-release ID, \"debian\"")},
                          {"version_id", text()},
                          {"codename", text()},
                          {"pretty_name", text()},
                          {"ecosystem", text("\"Debian:12\"")}});

  schemas["Host"] = object(
      {{"id", text("\"h-\" and 16 hex digits")},
       {"hostname", text()},
       {"machine_id", text()},
       {"kind", oneOfText({"server", "endpoint"})},
       {"owner", text("A username")},
       {"collections", arrayOf(text())},
       {"status", oneOfText({"active", "revoked"})},
       {"reenrolment_approved_until", nullable(time())},
       {"enrolled_at", time()},
       {"last_seen_at", nullable(time())},
       {"os", os},
       {"kernel", text()},
       {"last_boot", nullable(time())},
       {"restart",
        object({{"required", boolean()}, {"reason", text()}, {"packages", arrayOf(text())}})},
       {"inventory", object({{"hash", nullable(text())}, {"received_at", nullable(time())}})},
       {"package_lists_updated_at", nullable(time())},
       {"data_age_seconds", object({{"last_seen", nullable(integer())},
                                    {"inventory", nullable(integer())},
                                    {"package_lists", nullable(integer())}})},
       {"open_findings", integer()},
       {"compliance", object({{"status", oneOfText({"compliant", "not compliant", "unknown"})},
                              {"reason", text()},
                              {"data_age_seconds", nullable(integer())}})},
       {"windows",
        object({{"product", nullable(text("\"Windows Server 2019\"; null when the build names "
                                          "no known product, so no Windows advisory matches"))},
                {"edition", text()},
                {"release", text()},
                {"build", text()},
                {"installation_type", text()},
                {"architecture", text()},
                {"installed_kbs", arrayOf(text())},
                {"pending_updates", arrayOf(object({}))}})}},
      {"id", "hostname", "kind", "owner", "status"});

  schemas["HostPatch"] = object({{"kind", oneOfText({"server", "endpoint"})},
                                 {"owner", text()},
                                 {"collections", arrayOf(text())}});

  schemas["EnrolRequest"] = object({{"secret", text("The enrolment secret an admin created")},
                                    {"hostname", text()},
                                    {"machine_id", text("/etc/machine-id")}},
                                   {"secret", "machine_id"});

  schemas["EnrolResponse"] = object(
      {{"host_id", text()}, {"token", text("The per-host token, shown once: 64 hex digits")}},
      {"host_id", "token"});

  schemas["Report"] = object(
      {{"report_id", text("32 lower-case hex digits chosen by the agent; repeats are ignored")},
       {"collected_at", time()},
       {"hostname", text()},
       {"os", object({}, {})},
       {"kernel", text()},
       {"last_boot", nullable(time())},
       {"restart", nullable(object({}, {}))},
       {"inventory_hash", text("SHA-256 of the canonical inventory, 64 hex digits")},
       {"inventory", nullable(object({{"scheme", text()}, {"packages", arrayOf(object({}))}}))},
       {"windows",
        nullable(object(
            {{"format", text("\"patchkeeper-windows-inventory\"")},
             {"format_version", integer()},
             {"hostname", text()},
             {"os", object({{"edition", text()},
                            {"release", text()},
                            {"build", text("major.minor.build.UBR")},
                            {"installation_type", oneOfText({"Client", "Server", "Server Core"})},
                            {"architecture", text()}},
                           {"edition", "build", "installation_type"})},
             {"installed_kbs", arrayOf(text("\"KB5060531\""))},
             {"pending_updates", arrayOf(object({}))},
             {"programs", arrayOf(object({}))},
             {"restart", nullable(object({}, {}))}},
            {"format", "format_version", "hostname", "os"}))},
       {"security_updates",
        arrayOf(object({{"package", text()},
                        {"architecture", text()},
                        {"source_package", text()},
                        {"installed_version", text()},
                        {"candidate_version", text()},
                        {"archive", text()},
                        {"cve_ids", arrayOf(text())},
                        {"changelog", nullable(arrayOf(ref("ChangelogEntry")))}}))},
       {"package_lists_updated_at", nullable(time())}},
      {"report_id", "collected_at", "hostname", "os", "inventory_hash"});

  schemas["ChangelogEntry"] =
      object({{"version", text("Source version of the entry's header")},
              {"distributions", text("\"bookworm-security\"")},
              {"urgency", text("Empty when the header has none")},
              {"date", text("The trailer's date, as written")},
              {"body", text("Up to 64 KiB for all entries of one update together")}},
             {"version"});

  schemas["ReportResponse"] = object({{"duplicate", boolean()},
                                      {"inventory_needed", boolean()},
                                      {"next_checkin_seconds", integer()}},
                                     {"next_checkin_seconds"});

  schemas["EnrolmentSecret"] = object({{"id", integer()},
                                       {"name", text()},
                                       {"kind", oneOfText({"server", "endpoint"})},
                                       {"owner", text()},
                                       {"collections", arrayOf(text())},
                                       {"created_by", text()},
                                       {"created_at", time()},
                                       {"expires_at", time()},
                                       {"revoked_at", nullable(time())},
                                       {"use_count", integer()},
                                       {"status", text()}});

  schemas["EnrolmentSecretCreate"] = object({{"name", text()},
                                             {"kind", oneOfText({"server", "endpoint"})},
                                             {"owner", text()},
                                             {"collections", arrayOf(text())},
                                             {"expires_at", time("Give this or expires_in_hours")},
                                             {"expires_in_hours", integer()}},
                                            {"name", "kind", "owner"});

  schemas["EnrolmentSecretCreated"] = {
      {"allOf",
       Json::array({ref("EnrolmentSecret"),
                    object({{"secret", text("The secret itself, shown only in this response")}},
                           {"secret"})})}};
  return schemas;
}

Json vulnerabilitySchemas() {
  Json schemas = Json::object();
  schemas["Finding"] =
      object({{"id", integer()},
              {"host_id", text()},
              {"source", text("Where it came from: an advisory feed or the "
                              "host's pending security updates")},
              {"advisory_id", text()},
              {"aliases", arrayOf(text())},
              {"package", text()},
              {"source_package", text()},
              {"installed_version", text()},
              {"fixed_version", text()},
              {"fix_kb", nullable(text("Windows: the KB to install, "
                                       "\"KB5060531\""))},
              {"ecosystem", text()},
              {"severity", text()},
              {"cvss", nullable(number())},
              {"known_exploited", boolean("Listed in CISA KEV")},
              {"kev_due_date", nullable(text())},
              {"epss", nullable(number())},
              {"status", oneOfText({"open", "fixed"})},
              {"first_seen_at", time()},
              {"last_seen_at", time()},
              {"fixed_at", nullable(time())},
              {"exception", nullable(object({{"ticket_id", integer()}, {"expires_at", time()}},
                                            {"ticket_id", "expires_at"}))}});

  schemas["Feed"] = object({{"name", text()},
                            {"kind", text()},
                            {"source", text("The URL or path")},
                            {"interval_minutes", integer()},
                            {"max_removal_share", number()},
                            {"status", text()},
                            {"last_attempt_at", nullable(time())},
                            {"last_success_at", nullable(time())},
                            {"last_error", nullable(text())},
                            {"record_count", integer()},
                            {"staged", nullable(object({{"staged_at", nullable(time())},
                                                        {"added", integer()},
                                                        {"changed", integer()},
                                                        {"removed", integer()},
                                                        {"record_count", integer()}}))}});

  schemas["FeedSyncResult"] = object({{"feed", text()},
                                      {"result", text()},
                                      {"added", integer()},
                                      {"changed", integer()},
                                      {"removed", integer()},
                                      {"record_count", integer()},
                                      {"records_skipped", integer()},
                                      {"hosts_evaluated", integer()}});

  schemas["HostCompliance"] =
      object({{"host_id", text()},
              {"hostname", text()},
              {"kind", text()},
              {"owner", text()},
              {"status", oneOfText({"compliant", "not compliant", "unknown"})},
              {"reason", text()},
              {"data_age_seconds", nullable(integer())},
              {"last_seen_at", nullable(time())},
              {"inventory_received_at", nullable(time())},
              {"package_lists_updated_at", nullable(time())},
              {"open_findings", integer()}});

  schemas["ComplianceReport"] = object(
      {{"items", arrayOf(ref("HostCompliance"))},
       {"summary",
        object({{"compliant", integer()}, {"not compliant", integer()}, {"unknown", integer()}})},
       {"stale_after_days", integer()},
       {"generated_at", time()}},
      {"items"});
  return schemas;
}

Json peopleSchemas() {
  Json schemas = Json::object();
  const Json role = oneOfText({"admin", "operator", "owner", "viewer", "auditor", "helpdesk"});

  schemas["LoginRequest"] =
      object({{"username", text()}, {"password", text()}}, {"username", "password"});

  schemas["Session"] =
      object({{"token", text("The session token, shown once")}, {"expires_at", time()}},
             {"token", "expires_at"});

  schemas["WebSession"] =
      object({{"expires_at", time()},
              {"csrf_token", text("Send it in the X-CSRF-Token header with every cookie request")}},
             {"expires_at", "csrf_token"});

  schemas["Me"] = object({{"username", text()},
                          {"roles", arrayOf(role)},
                          {"permissions", arrayOf(text())},
                          {"sees_all_hosts", boolean()},
                          {"credential_id", integer()}});

  schemas["User"] = object({{"username", text()},
                            {"roles", arrayOf(role)},
                            {"disabled", boolean()},
                            {"created_at", time()},
                            {"updated_at", time()}});

  schemas["UserCreate"] =
      object({{"username", text()}, {"password", text()}, {"roles", arrayOf(role)}},
             {"username", "password", "roles"});

  schemas["UserPatch"] =
      object({{"roles", arrayOf(role)}, {"disabled", boolean()}, {"password", text()}});

  schemas["Token"] = object({{"id", integer()},
                             {"name", text()},
                             {"status", text()},
                             {"created_at", time()},
                             {"expires_at", nullable(time())},
                             {"revoked_at", nullable(time())},
                             {"last_used_at", nullable(time())}});

  schemas["TokenCreate"] =
      object({{"name", text()}, {"expires_in_days", integer()}}, {"name", "expires_in_days"});

  schemas["TokenCreated"] = object({{"id", integer()},
                                    {"name", text()},
                                    {"token", text("The API token, shown once")},
                                    {"created_at", time()},
                                    {"expires_at", time()}},
                                   {"id", "token"});

  schemas["AuditEvent"] = object({{"id", integer()},
                                  {"at", time()},
                                  {"actor", text("\"user:alice\", \"host:h-...\" or \"system\"")},
                                  {"action", text("\"host.revoke\", \"user.create\", ...")},
                                  {"object_type", text()},
                                  {"object_id", text()},
                                  {"before", nullable(object({}))},
                                  {"after", nullable(object({}))},
                                  {"remote_address", text()}});
  return schemas;
}

Json errorSchema() {
  return object({{"error", object({{"code", text("A stable snake_case word for programs")},
                                   {"message", text("A sentence for people")}},
                                  {"code", "message"})}},
                {"error"});
}

// --- Operations --------------------------------------------------------------

struct Operation {
  std::string method;  // lower case, as OpenAPI keys operations
  std::string path;    // with {param} segments
  std::string id;
  std::string summary;
  std::optional<Permission> permission;  // nullopt: public
  std::vector<Json> query;               // query parameters
  Json request;                          // a request body schema, or null
  int status = 200;
  Json response;  // a JSON response schema, or null for none / not JSON
  std::vector<int> errors;
};

Json queryParameter(std::string name, Json schema, std::string description = {}) {
  Json parameter = {{"name", std::move(name)}, {"in", "query"}, {"required", false}};
  if (!description.empty()) parameter["description"] = std::move(description);
  parameter["schema"] = std::move(schema);
  return parameter;
}

// Path parameters are named the same way in every route.
Json pathParameter(const std::string& name) {
  Json schema;
  if (name == "host_id") {
    schema = {{"type", "string"}, {"pattern", "^h-[0-9a-f]{16}$"}};
  } else if (name == "patch_id") {
    schema = {{"type", "string"}, {"pattern", "^p-[0-9a-f]{16}$"}};
  } else if (name == "id") {
    schema = integer();
  } else {
    schema = text();
  }
  return {{"name", name}, {"in", "path"}, {"required", true}, {"schema", schema}};
}

std::vector<std::string> pathParameterNames(std::string_view path) {
  std::vector<std::string> names;
  for (std::size_t open = path.find('{'); open != std::string_view::npos;
       open = path.find('{', open + 1)) {
    const auto close = path.find('}', open);
    if (close == std::string_view::npos) break;
    names.emplace_back(path.substr(open + 1, close - open - 1));
  }
  return names;
}

std::string errorResponseName(int status) {
  static const std::map<int, std::string> kNames = {
      {400, "BadRequest"}, {401, "Unauthorized"},   {403, "Forbidden"},
      {404, "NotFound"},   {409, "Conflict"},       {413, "TooLarge"},
      {429, "Throttled"},  {502, "FeedSyncFailed"}, {503, "NotReady"}};
  return kNames.at(status);
}

std::vector<Operation> operations() {
  const auto findingFilters = [] {
    return std::vector<Json>{
        queryParameter("host", text(), "A host id"),
        queryParameter("advisory", text(), "An advisory id or alias"),
        queryParameter("severity", text()),
        queryParameter("kev", oneOfText({"true"}), "Only known exploited vulnerabilities"),
        queryParameter("status", oneOfText({"open", "fixed", "all"}), "Default open"),
        queryParameter("source", text()),
        queryParameter("limit", integer()),
        queryParameter("after_id", integer(), "The next_after_id of the previous page"),
    };
  };

  return {
      // System
      {"get",
       "/healthz",
       "getHealth",
       "Process liveness",
       std::nullopt,
       {},
       nullptr,
       200,
       object({{"status", oneOfText({"ok"})}}),
       {}},
      {"get",
       "/readyz",
       "getReadiness",
       "Readiness: the database answers and its schema is current",
       std::nullopt,
       {},
       nullptr,
       200,
       object({{"status", oneOfText({"ready"})}}),
       {503}},
      {"get",
       "/metrics",
       "getMetrics",
       "Prometheus metrics (text exposition format 0.0.4)",
       std::nullopt,
       {},
       nullptr,
       200,
       nullptr,
       {}},
      {"get",
       "/api/v1/openapi.json",
       "getOpenApi",
       "This document",
       std::nullopt,
       {},
       nullptr,
       200,
       object({}),
       {}},

      // Hosts and enrolment
      {"post",
       "/api/v1/enrol",
       "enrol",
       "Exchange an enrolment secret for a per-host token",
       std::nullopt,
       {},
       ref("EnrolRequest"),
       201,
       ref("EnrolResponse"),
       {400, 401, 409, 413}},
      {"post",
       "/api/v1/hosts/{host_id}/reports",
       "sendReport",
       "Send a host's report (the host's own token only)",
       Permission::kAgent,
       {},
       ref("Report"),
       200,
       ref("ReportResponse"),
       {400, 404, 413}},
      {"get",
       "/api/v1/hosts",
       "listHosts",
       "List hosts (owners see only their own)",
       Permission::kReadHosts,
       {queryParameter("owner", text()), queryParameter("kind", oneOfText({"server", "endpoint"})),
        queryParameter("status", oneOfText({"active", "revoked"})),
        queryParameter("collection", text()),
        queryParameter("compliance", oneOfText({"compliant", "not_compliant", "unknown"})),
        queryParameter("q", text()), queryParameter("limit", integer()),
        queryParameter("offset", integer())},
       nullptr,
       200,
       listOf("Host"),
       {400}},
      {"get",
       "/api/v1/hosts/{host_id}",
       "getHost",
       "Show a host with its data ages and compliance",
       Permission::kReadHosts,
       {},
       nullptr,
       200,
       ref("Host"),
       {404}},
      {"patch",
       "/api/v1/hosts/{host_id}",
       "updateHost",
       "Change a host's kind, owner or collections",
       Permission::kManageHosts,
       {},
       ref("HostPatch"),
       200,
       ref("Host"),
       {400, 404}},
      {"post",
       "/api/v1/hosts/{host_id}/revoke",
       "revokeHost",
       "Revoke a host: its token stops working",
       Permission::kManageHosts,
       {},
       nullptr,
       200,
       ref("Host"),
       {404, 409}},
      {"post",
       "/api/v1/hosts/{host_id}/approve-reenrolment",
       "approveReenrolment",
       "Allow an enrolled machine to enrol again",
       Permission::kManageHosts,
       {},
       nullptr,
       200,
       ref("Host"),
       {404, 409}},
      {"get",
       "/api/v1/enrolment-secrets",
       "listEnrolmentSecrets",
       "List enrolment secrets",
       Permission::kManageEnrolment,
       {},
       nullptr,
       200,
       listOf("EnrolmentSecret"),
       {}},
      {"post",
       "/api/v1/enrolment-secrets",
       "createEnrolmentSecret",
       "Create an enrolment secret; the secret is shown once",
       Permission::kManageEnrolment,
       {},
       ref("EnrolmentSecretCreate"),
       201,
       ref("EnrolmentSecretCreated"),
       {400}},
      {"delete",
       "/api/v1/enrolment-secrets/{id}",
       "revokeEnrolmentSecret",
       "Revoke an enrolment secret",
       Permission::kManageEnrolment,
       {},
       nullptr,
       200,
       ref("EnrolmentSecret"),
       {404}},

      // Vulnerabilities
      {"get",
       "/api/v1/reports/compliance",
       "getComplianceReport",
       "Hosts with their compliance status, reason and data ages",
       Permission::kReadReports,
       {queryParameter("status", oneOfText({"compliant", "not_compliant", "unknown"}))},
       nullptr,
       200,
       ref("ComplianceReport"),
       {400}},
      {"get",
       "/api/v1/findings",
       "listFindings",
       "List findings (owners see only their hosts')",
       Permission::kReadFindings,
       findingFilters(),
       nullptr,
       200,
       listOf("Finding", true),
       {400}},
      {"get",
       "/api/v1/hosts/{host_id}/findings",
       "listHostFindings",
       "List one host's findings",
       Permission::kReadFindings,
       findingFilters(),
       nullptr,
       200,
       listOf("Finding", true),
       {400, 404}},
      {"get",
       "/api/v1/feeds",
       "listFeeds",
       "List advisory feeds and their last sync",
       Permission::kReadFeeds,
       {},
       nullptr,
       200,
       listOf("Feed"),
       {}},
      {"post",
       "/api/v1/feeds/{name}/sync",
       "syncFeed",
       "Sync a feed now and return the result",
       Permission::kManageFeeds,
       {},
       nullptr,
       200,
       ref("FeedSyncResult"),
       {404, 409, 502}},
      {"post",
       "/api/v1/feeds/{name}/confirm",
       "confirmFeed",
       "Apply a sync that waits for confirmation (a large removal)",
       Permission::kManageFeeds,
       {},
       nullptr,
       200,
       ref("FeedSyncResult"),
       {404, 409, 502}},

      // People
      {"post",
       "/api/v1/sessions",
       "login",
       "Log in with a username and password",
       std::nullopt,
       {},
       ref("LoginRequest"),
       201,
       ref("Session"),
       {400, 401, 429}},
      {"delete",
       "/api/v1/sessions/current",
       "logout",
       "End the session used for this request",
       Permission::kManageOwnTokens,
       {},
       nullptr,
       204,
       nullptr,
       {}},
      {"post",
       "/api/v1/web/login",
       "webLogin",
       "Log in from the web console; sets the HttpOnly session cookie and the CSRF cookie",
       std::nullopt,
       {},
       ref("LoginRequest"),
       201,
       ref("WebSession"),
       {400, 401, 403, 429}},
      {"post",
       "/api/v1/web/logout",
       "webLogout",
       "End the web console's session and clear its cookies",
       Permission::kManageOwnTokens,
       {},
       nullptr,
       204,
       nullptr,
       {400, 403}},
      {"get",
       "/api/v1/dashboard",
       "getDashboard",
       "Open findings by severity, KEV exposure with due dates and hosts needing a restart",
       Permission::kReadReports,
       {},
       nullptr,
       200,
       nullptr,
       {}},
      {"get",
       "/api/v1/jobs",
       "listHostJobs",
       "One host's jobs, newest first (query: host, limit)",
       Permission::kReadDeployments,
       {},
       nullptr,
       200,
       nullptr,
       {400}},
      {"get",
       "/api/v1/hosts/{host_id}/packages",
       "listHostPackages",
       "One page of a host's installed packages (query: q, limit, offset)",
       Permission::kReadHosts,
       {},
       nullptr,
       200,
       nullptr,
       {400, 404}},
      {"get",
       "/api/v1/me",
       "getMe",
       "The caller's username, roles and permissions",
       Permission::kManageOwnTokens,
       {},
       nullptr,
       200,
       ref("Me"),
       {}},
      {"get",
       "/api/v1/users",
       "listUsers",
       "List users and their roles",
       Permission::kReadUsers,
       {},
       nullptr,
       200,
       listOf("User"),
       {}},
      {"post",
       "/api/v1/users",
       "createUser",
       "Create a user",
       Permission::kManageUsers,
       {},
       ref("UserCreate"),
       201,
       ref("User"),
       {400, 409}},
      {"get",
       "/api/v1/users/{username}",
       "getUser",
       "Show a user",
       Permission::kReadUsers,
       {},
       nullptr,
       200,
       ref("User"),
       {404}},
      {"patch",
       "/api/v1/users/{username}",
       "updateUser",
       "Change a user's roles, disabled flag or password",
       Permission::kManageUsers,
       {},
       ref("UserPatch"),
       200,
       ref("User"),
       {400, 404}},
      {"get",
       "/api/v1/tokens",
       "listTokens",
       "List the caller's API tokens",
       Permission::kManageOwnTokens,
       {},
       nullptr,
       200,
       listOf("Token"),
       {}},
      {"post",
       "/api/v1/tokens",
       "createToken",
       "Create an API token; the token is shown once",
       Permission::kManageOwnTokens,
       {},
       ref("TokenCreate"),
       201,
       ref("TokenCreated"),
       {400}},
      {"delete",
       "/api/v1/tokens/{id}",
       "revokeToken",
       "Revoke one of the caller's API tokens",
       Permission::kManageOwnTokens,
       {},
       nullptr,
       204,
       nullptr,
       {404}},
      {"get",
       "/api/v1/audit",
       "listAuditEvents",
       "Read the audit log, oldest first (order=newest: newest first, paged back with "
       "before_id); format=jsonl gives one event per line",
       Permission::kReadAudit,
       {queryParameter("since", time()), queryParameter("after_id", integer()),
        queryParameter("before_id", integer()),
        queryParameter("order", oneOfText({"oldest", "newest"})), queryParameter("actor", text()),
        queryParameter("object_type", text()), queryParameter("object_id", text()),
        queryParameter("limit", integer()), queryParameter("format", oneOfText({"json", "jsonl"}))},
       nullptr,
       200,
       listOf("AuditEvent", true),
       {400}},
  };
}

// The patch catalog and approval rules (patch_routes.h).
Json patchSchemas() {
  Json schemas = Json::object();
  const Json decision = object({{"status", oneOfText({"pending", "approved", "declined"})},
                                {"decided_by", nullable(text("\"user:<name>\" or \"rule:<id>\""))},
                                {"decided_at", nullable(time())},
                                {"reason", nullable(text())}});
  schemas["Patch"] =
      object({{"id", text("\"p-\" and 16 hex digits, stable across servers")},
              {"kind", oneOfText({"source-package", "advisory", "kb"})},
              {"ecosystem", text("\"Debian:12\", \"AlmaLinux:9\", \"Windows\"")},
              {"name", text("The source package, the advisory id, or \"KB\" and the KB's digits")},
              {"version", nullable(text("The fixed version; null for advisories and KBs"))},
              {"first_seen_at", time()},
              {"advisories", arrayOf(text())},
              {"cve_ids", arrayOf(text())},
              {"highest_severity", text()},
              {"known_exploited", boolean("Listed in CISA KEV")},
              {"earliest_kev_due_date", nullable(text())},
              {"highest_epss", nullable(number())},
              {"affected_hosts", integer("Hosts with an open finding that the patch fixes")},
              {"decision", decision}});
  Json detail = schemas["Patch"];
  detail["properties"]["hosts"] =
      arrayOf(object({{"host_id", text()}, {"hostname", text()}, {"open_findings", integer()}}));
  detail["properties"]["hosts_truncated"] = boolean("More hosts than the 1000 listed");
  detail["properties"]["decision_history"] = arrayOf(object(
      {{"decision", text()}, {"decided_by", text()}, {"decided_at", time()}, {"reason", text()}}));
  detail["properties"]["changelog"] = arrayOf(ref("ChangelogEntry"));
  detail["properties"]["changelog"]["description"] =
      "Source-package patches: the entries the affected hosts sent with their pending updates, "
      "each version once, up to the patch version, newest first. Empty for other kinds.";
  schemas["PatchDetail"] = std::move(detail);
  schemas["PatchList"] =
      object({{"items", arrayOf(ref("Patch"))},
              {"next_after", nullable(text("Pass as after for the next page; null at the end"))}},
             {"items"});
  schemas["PatchDecisionCreate"] =
      object({{"decision", oneOfText({"approved", "declined"})},
              {"reason", text("At most 2000 bytes; required to decline")}},
             {"decision"});
  schemas["PatchDecisionResult"] = object({{"id", text()}, {"decision", decision}});
  schemas["ApprovalRule"] = object({{"id", integer()},
                                    {"name", text()},
                                    {"ecosystem", nullable(text("Null for every ecosystem"))},
                                    {"minimum_severity", text()},
                                    {"kev_only", boolean()},
                                    {"include_host_repository", boolean()},
                                    {"enabled", boolean()},
                                    {"created_by", text()},
                                    {"created_at", time()}});
  schemas["ApprovalRuleCreate"] = object(
      {{"name", text("At most 200 bytes")},
       {"ecosystem", text("An exact patch ecosystem; absent or empty for every one")},
       {"minimum_severity", oneOfText({"unknown", "none", "low", "medium", "high", "critical"})},
       {"kev_only", boolean()},
       {"include_host_repository",
        boolean("Also approve updates known only from the hosts' own security repositories")},
       {"enabled", boolean()}},
      {"name"});
  Json created = schemas["ApprovalRule"];
  created["properties"]["approved_patches"] = integer("Pending patches the new rule approved");
  schemas["ApprovalRuleCreated"] = std::move(created);
  return schemas;
}

std::vector<Operation> patchOperations() {
  return {
      {"get",
       "/api/v1/patches",
       "listPatches",
       "Patches that fix open findings, with their facts and decision",
       Permission::kReadReports,
       {queryParameter("ecosystem", text()),
        queryParameter("decision", oneOfText({"pending", "approved", "declined"})),
        queryParameter("severity", text(), "The highest severity is at or above this"),
        queryParameter("kev", oneOfText({"true", "false"})),
        queryParameter("limit", integer(), "1 to 1000, default 100"),
        queryParameter("after", text(), "The next_after of the previous page")},
       nullptr,
       200,
       ref("PatchList"),
       {400}},
      {"get",
       "/api/v1/patches/{patch_id}",
       "getPatch",
       "One patch with its affected hosts and decision history",
       Permission::kReadReports,
       {},
       nullptr,
       200,
       ref("PatchDetail"),
       {404}},
      {"post",
       "/api/v1/patches/{patch_id}/decision",
       "decidePatch",
       "Approve or decline a patch; audited",
       Permission::kDecidePatches,
       {},
       ref("PatchDecisionCreate"),
       200,
       ref("PatchDecisionResult"),
       {400, 404}},
      {"get",
       "/api/v1/approval-rules",
       "listApprovalRules",
       "Approval rules",
       Permission::kReadReports,
       {},
       nullptr,
       200,
       listOf("ApprovalRule"),
       {}},
      {"post",
       "/api/v1/approval-rules",
       "createApprovalRule",
       "Create an approval rule and apply it to pending patches at once",
       Permission::kDecidePatches,
       {},
       ref("ApprovalRuleCreate"),
       201,
       ref("ApprovalRuleCreated"),
       {400}},
      {"delete",
       "/api/v1/approval-rules/{id}",
       "deleteApprovalRule",
       "Delete an approval rule; the decisions it made stay",
       Permission::kDecidePatches,
       {},
       nullptr,
       204,
       nullptr,
       {404}},
  };
}

// Deployments and jobs (deployment_routes.h, protocol/jobs.h).
Json deploymentSchemas() {
  Json schemas = Json::object();
  const Json status =
      oneOfText({"awaiting_approval", "active", "halted", "completed", "cancelled"});
  std::vector<std::string> job_states;
  for (auto state : deploy::allJobStates()) job_states.emplace_back(deploy::jobStateName(state));
  const Json job_state = oneOfText(job_states);
  schemas["Ring"] = object({{"position", integer("0 for the first ring")},
                            {"name", text()},
                            {"collection", text()},
                            {"gate", object({{"min_soak_seconds", integer()},
                                             {"min_success_ratio", number("0 to 1")},
                                             {"max_failures", integer()}})},
                            {"entered_at", nullable(time())},
                            {"left_at", nullable(time())}});
  schemas["Deployment"] =
      object({{"id", text("\"d-\" and 16 hex digits")},
              {"name", text()},
              {"status", status},
              {"status_reason", text("Why it halted, was cancelled or completed")},
              {"emergency", boolean("Ignores windows; needs a second admin's approval")},
              {"ring_sequence", text()},
              {"available_at", time()},
              {"deadline", time()},
              {"restart_deadline_seconds", nullable(integer("Shortens the restart policy"))},
              {"current_ring", integer()},
              {"created_by", text()},
              {"created_at", time()},
              {"approved_by", nullable(text())},
              {"approved_at", nullable(time())},
              {"rule_id", nullable(text())},
              {"patches", arrayOf(text())},
              {"rings", arrayOf(ref("Ring"))}});
  Json detail = schemas["Deployment"];
  detail["properties"]["events"] =
      arrayOf(object({{"at", time()}, {"kind", text()}, {"actor", text()}, {"message", text()}}));
  detail["properties"]["job_states_by_ring"] =
      arrayOf(Json{{"type", "object"}, {"additionalProperties", integer()}});
  schemas["DeploymentDetail"] = std::move(detail);
  schemas["DeploymentCreate"] =
      object({{"name", text()},
              {"patches", arrayOf(text("A patch id; every patch must be approved"))},
              {"ring_sequence", text("Default \"default\"")},
              {"available_at", time("Default now")},
              {"deadline", time()},
              {"restart_deadline_seconds", nullable(integer())},
              {"emergency", boolean()},
              {"reason", text("Required for an emergency")}},
             {"name", "patches", "deadline"});
  schemas["DeploymentList"] = object(
      {{"deployments", arrayOf(ref("Deployment"))}, {"limit", integer()}, {"offset", integer()}});
  schemas["Job"] = object({{"id", text("\"j-\" and 16 hex digits")},
                           {"deployment_id", text()},
                           {"host_id", text()},
                           {"ring", integer()},
                           {"state", job_state},
                           {"manager", oneOfText({"apt", "dnf", "apk", "windows-update"})},
                           {"packages", arrayOf(object({{"name", text()}, {"version", text()}}))},
                           {"kbs", arrayOf(text())},
                           {"pre_hook", nullable(text())},
                           {"post_hook", nullable(text())},
                           {"estimate_seconds", integer()},
                           {"duration_seconds", nullable(integer())},
                           {"message", text()},
                           {"created_at", time()},
                           {"updated_at", time()},
                           {"finished_at", nullable(time())}});
  Json job_detail = schemas["Job"];
  job_detail["properties"]["events"] = arrayOf(object({{"at", time()},
                                                       {"received_at", time()},
                                                       {"source", oneOfText({"agent", "server"})},
                                                       {"state", job_state},
                                                       {"message", text()},
                                                       {"output", text()},
                                                       {"packages", arrayOf(Json::object())},
                                                       {"report_id", nullable(text())}}));
  schemas["JobDetail"] = std::move(job_detail);
  schemas["JobList"] = object({{"jobs", arrayOf(ref("Job"))}});
  schemas["AgentJobList"] = object(
      {{"server_time", time()},
       {"jobs",
        arrayOf(Json{{"type", "object"},
                     {"description", "A JobOrder; docs/DEPLOYMENTS.md lists its fields"}})}});
  schemas["AgentJobEvent"] = object({{"event_id", text("32 hex digits, applied once")},
                                     {"at", time()},
                                     {"state", job_state},
                                     {"message", text()},
                                     {"output", text("At most 257 KiB")},
                                     {"packages", arrayOf(Json::object())},
                                     {"report_id", nullable(text())},
                                     {"duration_seconds", nullable(integer())},
                                     {"next_window_start", nullable(time())}},
                                    {"event_id", "at", "state"});
  schemas["AgentJobEventResult"] = object({{"state", job_state}, {"cancelled", boolean()}});
  return schemas;
}

std::vector<Operation> deploymentOperations() {
  return {
      {"get",
       "/api/v1/deployments",
       "listDeployments",
       "Deployments, newest first",
       Permission::kReadDeployments,
       {queryParameter("status", text()), queryParameter("limit", integer(), "1 to 500"),
        queryParameter("offset", integer())},
       nullptr,
       200,
       ref("DeploymentList"),
       {400}},
      {"post",
       "/api/v1/deployments",
       "createDeployment",
       "Deploy approved patches through a ring sequence; audited",
       Permission::kManageDeployments,
       {},
       ref("DeploymentCreate"),
       201,
       ref("Deployment"),
       {400, 404, 409}},
      {"get",
       "/api/v1/deployments/{deployment_id}",
       "getDeployment",
       "One deployment with its event log and job states per ring",
       Permission::kReadDeployments,
       {},
       nullptr,
       200,
       ref("DeploymentDetail"),
       {404}},
      {"get",
       "/api/v1/deployments/{deployment_id}/jobs",
       "listDeploymentJobs",
       "The deployment's jobs, one per host",
       Permission::kReadDeployments,
       {},
       nullptr,
       200,
       ref("JobList"),
       {404}},
      {"post",
       "/api/v1/deployments/{deployment_id}/approve",
       "approveDeployment",
       "A second admin approves an emergency deployment",
       Permission::kManageDeployments,
       {},
       nullptr,
       200,
       ref("Deployment"),
       {403, 404, 409}},
      {"post",
       "/api/v1/deployments/{deployment_id}/cancel",
       "cancelDeployment",
       "Cancel a deployment and its unfinished jobs",
       Permission::kManageDeployments,
       {},
       object({{"reason", text()}}),
       200,
       ref("Deployment"),
       {400, 404, 409}},
      {"get",
       "/api/v1/jobs/{job_id}",
       "getJob",
       "One job with its event log and output",
       Permission::kReadDeployments,
       {},
       nullptr,
       200,
       ref("JobDetail"),
       {404}},
      {"get",
       "/api/v1/hosts/{host_id}/jobs",
       "listAgentJobs",
       "The agent's unfinished jobs, with window occurrences as UTC instants",
       Permission::kAgent,
       {},
       nullptr,
       200,
       ref("AgentJobList"),
       {403}},
      {"post",
       "/api/v1/hosts/{host_id}/jobs/{job_id}/events",
       "postAgentJobEvent",
       "An agent reports a job's progress; each event id is applied once",
       Permission::kAgent,
       {},
       ref("AgentJobEvent"),
       200,
       ref("AgentJobEventResult"),
       {400, 403, 404, 409}},
  };
}

// Deployment rules (deployment_rule_routes.h).
Json deploymentRuleSchemas() {
  Json schemas = Json::object();
  schemas["DeploymentRule"] =
      object({{"id", text("\"r-\" and 16 hex digits")},
              {"name", text()},
              {"enabled", boolean()},
              {"rrule", text("RFC 5545 RRULE, at most daily: \"FREQ=MONTHLY;BYDAY=2TU\"")},
              {"start_local", text("Local date-time of the first possible occurrence")},
              {"zone", text("IANA zone name")},
              {"offset_days", integer("Days added to each expanded date")},
              {"ring_sequence", text()},
              {"deadline_seconds", integer("From availability to the deadline")},
              {"ecosystem", nullable(text("Null for approved patches of every ecosystem"))},
              {"created_by", text()},
              {"created_at", time()},
              {"last_created_for", nullable(time("The occurrence the rule last ran for"))},
              {"last_result", text("The deployment created, or why none was")},
              {"next_available_at", nullable(time("The next occurrence; null when disabled"))}});
  schemas["DeploymentRuleCreate"] =
      object({{"name", text("1 to 200 bytes")},
              {"enabled", boolean("Default true")},
              {"rrule", text("RFC 5545 RRULE, at most daily")},
              {"start_local", text("\"2026-01-13T09:00:00\", without an offset")},
              {"zone", text("IANA zone name")},
              {"offset_days", integer("-366 to 366, default 0")},
              {"ring_sequence", text("Default \"default\"")},
              {"deadline_seconds", integer("1 to 31536000")},
              {"ecosystem", nullable(text("Only approved patches of this ecosystem"))}},
             {"name", "rrule", "start_local", "zone", "deadline_seconds"});
  schemas["DeploymentRuleList"] =
      object({{"deployment_rules", arrayOf(ref("DeploymentRule"))}}, {"deployment_rules"});
  return schemas;
}

std::vector<Operation> deploymentRuleOperations() {
  return {
      {"get",
       "/api/v1/deployment-rules",
       "listDeploymentRules",
       "Deployment rules with their last run and next occurrence",
       Permission::kReadDeployments,
       {},
       nullptr,
       200,
       ref("DeploymentRuleList"),
       {}},
      {"post",
       "/api/v1/deployment-rules",
       "createDeploymentRule",
       "Create a rule that creates a deployment of the approved patches on a schedule; audited",
       Permission::kManageDeployments,
       {},
       ref("DeploymentRuleCreate"),
       201,
       ref("DeploymentRule"),
       {400}},
      {"delete",
       "/api/v1/deployment-rules/{id}",
       "deleteDeploymentRule",
       "Delete a deployment rule; the deployments it created stay; audited",
       Permission::kManageDeployments,
       {},
       nullptr,
       204,
       nullptr,
       {404}},
  };
}

// Tickets and webhooks (ticket_routes.h).
Json ticketSchemas() {
  Json schemas = Json::object();
  const Json status = oneOfText({"open", "approved", "refused", "applied"});
  const Json type = oneOfText({"move_server_window", "report_access", "accept_risk"});
  schemas["TicketComment"] = object({{"id", integer()},
                                     {"author", text()},
                                     {"kind", oneOfText({"comment", "approval", "refusal"})},
                                     {"body", text()},
                                     {"created_at", time()}});
  schemas["Ticket"] =
      object({{"id", integer()},
              {"type", type},
              {"status", status},
              {"requester", text("The username that filed it")},
              {"subject_hosts", arrayOf(text())},
              {"requested_change",
               object({{"window", text("move_server_window: the window id")},
                       {"role", text("report_access: \"viewer\"")},
                       {"advisory", text("accept_risk: the advisory id")},
                       {"expires_at", time("accept_risk: when the exception lapses")}})},
              {"justification", text()},
              {"assignee_group", text("\"security\"")},
              {"external_reference", nullable(text("A help-desk system's own ticket id"))},
              {"decided_by", nullable(text())},
              {"decided_at", nullable(time())},
              {"effective_at", nullable(time("When the approved change takes or took effect"))},
              {"applied_at", nullable(time())},
              {"created_at", time()},
              {"updated_at", time()},
              {"comments", arrayOf(ref("TicketComment"))}});
  schemas["TicketCreate"] =
      object({{"type", type},
              {"host", text("move_server_window, accept_risk: the host's id")},
              {"advisory", text("accept_risk: the advisory id of the host's open finding")},
              {"expires_at", time("accept_risk: in the future, at most 365 days away")},
              {"window", text("move_server_window: the requested window's id")},
              {"role", text("report_access: \"viewer\", the default")},
              {"justification", text("At most 8192 bytes")},
              {"external_reference", nullable(text("Needs link_requests"))}},
             {"type", "justification"});
  schemas["TicketCommentCreate"] =
      object({{"comment", text("Required for a refusal and for a plain comment")},
              {"external_reference", text("Comments only; needs link_requests")}});
  schemas["TicketLink"] = object({{"external_reference", text()}}, {"external_reference"});
  const Json events = arrayOf(oneOfText({"ticket.created", "ticket.commented", "ticket.approved",
                                         "ticket.refused", "ticket.applied"}));
  schemas["Webhook"] = object({{"id", integer()},
                               {"url", text()},
                               {"events", events},
                               {"description", text()},
                               {"created_by", text()},
                               {"created_at", time()}});
  schemas["WebhookCreate"] =
      object({{"url", text("https://, or http:// to loopback when the server allows it")},
              {"events", events},
              {"description", text()}},
             {"url", "events"});
  Json created = schemas["Webhook"];
  created["properties"]["secret"] = text("The HMAC key, shown only in this response");
  schemas["WebhookCreated"] = std::move(created);
  schemas["WebhookDelivery"] = object({{"id", integer()},
                                       {"delivery_id", text()},
                                       {"event", text()},
                                       {"status", oneOfText({"pending", "delivered", "failed"})},
                                       {"attempts", integer()},
                                       {"next_attempt_at", time()},
                                       {"last_error", text()},
                                       {"last_status_code", nullable(integer())},
                                       {"created_at", time()},
                                       {"finished_at", nullable(time())}});
  return schemas;
}

std::vector<Operation> ticketOperations() {
  return {
      {"post",
       "/api/v1/tickets",
       "fileTicket",
       "File a ticket: a server window move or a report access request",
       Permission::kFileRequests,
       {},
       ref("TicketCreate"),
       201,
       ref("Ticket"),
       {400, 404, 409}},
      {"get",
       "/api/v1/tickets",
       "listTickets",
       "List the tickets the caller may see, newest first",
       Permission::kFileRequests,
       {queryParameter("status", oneOfText({"open", "approved", "refused", "applied"})),
        queryParameter("type", oneOfText({"move_server_window", "report_access"})),
        queryParameter("mine", oneOfText({"true", "false"}))},
       nullptr,
       200,
       listOf("Ticket"),
       {400}},
      {"get",
       "/api/v1/tickets/{id}",
       "getTicket",
       "Show a ticket with its comments",
       Permission::kFileRequests,
       {},
       nullptr,
       200,
       ref("Ticket"),
       {404}},
      {"post",
       "/api/v1/tickets/{id}/comments",
       "commentOnTicket",
       "Comment on a ticket",
       Permission::kFileRequests,
       {},
       ref("TicketCommentCreate"),
       200,
       ref("Ticket"),
       {400, 404}},
      {"put",
       "/api/v1/tickets/{id}/external-reference",
       "linkTicket",
       "Set a ticket's external (help-desk) reference",
       Permission::kLinkRequests,
       {},
       ref("TicketLink"),
       200,
       ref("Ticket"),
       {400, 404}},
      {"post",
       "/api/v1/tickets/{id}/approve",
       "approveTicket",
       "Approve a ticket filed by someone else; a move takes effect when the server's window is "
       "closed",
       Permission::kDecideRequests,
       {},
       ref("TicketCommentCreate"),
       200,
       ref("Ticket"),
       {400, 404, 409}},
      {"post",
       "/api/v1/tickets/{id}/refuse",
       "refuseTicket",
       "Refuse a ticket filed by someone else, with a comment",
       Permission::kDecideRequests,
       {},
       ref("TicketCommentCreate"),
       200,
       ref("Ticket"),
       {400, 404, 409}},
      {"get",
       "/api/v1/webhooks",
       "listWebhooks",
       "List webhook subscriptions, without secrets",
       Permission::kManageWebhooks,
       {},
       nullptr,
       200,
       listOf("Webhook"),
       {}},
      {"post",
       "/api/v1/webhooks",
       "createWebhook",
       "Subscribe a URL to ticket events; the secret is shown once",
       Permission::kManageWebhooks,
       {},
       ref("WebhookCreate"),
       201,
       ref("WebhookCreated"),
       {400}},
      {"delete",
       "/api/v1/webhooks/{id}",
       "deleteWebhook",
       "Delete a webhook subscription and its pending deliveries",
       Permission::kManageWebhooks,
       {},
       nullptr,
       204,
       nullptr,
       {404}},
      {"get",
       "/api/v1/webhooks/{id}/deliveries",
       "listWebhookDeliveries",
       "The last 200 deliveries of a subscription, newest first",
       Permission::kManageWebhooks,
       {},
       nullptr,
       200,
       listOf("WebhookDelivery"),
       {404}},
  };
}

// Maintenance windows, the calendar and reports (window_routes.h,
// report_routes.h).
Json windowSchemas() {
  Json schemas = Json::object();
  schemas["Occurrence"] = object({{"start_local", text("Local time with its UTC offset")},
                                  {"end_local", text("Local time with its UTC offset")},
                                  {"start_utc", time()},
                                  {"end_utc", time()},
                                  {"day", text("The local day it belongs to, YYYY-MM-DD")},
                                  {"duration_s", integer("Real elapsed seconds")}});
  const Json blackout = object(
      {{"start", text("Local date-time")}, {"end", text("Local date-time")}}, {"start", "end"});
  schemas["WindowCreate"] =
      object({{"name", text()},
              {"description", text()},
              {"rrule", text("An RFC 5545 RRULE value, FREQ=MONTHLY;BYDAY=2TU")},
              {"start", text("Local date-time of the first possible occurrence")},
              {"zone", text("IANA zone, America/New_York")},
              {"length", text("Wall-clock length: 4h, 1h30m, PT4H")},
              {"offset_days", integer("Added to each expanded date")},
              {"exclusions", arrayOf(text("Local date YYYY-MM-DD"))},
              {"blackouts", arrayOf(blackout)}},
             {"name", "rrule", "start", "zone", "length"});
  schemas["Window"] = object({{"id", text()},
                              {"name", text()},
                              {"description", text()},
                              {"rrule", text()},
                              {"start", text()},
                              {"zone", text()},
                              {"length", text()},
                              {"length_seconds", integer()},
                              {"offset_days", integer()},
                              {"exclusions", arrayOf(text())},
                              {"blackouts", arrayOf(blackout)},
                              {"created_at", time()},
                              {"updated_at", time()},
                              {"servers", integer("Servers in the window now")},
                              {"open_now", boolean()},
                              {"current_occurrence", nullable(ref("Occurrence"))},
                              {"next_occurrence", nullable(ref("Occurrence"))}});
  schemas["WindowOccurrences"] = object({{"window_id", text()},
                                         {"zone", text()},
                                         {"from", time()},
                                         {"to", time()},
                                         {"occurrences", arrayOf(ref("Occurrence"))}});
  const Json window_ref = nullable(object({{"id", text()}, {"name", text()}}));
  schemas["HostWindow"] = object({{"host_id", text()},
                                  {"window", window_ref},
                                  {"pending", nullable(object({{"window", window_ref},
                                                               {"effective_at", time()},
                                                               {"ticket_id", nullable(text())}}))},
                                  {"open_now", boolean()},
                                  {"next_occurrence", nullable(ref("Occurrence"))},
                                  {"move", object({{"host_id", text()},
                                                   {"from_window_id", nullable(text())},
                                                   {"to_window_id", nullable(text())},
                                                   {"effective_at", time()},
                                                   {"applied_now", boolean()},
                                                   {"ticket_id", nullable(text())}})}});
  schemas["HostWindowChange"] =
      object({{"window", nullable(text("A window id, or null for no window"))}, {"reason", text()}},
             {"window"});
  schemas["DeploymentDate"] =
      object({{"type",
               oneOfText({"deployment_available", "deployment_ring_start", "deployment_deadline"})},
              {"at", time()},
              {"deployment_id", text()},
              {"deployment_name", text()},
              {"deployment_status", text()},
              {"planned", boolean("A ring start still to come, from the soak times")},
              {"cancelled", boolean("The deployment halted or was cancelled before this date")},
              {"ring_position", nullable(integer("0 for the first ring; null except ring starts"))},
              {"ring_name", nullable(text())}});
  schemas["Calendar"] = object({{"from", time()},
                                {"to", time()},
                                {"events", arrayOf(ref("Occurrence"))},
                                {"deployment_dates", arrayOf(ref("DeploymentDate"))}});
  schemas["CalendarFeedToken"] = object({{"id", integer()},
                                         {"name", text()},
                                         {"created_at", time()},
                                         {"revoked_at", nullable(time())},
                                         {"token", text("Only in the response that creates it")}});
  schemas["CalendarFeedTokenCreate"] = object({{"name", text()}});
  schemas["Report"] = object({{"generated_at", time()}});
  return schemas;
}

std::vector<Operation> windowOperations() {
  const auto range = [] {
    return std::vector<Json>{queryParameter("from", time(), "RFC 3339 or YYYY-MM-DD; default now"),
                             queryParameter("to", time(), "Default 31 days after from")};
  };
  const std::vector<Json> format = {queryParameter("format", oneOfText({"json", "csv", "html"}))};
  return {
      {"get",
       "/api/v1/windows",
       "listWindows",
       "List maintenance windows with their next occurrence",
       Permission::kReadHosts,
       {},
       nullptr,
       200,
       listOf("Window"),
       {}},
      {"post",
       "/api/v1/windows",
       "createWindow",
       "Create a maintenance window (admin only)",
       Permission::kManageHosts,
       {},
       ref("WindowCreate"),
       201,
       ref("Window"),
       {400, 409}},
      {"get",
       "/api/v1/windows/{id}",
       "getWindow",
       "Show a maintenance window",
       Permission::kReadHosts,
       {},
       nullptr,
       200,
       ref("Window"),
       {404}},
      {"put",
       "/api/v1/windows/{id}",
       "updateWindow",
       "Change the given fields of a maintenance window (admin only)",
       Permission::kManageHosts,
       {},
       ref("WindowCreate"),
       200,
       ref("Window"),
       {400, 404, 409}},
      {"delete",
       "/api/v1/windows/{id}",
       "deleteWindow",
       "Delete a maintenance window that has no servers (admin only)",
       Permission::kManageHosts,
       {},
       nullptr,
       204,
       nullptr,
       {404, 409}},
      {"get",
       "/api/v1/windows/{id}/occurrences",
       "listWindowOccurrences",
       "A window's occurrences in a range, or the first count from a time",
       Permission::kReadHosts,
       [&] {
         auto query = range();
         query.push_back(queryParameter("count", integer(), "1 to 1000"));
         return query;
       }(),
       nullptr,
       200,
       ref("WindowOccurrences"),
       {400, 404}},
      {"get",
       "/api/v1/hosts/{host_id}/window",
       "getHostWindow",
       "A server's window, and a move waiting for its open window to close",
       Permission::kReadHosts,
       {},
       nullptr,
       200,
       ref("HostWindow"),
       {404}},
      {"put",
       "/api/v1/hosts/{host_id}/window",
       "setHostWindow",
       "Move a server to a window (admin only); from an open window, when it closes",
       Permission::kManageHosts,
       {},
       ref("HostWindowChange"),
       200,
       ref("HostWindow"),
       {400, 404, 409}},
      {"get",
       "/api/v1/calendar",
       "getCalendar",
       "Every window's occurrences in a range",
       Permission::kReadHosts,
       range(),
       nullptr,
       200,
       ref("Calendar"),
       {400}},
      {"get",
       "/api/v1/calendar/feed-tokens",
       "listCalendarFeedTokens",
       "The caller's calendar feed tokens, without secrets",
       Permission::kManageOwnTokens,
       {},
       nullptr,
       200,
       listOf("CalendarFeedToken"),
       {}},
      {"post",
       "/api/v1/calendar/feed-tokens",
       "createCalendarFeedToken",
       "Create a calendar feed token; the token is shown once",
       Permission::kManageOwnTokens,
       {},
       ref("CalendarFeedTokenCreate"),
       201,
       ref("CalendarFeedToken"),
       {400}},
      {"delete",
       "/api/v1/calendar/feed-tokens/{id}",
       "revokeCalendarFeedToken",
       "Revoke one of the caller's calendar feed tokens",
       Permission::kManageOwnTokens,
       {},
       nullptr,
       204,
       nullptr,
       {404}},
      {"get",
       "/calendar/{token}/all.ics",
       "getCalendarFeed",
       "iCalendar feed of every window; the token in the path decides",
       std::nullopt,
       {},
       nullptr,
       200,
       nullptr,
       {404}},
      {"get",
       "/calendar/{token}/windows/{id}.ics",
       "getWindowCalendarFeed",
       "iCalendar feed of one window",
       std::nullopt,
       {},
       nullptr,
       200,
       nullptr,
       {404}},
      {"get",
       "/calendar/{token}/hosts/{id}.ics",
       "getHostCalendarFeed",
       "iCalendar feed of one server's windows",
       std::nullopt,
       {},
       nullptr,
       200,
       nullptr,
       {404}},
      {"get",
       "/calendar/{token}/collections/{name}.ics",
       "getCollectionCalendarFeed",
       "iCalendar feed of a collection's servers",
       std::nullopt,
       {},
       nullptr,
       200,
       nullptr,
       {404}},
      {"get",
       "/calendar/{token}/deployments.ics",
       "getDeploymentCalendarFeed",
       "iCalendar feed of deployment dates; the token's user needs read_deployments",
       std::nullopt,
       {},
       nullptr,
       200,
       nullptr,
       {404}},
      {"get",
       "/api/v1/reports/servers-by-window",
       "reportServersByWindow",
       "Each window with its next occurrence and its servers",
       Permission::kReadReports,
       format,
       nullptr,
       200,
       ref("Report"),
       {400}},
      {"get",
       "/api/v1/reports/windows",
       "reportWindows",
       "Each window with its next 12 occurrences",
       Permission::kReadReports,
       format,
       nullptr,
       200,
       ref("Report"),
       {400}},
      {"get",
       "/api/v1/reports/servers-without-window",
       "reportServersWithoutWindow",
       "Servers without a window, which count as not compliant",
       Permission::kReadReports,
       format,
       nullptr,
       200,
       ref("Report"),
       {400}},
  };
}

// Collections, ring sequences and restart policy bounds
// (collection_routes.h).
Json collectionSchemas() {
  Json schemas = Json::object();
  const Json rule =
      object({{"os_ecosystem",
               nullable(text("Exact, \"Debian:12\", or a prefix ending in ':', \"Debian:\""))},
              {"kind", nullable(oneOfText({"server", "endpoint"}))},
              {"owner", nullable(text("Exact username"))},
              {"hostname", nullable(text("Glob with * and ?, ASCII case ignored"))}});
  const Json policy =
      object({{"restart_deadline_seconds", integer("Default 86400, at most the bound")},
              {"countdown_seconds", integer("Default 5400, at least the bound")},
              {"reminder_seconds", integer("Default 14400")},
              {"pre_hook", nullable(text("Hook name [a-z0-9-]{1,64}, or null for none"))},
              {"post_hook", nullable(text("Hook name [a-z0-9-]{1,64}, or null for none"))}});
  schemas["CollectionCreate"] =
      object({{"id", text("[a-z0-9-]{1,64}; POST only")},
              {"name", text()},
              {"description", text()},
              {"rule", nullable(rule)},
              {"members", arrayOf(text("Host id; static collections only"))},
              {"restart_policy", policy}},
             {"id", "name"});
  schemas["Collection"] = object({{"id", text()},
                                  {"name", text()},
                                  {"description", text()},
                                  {"type", oneOfText({"static", "rule"})},
                                  {"rule", nullable(rule)},
                                  {"members", arrayOf(text("Host added explicitly"))},
                                  {"restart_policy", policy},
                                  {"created_at", time()},
                                  {"updated_at", time()}});
  schemas["CollectionHosts"] =
      object({{"items", arrayOf(object({{"id", text()},
                                        {"hostname", text()},
                                        {"kind", text()},
                                        {"owner", text()},
                                        {"os_ecosystem", text()}}))},
              {"next_after", nullable(text("Pass as after for the next page; null at the end."))}},
             {"items"});
  const Json ring = object({{"collection", text("A collection id")},
                            {"min_soak_seconds", integer("Default 0")},
                            {"min_success_ratio", number("0 to 1, default 1")},
                            {"max_failures", integer("Default 0")}},
                           {"collection"});
  schemas["RingSequenceCreate"] = object({{"id", text("[a-z0-9-]{1,64}; POST only")},
                                          {"name", text()},
                                          {"description", text()},
                                          {"rings", arrayOf(ring)}},
                                         {"id", "name", "rings"});
  schemas["RingSequence"] = object({{"id", text()},
                                    {"name", text()},
                                    {"description", text()},
                                    {"rings", arrayOf(ring)},
                                    {"created_at", time()},
                                    {"updated_at", time()}});
  schemas["RestartPolicyBounds"] =
      object({{"max_restart_deadline_seconds", integer("Default 86400")},
              {"min_countdown_seconds", integer("Default 5400")}});
  return schemas;
}

// Compliance per group, its daily history and overdue hosts
// (compliance_report_routes.h).
Json complianceReportSchemas() {
  Json schemas = Json::object();
  const Json counts = object({{"compliant", integer()},
                              {"not_compliant", integer()},
                              {"unknown", integer()},
                              {"total", integer()},
                              {"percent_compliant", nullable(number("Null for an empty group"))}});
  Json group = counts;
  group["properties"]["id"] = text("\"\" for hosts in no group of the kind");
  group["properties"]["name"] = text();
  group["properties"]["position"] = integer("Ring position from 0; by=ring only");
  schemas["ComplianceSummary"] = object({{"by", text()},
                                         {"ring_sequence", text("by=ring only")},
                                         {"stale_after_days", integer()},
                                         {"groups", arrayOf(group)},
                                         {"generated_at", time()}});
  Json point = counts;
  point["properties"]["day"] = text("UTC date, YYYY-MM-DD");
  schemas["ComplianceHistory"] = object(
      {{"by", text()},
       {"days", integer()},
       {"first_day", text("UTC date, YYYY-MM-DD")},
       {"series", arrayOf(object({{"id", text()}, {"name", text()}, {"points", arrayOf(point)}}))},
       {"generated_at", time()}});
  schemas["OverdueHosts"] = object(
      {{"hosts", arrayOf(object({{"host_id", text()},
                                 {"hostname", text()},
                                 {"owner", text()},
                                 {"window", nullable(object({{"id", text()}, {"name", text()}}))},
                                 {"deployment", object({{"id", text()}, {"name", text()}})},
                                 {"deadline", time()},
                                 {"overdue_seconds", integer()},
                                 {"job", object({{"id", text()}, {"state", text()}})},
                                 {"reasons", arrayOf(text())}}))},
       {"generated_at", time()}});
  return schemas;
}

std::vector<Operation> complianceReportOperations() {
  const Json format = queryParameter("format", oneOfText({"json", "csv", "html"}));
  const Json by = queryParameter(
      "by", oneOfText({"fleet", "collection", "window", "ring", "owner"}), "Default fleet");
  return {
      {"get",
       "/api/v1/reports/compliance-summary",
       "reportComplianceSummary",
       "Compliant, not compliant and unknown hosts per group",
       Permission::kReadReports,
       {by, queryParameter("ring_sequence", text(), "by=ring; default \"default\""), format},
       nullptr,
       200,
       ref("ComplianceSummary"),
       {400, 404}},
      {"get",
       "/api/v1/reports/compliance-history",
       "reportComplianceHistory",
       "Daily compliance snapshots per group",
       Permission::kReadReports,
       {by, queryParameter("days", integer(), "1 to 3660, default 90; includes today"), format},
       nullptr,
       200,
       ref("ComplianceHistory"),
       {400}},
      {"get",
       "/api/v1/reports/overdue",
       "reportOverdueHosts",
       "Hosts whose deployment deadline passed with work left",
       Permission::kReadReports,
       {format},
       nullptr,
       200,
       ref("OverdueHosts"),
       {400}},
  };
}

// Endpoint restart reports and events (restart_routes.h).
std::vector<Operation> restartOperations() {
  return {
      {"post",
       "/api/v1/hosts/{host_id}/restart-state",
       "postRestartState",
       "An agent reports its restart state and the notices and choices since its last report; "
       "each event id is stored once",
       Permission::kAgent,
       {},
       ref("RestartReport"),
       200,
       ref("RestartReportResult"),
       {400, 403}},
      {"get",
       "/api/v1/hosts/{host_id}/restart-events",
       "listRestartEvents",
       "The notices shown and choices made on a host, oldest first",
       Permission::kReadHosts,
       {queryParameter("since", time(), "Only events at or after this time"),
        queryParameter("limit", integer(), "1 to 1000, default 200")},
       nullptr,
       200,
       ref("RestartEvents"),
       {400, 404}},
  };
}

Json restartSchemas() {
  Json schemas = Json::object();
  const Json event = object({{"event_id", text("32 hex digits, '-', a sequence number")},
                             {"at", time()},
                             {"type", oneOfText({"notice", "choice", "restart_requested"})},
                             {"notice", text("installed, reminder, countdown or restarting")},
                             {"offered", arrayOf(text())},
                             {"choice", text("snooze, snooze-until-countdown, restart-now or "
                                             "restart-at")},
                             {"user", text("The login name of the user who chose")},
                             {"snooze_seconds", nullable(integer())},
                             {"restart_at", nullable(time())}},
                            {"event_id", "at", "type"});
  schemas["RestartReport"] = object({{"pending", boolean()},
                                     {"required_since", nullable(time())},
                                     {"deadline", nullable(time())},
                                     {"restart_at", nullable(time())},
                                     {"countdown_start", nullable(time())},
                                     {"next_reminder", nullable(time())},
                                     {"in_countdown", boolean()},
                                     {"restarted_at", nullable(time())},
                                     {"job_ids", arrayOf(text())},
                                     {"events", arrayOf(event)}},
                                    {"pending"});
  schemas["RestartReportResult"] = object({{"applied", integer()}, {"duplicates", integer()}});
  schemas["RestartEvents"] = object({{"events", arrayOf(event)}});
  return schemas;
}

std::vector<Operation> collectionOperations() {
  return {
      {"get",
       "/api/v1/collections",
       "listCollections",
       "List collections",
       Permission::kReadHosts,
       {},
       nullptr,
       200,
       listOf("Collection"),
       {}},
      {"post",
       "/api/v1/collections",
       "createCollection",
       "Create a collection (admin only)",
       Permission::kManageHosts,
       {},
       ref("CollectionCreate"),
       201,
       ref("Collection"),
       {400, 409}},
      {"get",
       "/api/v1/collections/{id}",
       "getCollection",
       "Show a collection",
       Permission::kReadHosts,
       {},
       nullptr,
       200,
       ref("Collection"),
       {404}},
      {"put",
       "/api/v1/collections/{id}",
       "updateCollection",
       "Change the given fields of a collection (admin only)",
       Permission::kManageHosts,
       {},
       ref("CollectionCreate"),
       200,
       ref("Collection"),
       {400, 404}},
      {"delete",
       "/api/v1/collections/{id}",
       "deleteCollection",
       "Delete a collection that no ring names (admin only)",
       Permission::kManageHosts,
       {},
       nullptr,
       204,
       nullptr,
       {404, 409}},
      {"get",
       "/api/v1/collections/{id}/hosts",
       "listCollectionHosts",
       "The active hosts in a collection, by id; owners see their own hosts",
       Permission::kReadHosts,
       {queryParameter("limit", integer(), "1 to 1000, default 100"),
        queryParameter("after", text(), "A host id from next_after")},
       nullptr,
       200,
       ref("CollectionHosts"),
       {400, 404}},
      {"get",
       "/api/v1/ring-sequences",
       "listRingSequences",
       "List ring sequences",
       Permission::kReadHosts,
       {},
       nullptr,
       200,
       listOf("RingSequence"),
       {}},
      {"post",
       "/api/v1/ring-sequences",
       "createRingSequence",
       "Create a ring sequence (admin only)",
       Permission::kManageHosts,
       {},
       ref("RingSequenceCreate"),
       201,
       ref("RingSequence"),
       {400, 409}},
      {"get",
       "/api/v1/ring-sequences/{id}",
       "getRingSequence",
       "Show a ring sequence",
       Permission::kReadHosts,
       {},
       nullptr,
       200,
       ref("RingSequence"),
       {404}},
      {"put",
       "/api/v1/ring-sequences/{id}",
       "updateRingSequence",
       "Change the given fields of a ring sequence (admin only)",
       Permission::kManageHosts,
       {},
       ref("RingSequenceCreate"),
       200,
       ref("RingSequence"),
       {400, 404}},
      {"delete",
       "/api/v1/ring-sequences/{id}",
       "deleteRingSequence",
       "Delete a ring sequence (admin only)",
       Permission::kManageHosts,
       {},
       nullptr,
       204,
       nullptr,
       {404}},
      {"get",
       "/api/v1/restart-policy-bounds",
       "getRestartPolicyBounds",
       "The institution's bounds on collection restart policies",
       Permission::kReadHosts,
       {},
       nullptr,
       200,
       ref("RestartPolicyBounds"),
       {}},
      {"put",
       "/api/v1/restart-policy-bounds",
       "setRestartPolicyBounds",
       "Change the restart policy bounds (admin only)",
       Permission::kManageHosts,
       {},
       ref("RestartPolicyBounds"),
       200,
       ref("RestartPolicyBounds"),
       {400, 409}},
  };
}

Json operationObject(const Operation& operation) {
  Json object_json = Json::object();
  object_json["operationId"] = operation.id;
  object_json["summary"] = operation.summary;

  Json parameters = Json::array();
  for (const auto& name : pathParameterNames(operation.path)) {
    parameters.push_back(pathParameter(name));
  }
  for (const auto& parameter : operation.query) parameters.push_back(parameter);
  if (!parameters.empty()) object_json["parameters"] = std::move(parameters);

  if (!operation.request.is_null()) {
    object_json["requestBody"] = {
        {"required", true}, {"content", {{"application/json", {{"schema", operation.request}}}}}};
  }

  Json responses = Json::object();
  Json success = {{"description", operation.summary}};
  if (operation.path == "/metrics") {
    success["content"] = {{"text/plain", {{"schema", text()}}}};
  } else if (!operation.response.is_null()) {
    success["content"] = {{"application/json", {{"schema", operation.response}}}};
  }
  responses[std::to_string(operation.status)] = std::move(success);

  std::set<int> errors(operation.errors.begin(), operation.errors.end());
  if (operation.permission) {
    errors.insert(401);
    errors.insert(403);
  }
  for (const int status : errors) {
    responses[std::to_string(status)] = {
        {"$ref", "#/components/responses/" + errorResponseName(status)}};
  }
  object_json["responses"] = std::move(responses);

  if (operation.permission) {
    object_json["security"] = Json::array({{{"bearerAuth", Json::array()}}});
    object_json["x-permission"] = permissionName(*operation.permission);
  } else {
    object_json["security"] = Json::array();
    object_json["x-permission"] = "public";
  }
  return object_json;
}

Json errorResponses() {
  const std::vector<std::pair<int, std::string>> descriptions = {
      {400, "Malformed JSON, an invalid field or an invalid query parameter"},
      {401, "Missing, unknown, expired or revoked credential"},
      {403, "The credential's roles lack the permission, or a host touched another host"},
      {404, "No such resource"},
      {409, "The change conflicts with the current state"},
      {413, "The request body is larger than the server accepts"},
      {429, "Too many failed logins; try again later"},
      {502,
       "The feed could not be fetched or read; the message gives the reason and the feed "
       "keeps its last good data"},
      {503, "Not ready; the message gives the reason"},
  };
  Json responses = Json::object();
  for (const auto& [status, description] : descriptions) {
    responses[errorResponseName(status)] = {
        {"description", description},
        {"content", {{"application/json", {{"schema", ref("Error")}}}}}};
  }
  return responses;
}

}  // namespace

nlohmann::ordered_json openApiDocument(std::string_view server_version) {
  Json document = Json::object();
  document["openapi"] = "3.0.3";
  document["info"] = {
      {"title", "patchkeeper API"},
      {"version", server_version},
      {"description",
       "Patch management for servers and endpoints. Times are RFC 3339 UTC. Errors are "
       "{\"error\": {\"code\", \"message\"}}. Lists are {\"items\": [...]}, with "
       "\"next_after_id\" where paged. Each operation's x-permission names the permission the "
       "caller's roles must grant."}};

  Json paths = Json::object();
  for (const auto& operation : operations()) {
    paths[operation.path][operation.method] = operationObject(operation);
  }
  for (const auto& operation : ticketOperations()) {
    paths[operation.path][operation.method] = operationObject(operation);
  }
  for (const auto& operation : windowOperations()) {
    paths[operation.path][operation.method] = operationObject(operation);
  }
  for (const auto& operation : patchOperations()) {
    paths[operation.path][operation.method] = operationObject(operation);
  }
  for (const auto& operation : collectionOperations()) {
    paths[operation.path][operation.method] = operationObject(operation);
  }
  for (const auto& operation : deploymentOperations()) {
    paths[operation.path][operation.method] = operationObject(operation);
  }
  for (const auto& operation : deploymentRuleOperations()) {
    paths[operation.path][operation.method] = operationObject(operation);
  }
  for (const auto& operation : complianceReportOperations()) {
    paths[operation.path][operation.method] = operationObject(operation);
  }
  for (const auto& operation : restartOperations()) {
    paths[operation.path][operation.method] = operationObject(operation);
  }
  document["paths"] = std::move(paths);

  Json schemas = Json::object();
  schemas["Error"] = errorSchema();
  for (const auto& group :
       {hostSchemas(), vulnerabilitySchemas(), peopleSchemas(), ticketSchemas(), windowSchemas(),
        patchSchemas(), collectionSchemas(), deploymentSchemas(), deploymentRuleSchemas(),
        complianceReportSchemas(), restartSchemas()}) {
    for (const auto& [name, schema] : group.items()) schemas[name] = schema;
  }
  document["components"] = {
      {"securitySchemes",
       {{"bearerAuth",
         {{"type", "http"},
          {"scheme", "bearer"},
          {"description", "A user session, a user API token, or a host's token"}}}}},
      {"schemas", std::move(schemas)},
      {"responses", errorResponses()}};
  return document;
}

std::string comparablePathFromPattern(std::string_view pattern) {
  std::string path;
  int depth = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      if (depth == 0) path += pattern[i + 1];
      ++i;
      continue;
    }
    // Parentheses inside a bracket expression do not open groups.
    if (in_class) {
      if (c == ']') in_class = false;
      if (depth == 0) path += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (depth == 0) path += c;
    } else if (c == '(') {
      if (depth == 0) path += "{}";
      ++depth;
    } else if (c == ')') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      path += c;
    }
  }
  return path;
}

std::string comparablePathFromTemplate(std::string_view path_template) {
  std::string path;
  bool in_name = false;
  for (const char c : path_template) {
    if (c == '{') {
      in_name = true;
      path += "{}";
    } else if (c == '}') {
      in_name = false;
    } else if (!in_name) {
      path += c;
    }
  }
  return path;
}

std::vector<std::pair<std::string, std::string>> routesMissingFromOpenApi(
    const nlohmann::ordered_json& document,
    const std::vector<std::pair<std::string, std::string>>& routes) {
  // comparable path -> lower-case methods documented there
  std::map<std::string, std::set<std::string>> documented;
  if (document.contains("paths") && document["paths"].is_object()) {
    for (const auto& [path, item] : document["paths"].items()) {
      auto& methods = documented[comparablePathFromTemplate(path)];
      for (const auto& [method, operation] : item.items()) methods.insert(method);
    }
  }

  std::vector<std::pair<std::string, std::string>> missing;
  for (const auto& [method, pattern] : routes) {
    if (pattern == kWebConsolePattern) continue;
    std::string lower = method;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto found = documented.find(comparablePathFromPattern(pattern));
    if (found == documented.end() || !found->second.contains(lower)) {
      missing.emplace_back(method, pattern);
    }
  }
  return missing;
}

}  // namespace pk::server
