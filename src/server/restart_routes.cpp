#include "server/restart_routes.h"

#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/restart_report.h"
#include "store/host_repository.h"
#include "store/restart_repository.h"

namespace pk::server {
namespace {

constexpr std::string_view kRestartPath = "/api/v1/hosts/(h-[0-9a-f]{16})";
constexpr std::int64_t kDefaultEventLimit = 200;
constexpr std::int64_t kMaxEventLimit = 1000;
// The host detail lists at most this many choices of the pending restart.
constexpr std::int64_t kMaxDetailChoices = 100;

nlohmann::json optionalTime(const std::optional<SystemTime>& time) {
  return time ? nlohmann::json(formatRfc3339(*time)) : nlohmann::json(nullptr);
}

nlohmann::json optionalInteger(const std::optional<std::int64_t>& number) {
  return number ? nlohmann::json(*number) : nlohmann::json(nullptr);
}

store::RestartEventRecord eventRecord(const std::string& host_id,
                                      const protocol::RestartEvent& event, SystemTime now) {
  return {.host_id = host_id,
          .event_id = event.event_id,
          .at = event.at,
          .type = std::string(protocol::restartEventTypeName(event.type)),
          .notice = event.notice,
          .offered = event.offered,
          .restart_at = event.restart_at,
          .choice = event.choice,
          .user = event.user,
          .snooze_seconds = event.snooze_seconds,
          .received_at = now};
}

nlohmann::json eventView(const store::RestartEventRecord& event) {
  nlohmann::json view{{"event_id", event.event_id},
                      {"at", formatRfc3339(event.at)},
                      {"type", event.type},
                      {"received_at", formatRfc3339(event.received_at)}};
  if (event.type == "notice") {
    view["notice"] = event.notice;
    view["offered"] = event.offered;
    view["restart_at"] = optionalTime(event.restart_at);
  } else if (event.type == "choice") {
    view["choice"] = event.choice;
    view["user"] = event.user;
    view["snooze_seconds"] = optionalInteger(event.snooze_seconds);
    view["restart_at"] = optionalTime(event.restart_at);
  }
  return view;
}

std::optional<Response> wrongHost(const Request& request) {
  const std::string& host_id = request.path_params.at(0);
  if (request.principal && request.principal->isHost() && request.principal->host_id == host_id) {
    return std::nullopt;
  }
  return errorResponse(403, "wrong_host",
                       fmt::format("This credential may not report the restart state of host {}. "
                                   "An agent reports only for its own host.",
                                   host_id));
}

Response reportRoute(ServerContext& context, const Request& request) {
  if (auto refused = wrongHost(request)) return *refused;
  const std::string& host_id = request.path_params.at(0);
  auto report = protocol::parseRestartReport(request.body);
  if (!report) return errorResponse(400, "invalid_restart_report", report.error().message);

  const SystemTime now = context.clock.now();
  protocol::RestartReportResponse counts;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    counts = {};
    const store::RestartStateRecord state{.host_id = host_id,
                                          .pending = report->pending,
                                          .required_since = report->required_since,
                                          .deadline = report->deadline,
                                          .restart_at = report->restart_at,
                                          .countdown_start = report->countdown_start,
                                          .next_reminder = report->next_reminder,
                                          .in_countdown = report->in_countdown,
                                          .restarted_at = report->restarted_at,
                                          .job_ids = report->job_ids,
                                          .updated_at = now};
    if (auto saved = store::saveRestartState(session, state); !saved) return saved;
    if (report->pending) {
      auto marked =
          store::markRestartRequired(session, host_id, "installed updates wait for a restart");
      if (!marked) return marked;
    }
    for (const auto& event : report->events) {
      auto inserted = store::insertRestartEvent(session, eventRecord(host_id, event, now));
      if (!inserted) return tl::unexpected(inserted.error());
      ++(*inserted ? counts.applied : counts.duplicates);
    }
    return {};
  });
  if (!written) {
    spdlog::error("storing the restart report of host={} failed: {}", host_id,
                  written.error().message);
    return serverErrorResponse();
  }
  spdlog::info("host={} reported its restart state: pending={}, {} new event(s)", host_id,
               report->pending, counts.applied);
  return jsonResponse(200, protocol::toJson(counts));
}

// Reads ?limit=, 1 to kMaxEventLimit. Returns nullopt when it is invalid.
std::optional<std::int64_t> eventLimit(const Request& request) {
  const auto text = request.queryValue("limit");
  if (!text) return kDefaultEventLimit;
  std::int64_t limit = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (error != std::errc() || end != text->data() + text->size() || limit < 1 ||
      limit > kMaxEventLimit) {
    return std::nullopt;
  }
  return limit;
}

Response eventsRoute(ServerContext& context, const Request& request) {
  const std::string& host_id = request.path_params.at(0);
  const auto limit = eventLimit(request);
  if (!limit) {
    return errorResponse(400, "invalid_query",
                         fmt::format("Query parameter \"limit\" must be a whole number from 1 "
                                     "to {}.",
                                     kMaxEventLimit));
  }
  std::optional<SystemTime> since;
  if (const auto text = request.queryValue("since")) {
    since = parseRfc3339(*text);
    if (!since) {
      return errorResponse(400, "invalid_query",
                           fmt::format("Query parameter \"since\" is \"{}\", not an RFC 3339 "
                                       "time such as 2027-03-10T10:00:00Z.",
                                       *text));
    }
  }

  std::optional<Response> response;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto host = store::getHost(session, host_id);
    if (!host) return tl::unexpected(host.error());
    const Principal& principal = *request.principal;
    if (!*host || !(principal.seesAllHosts() || (*host)->owner == principal.username)) {
      response = errorResponse(404, "host_not_found", fmt::format("Host {} not found.", host_id));
      return {};
    }
    auto events = store::listRestartEvents(session, host_id, since, *limit);
    if (!events) return tl::unexpected(events.error());
    nlohmann::json list = nlohmann::json::array();
    for (const auto& event : *events) list.push_back(eventView(event));
    response = jsonResponse(200, {{"events", std::move(list)}});
    return {};
  });
  if (!read) {
    spdlog::error("reading the restart events of host={} failed: {}", host_id,
                  read.error().message);
    return serverErrorResponse();
  }
  return std::move(*response);
}

}  // namespace

Result<nlohmann::json> restartView(store::Session& session, const std::string& host_id) {
  auto state = store::loadRestartState(session, host_id);
  if (!state) return tl::unexpected(state.error());
  if (!*state) return nlohmann::json::object();

  const store::RestartStateRecord& record = **state;
  nlohmann::json choices = nlohmann::json::array();
  if (record.pending && record.required_since) {
    auto events = store::listRestartEvents(session, host_id, record.required_since, kMaxEventLimit);
    if (!events) return tl::unexpected(events.error());
    for (const auto& event : *events) {
      if (event.type != "choice") continue;
      if (static_cast<std::int64_t>(choices.size()) == kMaxDetailChoices) break;
      choices.push_back({{"at", formatRfc3339(event.at)},
                         {"choice", event.choice},
                         {"user", event.user},
                         {"snooze_seconds", optionalInteger(event.snooze_seconds)},
                         {"restart_at", optionalTime(event.restart_at)}});
    }
  }
  return nlohmann::json{{"pending", record.pending},
                        {"required_since", optionalTime(record.required_since)},
                        {"deadline", optionalTime(record.deadline)},
                        {"restart_at", optionalTime(record.restart_at)},
                        {"countdown_start", optionalTime(record.countdown_start)},
                        {"in_countdown", record.in_countdown},
                        {"restarted_at", optionalTime(record.restarted_at)},
                        {"reported_at", formatRfc3339(record.updated_at)},
                        {"choices", std::move(choices)}};
}

void addRestartRoutes(Router& router, ServerContext& context) {
  ServerContext* ctx = &context;
  router.add("POST", fmt::format("{}/restart-state", kRestartPath), Permission::kAgent,
             [ctx](Request& request) { return reportRoute(*ctx, request); });
  router.add("GET", fmt::format("{}/restart-events", kRestartPath), Permission::kReadHosts,
             [ctx](Request& request) { return eventsRoute(*ctx, request); });
}

}  // namespace pk::server
