#include "server/enrolment.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/messages.h"
#include "server/credentials.h"
#include "server/host_routes.h"
#include "store/audit_repository.h"
#include "store/enrolment_repository.h"
#include "store/host_repository.h"

namespace pk::server {
namespace {

// The maximum lifetime of an enrolment secret: ten years. It keeps
// expires_in_hours far from overflowing the microsecond clock.
constexpr std::int64_t kMaxExpiresInHours = 24 * 365 * 10;

constexpr std::size_t kMaxSecretNameLength = 200;
constexpr std::size_t kMaxOwnerLength = 255;
constexpr std::size_t kMaxCollectionNameLength = 64;
constexpr std::size_t kMaxCollections = 100;
// /etc/machine-id contains 32 hex digits; other systems' ids (GUIDs) are
// longer but far below this.
constexpr std::size_t kMaxMachineIdLength = 255;

std::string toHex(const unsigned char* bytes, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();
  return hex;
}

Response invalidField(std::string_view field, std::string_view problem) {
  return errorResponse(400, "invalid_field", fmt::format("Field \"{}\": {}", field, problem));
}

// Whether `text` has 1 to `max_length` characters, each printable ASCII
// other than a space. Machine ids are logged and shown, so they must not
// carry line breaks or escape sequences.
bool isPrintableAscii(std::string_view text, std::size_t max_length) {
  if (text.empty() || text.size() > max_length) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool hasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

std::string_view secretStatus(const store::EnrolmentSecretRecord& secret, SystemTime now) {
  if (secret.revoked_at) return "revoked";
  if (secret.expires_at <= now) return "expired";
  return "active";
}

nlohmann::json secretToJson(const store::EnrolmentSecretRecord& secret, SystemTime now) {
  return {
      {"id", secret.id},
      {"name", secret.name},
      {"kind", secret.kind},
      {"owner", secret.owner},
      {"collections", secret.collections},
      {"created_by", secret.created_by},
      {"created_at", formatRfc3339(secret.created_at)},
      {"expires_at", formatRfc3339(secret.expires_at)},
      {"revoked_at",
       secret.revoked_at ? nlohmann::json(formatRfc3339(*secret.revoked_at)) : nlohmann::json()},
      {"use_count", secret.use_count},
      {"status", secretStatus(secret, now)},
  };
}

store::AuditEvent auditEvent(const Request& request, SystemTime now, std::string actor,
                             std::string action, std::string object_type, std::string object_id) {
  store::AuditEvent event;
  event.at = now;
  event.actor = std::move(actor);
  event.action = std::move(action);
  event.object_type = std::move(object_type);
  event.object_id = std::move(object_id);
  event.remote_address = request.remote_address;
  return event;
}

std::string userActor(const Request& request) {
  return request.principal ? "user:" + request.principal->username : std::string("system");
}

// An enrolment's response, decided inside the write transaction, and the
// line to log about it. The line is logged only after the transaction
// commits, because the work of a write() may run more than once.
struct Decision {
  Response response;
  spdlog::level::level_enum log_level = spdlog::level::info;
  std::string log_line;
};

// Re-enrols the machine of `existing`, which an admin approved. The host
// keeps its id, kind, owner and collections, and its old token is replaced
// by a new one.
Result<Decision> reenrol(store::Session& session, const Request& request,
                         const protocol::EnrolRequest& enrol,
                         const store::EnrolmentSecretRecord& secret, store::HostRecord existing,
                         SystemTime now) {
  const nlohmann::json before = hostToJson(existing);
  existing.hostname = enrol.hostname;
  existing.reenrolment_approved_until.reset();
  existing.enrolled_at = now;

  if (auto updated = store::updateHost(session, existing); !updated) {
    return tl::unexpected(updated.error());
  }
  if (auto revoked = revokeHostCredentials(session, existing.id, now); !revoked) {
    return tl::unexpected(revoked.error());
  }
  auto token = issueHostToken(session, existing.id, now);
  if (!token) return tl::unexpected(token.error());
  if (auto used = store::recordEnrolmentSecretUse(session, secret.id, existing.id, now); !used) {
    return tl::unexpected(used.error());
  }

  auto event = auditEvent(request, now, "host:" + existing.id, "host.reenrol", "host", existing.id);
  event.before_json = before.dump();
  nlohmann::json after = hostToJson(existing);
  after["enrolment_secret"] = {{"id", secret.id}, {"name", secret.name}};
  event.after_json = after.dump();
  if (auto appended = store::appendAuditEvent(session, event); !appended) {
    return tl::unexpected(appended.error());
  }

  return Decision{jsonResponse(201, protocol::toJson(protocol::EnrolResponse{existing.id, *token})),
                  spdlog::level::info,
                  fmt::format("host={} re-enrolled with enrolment secret {} ({}) after approval",
                              existing.id, secret.id, secret.name)};
}

// Enrols a machine not seen before (or whose earlier host was revoked) as a
// new host with the secret's kind, owner and collections.
Result<Decision> enrolNewHost(store::Session& session, const Request& request,
                              const protocol::EnrolRequest& enrol,
                              const store::EnrolmentSecretRecord& secret, SystemTime now) {
  store::HostRecord host;
  // 64 random bits make a collision unlikely, but the check costs one
  // indexed read.
  for (int attempt = 0; attempt < 4 && host.id.empty(); ++attempt) {
    std::string candidate = store::newHostId();
    auto taken = store::getHost(session, candidate);
    if (!taken) return tl::unexpected(taken.error());
    if (!*taken) host.id = std::move(candidate);
  }
  if (host.id.empty()) {
    return fail(ErrorCode::kInternal, "could not draw an unused host id in 4 attempts");
  }

  host.hostname = enrol.hostname;
  host.machine_id = enrol.machine_id;
  host.kind = secret.kind;
  host.owner = secret.owner;
  host.collections = secret.collections;
  host.status = std::string(store::kHostStatusActive);
  host.enrolled_at = now;

  if (auto inserted = store::insertHost(session, host); !inserted) {
    return tl::unexpected(inserted.error());
  }
  auto token = issueHostToken(session, host.id, now);
  if (!token) return tl::unexpected(token.error());
  if (auto used = store::recordEnrolmentSecretUse(session, secret.id, host.id, now); !used) {
    return tl::unexpected(used.error());
  }

  auto event = auditEvent(request, now, "host:" + host.id, "host.enrol", "host", host.id);
  nlohmann::json after = hostToJson(host);
  after["enrolment_secret"] = {{"id", secret.id}, {"name", secret.name}};
  event.after_json = after.dump();
  if (auto appended = store::appendAuditEvent(session, event); !appended) {
    return tl::unexpected(appended.error());
  }

  return Decision{jsonResponse(201, protocol::toJson(protocol::EnrolResponse{host.id, *token})),
                  spdlog::level::info,
                  fmt::format("host={} enrolled as {} (hostname {}) with enrolment secret {} ({})",
                              host.id, host.kind, host.hostname, secret.id, secret.name)};
}

// Decides one enrolment inside the write transaction. Rejections are
// returned as responses with nothing written.
Result<Decision> decideEnrolment(store::Session& session, const Request& request,
                                 const protocol::EnrolRequest& enrol, SystemTime now) {
  auto secret = store::findEnrolmentSecretByHash(session, hashEnrolmentSecret(enrol.secret));
  if (!secret) return tl::unexpected(secret.error());
  if (!*secret || (*secret)->revoked_at) {
    return Decision{
        errorResponse(401, "invalid_enrolment_secret",
                      "The enrolment secret is unknown or was revoked. Ask an administrator "
                      "for a current enrolment secret."),
        spdlog::level::warn,
        fmt::format("enrolment of machine {} from {} rejected: unknown or revoked secret",
                    enrol.machine_id, request.remote_address)};
  }
  if ((*secret)->expires_at <= now) {
    return Decision{
        errorResponse(401, "expired_enrolment_secret",
                      fmt::format("The enrolment secret \"{}\" expired at {}. Ask an "
                                  "administrator for a current enrolment secret.",
                                  (*secret)->name, formatRfc3339((*secret)->expires_at))),
        spdlog::level::warn,
        fmt::format("enrolment of machine {} from {} rejected: secret {} ({}) expired at {}",
                    enrol.machine_id, request.remote_address, (*secret)->id, (*secret)->name,
                    formatRfc3339((*secret)->expires_at))};
  }

  auto existing = store::findActiveHostByMachineId(session, enrol.machine_id);
  if (!existing) return tl::unexpected(existing.error());
  if (!*existing) return enrolNewHost(session, request, enrol, **secret, now);

  const auto& approved_until = (*existing)->reenrolment_approved_until;
  if (approved_until && now < *approved_until) {
    return reenrol(session, request, enrol, **secret, std::move(**existing), now);
  }
  return Decision{
      errorResponse(409, "already_enrolled",
                    fmt::format("This machine is already enrolled as host {}. An admin must "
                                "approve re-enrolment of host {} before it can enrol again.",
                                (*existing)->id, (*existing)->id)),
      spdlog::level::warn,
      fmt::format("enrolment of machine {} from {} rejected: already enrolled as host={}",
                  enrol.machine_id, request.remote_address, (*existing)->id)};
}

}  // namespace

std::string generateEnrolmentSecret() {
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return toHex(bytes.data(), bytes.size());
}

std::string hashEnrolmentSecret(std::string_view secret) {
  std::array<unsigned char, 32> digest{};
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nullptr,
                     0);
  return toHex(digest.data(), digest.size());
}

bool isValidCollectionName(std::string_view name) {
  if (name.empty() || name.size() > kMaxCollectionNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool isValidOwner(std::string_view owner) {
  return owner.size() <= kMaxOwnerLength && !hasControlCharacter(owner);
}

std::variant<std::vector<std::string>, Response> parseCollectionList(const nlohmann::json& value,
                                                                     std::string_view field) {
  if (!value.is_array()) return invalidField(field, "expected an array of collection names.");
  if (value.size() > kMaxCollections) {
    return invalidField(field, fmt::format("at most {} collections are allowed.", kMaxCollections));
  }
  std::set<std::string> names;
  for (const auto& item : value) {
    if (!item.is_string() || !isValidCollectionName(item.get_ref<const std::string&>())) {
      return invalidField(
          field,
          fmt::format(
              "invalid collection name {}. Use 1 to {} letters, digits, '.', '_' "
              "or '-'.",
              item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 80),
              kMaxCollectionNameLength));
    }
    names.insert(item.get<std::string>());
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Response handleEnrol(ServerContext& context, const Request& request) {
  auto enrol = protocol::parseEnrolRequest(request.body);
  if (!enrol) {
    spdlog::warn("enrolment from {} rejected: {}", request.remote_address, enrol.error().message);
    return errorResponse(
        400, "invalid_request",
        fmt::format("The enrolment request is invalid: {}", enrol.error().message));
  }
  if (!isPrintableAscii(enrol->machine_id, kMaxMachineIdLength)) {
    spdlog::warn("enrolment from {} rejected: invalid machine_id", request.remote_address);
    return errorResponse(
        400, "invalid_request",
        fmt::format("The enrolment request has an invalid machine_id. Send the host's "
                    "/etc/machine-id: 1 to {} printable ASCII characters without spaces.",
                    kMaxMachineIdLength));
  }
  if (hasControlCharacter(enrol->hostname)) {
    spdlog::warn("enrolment of machine {} from {} rejected: control characters in hostname",
                 enrol->machine_id, request.remote_address);
    return errorResponse(400, "invalid_request",
                         "The enrolment request's hostname contains control characters.");
  }

  const SystemTime now = context.clock.now();
  std::optional<Decision> decision;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    decision.reset();
    auto decided = decideEnrolment(session, request, *enrol, now);
    if (!decided) return tl::unexpected(decided.error());
    decision = std::move(*decided);
    return {};
  });
  if (!written) {
    // Two enrolments of one machine racing: the unique index on active
    // machine ids rejects the second insert.
    if (written.error().code == ErrorCode::kInvalidArgument) {
      spdlog::warn("enrolment of machine {} from {} rejected by the database: {}",
                   enrol->machine_id, request.remote_address, written.error().message);
      return errorResponse(409, "already_enrolled",
                           "This machine enrolled at the same moment from another request. An "
                           "admin must approve re-enrolment before it can enrol again.");
    }
    spdlog::error("enrolment of machine {} from {} failed: {}", enrol->machine_id,
                  request.remote_address, written.error().message);
    return serverErrorResponse();
  }
  spdlog::log(decision->log_level, "{}", decision->log_line);
  return std::move(decision->response);
}

Response handleListEnrolmentSecrets(ServerContext& context, const Request& /*request*/) {
  const SystemTime now = context.clock.now();
  nlohmann::json items = nlohmann::json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto secrets = store::listEnrolmentSecrets(session);
    if (!secrets) return tl::unexpected(secrets.error());
    for (const auto& secret : *secrets) items.push_back(secretToJson(secret, now));
    return {};
  });
  if (!read) {
    spdlog::error("listing enrolment secrets failed: {}", read.error().message);
    return serverErrorResponse();
  }
  return jsonResponse(200, {{"items", std::move(items)}});
}

Response handleCreateEnrolmentSecret(ServerContext& context, const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);
  const SystemTime now = context.clock.now();

  store::EnrolmentSecretRecord secret;
  const auto name = body.find("name");
  if (name == body.end() || !name->is_string() || name->get_ref<const std::string&>().empty() ||
      name->get_ref<const std::string&>().size() > kMaxSecretNameLength ||
      hasControlCharacter(name->get_ref<const std::string&>())) {
    return invalidField("name", fmt::format("required: a name of 1 to {} characters without "
                                            "control characters.",
                                            kMaxSecretNameLength));
  }
  secret.name = name->get<std::string>();

  const auto kind = body.find("kind");
  if (kind == body.end() || !kind->is_string() ||
      (kind->get_ref<const std::string&>() != store::kHostKindServer &&
       kind->get_ref<const std::string&>() != store::kHostKindEndpoint)) {
    return invalidField("kind", "required: \"server\" or \"endpoint\".");
  }
  secret.kind = kind->get<std::string>();

  if (const auto owner = body.find("owner"); owner != body.end() && !owner->is_null()) {
    if (!owner->is_string() || !isValidOwner(owner->get_ref<const std::string&>())) {
      return invalidField("owner", fmt::format("expected a username of at most {} characters "
                                               "without control characters.",
                                               kMaxOwnerLength));
    }
    secret.owner = owner->get<std::string>();
  }

  if (const auto collections = body.find("collections");
      collections != body.end() && !collections->is_null()) {
    auto parsed_collections = parseCollectionList(*collections, "collections");
    if (auto* rejection = std::get_if<Response>(&parsed_collections)) return std::move(*rejection);
    secret.collections = std::get<std::vector<std::string>>(std::move(parsed_collections));
  }

  const auto expires_at = body.find("expires_at");
  const auto expires_in_hours = body.find("expires_in_hours");
  const bool has_at = expires_at != body.end() && !expires_at->is_null();
  const bool has_hours = expires_in_hours != body.end() && !expires_in_hours->is_null();
  if (has_at == has_hours) {
    return invalidField("expires_at",
                        "give exactly one of expires_at (RFC 3339) or expires_in_hours.");
  }
  if (has_at) {
    const auto parsed_time = expires_at->is_string()
                                 ? parseRfc3339(expires_at->get_ref<const std::string&>())
                                 : std::nullopt;
    if (!parsed_time) {
      return invalidField("expires_at",
                          "expected an RFC 3339 time such as "
                          "\"2027-01-31T18:00:00Z\".");
    }
    if (*parsed_time <= now) {
      return invalidField("expires_at",
                          fmt::format("{} is not in the future.", formatRfc3339(*parsed_time)));
    }
    if (*parsed_time > now + std::chrono::hours(kMaxExpiresInHours)) {
      return invalidField("expires_at", "an enrolment secret may last at most ten years.");
    }
    secret.expires_at = *parsed_time;
  } else {
    if (!expires_in_hours->is_number_integer() || expires_in_hours->get<std::int64_t>() <= 0 ||
        expires_in_hours->get<std::int64_t>() > kMaxExpiresInHours) {
      return invalidField(
          "expires_in_hours",
          fmt::format("expected a whole number of hours from 1 to {}.", kMaxExpiresInHours));
    }
    secret.expires_at = now + std::chrono::hours(expires_in_hours->get<std::int64_t>());
  }

  const std::string plain_secret = generateEnrolmentSecret();
  secret.secret_hash = hashEnrolmentSecret(plain_secret);
  secret.created_by = request.principal ? request.principal->username : std::string();
  secret.created_at = now;

  nlohmann::json record;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    auto id = store::insertEnrolmentSecret(session, secret);
    if (!id) return tl::unexpected(id.error());
    secret.id = *id;
    record = secretToJson(secret, now);

    auto event = auditEvent(request, now, userActor(request), "enrolment_secret.create",
                            "enrolment_secret", std::to_string(secret.id));
    event.after_json = record.dump();
    auto appended = store::appendAuditEvent(session, event);
    if (!appended) return tl::unexpected(appended.error());
    return {};
  });
  if (!written) {
    spdlog::error("creating enrolment secret \"{}\" failed: {}", secret.name,
                  written.error().message);
    return serverErrorResponse();
  }

  spdlog::info("enrolment secret {} ({}) created by {} for {} hosts, expires {}", secret.id,
               secret.name, secret.created_by, secret.kind, formatRfc3339(secret.expires_at));
  record["secret"] = plain_secret;
  return jsonResponse(201, record);
}

Response handleRevokeEnrolmentSecret(ServerContext& context, const Request& request) {
  const std::string& id_text = request.path_params.at(0);
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (error != std::errc() || end != id_text.data() + id_text.size()) {
    return errorResponse(404, "not_found", fmt::format("No enrolment secret has id {}.", id_text));
  }

  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  bool revoked_now = false;
  std::string revoked_name;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    revoked_now = false;
    auto before = store::getEnrolmentSecret(session, id);
    if (!before) return tl::unexpected(before.error());
    if (!*before) {
      response = errorResponse(404, "not_found", fmt::format("No enrolment secret has id {}.", id));
      return {};
    }
    if ((*before)->revoked_at) {
      response = jsonResponse(200, secretToJson(**before, now));
      return {};
    }

    auto revoked = store::revokeEnrolmentSecret(session, id, now);
    if (!revoked) return tl::unexpected(revoked.error());
    store::EnrolmentSecretRecord after = **before;
    after.revoked_at = now;

    auto event = auditEvent(request, now, userActor(request), "enrolment_secret.revoke",
                            "enrolment_secret", std::to_string(id));
    event.before_json = secretToJson(**before, now).dump();
    event.after_json = secretToJson(after, now).dump();
    auto appended = store::appendAuditEvent(session, event);
    if (!appended) return tl::unexpected(appended.error());

    revoked_now = true;
    revoked_name = after.name;
    response = jsonResponse(200, secretToJson(after, now));
    return {};
  });
  if (!written) {
    spdlog::error("revoking enrolment secret {} failed: {}", id, written.error().message);
    return serverErrorResponse();
  }
  if (revoked_now) {
    spdlog::info("enrolment secret {} ({}) revoked by {}", id, revoked_name, userActor(request));
  }
  return std::move(*response);
}

}  // namespace pk::server
