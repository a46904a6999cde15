#include "server/people_routes.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/credentials.h"
#include "server/login_throttle.h"
#include "server/passwords.h"
#include "store/audit_repository.h"
#include "store/credential_repository.h"
#include "store/user_repository.h"

namespace pk::server {
namespace {

using nlohmann::json;

constexpr std::string_view kLoginsMetric = "patchkeeper_logins_total";
constexpr std::size_t kDefaultAuditLimit = 500;
constexpr std::size_t kMaxAuditLimit = 5000;
constexpr std::size_t kMaxTokenNameLength = 100;
// Attempted usernames are cut to this length before they reach the audit
// log, the server log and the login throttle.
constexpr std::size_t kMaxLoggedUsernameLength = 100;

constexpr std::string_view kUserPath = "/api/v1/users/([a-z0-9][a-z0-9._@-]{0,63})";
constexpr std::string_view kTokenPath = "/api/v1/tokens/([0-9]{1,18})";

struct PeopleState {
  PeopleState(ServerContext& server_context, const PeopleOptions& people_options)
      : context(server_context),
        options(people_options),
        throttle(server_context.clock, people_options.max_failed_logins,
                 std::chrono::duration_cast<std::chrono::seconds>(people_options.throttle_window)) {
  }

  ServerContext& context;
  const PeopleOptions options;
  LoginThrottle throttle;
};

// ---------------------------------------------------------------------------
// Responses and request fields

Response noContent() {
  Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

Response invalidField(std::string_view name, std::string_view problem) {
  return errorResponse(400, "invalid_field", fmt::format("Field \"{}\": {}", name, problem));
}

Response invalidQuery(std::string_view name, std::string_view problem) {
  return errorResponse(400, "invalid_query",
                       fmt::format("Query parameter \"{}\": {}", name, problem));
}

// Returns the 400 response for the first member of `body` not in `allowed`,
// so that a misspelt field is reported instead of silently ignored.
std::optional<Response> rejectUnknownFields(const json& body,
                                            std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string names;
      for (std::string_view name : allowed)
        names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", name);
      return invalidField(key, fmt::format("unknown field; this request accepts {}.", names));
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Turns an Error message ("the password is too short: ...") into a
// sentence for a response body.
std::string sentence(std::string message) {
  if (!message.empty() && message.front() >= 'a' && message.front() <= 'z') {
    message.front() = static_cast<char>(message.front() - 'a' + 'A');
  }
  if (!message.empty() && message.back() != '.') message += '.';
  return message;
}

std::string truncated(std::string_view text, std::size_t max_length) {
  return std::string(text.substr(0, max_length));
}

json optionalTime(const std::optional<SystemTime>& time) {
  return time ? json(formatRfc3339(*time)) : json();
}

std::string userActor(const Principal& principal) {
  return "user:" + principal.username;
}

// Reads a "roles" member: an array of role names, each once. Returns the
// names sorted, or the 400 response to send.
std::variant<std::vector<std::string>, Response> readRoles(const json& value) {
  if (!value.is_array()) {
    return invalidField("roles", "use an array of role names, such as [\"viewer\"].");
  }
  std::vector<std::string> roles;
  for (const json& item : value) {
    const auto role = item.is_string() ? parseRole(item.get<std::string>()) : std::nullopt;
    if (!role) {
      return invalidField("roles", fmt::format("{} is not a role; use admin, operator, owner, "
                                               "viewer or auditor.",
                                               item.dump()));
    }
    roles.emplace_back(roleName(*role));
  }
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return roles;
}

// ---------------------------------------------------------------------------
// JSON views. None of them contains a password hash or a token.

std::string_view credentialStatus(const store::CredentialRecord& credential, SystemTime now) {
  if (credential.revoked_at) return "revoked";
  if (credential.expires_at && now >= *credential.expires_at) return "expired";
  return "active";
}

json tokenToJson(const store::CredentialRecord& credential, SystemTime now) {
  return {
      {"id", credential.id},
      {"name", credential.name},
      {"status", credentialStatus(credential, now)},
      {"created_at", formatRfc3339(credential.created_at)},
      {"expires_at", optionalTime(credential.expires_at)},
      {"revoked_at", optionalTime(credential.revoked_at)},
      {"last_used_at", optionalTime(credential.last_used_at)},
  };
}

json sessionToJson(const store::CredentialRecord& credential, std::string_view username) {
  return {
      {"id", credential.id},
      {"username", username},
      {"created_at", formatRfc3339(credential.created_at)},
      {"expires_at", optionalTime(credential.expires_at)},
  };
}

// The stored before/after text as JSON; text that is not JSON (written by
// an older version, say) is returned as a string rather than lost.
json storedJson(const std::string& text) {
  if (text.empty()) return nullptr;
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return text;
  return parsed;
}

json auditEventToJson(const store::AuditEvent& event) {
  return {
      {"id", event.id},
      {"at", formatRfc3339(event.at)},
      {"actor", event.actor},
      {"action", event.action},
      {"object_type", event.object_type},
      {"object_id", event.object_id},
      {"before", storedJson(event.before_json)},
      {"after", storedJson(event.after_json)},
      {"remote_address", event.remote_address},
  };
}

store::AuditEvent auditEvent(const Request& request, SystemTime now, std::string actor,
                             std::string action, std::string object_type, std::string object_id,
                             const json& before, const json& after) {
  store::AuditEvent event;
  event.at = now;
  event.actor = std::move(actor);
  event.action = std::move(action);
  event.object_type = std::move(object_type);
  event.object_id = std::move(object_id);
  event.before_json = before.is_null() ? "" : before.dump();
  event.after_json = after.is_null() ? "" : after.dump();
  event.remote_address = request.remote_address;
  return event;
}

Result<void> appendAudit(store::Session& session, const store::AuditEvent& event) {
  auto appended = store::appendAuditEvent(session, event);
  if (!appended) return tl::unexpected(appended.error());
  return {};
}

// ---------------------------------------------------------------------------
// Sessions

Response throttled(std::chrono::seconds wait) {
  Response response = errorResponse(
      429, "too_many_attempts",
      fmt::format("Too many failed logins for this user or from this address. Try again in {} "
                  "seconds.",
                  wait.count()));
  response.headers.emplace_back("Retry-After", std::to_string(wait.count()));
  return response;
}

// Records a failed login: counts it against the throttle and appends a
// "session.login_failed" event whose actor is the attempted username,
// already cut to kMaxLoggedUsernameLength.
void recordLoginFailure(PeopleState& state, const Request& request, const std::string& shown,
                        std::string_view reason, SystemTime now) {
  state.throttle.recordFailure(shown, request.remote_address);
  state.context.metrics.increment(kLoginsMetric, {{"result", "failure"}});

  spdlog::info("login failed: user={} address={} reason={}", shown, request.remote_address, reason);
  const store::AuditEvent event = auditEvent(request, now, "user:" + shown, "session.login_failed",
                                             "user", shown, nullptr, {{"reason", reason}});
  auto written = state.context.database.write(
      [&](store::Session& session) { return appendAudit(session, event); });
  if (!written) {
    spdlog::error("auditing a failed login of user={} failed: {}", shown, written.error().message);
  }
}

Response login(PeopleState& state, const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* response = std::get_if<Response>(&parsed)) return *response;
  const json& body = std::get<json>(parsed);
  if (auto unknown = rejectUnknownFields(body, {"username", "password"})) return *unknown;
  if (!body.contains("username") || !body["username"].is_string()) {
    return invalidField("username", "required, as a string.");
  }
  if (!body.contains("password") || !body["password"].is_string()) {
    return invalidField("password", "required, as a string.");
  }
  const std::string username = body["username"].get<std::string>();
  const std::string password = body["password"].get<std::string>();
  // Anyone can send any username, so logs, audit events and throttle keys
  // get a bounded copy.
  const std::string shown_username = truncated(username, kMaxLoggedUsernameLength);

  // Checked before the password, so a blocked client learns nothing from
  // further guesses, however right they are.
  if (auto wait = state.throttle.retryAfter(shown_username, request.remote_address)) {
    state.context.metrics.increment(kLoginsMetric, {{"result", "throttled"}});
    return throttled(*wait);
  }

  std::optional<store::UserRecord> user;
  if (store::validateUsername(username)) {
    auto read = state.context.database.read([&](store::Session& session) -> Result<void> {
      auto found = store::findUserByName(session, username);
      if (!found) return tl::unexpected(found.error());
      user = std::move(*found);
      return {};
    });
    if (!read) {
      spdlog::error("login: reading user {} failed: {}", shown_username, read.error().message);
      return serverErrorResponse();
    }
  }

  // Every failure path spends one password verification, so the response
  // time does not tell an unknown username from a wrong password.
  std::string_view failure;
  if (!user) {
    verifyPasswordAgainstDummy(password);
    failure = "unknown_user";
  } else if (!verifyPassword(user->password_hash, password)) {
    failure = "wrong_password";
  } else if (user->disabled) {
    failure = "disabled";
  }
  const SystemTime now = state.context.clock.now();
  if (!failure.empty()) {
    recordLoginFailure(state, request, shown_username, failure, now);
    return errorResponse(401, "invalid_credentials",
                         "The username or password is wrong, or the account is disabled.");
  }

  // A hash made with weaker parameters than today's is replaced while the
  // password is at hand. A password shorter than today's policy keeps its
  // old hash, since hashPassword() would reject it.
  std::optional<std::string> new_hash;
  if (passwordNeedsRehash(user->password_hash)) {
    if (auto rehashed = hashPassword(password, username)) new_hash = std::move(*rehashed);
  }

  IssuedCredential issued;
  auto written = state.context.database.write([&](store::Session& session) -> Result<void> {
    auto made = issueSession(session, user->id, now, state.options.session_ttl);
    if (!made) return tl::unexpected(made.error());
    issued = std::move(*made);

    if (new_hash) {
      store::UserRecord rehashed = *user;
      rehashed.password_hash = *new_hash;
      if (auto updated = store::updateUser(session, rehashed); !updated) return updated;
    }
    auto pruned = store::deleteStaleCredentials(session, now - kStaleCredentialRetention);
    if (!pruned) return tl::unexpected(pruned.error());

    store::CredentialRecord record;
    record.id = issued.id;
    record.created_at = now;
    record.expires_at = issued.expires_at;
    return appendAudit(
        session, auditEvent(request, now, "user:" + username, "session.create", "session",
                            std::to_string(issued.id), nullptr, sessionToJson(record, username)));
  });
  if (!written) {
    spdlog::error("login: creating a session for user {} failed: {}", username,
                  written.error().message);
    return serverErrorResponse();
  }

  state.throttle.recordSuccess(shown_username);
  state.context.metrics.increment(kLoginsMetric, {{"result", "success"}});
  spdlog::info("login: user={} address={} session={}", username, request.remote_address, issued.id);
  return jsonResponse(201,
                      {{"token", issued.token}, {"expires_at", optionalTime(issued.expires_at)}});
}

Response logout(PeopleState& state, const Request& request) {
  const Principal& principal = *request.principal;
  const SystemTime now = state.context.clock.now();
  std::optional<Response> refused;
  auto written = state.context.database.write([&](store::Session& session) -> Result<void> {
    refused.reset();
    auto credential = store::findCredentialById(session, principal.credential_id);
    if (!credential) return tl::unexpected(credential.error());
    if (!*credential || (*credential)->kind != store::kCredentialSession) {
      refused = errorResponse(400, "not_a_session",
                              "This request was made with an API token, not a login session. "
                              "Revoke API tokens with DELETE /api/v1/tokens/{id}.");
      return {};
    }
    auto revoked = store::revokeCredential(session, principal.credential_id, now);
    if (!revoked) return tl::unexpected(revoked.error());
    return appendAudit(session,
                       auditEvent(request, now, userActor(principal), "session.delete", "session",
                                  std::to_string(principal.credential_id),
                                  sessionToJson(**credential, principal.username), nullptr));
  });
  if (!written) {
    spdlog::error("logout: ending session {} failed: {}", principal.credential_id,
                  written.error().message);
    return serverErrorResponse();
  }
  if (refused) return *refused;
  return noContent();
}

Response me(const Request& request) {
  const Principal& principal = *request.principal;
  json roles = json::array();
  for (Role role : principal.roles) roles.push_back(roleName(role));
  json permissions = json::array();
  for (int value = static_cast<int>(Permission::kReadHosts);
       value <= static_cast<int>(Permission::kManageDeployments); ++value) {
    const auto permission = static_cast<Permission>(value);
    if (principal.has(permission)) permissions.push_back(permissionName(permission));
  }
  return jsonResponse(200, {{"username", principal.username},
                            {"roles", roles},
                            {"permissions", permissions},
                            {"sees_all_hosts", principal.seesAllHosts()},
                            {"credential_id", principal.credential_id}});
}

// ---------------------------------------------------------------------------
// Users

Response userNotFound(std::string_view username) {
  return errorResponse(404, "user_not_found", fmt::format("No user is named \"{}\".", username));
}

Response listAllUsers(PeopleState& state) {
  std::vector<store::UserRecord> users;
  auto read = state.context.database.read([&](store::Session& session) -> Result<void> {
    auto listed = store::listUsers(session);
    if (!listed) return tl::unexpected(listed.error());
    users = std::move(*listed);
    return {};
  });
  if (!read) {
    spdlog::error("listing users failed: {}", read.error().message);
    return serverErrorResponse();
  }
  json items = json::array();
  for (const auto& user : users) items.push_back(userToJson(user));
  return jsonResponse(200, {{"items", std::move(items)}});
}

Response showUser(PeopleState& state, const Request& request) {
  const std::string& username = request.path_params.at(0);
  std::optional<store::UserRecord> user;
  auto read = state.context.database.read([&](store::Session& session) -> Result<void> {
    auto found = store::findUserByName(session, username);
    if (!found) return tl::unexpected(found.error());
    user = std::move(*found);
    return {};
  });
  if (!read) {
    spdlog::error("reading user {} failed: {}", username, read.error().message);
    return serverErrorResponse();
  }
  if (!user) return userNotFound(username);
  return jsonResponse(200, userToJson(*user));
}

Response createUser(PeopleState& state, const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* response = std::get_if<Response>(&parsed)) return *response;
  const json& body = std::get<json>(parsed);
  if (auto unknown = rejectUnknownFields(body, {"username", "password", "roles"})) return *unknown;

  if (!body.contains("username") || !body["username"].is_string()) {
    return invalidField("username", "required, as a string.");
  }
  const std::string username = body["username"].get<std::string>();
  if (auto valid = store::validateUsername(username); !valid) {
    return invalidField("username", valid.error().message + ".");
  }
  if (!body.contains("password") || !body["password"].is_string()) {
    return invalidField("password", "required, as a string.");
  }
  const std::string password = body["password"].get<std::string>();
  if (auto policy = checkPasswordPolicy(password, username); !policy) {
    return errorResponse(400, "invalid_password", sentence(policy.error().message));
  }
  std::vector<std::string> roles;
  if (body.contains("roles")) {
    auto read_roles = readRoles(body["roles"]);
    if (auto* response = std::get_if<Response>(&read_roles)) return *response;
    roles = std::get<std::vector<std::string>>(std::move(read_roles));
  }

  auto hash = hashPassword(password, username);
  if (!hash) {
    spdlog::error("creating user {}: hashing the password failed: {}", username,
                  hash.error().message);
    return serverErrorResponse();
  }

  const Principal& principal = *request.principal;
  const SystemTime now = state.context.clock.now();
  store::UserRecord user;
  user.username = username;
  user.password_hash = std::move(*hash);
  user.roles = roles;
  user.created_at = now;
  user.updated_at = now;
  bool exists = false;
  auto written = state.context.database.write([&](store::Session& session) -> Result<void> {
    exists = false;
    user.id = 0;
    auto existing = store::findUserByName(session, username);
    if (!existing) return tl::unexpected(existing.error());
    if (*existing) {
      exists = true;
      return {};
    }
    auto id = store::insertUser(session, user);
    if (!id) return tl::unexpected(id.error());
    user.id = *id;
    return appendAudit(session, auditEvent(request, now, userActor(principal), "user.create",
                                           "user", username, nullptr, userToJson(user)));
  });
  if (!written) {
    spdlog::error("creating user {} failed: {}", username, written.error().message);
    return serverErrorResponse();
  }
  if (exists) {
    return errorResponse(409, "user_exists",
                         fmt::format("A user named \"{}\" already exists; change it with PATCH "
                                     "/api/v1/users/{}.",
                                     username, username));
  }
  spdlog::info("user created: user={} by={}", username, principal.username);
  return jsonResponse(201, userToJson(user));
}

bool isEnabledAdmin(const store::UserRecord& user) {
  return !user.disabled &&
         std::find(user.roles.begin(), user.roles.end(), "admin") != user.roles.end();
}

Response patchUser(PeopleState& state, const Request& request) {
  const std::string& username = request.path_params.at(0);
  auto parsed = parseJsonBody(request);
  if (auto* response = std::get_if<Response>(&parsed)) return *response;
  const json& body = std::get<json>(parsed);
  if (auto unknown = rejectUnknownFields(body, {"roles", "disabled", "password"})) return *unknown;
  if (body.empty()) {
    return errorResponse(400, "invalid_field",
                         "The request changes nothing; send roles, disabled or password.");
  }

  std::optional<std::vector<std::string>> roles;
  if (body.contains("roles")) {
    auto read_roles = readRoles(body["roles"]);
    if (auto* response = std::get_if<Response>(&read_roles)) return *response;
    roles = std::get<std::vector<std::string>>(std::move(read_roles));
  }
  std::optional<bool> disabled;
  if (body.contains("disabled")) {
    if (!body["disabled"].is_boolean()) return invalidField("disabled", "use true or false.");
    disabled = body["disabled"].get<bool>();
  }
  std::optional<std::string> new_hash;
  if (body.contains("password")) {
    if (!body["password"].is_string()) return invalidField("password", "use a string.");
    auto hash = hashPassword(body["password"].get<std::string>(), username);
    if (!hash && hash.error().code == ErrorCode::kInvalidArgument) {
      return errorResponse(400, "invalid_password", sentence(hash.error().message));
    }
    if (!hash) {
      spdlog::error("updating user {}: hashing the password failed: {}", username,
                    hash.error().message);
      return serverErrorResponse();
    }
    new_hash = std::move(*hash);
  }

  const Principal& principal = *request.principal;
  const SystemTime now = state.context.clock.now();
  std::optional<Response> refused;
  store::UserRecord user;
  auto written = state.context.database.write([&](store::Session& session) -> Result<void> {
    refused.reset();
    auto found = store::findUserByName(session, username);
    if (!found) return tl::unexpected(found.error());
    if (!*found) {
      refused = userNotFound(username);
      return {};
    }
    user = std::move(**found);
    const json before = userToJson(user);
    const bool was_admin = isEnabledAdmin(user);

    if (roles) user.roles = *roles;
    if (disabled) user.disabled = *disabled;
    if (new_hash) user.password_hash = *new_hash;
    user.updated_at = now;

    // Without an enabled admin, no one could manage users or undo this.
    if (was_admin && !isEnabledAdmin(user)) {
      auto admins = store::countEnabledUsersWithRole(session, "admin");
      if (!admins) return tl::unexpected(admins.error());
      if (*admins <= 1) {
        refused = errorResponse(409, "last_admin",
                                fmt::format("{} is the only enabled admin; make another user an "
                                            "admin first.",
                                            username));
        return {};
      }
    }

    if (auto updated = store::updateUser(session, user); !updated) return updated;
    // A new password ends every login made with the old one; API tokens
    // stay, since their holder may be a program the owner set up.
    if (new_hash) {
      auto revoked = revokeUserSessions(session, user.id, now);
      if (!revoked) return tl::unexpected(revoked.error());
    }
    json after = userToJson(user);
    if (new_hash) after["password_changed"] = true;
    return appendAudit(session, auditEvent(request, now, userActor(principal), "user.update",
                                           "user", username, before, after));
  });
  if (!written) {
    spdlog::error("updating user {} failed: {}", username, written.error().message);
    return serverErrorResponse();
  }
  if (refused) return *refused;
  spdlog::info("user updated: user={} by={}", username, principal.username);
  return jsonResponse(200, userToJson(user));
}

// ---------------------------------------------------------------------------
// API tokens

Response listTokens(PeopleState& state, const Request& request) {
  const Principal& principal = *request.principal;
  std::vector<store::CredentialRecord> tokens;
  auto read = state.context.database.read([&](store::Session& session) -> Result<void> {
    auto listed =
        store::listUserCredentials(session, principal.user_id, store::kCredentialApiToken);
    if (!listed) return tl::unexpected(listed.error());
    tokens = std::move(*listed);
    return {};
  });
  if (!read) {
    spdlog::error("listing API tokens of user {} failed: {}", principal.username,
                  read.error().message);
    return serverErrorResponse();
  }
  const SystemTime now = state.context.clock.now();
  json items = json::array();
  for (const auto& token : tokens) items.push_back(tokenToJson(token, now));
  return jsonResponse(200, {{"items", std::move(items)}});
}

Response createToken(PeopleState& state, const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* response = std::get_if<Response>(&parsed)) return *response;
  const json& body = std::get<json>(parsed);
  if (auto unknown = rejectUnknownFields(body, {"name", "expires_in_days"})) return *unknown;

  if (!body.contains("name") || !body["name"].is_string()) {
    return invalidField("name", "required, as a string such as \"siem export\".");
  }
  const std::string name = body["name"].get<std::string>();
  const bool has_control = std::any_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (name.empty() || name.size() > kMaxTokenNameLength || has_control) {
    return invalidField("name", fmt::format("use 1 to {} characters without control characters.",
                                            kMaxTokenNameLength));
  }
  const json& days = body.contains("expires_in_days") ? body["expires_in_days"] : json();
  if (!days.is_number_integer() || days.get<std::int64_t>() < 1 ||
      days.get<std::int64_t>() > kMaxApiTokenDays) {
    return invalidField(
        "expires_in_days",
        fmt::format("required, as a whole number of days from 1 to {}.", kMaxApiTokenDays));
  }

  const Principal& principal = *request.principal;
  const SystemTime now = state.context.clock.now();
  const SystemTime expires_at = now + std::chrono::days(days.get<std::int64_t>());
  IssuedCredential issued;
  bool too_many = false;
  auto written = state.context.database.write([&](store::Session& session) -> Result<void> {
    too_many = false;
    auto existing =
        store::listUserCredentials(session, principal.user_id, store::kCredentialApiToken);
    if (!existing) return tl::unexpected(existing.error());
    const auto live = std::count_if(existing->begin(), existing->end(),
                                    [&](const auto& token) { return token.isLive(now); });
    if (live >= kMaxLiveApiTokensPerUser) {
      too_many = true;
      return {};
    }

    auto made = issueApiToken(session, principal.user_id, name, now, expires_at);
    if (!made) return tl::unexpected(made.error());
    issued = std::move(*made);
    store::CredentialRecord record;
    record.id = issued.id;
    record.name = name;
    record.created_at = now;
    record.expires_at = expires_at;
    return appendAudit(session,
                       auditEvent(request, now, userActor(principal), "token.create", "token",
                                  std::to_string(issued.id), nullptr, tokenToJson(record, now)));
  });
  if (!written) {
    spdlog::error("creating an API token for user {} failed: {}", principal.username,
                  written.error().message);
    return serverErrorResponse();
  }
  if (too_many) {
    return errorResponse(409, "too_many_tokens",
                         fmt::format("You already have {} active API tokens; revoke one with "
                                     "DELETE /api/v1/tokens/{{id}} first.",
                                     kMaxLiveApiTokensPerUser));
  }
  return jsonResponse(201, {{"id", issued.id},
                            {"name", name},
                            {"token", issued.token},
                            {"created_at", formatRfc3339(now)},
                            {"expires_at", formatRfc3339(expires_at)}});
}

Response deleteToken(PeopleState& state, const Request& request) {
  const Principal& principal = *request.principal;
  const auto id = parseInteger(request.path_params.at(0));
  const Response not_found =
      errorResponse(404, "token_not_found",
                    fmt::format("You have no API token with id {}; GET /api/v1/tokens lists yours.",
                                request.path_params.at(0)));
  if (!id) return not_found;

  const SystemTime now = state.context.clock.now();
  bool found = false;
  auto written = state.context.database.write([&](store::Session& session) -> Result<void> {
    found = false;
    auto credential = store::findCredentialById(session, *id);
    if (!credential) return tl::unexpected(credential.error());
    // Another user's token, a session or a host token is reported as
    // missing, so ids reveal nothing about other people's credentials.
    if (!*credential || (*credential)->kind != store::kCredentialApiToken ||
        (*credential)->user_id != principal.user_id) {
      return {};
    }
    found = true;
    auto revoked = store::revokeCredential(session, *id, now);
    if (!revoked) return tl::unexpected(revoked.error());
    // Deleting a token that is already revoked changes nothing to audit.
    if (!*revoked) return {};
    store::CredentialRecord after = **credential;
    after.revoked_at = now;
    return appendAudit(
        session,
        auditEvent(request, now, userActor(principal), "token.revoke", "token", std::to_string(*id),
                   tokenToJson(**credential, now), tokenToJson(after, now)));
  });
  if (!written) {
    spdlog::error("revoking API token {} of user {} failed: {}", *id, principal.username,
                  written.error().message);
    return serverErrorResponse();
  }
  if (!found) return not_found;
  return noContent();
}

// ---------------------------------------------------------------------------
// Audit log

// Reads the audit filters from the query string into `query`, or returns
// the 400 response to send.
std::optional<Response> readAuditQuery(const Request& request, store::AuditQuery& query,
                                       bool& as_lines) {
  if (auto since = request.queryValue("since")) {
    query.since = parseRfc3339(*since);
    if (!query.since) {
      return invalidQuery("since", "use an RFC 3339 time such as 2026-12-01T00:00:00Z.");
    }
  }
  if (auto after_id = request.queryValue("after_id")) {
    auto parsed = parseInteger(*after_id);
    if (!parsed || *parsed < 0) return invalidQuery("after_id", "use an audit event id.");
    query.after_id = *parsed;
  }
  if (auto before_id = request.queryValue("before_id")) {
    auto parsed = parseInteger(*before_id);
    if (!parsed || *parsed < 0) return invalidQuery("before_id", "use an audit event id.");
    query.before_id = *parsed;
  }
  if (auto order = request.queryValue("order")) {
    if (*order != "oldest" && *order != "newest") {
      return invalidQuery("order", "use oldest or newest.");
    }
    query.newest_first = *order == "newest";
  }
  query.actor = request.queryValue("actor");
  query.object_type = request.queryValue("object_type");
  query.object_id = request.queryValue("object_id");
  query.limit = kDefaultAuditLimit;
  if (auto limit = request.queryValue("limit")) {
    auto parsed = parseInteger(*limit);
    if (!parsed || *parsed < 1 || static_cast<std::size_t>(*parsed) > kMaxAuditLimit) {
      return invalidQuery("limit", fmt::format("use a whole number from 1 to {}.", kMaxAuditLimit));
    }
    query.limit = static_cast<std::size_t>(*parsed);
  }
  as_lines = false;
  if (auto format = request.queryValue("format")) {
    if (*format != "json" && *format != "jsonl")
      return invalidQuery("format", "use json or jsonl.");
    as_lines = *format == "jsonl";
  }
  return std::nullopt;
}

Response listAudit(PeopleState& state, const Request& request) {
  store::AuditQuery query;
  bool as_lines = false;
  if (auto invalid = readAuditQuery(request, query, as_lines)) return *invalid;

  std::vector<store::AuditEvent> events;
  auto read = state.context.database.read([&](store::Session& session) -> Result<void> {
    auto listed = store::listAuditEvents(session, query);
    if (!listed) return tl::unexpected(listed.error());
    events = std::move(*listed);
    return {};
  });
  if (!read) {
    spdlog::error("reading the audit log failed: {}", read.error().message);
    return serverErrorResponse();
  }

  // One event per line (JSON Lines), the form SIEM collectors ingest. A
  // collector tails the log by passing the last id it read as after_id.
  if (as_lines) {
    Response response;
    response.content_type = "application/x-ndjson";
    for (const auto& event : events) {
      response.body += auditEventToJson(event).dump(-1, ' ', false, json::error_handler_t::replace);
      response.body += '\n';
    }
    return response;
  }

  json items = json::array();
  for (const auto& event : events) items.push_back(auditEventToJson(event));
  // A full page may have more after it: the last id read continues from
  // there, as after_id oldest first and as before_id newest first.
  json next = nullptr;
  if (!events.empty() && events.size() == query.limit) next = events.back().id;
  if (query.newest_first) {
    return jsonResponse(200, {{"items", std::move(items)}, {"next_before_id", std::move(next)}});
  }
  return jsonResponse(200, {{"items", std::move(items)}, {"next_after_id", std::move(next)}});
}

}  // namespace

json userToJson(const store::UserRecord& user) {
  return {
      {"username", user.username},
      {"roles", user.roles},
      {"disabled", user.disabled},
      {"created_at", formatRfc3339(user.created_at)},
      {"updated_at", formatRfc3339(user.updated_at)},
  };
}

void addPeopleRoutes(Router& router, ServerContext& context, const PeopleOptions& options) {
  auto state = std::make_shared<PeopleState>(context, options);
  context.metrics.describe(kLoginsMetric, Metrics::Type::kCounter,
                           "Login attempts by result: success, failure or throttled.");

  router.add("POST", "/api/v1/sessions", Permission::kPublic,
             [state](Request& request) { return login(*state, request); });
  router.add("DELETE", "/api/v1/sessions/current", Permission::kManageOwnTokens,
             [state](Request& request) { return logout(*state, request); });
  router.add("GET", "/api/v1/me", Permission::kManageOwnTokens,
             [](Request& request) { return me(request); });

  router.add("GET", "/api/v1/users", Permission::kReadUsers,
             [state](Request&) { return listAllUsers(*state); });
  router.add("POST", "/api/v1/users", Permission::kManageUsers,
             [state](Request& request) { return createUser(*state, request); });
  router.add("GET", std::string(kUserPath), Permission::kReadUsers,
             [state](Request& request) { return showUser(*state, request); });
  router.add("PATCH", std::string(kUserPath), Permission::kManageUsers,
             [state](Request& request) { return patchUser(*state, request); });

  router.add("GET", "/api/v1/tokens", Permission::kManageOwnTokens,
             [state](Request& request) { return listTokens(*state, request); });
  router.add("POST", "/api/v1/tokens", Permission::kManageOwnTokens,
             [state](Request& request) { return createToken(*state, request); });
  router.add("DELETE", std::string(kTokenPath), Permission::kManageOwnTokens,
             [state](Request& request) { return deleteToken(*state, request); });

  router.add("GET", "/api/v1/audit", Permission::kReadAudit,
             [state](Request& request) { return listAudit(*state, request); });
}

}  // namespace pk::server
