#include "server/window_routes.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "schedule/time_text.h"
#include "server/calendar.h"
#include "server/credentials.h"
#include "server/tickets.h"
#include "server/window_assignment.h"
#include "store/audit_repository.h"
#include "store/calendar_feed_repository.h"
#include "store/deployment_repository.h"
#include "store/host_repository.h"
#include "store/user_repository.h"
#include "store/window_repository.h"

namespace pk::server {
namespace {

using std::chrono::seconds;

constexpr std::string_view kWindowPath = "/api/v1/windows/(w-[0-9a-f]{16})";
constexpr std::string_view kHostWindowPath = "/api/v1/hosts/(h-[0-9a-f]{16})/window";
constexpr std::string_view kFeedPrefix = "/calendar/([0-9a-f]{64})";

constexpr std::size_t kMaxNameLength = 100;
constexpr std::size_t kMaxDescriptionLength = 2000;
constexpr std::size_t kMaxRruleLength = 1000;
constexpr std::size_t kMaxListItems = 1000;
constexpr std::size_t kMaxReasonLength = 2000;
constexpr std::size_t kMaxOccurrenceCount = 1000;
// The maximum number of deployments a calendar or feed shows.
constexpr std::size_t kMaxCalendarDeployments = 1000;

Response internalError() {
  return errorResponse(500, "internal_error",
                       "The server failed to handle the request. The error has been logged; try "
                       "again, and tell the administrator if it persists.");
}

Response adminOnly() {
  return errorResponse(403, "forbidden",
                       "Only the security team (the admin role) changes maintenance windows and "
                       "which window a server is in. Others file a ticket to ask for a move.");
}

Response windowNotFound(const std::string& id) {
  return errorResponse(404, "not_found", fmt::format("No maintenance window has id {}.", id));
}

Response invalidField(std::string_view field, std::string_view problem) {
  return errorResponse(400, "invalid_field", fmt::format("Field \"{}\": {}", field, problem));
}

Response invalidQuery(std::string_view name, std::string_view problem) {
  return errorResponse(400, "invalid_query",
                       fmt::format("Query parameter \"{}\": {}", name, problem));
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

// The stored window as the API shows it, without computed parts; also
// what the audit log records.
nlohmann::json windowToJson(const store::WindowRecord& window) {
  nlohmann::json blackouts = nlohmann::json::array();
  for (const auto& [start, end] : window.blackouts) {
    blackouts.push_back({{"start", start}, {"end", end}});
  }
  return {
      {"id", window.id},
      {"name", window.name},
      {"description", window.description},
      {"rrule", window.rrule},
      {"start", window.start_local},
      {"zone", window.zone},
      {"length", schedule::formatLength(seconds(window.length_seconds))},
      {"length_seconds", window.length_seconds},
      {"offset_days", window.offset_days},
      {"exclusions", window.exclusions},
      {"blackouts", std::move(blackouts)},
      {"created_at", formatRfc3339(window.created_at)},
      {"updated_at", formatRfc3339(window.updated_at)},
  };
}

// The window with what is computed at `now`: whether it is open, its next
// occurrence and how many servers it has.
nlohmann::json windowView(const store::WindowRecord& window, SystemTime now,
                          std::int64_t server_count) {
  nlohmann::json view = windowToJson(window);
  view["servers"] = server_count;
  view["open_now"] = false;
  view["current_occurrence"] = nullptr;
  view["next_occurrence"] = nullptr;
  auto rule = windowRuleOf(window);
  if (!rule) {
    view["problem"] = rule.error().message;
    return view;
  }
  if (auto current = rule->currentOccurrence(now); current && *current) {
    view["open_now"] = true;
    view["current_occurrence"] = occurrenceToJson(**current);
  }
  if (auto next = rule->nextOccurrence(now); next && *next) {
    view["next_occurrence"] = occurrenceToJson(**next);
  }
  return view;
}

}  // namespace

std::optional<Response> applyWindowBody(const nlohmann::json& body, store::WindowRecord& window) {
  static const std::set<std::string> kFields = {"name",        "description", "rrule",
                                                "start",       "zone",        "length",
                                                "offset_days", "exclusions",  "blackouts"};
  for (const auto& [key, value] : body.items()) {
    if (kFields.count(key) == 0) {
      return errorResponse(
          400, "invalid_field",
          fmt::format("Field \"{}\" is not part of a maintenance window. Known fields: name, "
                      "description, rrule, start, zone, length, offset_days, exclusions, "
                      "blackouts.",
                      key.substr(0, 80)));
    }
  }

  auto text = [&](std::string_view field, std::size_t max_length, bool allow_line_breaks,
                  std::string& target) -> std::optional<Response> {
    const auto found = body.find(std::string(field));
    if (found == body.end()) return std::nullopt;
    if (!found->is_string()) return invalidField(field, "expected a string.");
    const auto& value = found->get_ref<const std::string&>();
    if (value.size() > max_length) {
      return invalidField(field, fmt::format("at most {} bytes.", max_length));
    }
    if (hasControlCharacter(value, allow_line_breaks)) {
      return invalidField(field, "control characters are not allowed.");
    }
    target = value;
    return std::nullopt;
  };
  if (auto problem = text("name", kMaxNameLength, false, window.name)) return problem;
  if (auto problem = text("description", kMaxDescriptionLength, true, window.description)) {
    return problem;
  }
  if (auto problem = text("rrule", kMaxRruleLength, false, window.rrule)) return problem;
  if (auto problem = text("zone", kMaxNameLength, false, window.zone)) return problem;

  if (const auto found = body.find("start"); found != body.end()) {
    if (!found->is_string()) return invalidField("start", "expected a local date-time string.");
    auto start = schedule::parseLocalDateTime(found->get_ref<const std::string&>());
    if (!start) return invalidField("start", start.error().message);
    window.start_local = schedule::formatLocal(*start);
  }
  if (const auto found = body.find("length"); found != body.end()) {
    if (!found->is_string()) {
      return invalidField("length", "expected a length such as \"4h\", \"1h30m\" or \"PT4H\".");
    }
    auto length = schedule::parseWindowLength(found->get_ref<const std::string&>());
    if (!length) return invalidField("length", length.error().message);
    window.length_seconds = length->count();
  }
  if (const auto found = body.find("offset_days"); found != body.end()) {
    if (!found->is_number_integer()) return invalidField("offset_days", "expected an integer.");
    const auto days = found->get<std::int64_t>();
    if (days < -schedule::kMaxOffsetDays || days > schedule::kMaxOffsetDays) {
      return invalidField("offset_days",
                          fmt::format("must be between -{} and {}.", schedule::kMaxOffsetDays,
                                      schedule::kMaxOffsetDays));
    }
    window.offset_days = days;
  }
  if (const auto found = body.find("exclusions"); found != body.end()) {
    if (!found->is_array() || found->size() > kMaxListItems) {
      return invalidField("exclusions", fmt::format("expected an array of at most {} dates "
                                                    "\"YYYY-MM-DD\".",
                                                    kMaxListItems));
    }
    window.exclusions.clear();
    for (const auto& item : *found) {
      if (!item.is_string()) return invalidField("exclusions", "expected dates \"YYYY-MM-DD\".");
      auto day = schedule::parseLocalDate(item.get_ref<const std::string&>());
      if (!day) return invalidField("exclusions", day.error().message);
      window.exclusions.push_back(date::format("%F", date::sys_days(*day)));
    }
  }
  if (const auto found = body.find("blackouts"); found != body.end()) {
    if (!found->is_array() || found->size() > kMaxListItems) {
      return invalidField("blackouts",
                          fmt::format("expected an array of at most {} objects {{\"start\", "
                                      "\"end\"}} in local date-times.",
                                      kMaxListItems));
    }
    window.blackouts.clear();
    for (const auto& item : *found) {
      if (!item.is_object() || item.size() != 2 || !item.contains("start") ||
          !item.contains("end") || !item["start"].is_string() || !item["end"].is_string()) {
        return invalidField("blackouts",
                            "each blackout is an object with exactly \"start\" and \"end\", local "
                            "date-times such as \"2026-12-21T00:00\".");
      }
      auto start = schedule::parseLocalDateTime(item["start"].get_ref<const std::string&>());
      if (!start) return invalidField("blackouts", start.error().message);
      auto end = schedule::parseLocalDateTime(item["end"].get_ref<const std::string&>());
      if (!end) return invalidField("blackouts", end.error().message);
      if (*end <= *start) {
        return invalidField(
            "blackouts",
            fmt::format("the blackout from {} to {} does not end after it starts; give an end "
                        "after its start.",
                        schedule::formatLocal(*start), schedule::formatLocal(*end)));
      }
      window.blackouts.emplace_back(schedule::formatLocal(*start), schedule::formatLocal(*end));
    }
  }

  // Required fields, checked after parsing so that a PUT keeps the stored
  // ones.
  for (const auto& [field, value] :
       {std::pair<std::string_view, const std::string*>{"name", &window.name},
        {"rrule", &window.rrule},
        {"start", &window.start_local},
        {"zone", &window.zone}}) {
    if (value->empty()) return invalidField(field, "required, and must not be empty.");
  }
  if (window.length_seconds == 0) {
    return invalidField("length", "required: how long the window stays open, such as \"4h\".");
  }

  // The schedule library has the last word on the rule as a whole.
  auto rule = windowRuleOf(window);
  if (!rule) {
    return errorResponse(400, "invalid_window",
                         fmt::format("The window's rule is not valid: {}.", rule.error().message));
  }
  return std::nullopt;
}

namespace {

store::AuditEvent windowAuditEvent(const Request& request, SystemTime now, std::string action,
                                   const std::string& id, std::string before, std::string after) {
  store::AuditEvent event;
  event.at = now;
  event.actor = userActor(request);
  event.action = std::move(action);
  event.object_type = "window";
  event.object_id = id;
  event.before_json = std::move(before);
  event.after_json = std::move(after);
  event.remote_address = request.remote_address;
  return event;
}

Response listWindowsRoute(ServerContext& context, const Request&) {
  const SystemTime now = context.clock.now();
  nlohmann::json items = nlohmann::json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = nlohmann::json::array();
    auto windows = store::listWindows(session);
    if (!windows) return tl::unexpected(windows.error());
    auto current = currentWindowsAt(session, now);
    if (!current) return tl::unexpected(current.error());
    std::map<std::string, std::int64_t> counts;
    for (const auto& [host, window] : *current) ++counts[window];
    for (const auto& window : *windows) items.push_back(windowView(window, now, counts[window.id]));
    return {};
  });
  if (!read) {
    spdlog::error("listing windows failed: {}", read.error().message);
    return internalError();
  }
  return jsonResponse(200, {{"items", std::move(items)}});
}

Response getWindowRoute(ServerContext& context, const Request& request) {
  const std::string& id = request.path_params.at(0);
  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto window = store::getWindow(session, id);
    if (!window) return tl::unexpected(window.error());
    if (!*window) {
      response = windowNotFound(id);
      return {};
    }
    auto current = currentWindowsAt(session, now);
    if (!current) return tl::unexpected(current.error());
    std::int64_t count = 0;
    for (const auto& [host, window_id] : *current) count += window_id == id ? 1 : 0;
    response = jsonResponse(200, windowView(**window, now, count));
    return {};
  });
  if (!read) {
    spdlog::error("reading window={} failed: {}", id, read.error().message);
    return internalError();
  }
  return std::move(*response);
}

Response createWindowRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);

  const SystemTime now = context.clock.now();
  store::WindowRecord window;
  if (auto problem = applyWindowBody(body, window)) return std::move(*problem);
  window.id = store::newWindowId();
  window.created_at = now;
  window.updated_at = now;

  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto existing = store::listWindows(session);
    if (!existing) return tl::unexpected(existing.error());
    for (const auto& other : *existing) {
      if (other.name == window.name) {
        response = errorResponse(409, "name_taken",
                                 fmt::format("A maintenance window named \"{}\" exists ({}). "
                                             "Choose another name.",
                                             window.name, other.id));
        return {};
      }
    }
    if (auto inserted = store::insertWindow(session, window); !inserted) return inserted;
    auto event =
        windowAuditEvent(request, now, "window.create", window.id, "", windowToJson(window).dump());
    if (auto appended = store::appendAuditEvent(session, event); !appended) {
      return tl::unexpected(appended.error());
    }
    response = jsonResponse(201, windowView(window, now, 0));
    return {};
  });
  if (!written) {
    spdlog::error("creating window failed: {}", written.error().message);
    return internalError();
  }
  if (response->status == 201) {
    spdlog::info("window={} created by {}", window.id, userActor(request));
  }
  return std::move(*response);
}

Response updateWindowRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  const std::string& id = request.path_params.at(0);
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);
  const SystemTime now = context.clock.now();

  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto stored = store::getWindow(session, id);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) {
      response = windowNotFound(id);
      return {};
    }
    store::WindowRecord window = **stored;
    if (auto problem = applyWindowBody(body, window)) {
      response = std::move(*problem);
      return {};
    }
    auto existing = store::listWindows(session);
    if (!existing) return tl::unexpected(existing.error());
    for (const auto& other : *existing) {
      if (other.name == window.name && other.id != id) {
        response = errorResponse(409, "name_taken",
                                 fmt::format("A maintenance window named \"{}\" exists ({}). "
                                             "Choose another name.",
                                             window.name, other.id));
        return {};
      }
    }
    auto current = currentWindowsAt(session, now);
    if (!current) return tl::unexpected(current.error());
    std::int64_t count = 0;
    for (const auto& [host, window_id] : *current) count += window_id == id ? 1 : 0;

    window.updated_at = now;
    store::WindowRecord unchanged = **stored;
    unchanged.updated_at = now;
    if (window == unchanged) {
      response = jsonResponse(200, windowView(**stored, now, count));
      return {};
    }
    if (auto updated = store::updateWindow(session, window); !updated) return updated;
    auto event = windowAuditEvent(request, now, "window.update", id, windowToJson(**stored).dump(),
                                  windowToJson(window).dump());
    if (auto appended = store::appendAuditEvent(session, event); !appended) {
      return tl::unexpected(appended.error());
    }
    // A server waiting to leave this window waits for its new end.
    auto moved =
        reschedulePendingMovesOutOf(session, id, now, userActor(request), request.remote_address);
    if (!moved) return tl::unexpected(moved.error());
    if (auto rescheduled = rescheduleTicketsOfMoves(session, *moved, userActor(request), now);
        !rescheduled) {
      return rescheduled;
    }
    response = jsonResponse(200, windowView(window, now, count));
    return {};
  });
  if (!written) {
    spdlog::error("updating window={} failed: {}", id, written.error().message);
    return internalError();
  }
  return std::move(*response);
}

Response deleteWindowRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  const std::string& id = request.path_params.at(0);
  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    auto stored = store::getWindow(session, id);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) {
      response = windowNotFound(id);
      return {};
    }
    auto count = store::countHostsOfWindow(session, id);
    if (!count) return tl::unexpected(count.error());
    if (*count > 0) {
      response = errorResponse(
          409, "window_in_use",
          fmt::format("Window {} has {} server(s) in it or moving to it. Move them to another "
                      "window first (PUT /api/v1/hosts/{{id}}/window).",
                      id, *count));
      return {};
    }
    auto deleted = store::deleteWindow(session, id);
    if (!deleted) return tl::unexpected(deleted.error());
    auto event =
        windowAuditEvent(request, now, "window.delete", id, windowToJson(**stored).dump(), "");
    if (auto appended = store::appendAuditEvent(session, event); !appended) {
      return tl::unexpected(appended.error());
    }
    response = Response{.status = 204, .content_type = "", .body = "", .headers = {}};
    return {};
  });
  if (!written) {
    spdlog::error("deleting window={} failed: {}", id, written.error().message);
    return internalError();
  }
  return std::move(*response);
}

// Parses a query time: RFC 3339, or a date "YYYY-MM-DD" meaning its
// midnight UTC.
std::optional<SystemTime> parseQueryTime(const std::string& text) {
  if (auto instant = parseRfc3339(text)) return instant;
  if (auto day = schedule::parseLocalDate(text)) return SystemTime(date::sys_days(*day));
  return std::nullopt;
}

struct Range {
  SystemTime from;
  SystemTime to;
};

// Reads ?from= and ?to=; `default_length` after `from` when `to` is absent.
std::variant<Range, Response> queryRange(const Request& request, SystemTime now,
                                         std::chrono::days default_length) {
  Range range{now, now + default_length};
  if (auto from = request.queryValue("from")) {
    auto parsed = parseQueryTime(*from);
    if (!parsed) return invalidQuery("from", "expected RFC 3339 or a date YYYY-MM-DD.");
    range.from = *parsed;
    range.to = *parsed + default_length;
  }
  if (auto to = request.queryValue("to")) {
    auto parsed = parseQueryTime(*to);
    if (!parsed) return invalidQuery("to", "expected RFC 3339 or a date YYYY-MM-DD.");
    range.to = *parsed;
  }
  if (range.to <= range.from) return invalidQuery("to", "must be after \"from\".");
  if (range.to - range.from > kMaxCalendarRange) {
    return invalidQuery(
        "to", fmt::format("the range may span at most {} days.", kMaxCalendarRange.count()));
  }
  return range;
}

Response occurrencesRoute(ServerContext& context, const Request& request) {
  const std::string& id = request.path_params.at(0);
  const SystemTime now = context.clock.now();
  std::optional<std::size_t> count;
  if (auto text = request.queryValue("count")) {
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc() || end != text->data() + text->size() || value == 0 ||
        value > kMaxOccurrenceCount) {
      return invalidQuery(
          "count", fmt::format("expected a whole number from 1 to {}.", kMaxOccurrenceCount));
    }
    count = value;
    if (request.queryValue("to")) {
      return invalidQuery("to", "give either \"to\" or \"count\", not both.");
    }
  }
  auto range = queryRange(request, now, std::chrono::days(31));
  if (auto* rejection = std::get_if<Response>(&range)) return std::move(*rejection);
  const Range& bounds = std::get<Range>(range);

  std::optional<store::WindowRecord> window;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto stored = store::getWindow(session, id);
    if (!stored) return tl::unexpected(stored.error());
    window = *stored;
    return {};
  });
  if (!read) {
    spdlog::error("reading window={} failed: {}", id, read.error().message);
    return internalError();
  }
  if (!window) return windowNotFound(id);
  auto rule = windowRuleOf(*window);
  if (!rule) return errorResponse(500, "invalid_stored_window", rule.error().message);

  auto occurrences = count ? rule->firstOccurrences(bounds.from, *count)
                           : rule->occurrencesBetween(bounds.from, bounds.to);
  if (!occurrences) {
    return errorResponse(422, "no_occurrences", occurrences.error().message);
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& occurrence : *occurrences) items.push_back(occurrenceToJson(occurrence));
  nlohmann::json body = {{"window_id", id},
                         {"zone", window->zone},
                         {"from", formatRfc3339(bounds.from)},
                         {"occurrences", std::move(items)}};
  if (!count) body["to"] = formatRfc3339(bounds.to);
  return jsonResponse(200, body);
}

bool seesHost(const Principal& principal, const store::HostRecord& host) {
  return principal.seesAllHosts() || host.owner == principal.username;
}

nlohmann::json windowRef(const std::map<std::string, store::WindowRecord>& windows,
                         const std::optional<std::string>& id) {
  if (!id) return nullptr;
  const auto found = windows.find(*id);
  return {{"id", *id}, {"name", found == windows.end() ? "" : found->second.name}};
}

// The host's assignment as GET and PUT return it.
Result<nlohmann::json> assignmentView(store::Session& session, const std::string& host_id,
                                      SystemTime now) {
  auto record = store::getHostWindow(session, host_id);
  if (!record) return tl::unexpected(record.error());
  auto windows = store::listWindows(session);
  if (!windows) return tl::unexpected(windows.error());
  std::map<std::string, store::WindowRecord> by_id;
  for (auto& window : *windows) by_id.emplace(window.id, std::move(window));

  std::optional<std::string> current;
  nlohmann::json pending = nullptr;
  if (*record) {
    const auto& row = **record;
    const bool due = row.pending_effective_at && *row.pending_effective_at <= now;
    current = due ? row.pending_window_id : row.window_id;
    if (row.pending_effective_at && !due) {
      pending = {{"window", windowRef(by_id, row.pending_window_id)},
                 {"effective_at", formatRfc3339(*row.pending_effective_at)},
                 {"ticket_id", row.pending_ticket_id ? nlohmann::json(*row.pending_ticket_id)
                                                     : nlohmann::json()}};
    }
  }
  nlohmann::json view = {{"host_id", host_id},
                         {"window", windowRef(by_id, current)},
                         {"pending", std::move(pending)},
                         {"open_now", false},
                         {"next_occurrence", nullptr}};
  if (current && by_id.count(*current) != 0) {
    if (auto rule = windowRuleOf(by_id.at(*current))) {
      if (auto open = rule->isOpen(now); open) view["open_now"] = *open;
      if (auto next = rule->nextOccurrence(now); next && *next) {
        view["next_occurrence"] = occurrenceToJson(**next);
      }
    }
  }
  return view;
}

Response getHostWindowRoute(ServerContext& context, const Request& request) {
  const std::string& host_id = request.path_params.at(0);
  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto host = store::getHost(session, host_id);
    if (!host) return tl::unexpected(host.error());
    if (!*host || !seesHost(*request.principal, **host)) {
      response = errorResponse(404, "not_found", fmt::format("No host has id {}.", host_id));
      return {};
    }
    auto view = assignmentView(session, host_id, now);
    if (!view) return tl::unexpected(view.error());
    response = jsonResponse(200, *view);
    return {};
  });
  if (!read) {
    spdlog::error("reading the window of host={} failed: {}", host_id, read.error().message);
    return internalError();
  }
  return std::move(*response);
}

Response putHostWindowRoute(ServerContext& context, const Request& request) {
  if (!isAdmin(*request.principal)) return adminOnly();
  const std::string& host_id = request.path_params.at(0);
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);
  for (const auto& [key, value] : body.items()) {
    if (key != "window" && key != "reason") {
      return errorResponse(400, "invalid_field",
                           fmt::format("Field \"{}\" is not known here: send \"window\" (a window "
                                       "id, or null for none) and an optional \"reason\".",
                                       key.substr(0, 80)));
    }
  }
  const auto window_field = body.find("window");
  if (window_field == body.end() || (!window_field->is_null() && !window_field->is_string())) {
    return invalidField("window",
                        "required: a window id such as \"w-0123456789abcdef\", or null "
                        "to take the server out of every window.");
  }
  std::optional<std::string> window_id;
  if (window_field->is_string()) window_id = window_field->get<std::string>();
  std::string reason;
  if (const auto found = body.find("reason"); found != body.end()) {
    if (!found->is_string() || found->get_ref<const std::string&>().size() > kMaxReasonLength) {
      return invalidField("reason",
                          fmt::format("expected a string of at most {} bytes.", kMaxReasonLength));
    }
    reason = found->get<std::string>();
  }

  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  std::optional<WindowMove> done;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    done.reset();
    auto move = scheduleWindowMoveWithReason(session, host_id, window_id, now, userActor(request),
                                             request.remote_address, std::nullopt, reason);
    if (!move) {
      if (move.error().code == ErrorCode::kNotFound) {
        response = errorResponse(404, "not_found", move.error().message + ".");
        return {};
      }
      if (move.error().code == ErrorCode::kInvalidArgument) {
        response = errorResponse(409, "not_a_server", move.error().message + ".");
        return {};
      }
      return tl::unexpected(move.error());
    }
    if (auto settled = settleTicketsOfMove(session, *move, userActor(request), now); !settled) {
      return tl::unexpected(settled.error());
    }
    auto view = assignmentView(session, host_id, now);
    if (!view) return tl::unexpected(view.error());
    (*view)["move"] = windowMoveToJson(move->move);
    done = move->move;
    response = jsonResponse(200, *view);
    return {};
  });
  if (!written) {
    spdlog::error("moving host={} to another window failed: {}", host_id, written.error().message);
    return internalError();
  }
  if (done) {
    spdlog::info("host={} window move to {} by {}: {}", host_id, window_id.value_or("none"),
                 userActor(request), done->applied_now ? "applied" : "pending");
  }
  return std::move(*response);
}

// The windows and hosts a calendar shows to one principal.
struct CalendarData {
  std::vector<store::WindowRecord> windows;
  std::vector<store::HostRecord> hosts;              // visible active servers
  std::vector<store::HostWindowRecord> assignments;  // of those hosts
};

Result<CalendarData> loadCalendarData(store::Session& session, const Principal& principal) {
  CalendarData data;
  auto windows = store::listWindows(session);
  if (!windows) return tl::unexpected(windows.error());
  data.windows = std::move(*windows);
  store::HostFilter filter;
  filter.kind = std::string(store::kHostKindServer);
  filter.status = std::string(store::kHostStatusActive);
  if (!principal.seesAllHosts()) filter.owner = principal.username;
  auto hosts = store::listHosts(session, filter);
  if (!hosts) return tl::unexpected(hosts.error());
  data.hosts = std::move(*hosts);
  auto assignments = store::listHostWindows(session);
  if (!assignments) return tl::unexpected(assignments.error());
  std::set<std::string> visible;
  for (const auto& host : data.hosts) visible.insert(host.id);
  for (auto& assignment : *assignments) {
    if (visible.count(assignment.host_id) != 0) data.assignments.push_back(std::move(assignment));
  }
  return data;
}

// The occurrences of `window` that start in [from, to), as events.
Result<std::vector<CalendarEvent>> eventsOf(const store::WindowRecord& window, SystemTime from,
                                            SystemTime to, const std::vector<std::string>& notes) {
  std::vector<CalendarEvent> events;
  if (to <= from) return events;
  auto rule = windowRuleOf(window);
  if (!rule) return tl::unexpected(rule.error());
  auto occurrences = rule->occurrencesBetween(from, to);
  if (!occurrences) {
    // A rule whose occurrences are all excluded far ahead still has none
    // to show here.
    if (occurrences.error().code == ErrorCode::kNotFound) return events;
    return tl::unexpected(occurrences.error());
  }
  for (const auto& occurrence : *occurrences) {
    events.push_back(CalendarEvent{.window_id = window.id,
                                   .window_name = window.name,
                                   .zone = window.zone,
                                   .occurrence = occurrence,
                                   .notes = notes});
  }
  return events;
}

void sortEvents(std::vector<CalendarEvent>& events) {
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    if (a.occurrence.start != b.occurrence.start) return a.occurrence.start < b.occurrence.start;
    return a.window_name < b.window_name;
  });
}

// The events of one host: its current window until a pending move takes
// effect, the new window from then.
Result<std::vector<CalendarEvent>> hostEvents(
    const store::HostRecord& host, const std::optional<store::HostWindowRecord>& assignment,
    const std::map<std::string, const store::WindowRecord*>& windows, SystemTime from,
    SystemTime to) {
  std::vector<CalendarEvent> events;
  if (!assignment) return events;
  const std::vector<std::string> notes = {fmt::format("Server: {} ({})", host.hostname, host.id)};
  SystemTime switch_at = to;
  if (assignment->pending_effective_at)
    switch_at = std::max(from, *assignment->pending_effective_at);
  auto add = [&](const std::optional<std::string>& id, SystemTime begin,
                 SystemTime end) -> Result<void> {
    if (!id || windows.count(*id) == 0) return {};
    auto found = eventsOf(*windows.at(*id), begin, end, notes);
    if (!found) return tl::unexpected(found.error());
    events.insert(events.end(), found->begin(), found->end());
    return {};
  };
  if (auto added = add(assignment->window_id, from, std::min(switch_at, to)); !added) {
    return tl::unexpected(added.error());
  }
  if (assignment->pending_effective_at) {
    if (auto added = add(assignment->pending_window_id, switch_at, to); !added) {
      return tl::unexpected(added.error());
    }
  }
  sortEvents(events);
  return events;
}

// The dates in [from, to) of the deployments that overlap the range, by
// time; none when `principal` may not read deployments.
Result<std::vector<DeploymentDate>> loadDeploymentDates(store::Session& session,
                                                        const Principal& principal, SystemTime from,
                                                        SystemTime to) {
  std::vector<DeploymentDate> dates;
  if (!principal.has(Permission::kReadDeployments)) return dates;
  auto deployments = store::listDeploymentsOverlapping(session, from, to, kMaxCalendarDeployments);
  if (!deployments) return tl::unexpected(deployments.error());
  for (const auto& deployment : *deployments) {
    for (auto& date : deploymentDates(deployment)) {
      if (date.at >= from && date.at < to) dates.push_back(std::move(date));
    }
  }
  std::stable_sort(dates.begin(), dates.end(),
                   [](const auto& a, const auto& b) { return a.at < b.at; });
  return dates;
}

Response calendarRoute(ServerContext& context, const Request& request) {
  const SystemTime now = context.clock.now();
  auto range = queryRange(request, now, std::chrono::days(31));
  if (auto* rejection = std::get_if<Response>(&range)) return std::move(*rejection);
  const Range& bounds = std::get<Range>(range);

  std::vector<CalendarEvent> events;
  std::vector<DeploymentDate> deployment_dates;
  std::map<std::string, std::int64_t> servers_per_window;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    events.clear();
    servers_per_window.clear();
    auto data = loadCalendarData(session, *request.principal);
    if (!data) return tl::unexpected(data.error());
    auto dates = loadDeploymentDates(session, *request.principal, bounds.from, bounds.to);
    if (!dates) return tl::unexpected(dates.error());
    deployment_dates = std::move(*dates);
    for (const auto& assignment : data->assignments) {
      const bool due = assignment.pending_effective_at && *assignment.pending_effective_at <= now;
      const auto window = due ? assignment.pending_window_id : assignment.window_id;
      if (window) ++servers_per_window[*window];
    }
    for (const auto& window : data->windows) {
      auto found = eventsOf(window, bounds.from, bounds.to, {});
      if (!found) return tl::unexpected(found.error());
      events.insert(events.end(), found->begin(), found->end());
    }
    return {};
  });
  if (!read) {
    spdlog::error("reading the calendar failed: {}", read.error().message);
    return internalError();
  }
  sortEvents(events);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& event : events) {
    nlohmann::json item = occurrenceToJson(event.occurrence);
    item["type"] = "maintenance_window";
    item["window_id"] = event.window_id;
    item["window_name"] = event.window_name;
    item["zone"] = event.zone;
    item["servers"] = servers_per_window[event.window_id];
    items.push_back(std::move(item));
  }
  nlohmann::json dates = nlohmann::json::array();
  for (const auto& date : deployment_dates) dates.push_back(deploymentDateToJson(date));
  return jsonResponse(200, {{"from", formatRfc3339(bounds.from)},
                            {"to", formatRfc3339(bounds.to)},
                            {"events", std::move(items)},
                            {"deployment_dates", std::move(dates)}});
}

nlohmann::json feedTokenToJson(const store::CalendarFeedTokenRecord& token) {
  return {{"id", token.id},
          {"name", token.name},
          {"created_at", formatRfc3339(token.created_at)},
          {"revoked_at",
           token.revoked_at ? nlohmann::json(formatRfc3339(*token.revoked_at)) : nlohmann::json()}};
}

store::AuditEvent feedTokenAuditEvent(const Request& request, SystemTime now, std::string action,
                                      const store::CalendarFeedTokenRecord& token) {
  store::AuditEvent event;
  event.at = now;
  event.actor = userActor(request);
  event.action = std::move(action);
  event.object_type = "calendar_feed_token";
  event.object_id = std::to_string(token.id);
  event.after_json = feedTokenToJson(token).dump();
  event.remote_address = request.remote_address;
  return event;
}

Response createFeedTokenRoute(ServerContext& context, const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const auto& body = std::get<nlohmann::json>(parsed);
  std::string name;
  for (const auto& [key, value] : body.items()) {
    if (key != "name") {
      return errorResponse(400, "invalid_field",
                           fmt::format("Field \"{}\" is not known here: send an optional "
                                       "\"name\" for the token.",
                                       key.substr(0, 80)));
    }
    if (!value.is_string() || value.get_ref<const std::string&>().size() > kMaxNameLength ||
        hasControlCharacter(value.get_ref<const std::string&>(), false)) {
      return invalidField("name", fmt::format("expected a string of at most {} bytes without "
                                              "control characters.",
                                              kMaxNameLength));
    }
    name = value.get<std::string>();
  }

  const SystemTime now = context.clock.now();
  std::string token;
  store::CalendarFeedTokenRecord record;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    token = generateToken();
    record = store::CalendarFeedTokenRecord{};
    record.user_id = request.principal->user_id;
    record.token_hash = hashToken(token);
    record.name = name;
    record.created_at = now;
    auto id = store::insertCalendarFeedToken(session, record);
    if (!id) return tl::unexpected(id.error());
    record.id = *id;
    auto appended = store::appendAuditEvent(
        session, feedTokenAuditEvent(request, now, "calendar_feed_token.create", record));
    if (!appended) return tl::unexpected(appended.error());
    return {};
  });
  if (!written) {
    spdlog::error("creating a calendar feed token failed: {}", written.error().message);
    return internalError();
  }
  nlohmann::json view = feedTokenToJson(record);
  view["token"] = token;
  view["feeds"] = {{"all", fmt::format("/calendar/{}/all.ics", token)},
                   {"window", fmt::format("/calendar/{}/windows/{{window_id}}.ics", token)},
                   {"host", fmt::format("/calendar/{}/hosts/{{host_id}}.ics", token)},
                   {"collection", fmt::format("/calendar/{}/collections/{{name}}.ics", token)},
                   {"deployments", fmt::format("/calendar/{}/deployments.ics", token)}};
  return jsonResponse(201, view);
}

Response listFeedTokensRoute(ServerContext& context, const Request& request) {
  nlohmann::json items = nlohmann::json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = nlohmann::json::array();
    auto tokens = store::listCalendarFeedTokens(session, request.principal->user_id);
    if (!tokens) return tl::unexpected(tokens.error());
    for (const auto& token : *tokens) items.push_back(feedTokenToJson(token));
    return {};
  });
  if (!read) {
    spdlog::error("listing calendar feed tokens failed: {}", read.error().message);
    return internalError();
  }
  return jsonResponse(200, {{"items", std::move(items)}});
}

Response revokeFeedTokenRoute(ServerContext& context, const Request& request) {
  std::int64_t id = 0;
  const std::string& text = request.path_params.at(0);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size()) {
    return errorResponse(404, "not_found", "No calendar feed token of yours has this id.");
  }
  const SystemTime now = context.clock.now();
  bool revoked = false;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    revoked = false;
    auto done = store::revokeCalendarFeedToken(session, request.principal->user_id, id, now);
    if (!done) return tl::unexpected(done.error());
    revoked = *done;
    if (!revoked) return {};
    store::CalendarFeedTokenRecord record;
    record.id = id;
    record.user_id = request.principal->user_id;
    record.created_at = now;
    record.revoked_at = now;
    auto appended = store::appendAuditEvent(
        session, feedTokenAuditEvent(request, now, "calendar_feed_token.revoke", record));
    if (!appended) return tl::unexpected(appended.error());
    return {};
  });
  if (!written) {
    spdlog::error("revoking calendar feed token {} failed: {}", id, written.error().message);
    return internalError();
  }
  if (!revoked) {
    return errorResponse(404, "not_found",
                         fmt::format("You have no live calendar feed token with id {}.", id));
  }
  return Response{.status = 204, .content_type = "", .body = "", .headers = {}};
}

Response feedNotFound() {
  return errorResponse(404, "not_found",
                       "No such calendar feed. The feed token may have been revoked: create a new "
                       "one with POST /api/v1/calendar/feed-tokens.");
}

// Returns the principal a feed token belongs to, or nullopt when the token is
// unknown or revoked or its user is disabled.
Result<std::optional<Principal>> feedPrincipal(store::Session& session, const std::string& token) {
  auto record = store::findCalendarFeedTokenByHash(session, hashToken(token));
  if (!record) return tl::unexpected(record.error());
  if (!*record || !(*record)->isLive()) return std::optional<Principal>();
  auto user = store::findUserById(session, (*record)->user_id);
  if (!user) return tl::unexpected(user.error());
  if (!*user || (*user)->disabled) return std::optional<Principal>();
  Principal principal;
  principal.kind = Principal::Kind::kUser;
  principal.user_id = (*user)->id;
  principal.username = (*user)->username;
  for (const auto& name : (*user)->roles) {
    if (auto role = parseRole(name)) principal.roles.push_back(*role);
  }
  if (!principal.has(Permission::kReadHosts)) return std::optional<Principal>();
  return std::optional<Principal>(std::move(principal));
}

enum class FeedKind { kAll, kWindow, kHost, kCollection, kDeployments };

Response feedRoute(ServerContext& context, const Request& request, FeedKind kind) {
  const std::string& token = request.path_params.at(0);
  const std::string subject = request.path_params.size() > 1 ? request.path_params.at(1) : "";
  const SystemTime now = context.clock.now();
  const SystemTime from = now - kFeedPastHorizon;
  const SystemTime to = now + kFeedFutureHorizon;

  std::optional<std::vector<CalendarEvent>> events;
  std::vector<DeploymentDate> deployment_dates;
  std::string calendar_name;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    events.reset();
    deployment_dates.clear();
    auto principal = feedPrincipal(session, token);
    if (!principal) return tl::unexpected(principal.error());
    if (!*principal) return {};
    if (kind == FeedKind::kAll || kind == FeedKind::kDeployments) {
      if (kind == FeedKind::kDeployments && !(*principal)->has(Permission::kReadDeployments)) {
        return {};
      }
      auto dates = loadDeploymentDates(session, **principal, from, to);
      if (!dates) return tl::unexpected(dates.error());
      deployment_dates = std::move(*dates);
    }
    auto data = loadCalendarData(session, **principal);
    if (!data) return tl::unexpected(data.error());
    std::map<std::string, const store::WindowRecord*> windows;
    for (const auto& window : data->windows) windows.emplace(window.id, &window);
    std::map<std::string, const store::HostWindowRecord*> assignments;
    for (const auto& assignment : data->assignments) {
      assignments.emplace(assignment.host_id, &assignment);
    }
    auto assignmentOf = [&](const std::string& host_id) {
      const auto found = assignments.find(host_id);
      return found == assignments.end() ? std::optional<store::HostWindowRecord>()
                                        : std::optional<store::HostWindowRecord>(*found->second);
    };

    std::vector<CalendarEvent> found;
    switch (kind) {
      case FeedKind::kDeployments:
        calendar_name = "patchkeeper: deployments";
        break;
      case FeedKind::kAll:
        calendar_name = "patchkeeper: all maintenance windows";
        for (const auto& window : data->windows) {
          auto more = eventsOf(window, from, to, {});
          if (!more) return tl::unexpected(more.error());
          found.insert(found.end(), more->begin(), more->end());
        }
        break;
      case FeedKind::kWindow: {
        if (windows.count(subject) == 0) return {};
        calendar_name = "patchkeeper: " + windows.at(subject)->name;
        auto more = eventsOf(*windows.at(subject), from, to, {});
        if (!more) return tl::unexpected(more.error());
        found = std::move(*more);
        break;
      }
      case FeedKind::kHost: {
        const auto host =
            std::find_if(data->hosts.begin(), data->hosts.end(),
                         [&](const auto& candidate) { return candidate.id == subject; });
        if (host == data->hosts.end()) return {};
        calendar_name = "patchkeeper: " + host->hostname;
        auto more = hostEvents(*host, assignmentOf(host->id), windows, from, to);
        if (!more) return tl::unexpected(more.error());
        found = std::move(*more);
        break;
      }
      case FeedKind::kCollection: {
        bool any = false;
        calendar_name = "patchkeeper: collection " + subject;
        for (const auto& host : data->hosts) {
          if (std::find(host.collections.begin(), host.collections.end(), subject) ==
              host.collections.end()) {
            continue;
          }
          any = true;
          auto more = hostEvents(host, assignmentOf(host.id), windows, from, to);
          if (!more) return tl::unexpected(more.error());
          found.insert(found.end(), more->begin(), more->end());
        }
        if (!any) return {};
        // Merge the events of one occurrence into one, with every server.
        std::map<std::pair<std::string, SystemTime>, std::size_t> index;
        std::vector<CalendarEvent> merged;
        for (auto& event : found) {
          const auto key = std::make_pair(event.window_id, event.occurrence.start);
          const auto existing = index.find(key);
          if (existing == index.end()) {
            index.emplace(key, merged.size());
            merged.push_back(std::move(event));
          } else {
            auto& notes = merged[existing->second].notes;
            notes.insert(notes.end(), event.notes.begin(), event.notes.end());
          }
        }
        found = std::move(merged);
        break;
      }
    }
    sortEvents(found);
    events = std::move(found);
    return {};
  });
  if (!read) {
    spdlog::error("building a calendar feed failed: {}", read.error().message);
    return internalError();
  }
  if (!events) return feedNotFound();

  Response response;
  response.status = 200;
  response.content_type = "text/calendar; charset=utf-8";
  response.body = writeICalendar(
      *events, deployment_dates,
      ICalendarOptions{
          .calendar_name = calendar_name, .generated_at = now, .from = from, .to = to});
  // The URL carries the secret: no shared cache should keep a copy.
  response.headers.emplace_back("Cache-Control", "private, max-age=300");
  return response;
}

}  // namespace

bool isAdmin(const Principal& principal) {
  if (principal.isHost()) return false;
  return std::find(principal.roles.begin(), principal.roles.end(), Role::kAdmin) !=
         principal.roles.end();
}

void addWindowRoutes(Router& router, ServerContext& context) {
  ServerContext* ctx = &context;
  router.add("GET", "/api/v1/windows", Permission::kReadHosts,
             [ctx](Request& request) { return listWindowsRoute(*ctx, request); });
  router.add("POST", "/api/v1/windows", Permission::kManageHosts,
             [ctx](Request& request) { return createWindowRoute(*ctx, request); });
  router.add("GET", std::string(kWindowPath), Permission::kReadHosts,
             [ctx](Request& request) { return getWindowRoute(*ctx, request); });
  router.add("PUT", std::string(kWindowPath), Permission::kManageHosts,
             [ctx](Request& request) { return updateWindowRoute(*ctx, request); });
  router.add("DELETE", std::string(kWindowPath), Permission::kManageHosts,
             [ctx](Request& request) { return deleteWindowRoute(*ctx, request); });
  router.add("GET", fmt::format("{}/occurrences", kWindowPath), Permission::kReadHosts,
             [ctx](Request& request) { return occurrencesRoute(*ctx, request); });
  router.add("GET", std::string(kHostWindowPath), Permission::kReadHosts,
             [ctx](Request& request) { return getHostWindowRoute(*ctx, request); });
  router.add("PUT", std::string(kHostWindowPath), Permission::kManageHosts,
             [ctx](Request& request) { return putHostWindowRoute(*ctx, request); });
  router.add("GET", "/api/v1/calendar", Permission::kReadHosts,
             [ctx](Request& request) { return calendarRoute(*ctx, request); });
  router.add("GET", "/api/v1/calendar/feed-tokens", Permission::kManageOwnTokens,
             [ctx](Request& request) { return listFeedTokensRoute(*ctx, request); });
  router.add("POST", "/api/v1/calendar/feed-tokens", Permission::kManageOwnTokens,
             [ctx](Request& request) { return createFeedTokenRoute(*ctx, request); });
  router.add("DELETE", "/api/v1/calendar/feed-tokens/([0-9]{1,18})", Permission::kManageOwnTokens,
             [ctx](Request& request) { return revokeFeedTokenRoute(*ctx, request); });
  router.add("GET", fmt::format("{}/all\\.ics", kFeedPrefix), Permission::kPublic,
             [ctx](Request& request) { return feedRoute(*ctx, request, FeedKind::kAll); });
  router.add("GET", fmt::format("{}/windows/(w-[0-9a-f]{{16}})\\.ics", kFeedPrefix),
             Permission::kPublic,
             [ctx](Request& request) { return feedRoute(*ctx, request, FeedKind::kWindow); });
  router.add("GET", fmt::format("{}/hosts/(h-[0-9a-f]{{16}})\\.ics", kFeedPrefix),
             Permission::kPublic,
             [ctx](Request& request) { return feedRoute(*ctx, request, FeedKind::kHost); });
  router.add("GET", fmt::format("{}/collections/([^/]{{1,255}})\\.ics", kFeedPrefix),
             Permission::kPublic,
             [ctx](Request& request) { return feedRoute(*ctx, request, FeedKind::kCollection); });
  router.add("GET", fmt::format("{}/deployments\\.ics", kFeedPrefix), Permission::kPublic,
             [ctx](Request& request) { return feedRoute(*ctx, request, FeedKind::kDeployments); });
}

}  // namespace pk::server
