#include "server/collection_routes.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/collection_membership.h"
#include "server/collections.h"
#include "server/window_routes.h"
#include "store/audit_repository.h"
#include "store/deployment_repository.h"
#include "store/setting_repository.h"

namespace pk::server {
namespace {

constexpr std::string_view kCollectionPath = "/api/v1/collections/([a-z0-9-]{1,64})";
constexpr std::string_view kRingSequencePath = "/api/v1/ring-sequences/([a-z0-9-]{1,64})";

constexpr std::size_t kMaxNameLength = 100;
constexpr std::size_t kMaxDescriptionLength = 2000;
// A year, so that sums of these fields cannot overflow later arithmetic.
constexpr std::int64_t kMaxSeconds = 366LL * 24 * 3600;
constexpr std::int64_t kMaxFailures = 1000000;
constexpr std::size_t kDefaultPageSize = 100;
constexpr std::size_t kMaxPageSize = 1000;

Response internalError() {
  return errorResponse(500, "internal_error",
                       "The server failed to handle the request. The error has been logged; try "
                       "again, and tell the administrator if it persists.");
}

Response adminOnly() {
  return errorResponse(403, "forbidden",
                       "Only the security team (the admin role) changes collections, ring "
                       "sequences and restart policy bounds.");
}

Response collectionNotFound(const std::string& id) {
  return errorResponse(404, "not_found", fmt::format("No collection has id {}.", id));
}

Response sequenceNotFound(const std::string& id) {
  return errorResponse(404, "not_found", fmt::format("No ring sequence has id {}.", id));
}

Response invalidField(std::string_view field, std::string_view problem) {
  return errorResponse(400, "invalid_field", fmt::format("Field \"{}\": {}", field, problem));
}

Response unknownField(std::string_view key, std::string_view object, std::string_view known) {
  return errorResponse(400, "invalid_field",
                       fmt::format("Field \"{}\" is not part of {}. Known fields: {}.",
                                   key.substr(0, 80), object, known));
}

std::string userActor(const Request& request) {
  return request.principal ? "user:" + request.principal->username : std::string("system");
}

bool hasControlCharacter(std::string_view text, bool allow_line_breaks) {
  return std::any_of(text.begin(), text.end(), [&](char c) {
    if (allow_line_breaks && (c == '\n' || c == '\r' || c == '\t')) return false;
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

bool isHostId(std::string_view text) {
  return text.size() == 18 && text.substr(0, 2) == "h-" &&
         std::all_of(text.begin() + 2, text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Reads a whole number from 0 to `max`, or nullopt.
std::optional<std::int64_t> readCount(const nlohmann::json& value, std::int64_t max) {
  if (!value.is_number_integer()) return std::nullopt;
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(max)) return std::nullopt;
    return static_cast<std::int64_t>(number);
  }
  const auto number = value.get<std::int64_t>();
  if (number < 0 || number > max) return std::nullopt;
  return number;
}

std::optional<Response> applyText(const nlohmann::json& body, std::string_view field,
                                  std::size_t max_length, bool allow_line_breaks,
                                  std::string& target) {
  const auto found = body.find(field);
  if (found == body.end()) return std::nullopt;
  if (!found->is_string()) return invalidField(field, "must be a string.");
  const auto& text = found->get_ref<const std::string&>();
  if (text.size() > max_length || hasControlCharacter(text, allow_line_breaks)) {
    return invalidField(
        field,
        fmt::format("must be at most {} characters without control characters.", max_length));
  }
  target = text;
  return std::nullopt;
}

std::optional<Response> applyId(const nlohmann::json& body, bool creating, std::string& id) {
  const auto found = body.find("id");
  if (found == body.end()) {
    if (creating) return invalidField("id", "is required.");
    return std::nullopt;
  }
  if (!found->is_string() || !isSlug(found->get_ref<const std::string&>())) {
    return invalidField(
        "id", fmt::format("must be 1 to {} characters of a-z, 0-9 and '-'.", kMaxSlugLength));
  }
  const auto& given = found->get_ref<const std::string&>();
  if (!creating && given != id) {
    return invalidField("id", "cannot change; create a new object and delete this one instead.");
  }
  id = given;
  return std::nullopt;
}

std::optional<Response> applyRule(const nlohmann::json& value,
                                  store::CollectionRecord& collection) {
  if (value.is_null()) {
    collection.type = std::string(store::kCollectionTypeStatic);
    collection.rule = {};
    return std::nullopt;
  }
  if (!value.is_object()) {
    return invalidField("rule", "must be an object, or null for a static collection.");
  }
  store::CollectionRule rule;
  for (const auto& [key, field] : value.items()) {
    std::string* target = nullptr;
    if (key == "os_ecosystem") target = &rule.os_ecosystem;
    if (key == "kind") target = &rule.kind;
    if (key == "owner") target = &rule.owner;
    if (key == "hostname") target = &rule.hostname;
    if (target == nullptr) {
      return unknownField("rule." + key, "a collection rule",
                          "os_ecosystem, kind, owner, hostname");
    }
    if (field.is_null()) continue;
    if (!field.is_string()) return invalidField("rule." + key, "must be a string or null.");
    *target = field.get<std::string>();
  }
  if (auto checked = checkCollectionRule(rule); !checked) {
    return invalidField("rule", checked.error().message + ".");
  }
  collection.type = std::string(store::kCollectionTypeRule);
  collection.rule = std::move(rule);
  return std::nullopt;
}

std::optional<Response> applyMembers(const nlohmann::json& value,
                                     store::CollectionRecord& collection) {
  if (!value.is_array()) return invalidField("members", "must be a list of host ids.");
  if (value.size() > kMaxCollectionMembers) {
    return invalidField("members", fmt::format("lists at most {} hosts; use a rule for more.",
                                               kMaxCollectionMembers));
  }
  std::set<std::string> members;
  for (const auto& item : value) {
    if (!item.is_string() || !isHostId(item.get_ref<const std::string&>())) {
      return invalidField("members", "each member must be a host id such as h-0123456789abcdef.");
    }
    members.insert(item.get<std::string>());
  }
  collection.members.assign(members.begin(), members.end());
  return std::nullopt;
}

std::optional<Response> applyHook(const nlohmann::json& value, std::string_view field,
                                  std::string& target) {
  if (value.is_null()) {
    target.clear();
    return std::nullopt;
  }
  if (!value.is_string() || (!value.get_ref<const std::string&>().empty() &&
                             !isSlug(value.get_ref<const std::string&>()))) {
    return invalidField(field,
                        fmt::format("must be a hook name of 1 to {} characters of a-z, 0-9 and "
                                    "'-', or null for no hook.",
                                    kMaxSlugLength));
  }
  target = value.get<std::string>();
  return std::nullopt;
}

std::optional<Response> applyRestartPolicy(const nlohmann::json& value,
                                           store::CollectionRecord& collection) {
  if (!value.is_object()) return invalidField("restart_policy", "must be an object.");
  auto& policy = collection.restart_policy;
  for (const auto& [key, field] : value.items()) {
    const std::string name = "restart_policy." + key;
    if (key == "pre_hook") {
      if (auto problem = applyHook(field, name, collection.pre_hook)) return problem;
      continue;
    }
    if (key == "post_hook") {
      if (auto problem = applyHook(field, name, collection.post_hook)) return problem;
      continue;
    }
    std::int64_t* target = nullptr;
    if (key == "restart_deadline_seconds") target = &policy.restart_deadline_seconds;
    if (key == "countdown_seconds") target = &policy.countdown_seconds;
    if (key == "reminder_seconds") target = &policy.reminder_seconds;
    if (target == nullptr) {
      return unknownField(name, "a restart policy",
                          "restart_deadline_seconds, countdown_seconds, reminder_seconds, "
                          "pre_hook, post_hook");
    }
    const auto seconds = readCount(field, kMaxSeconds);
    if (!seconds || *seconds == 0) {
      return invalidField(
          name, fmt::format("must be a whole number of seconds from 1 to {}.", kMaxSeconds));
    }
    *target = *seconds;
  }
  return std::nullopt;
}

nlohmann::json collectionToJson(const store::CollectionRecord& collection) {
  nlohmann::json rule = nullptr;
  if (collection.isRule()) {
    rule = nlohmann::json::object();
    const auto put = [&rule](const char* key, const std::string& value) {
      rule[key] = value.empty() ? nlohmann::json(nullptr) : nlohmann::json(value);
    };
    put("os_ecosystem", collection.rule.os_ecosystem);
    put("kind", collection.rule.kind);
    put("owner", collection.rule.owner);
    put("hostname", collection.rule.hostname);
  }
  const auto hook = [](const std::string& name) {
    return name.empty() ? nlohmann::json(nullptr) : nlohmann::json(name);
  };
  return {
      {"id", collection.id},
      {"name", collection.name},
      {"description", collection.description},
      {"type", collection.type},
      {"rule", std::move(rule)},
      {"members", collection.members},
      {"restart_policy",
       {{"restart_deadline_seconds", collection.restart_policy.restart_deadline_seconds},
        {"countdown_seconds", collection.restart_policy.countdown_seconds},
        {"reminder_seconds", collection.restart_policy.reminder_seconds},
        {"pre_hook", hook(collection.pre_hook)},
        {"post_hook", hook(collection.post_hook)}}},
      {"created_at", formatRfc3339(collection.created_at)},
      {"updated_at", formatRfc3339(collection.updated_at)},
  };
}

nlohmann::json sequenceToJson(const store::RingSequence& sequence) {
  nlohmann::json rings = nlohmann::json::array();
  for (const auto& ring : sequence.rings) {
    rings.push_back({{"collection", ring.collection_id},
                     {"min_soak_seconds", ring.gate.min_soak_seconds},
                     {"min_success_ratio", ring.gate.min_success_ratio},
                     {"max_failures", ring.gate.max_failures}});
  }
  return {
      {"id", sequence.id},
      {"name", sequence.name},
      {"description", sequence.description},
      {"rings", std::move(rings)},
      {"created_at", formatRfc3339(sequence.created_at)},
      {"updated_at", formatRfc3339(sequence.updated_at)},
  };
}

nlohmann::json boundsToJson(const RestartPolicyBounds& bounds) {
  return {{"max_restart_deadline_seconds", bounds.max_restart_deadline_seconds},
          {"min_countdown_seconds", bounds.min_countdown_seconds}};
}

store::AuditEvent auditEvent(const Request& request, SystemTime now, std::string action,
                             std::string object_type, const std::string& id, std::string before,
                             std::string after) {
  store::AuditEvent event;
  event.at = now;
  event.actor = userActor(request);
  event.action = std::move(action);
  event.object_type = std::move(object_type);
  event.object_id = id;
  event.before_json = std::move(before);
  event.after_json = std::move(after);
  event.remote_address = request.remote_address;
  return event;
}

Result<void> appendAudit(store::Session& session, const store::AuditEvent& event) {
  auto appended = store::appendAuditEvent(session, event);
  if (!appended) return tl::unexpected(appended.error());
  return {};
}

// Reads the stored bounds; a key never set means its default.
Result<RestartPolicyBounds> readBounds(store::Session& session) {
  RestartPolicyBounds bounds;
  auto deadline = store::getIntegerSetting(session, kMaxRestartDeadlineSetting);
  if (!deadline) return tl::unexpected(deadline.error());
  if (*deadline) bounds.max_restart_deadline_seconds = **deadline;
  auto countdown = store::getIntegerSetting(session, kMinCountdownSetting);
  if (!countdown) return tl::unexpected(countdown.error());
  if (*countdown) bounds.min_countdown_seconds = **countdown;
  return bounds;
}

// Returns the 400 response when the policy is outside the stored bounds or
// a member names no host; nullopt when the collection can be written.
Result<std::optional<Response>> checkAgainstStore(store::Session& session,
                                                  const store::CollectionRecord& collection) {
  auto bounds = readBounds(session);
  if (!bounds) return tl::unexpected(bounds.error());
  if (auto checked = checkRestartPolicy(collection.restart_policy, *bounds); !checked) {
    return std::optional<Response>(
        errorResponse(400, "restart_policy_out_of_bounds",
                      fmt::format("Field \"restart_policy\": {}.", checked.error().message)));
  }

  // NOTE: one query per listed member, so a body with the maximum of
  // kMaxCollectionMembers hosts runs that many lookups. Rules scale better.
  for (const auto& host_id : collection.members) {
    auto host = store::getCollectionHostFacts(session, host_id);
    if (!host) return tl::unexpected(host.error());
    if (!*host) {
      return std::optional<Response>(errorResponse(
          400, "unknown_host",
          fmt::format("Field \"members\": no host has id {}. List enrolled hosts only.", host_id)));
    }
  }
  return std::optional<Response>();
}

Response listCollectionsRoute(ServerContext& context, const Request&) {
  nlohmann::json items = nlohmann::json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = nlohmann::json::array();
    auto collections = store::listCollections(session);
    if (!collections) return tl::unexpected(collections.error());
    for (const auto& collection : *collections) items.push_back(collectionToJson(collection));
    return {};
  });
  if (!read) {
    spdlog::error("listing collections failed: {}", read.error().message);
    return internalError();
  }
  return jsonResponse(200, {{"items", std::move(items)}});
}

Response getCollectionRoute(ServerContext& context, const Request& request) {
  const std::string& id = request.path_params.at(0);
  std::optional<Response> response;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto collection = store::getCollection(session, id);
    if (!collection) return tl::unexpected(collection.error());
    response =
        *collection ? jsonResponse(200, collectionToJson(**collection)) : collectionNotFound(id);
    return {};
  });
  if (!read) {
    spdlog::error("reading collection={} failed: {}", id, read.error().message);
    return internalError();
  }
  return std::move(*response);
}

Response createCollectionRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);

  const SystemTime now = context.clock.now();
  store::CollectionRecord collection;
  if (auto problem = applyCollectionBody(body, collection, true)) return std::move(*problem);
  collection.created_at = now;
  collection.updated_at = now;

  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto existing = store::getCollection(session, collection.id);
    if (!existing) return tl::unexpected(existing.error());
    if (*existing) {
      response = errorResponse(
          409, "id_taken",
          fmt::format("A collection with id {} exists. Choose another id.", collection.id));
      return {};
    }
    auto rejected = checkAgainstStore(session, collection);
    if (!rejected) return tl::unexpected(rejected.error());
    if (*rejected) {
      response = std::move(*rejected);
      return {};
    }
    if (auto inserted = store::insertCollection(session, collection); !inserted) return inserted;
    if (auto audited = appendAudit(
            session, auditEvent(request, now, "collection.create", "collection", collection.id, "",
                                collectionToJson(collection).dump()));
        !audited) {
      return audited;
    }
    response = jsonResponse(201, collectionToJson(collection));
    return {};
  });
  if (!written) {
    spdlog::error("creating collection={} failed: {}", collection.id, written.error().message);
    return internalError();
  }
  if (response->status == 201) {
    spdlog::info("collection={} created by {}", collection.id, userActor(request));
  }
  return std::move(*response);
}

Response updateCollectionRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  const std::string& id = request.path_params.at(0);
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);
  const SystemTime now = context.clock.now();

  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto stored = store::getCollection(session, id);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) {
      response = collectionNotFound(id);
      return {};
    }
    store::CollectionRecord collection = **stored;
    if (auto problem = applyCollectionBody(body, collection, false)) {
      response = std::move(*problem);
      return {};
    }
    auto rejected = checkAgainstStore(session, collection);
    if (!rejected) return tl::unexpected(rejected.error());
    if (*rejected) {
      response = std::move(*rejected);
      return {};
    }
    if (collection == **stored) {
      response = jsonResponse(200, collectionToJson(collection));
      return {};
    }
    collection.updated_at = now;
    if (auto updated = store::updateCollection(session, collection); !updated) return updated;
    if (auto audited =
            appendAudit(session, auditEvent(request, now, "collection.update", "collection", id,
                                            collectionToJson(**stored).dump(),
                                            collectionToJson(collection).dump()));
        !audited) {
      return audited;
    }
    response = jsonResponse(200, collectionToJson(collection));
    return {};
  });
  if (!written) {
    spdlog::error("updating collection={} failed: {}", id, written.error().message);
    return internalError();
  }
  return std::move(*response);
}

Response deleteCollectionRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  const std::string& id = request.path_params.at(0);
  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto stored = store::getCollection(session, id);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) {
      response = collectionNotFound(id);
      return {};
    }
    auto sequences = store::ringSequencesUsingCollection(session, id);
    if (!sequences) return tl::unexpected(sequences.error());
    if (!sequences->empty()) {
      response = errorResponse(
          409, "collection_in_use",
          fmt::format("Collection {} is a ring of the ring sequence(s) {}. Remove it from them "
                      "first (PUT /api/v1/ring-sequences/{{id}}).",
                      id, fmt::join(*sequences, ", ")));
      return {};
    }
    auto deployments = store::unfinishedDeploymentsUsingCollection(session, id);
    if (!deployments) return tl::unexpected(deployments.error());
    if (!deployments->empty()) {
      response = errorResponse(
          409, "collection_in_use",
          fmt::format("Collection {} is a ring of the unfinished deployment(s) {}. Cancel them, "
                      "or wait until they complete, before deleting it.",
                      id, fmt::join(*deployments, ", ")));
      return {};
    }
    auto deleted = store::deleteCollection(session, id);
    if (!deleted) return tl::unexpected(deleted.error());
    if (auto audited =
            appendAudit(session, auditEvent(request, now, "collection.delete", "collection", id,
                                            collectionToJson(**stored).dump(), ""));
        !audited) {
      return audited;
    }
    response = Response{.status = 204, .content_type = "", .body = "", .headers = {}};
    return {};
  });
  if (!written) {
    spdlog::error("deleting collection={} failed: {}", id, written.error().message);
    return internalError();
  }
  return std::move(*response);
}

Response collectionHostsRoute(ServerContext& context, const Request& request) {
  const std::string& id = request.path_params.at(0);
  std::size_t limit = kDefaultPageSize;
  if (auto text = request.queryValue("limit")) {
    std::size_t value = 0;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc() || end != text->data() + text->size() || value < 1 ||
        value > kMaxPageSize) {
      return errorResponse(
          400, "invalid_query",
          fmt::format("Query parameter \"limit\": use a whole number from 1 to {}.", kMaxPageSize));
    }
    limit = value;
  }
  const std::string after = request.queryValue("after").value_or("");
  const Principal& principal = *request.principal;

  std::optional<Response> response;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto collection = store::getCollection(session, id);
    if (!collection) return tl::unexpected(collection.error());
    if (!*collection) {
      response = collectionNotFound(id);
      return {};
    }
    auto members = collectionMembers(session, **collection);
    if (!members) return tl::unexpected(members.error());

    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (const auto& host : *members) {
      if (!after.empty() && host.id <= after) continue;
      if (!principal.seesAllHosts() && host.owner != principal.username) continue;
      if (items.size() == limit) {
        next = items.back()["id"];
        break;
      }
      items.push_back({{"id", host.id},
                       {"hostname", host.hostname},
                       {"kind", host.kind},
                       {"owner", host.owner},
                       {"os_ecosystem", host.os_ecosystem}});
    }
    response = jsonResponse(200, {{"items", std::move(items)}, {"next_after", std::move(next)}});
    return {};
  });
  if (!read) {
    spdlog::error("listing hosts of collection={} failed: {}", id, read.error().message);
    return internalError();
  }
  return std::move(*response);
}

// Returns the 400 response when a ring names no stored collection.
Result<std::optional<Response>> checkRingCollections(store::Session& session,
                                                     const store::RingSequence& sequence) {
  for (std::size_t i = 0; i < sequence.rings.size(); ++i) {
    const auto& collection_id = sequence.rings[i].collection_id;
    auto collection = store::getCollection(session, collection_id);
    if (!collection) return tl::unexpected(collection.error());
    if (!*collection) {
      return std::optional<Response>(errorResponse(
          400, "unknown_collection",
          fmt::format("Ring {} names collection \"{}\", which does not exist. Create it first "
                      "(POST /api/v1/collections) or name another.",
                      i + 1, collection_id)));
    }
  }
  return std::optional<Response>();
}

Response listSequencesRoute(ServerContext& context, const Request&) {
  nlohmann::json items = nlohmann::json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = nlohmann::json::array();
    auto sequences = store::listRingSequences(session);
    if (!sequences) return tl::unexpected(sequences.error());
    for (const auto& sequence : *sequences) items.push_back(sequenceToJson(sequence));
    return {};
  });
  if (!read) {
    spdlog::error("listing ring sequences failed: {}", read.error().message);
    return internalError();
  }
  return jsonResponse(200, {{"items", std::move(items)}});
}

Response getSequenceRoute(ServerContext& context, const Request& request) {
  const std::string& id = request.path_params.at(0);
  std::optional<Response> response;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto sequence = store::loadRingSequence(session, id);
    if (!sequence) return tl::unexpected(sequence.error());
    response = *sequence ? jsonResponse(200, sequenceToJson(**sequence)) : sequenceNotFound(id);
    return {};
  });
  if (!read) {
    spdlog::error("reading ring sequence={} failed: {}", id, read.error().message);
    return internalError();
  }
  return std::move(*response);
}

Response createSequenceRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);

  const SystemTime now = context.clock.now();
  store::RingSequence sequence;
  if (auto problem = applyRingSequenceBody(body, sequence, true)) return std::move(*problem);
  sequence.created_at = now;
  sequence.updated_at = now;

  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto existing = store::loadRingSequence(session, sequence.id);
    if (!existing) return tl::unexpected(existing.error());
    if (*existing) {
      response = errorResponse(
          409, "id_taken",
          fmt::format("A ring sequence with id {} exists. Choose another id.", sequence.id));
      return {};
    }
    auto rejected = checkRingCollections(session, sequence);
    if (!rejected) return tl::unexpected(rejected.error());
    if (*rejected) {
      response = std::move(*rejected);
      return {};
    }
    if (auto inserted = store::insertRingSequence(session, sequence); !inserted) return inserted;
    if (auto audited =
            appendAudit(session, auditEvent(request, now, "ring_sequence.create", "ring_sequence",
                                            sequence.id, "", sequenceToJson(sequence).dump()));
        !audited) {
      return audited;
    }
    response = jsonResponse(201, sequenceToJson(sequence));
    return {};
  });
  if (!written) {
    spdlog::error("creating ring sequence={} failed: {}", sequence.id, written.error().message);
    return internalError();
  }
  if (response->status == 201) {
    spdlog::info("ring_sequence={} created by {}", sequence.id, userActor(request));
  }
  return std::move(*response);
}

Response updateSequenceRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  const std::string& id = request.path_params.at(0);
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);
  const SystemTime now = context.clock.now();

  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto stored = store::loadRingSequence(session, id);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) {
      response = sequenceNotFound(id);
      return {};
    }
    store::RingSequence sequence = **stored;
    if (auto problem = applyRingSequenceBody(body, sequence, false)) {
      response = std::move(*problem);
      return {};
    }
    auto rejected = checkRingCollections(session, sequence);
    if (!rejected) return tl::unexpected(rejected.error());
    if (*rejected) {
      response = std::move(*rejected);
      return {};
    }
    if (sequence == **stored) {
      response = jsonResponse(200, sequenceToJson(sequence));
      return {};
    }
    sequence.updated_at = now;
    if (auto updated = store::updateRingSequence(session, sequence); !updated) return updated;
    if (auto audited = appendAudit(
            session, auditEvent(request, now, "ring_sequence.update", "ring_sequence", id,
                                sequenceToJson(**stored).dump(), sequenceToJson(sequence).dump()));
        !audited) {
      return audited;
    }
    response = jsonResponse(200, sequenceToJson(sequence));
    return {};
  });
  if (!written) {
    spdlog::error("updating ring sequence={} failed: {}", id, written.error().message);
    return internalError();
  }
  return std::move(*response);
}

Response deleteSequenceRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  const std::string& id = request.path_params.at(0);
  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto stored = store::loadRingSequence(session, id);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) {
      response = sequenceNotFound(id);
      return {};
    }
    auto deleted = store::deleteRingSequence(session, id);
    if (!deleted) return tl::unexpected(deleted.error());
    if (auto audited =
            appendAudit(session, auditEvent(request, now, "ring_sequence.delete", "ring_sequence",
                                            id, sequenceToJson(**stored).dump(), ""));
        !audited) {
      return audited;
    }
    response = Response{.status = 204, .content_type = "", .body = "", .headers = {}};
    return {};
  });
  if (!written) {
    spdlog::error("deleting ring sequence={} failed: {}", id, written.error().message);
    return internalError();
  }
  return std::move(*response);
}

Response getBoundsRoute(ServerContext& context, const Request&) {
  RestartPolicyBounds bounds;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto stored = readBounds(session);
    if (!stored) return tl::unexpected(stored.error());
    bounds = *stored;
    return {};
  });
  if (!read) {
    spdlog::error("reading restart policy bounds failed: {}", read.error().message);
    return internalError();
  }
  return jsonResponse(200, boundsToJson(bounds));
}

Response putBoundsRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);
  const SystemTime now = context.clock.now();

  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto stored = readBounds(session);
    if (!stored) return tl::unexpected(stored.error());
    RestartPolicyBounds bounds = *stored;
    for (const auto& [key, value] : body.items()) {
      std::int64_t* target = nullptr;
      if (key == "max_restart_deadline_seconds") target = &bounds.max_restart_deadline_seconds;
      if (key == "min_countdown_seconds") target = &bounds.min_countdown_seconds;
      if (target == nullptr) {
        response = unknownField(key, "the restart policy bounds",
                                "max_restart_deadline_seconds, min_countdown_seconds");
        return {};
      }
      const auto seconds = readCount(value, kMaxSeconds);
      if (!seconds || *seconds == 0) {
        response = invalidField(
            key, fmt::format("must be a whole number of seconds from 1 to {}.", kMaxSeconds));
        return {};
      }
      *target = *seconds;
    }
    if (auto checked = checkRestartPolicyBounds(bounds); !checked) {
      response = errorResponse(400, "invalid_bounds", checked.error().message + ".");
      return {};
    }

    // Bounds that a stored collection breaks would leave it unchangeable,
    // so its policy has to move first.
    auto collections = store::listCollections(session);
    if (!collections) return tl::unexpected(collections.error());
    for (const auto& collection : *collections) {
      if (auto checked = checkRestartPolicy(collection.restart_policy, bounds); !checked) {
        response = errorResponse(
            409, "collection_outside_bounds",
            fmt::format("Collection {} is outside the new bounds: {}. Change its restart policy "
                        "first (PUT /api/v1/collections/{}).",
                        collection.id, checked.error().message, collection.id));
        return {};
      }
    }

    if (bounds == *stored) {
      response = jsonResponse(200, boundsToJson(bounds));
      return {};
    }
    if (auto set = store::setIntegerSetting(session, kMaxRestartDeadlineSetting,
                                            bounds.max_restart_deadline_seconds, now);
        !set) {
      return set;
    }
    if (auto set = store::setIntegerSetting(session, kMinCountdownSetting,
                                            bounds.min_countdown_seconds, now);
        !set) {
      return set;
    }
    if (auto audited =
            appendAudit(session, auditEvent(request, now, "restart_policy_bounds.update", "setting",
                                            "restart_policy_bounds", boundsToJson(*stored).dump(),
                                            boundsToJson(bounds).dump()));
        !audited) {
      return audited;
    }
    response = jsonResponse(200, boundsToJson(bounds));
    return {};
  });
  if (!written) {
    spdlog::error("updating restart policy bounds failed: {}", written.error().message);
    return internalError();
  }
  return std::move(*response);
}

}  // namespace

std::optional<Response> applyCollectionBody(const nlohmann::json& body,
                                            store::CollectionRecord& collection, bool creating) {
  static const std::set<std::string> kFields = {"id",   "name",    "description",
                                                "rule", "members", "restart_policy"};
  for (const auto& [key, value] : body.items()) {
    if (kFields.count(key) == 0) {
      return unknownField(key, "a collection",
                          "id, name, description, rule, members, restart_policy");
    }
  }

  if (auto problem = applyId(body, creating, collection.id)) return problem;
  if (auto problem = applyText(body, "name", kMaxNameLength, false, collection.name)) {
    return problem;
  }
  if (collection.name.empty()) return invalidField("name", "is required and must not be empty.");
  if (auto problem =
          applyText(body, "description", kMaxDescriptionLength, true, collection.description)) {
    return problem;
  }
  if (const auto rule = body.find("rule"); rule != body.end()) {
    if (auto problem = applyRule(*rule, collection)) return problem;
  }
  if (const auto members = body.find("members"); members != body.end()) {
    if (auto problem = applyMembers(*members, collection)) return problem;
  }
  if (const auto policy = body.find("restart_policy"); policy != body.end()) {
    if (auto problem = applyRestartPolicy(*policy, collection)) return problem;
  }

  if (collection.isRule() && !collection.members.empty()) {
    return invalidField("members",
                        "a rule collection has no explicit members; drop the rule (\"rule\": "
                        "null) to list hosts, or send \"members\": [].");
  }
  return std::nullopt;
}

std::optional<Response> applyRingSequenceBody(const nlohmann::json& body,
                                              store::RingSequence& sequence, bool creating) {
  static const std::set<std::string> kFields = {"id", "name", "description", "rings"};
  for (const auto& [key, value] : body.items()) {
    if (kFields.count(key) == 0) {
      return unknownField(key, "a ring sequence", "id, name, description, rings");
    }
  }

  if (auto problem = applyId(body, creating, sequence.id)) return problem;
  if (auto problem = applyText(body, "name", kMaxNameLength, false, sequence.name)) return problem;
  if (sequence.name.empty()) return invalidField("name", "is required and must not be empty.");
  if (auto problem =
          applyText(body, "description", kMaxDescriptionLength, true, sequence.description)) {
    return problem;
  }

  const auto rings = body.find("rings");
  if (rings == body.end()) {
    if (creating) return invalidField("rings", "is required.");
  } else {
    if (!rings->is_array()) return invalidField("rings", "must be a list of rings.");
    if (rings->size() > kMaxRings) {
      return invalidField("rings", fmt::format("lists at most {} rings.", kMaxRings));
    }
    std::vector<store::Ring> parsed;
    for (std::size_t i = 0; i < rings->size(); ++i) {
      const auto& item = (*rings)[i];
      const std::string name = fmt::format("rings[{}]", i);
      if (!item.is_object()) return invalidField(name, "must be an object.");
      store::Ring ring;
      ring.gate.min_success_ratio = 1.0;
      for (const auto& [key, value] : item.items()) {
        const std::string field = name + "." + key;
        if (key == "collection") {
          if (!value.is_string()) return invalidField(field, "must be a collection id.");
          ring.collection_id = value.get<std::string>();
        } else if (key == "min_soak_seconds") {
          const auto seconds = readCount(value, kMaxSeconds);
          if (!seconds) {
            return invalidField(field, fmt::format("must be a whole number of seconds from 0 "
                                                   "to {}.",
                                                   kMaxSeconds));
          }
          ring.gate.min_soak_seconds = *seconds;
        } else if (key == "max_failures") {
          const auto failures = readCount(value, kMaxFailures);
          if (!failures) {
            return invalidField(field,
                                fmt::format("must be a whole number from 0 to {}.", kMaxFailures));
          }
          ring.gate.max_failures = *failures;
        } else if (key == "min_success_ratio") {
          if (!value.is_number()) {
            return invalidField(field, "must be a number from 0 to 1, such as 0.95 for 95%.");
          }
          ring.gate.min_success_ratio = value.get<double>();
        } else {
          return unknownField(field, "a ring",
                              "collection, min_soak_seconds, min_success_ratio, max_failures");
        }
      }
      if (ring.collection_id.empty()) return invalidField(name + ".collection", "is required.");
      parsed.push_back(std::move(ring));
    }
    if (auto checked = checkRingSequence(parsed); !checked) {
      return errorResponse(400, "invalid_rings", checked.error().message + ".");
    }
    sequence.rings = std::move(parsed);
  }
  return std::nullopt;
}

void addCollectionRoutes(Router& router, ServerContext& context) {
  ServerContext* ctx = &context;
  router.add("GET", "/api/v1/collections", Permission::kReadHosts,
             [ctx](Request& request) { return listCollectionsRoute(*ctx, request); });
  router.add("POST", "/api/v1/collections", Permission::kManageHosts,
             [ctx](Request& request) { return createCollectionRoute(*ctx, request); });
  router.add("GET", std::string(kCollectionPath), Permission::kReadHosts,
             [ctx](Request& request) { return getCollectionRoute(*ctx, request); });
  router.add("PUT", std::string(kCollectionPath), Permission::kManageHosts,
             [ctx](Request& request) { return updateCollectionRoute(*ctx, request); });
  router.add("DELETE", std::string(kCollectionPath), Permission::kManageHosts,
             [ctx](Request& request) { return deleteCollectionRoute(*ctx, request); });
  router.add("GET", fmt::format("{}/hosts", kCollectionPath), Permission::kReadHosts,
             [ctx](Request& request) { return collectionHostsRoute(*ctx, request); });
  router.add("GET", "/api/v1/ring-sequences", Permission::kReadHosts,
             [ctx](Request& request) { return listSequencesRoute(*ctx, request); });
  router.add("POST", "/api/v1/ring-sequences", Permission::kManageHosts,
             [ctx](Request& request) { return createSequenceRoute(*ctx, request); });
  router.add("GET", std::string(kRingSequencePath), Permission::kReadHosts,
             [ctx](Request& request) { return getSequenceRoute(*ctx, request); });
  router.add("PUT", std::string(kRingSequencePath), Permission::kManageHosts,
             [ctx](Request& request) { return updateSequenceRoute(*ctx, request); });
  router.add("DELETE", std::string(kRingSequencePath), Permission::kManageHosts,
             [ctx](Request& request) { return deleteSequenceRoute(*ctx, request); });
  router.add("GET", "/api/v1/restart-policy-bounds", Permission::kReadHosts,
             [ctx](Request& request) { return getBoundsRoute(*ctx, request); });
  router.add("PUT", "/api/v1/restart-policy-bounds", Permission::kManageHosts,
             [ctx](Request& request) { return putBoundsRoute(*ctx, request); });
}

}  // namespace pk::server
