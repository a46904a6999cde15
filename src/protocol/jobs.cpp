#include "protocol/jobs.h"

#include <algorithm>
#include <array>
#include <utility>

#include "protocol/message_reader.h"

namespace pk::protocol {
namespace {

using Json = nlohmann::json;
using detail::FieldError;
using detail::indexPath;
using detail::isLowerHex;
using detail::ObjectReader;
using detail::parseMessage;

// A week: the longest restart deadline or estimate a job may carry.
constexpr std::int64_t kMaxJobSeconds = 7 * 24 * 3600;

constexpr std::array<std::pair<JobManager, std::string_view>, 4> kManagers{{
    {JobManager::kApt, "apt"},
    {JobManager::kDnf, "dnf"},
    {JobManager::kApk, "apk"},
    {JobManager::kWindowsUpdate, "windows-update"},
}};

bool isDigits(std::string_view text) {
  return !text.empty() && text.size() <= 12 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Json optionalText(const std::optional<std::string>& text) {
  return text ? Json(*text) : Json(nullptr);
}

Json optionalTime(const std::optional<SystemTime>& time) {
  return time ? Json(formatRfc3339(*time)) : Json(nullptr);
}

deploy::JobState readState(const ObjectReader& reader, std::string_view key) {
  const std::string name = reader.string(key);
  auto state = deploy::parseJobState(name);
  if (!state) throw FieldError{reader.field(key), "\"" + name + "\" is not a job state"};
  return *state;
}

std::optional<std::string> readHook(const ObjectReader& reader, std::string_view key) {
  if (reader.find(key) == nullptr) return std::nullopt;
  std::string name = reader.string(key);
  if (!isHookName(name)) {
    throw FieldError{reader.field(key), "must be a hook name: 1 to 64 of a-z, 0-9 and '-'"};
  }
  return name;
}

JobOrder readOrder(const Json& document, const std::string& path) {
  ObjectReader reader(document, path);
  JobOrder order;
  order.job_id = reader.string("job_id");
  if (!isJobId(order.job_id)) {
    throw FieldError{reader.field("job_id"), "must be \"j-\" followed by 16 hex digits"};
  }
  order.deployment_id = reader.nonEmptyString("deployment_id");
  order.deployment_name = reader.optionalString("deployment_name");
  order.state = readState(reader, "state");

  const std::string kind = reader.string("kind");
  if (kind == "server") {
    order.kind = JobHostKind::kServer;
  } else if (kind == "endpoint") {
    order.kind = JobHostKind::kEndpoint;
  } else {
    throw FieldError{reader.field("kind"), "must be \"server\" or \"endpoint\""};
  }
  order.emergency = reader.optionalBoolean("emergency", false);
  order.available_at = reader.time("available_at");
  order.deadline = reader.time("deadline");

  const Json& windows = reader.array("windows", kMaxJobWindows);
  for (std::size_t i = 0; i < windows.size(); ++i) {
    ObjectReader window(windows[i], indexPath(reader.field("windows"), i));
    deploy::TimeSpan span{window.time("start"), window.time("end")};
    if (span.end <= span.start) throw FieldError{window.field("end"), "must be after start"};
    order.windows.push_back(span);
  }
  order.estimate_seconds = reader.integer("estimate_seconds", 0, kMaxJobSeconds);

  const std::string manager = reader.string("manager");
  auto parsed_manager = parseJobManager(manager);
  if (!parsed_manager) {
    throw FieldError{reader.field("manager"),
                     "must be \"apt\", \"dnf\", \"apk\" or \"windows-update\""};
  }
  order.manager = *parsed_manager;

  const Json& packages = reader.array("packages", kMaxJobPackages);
  for (std::size_t i = 0; i < packages.size(); ++i) {
    ObjectReader package(packages[i], indexPath(reader.field("packages"), i));
    order.packages.push_back({package.nonEmptyString("name"), package.nonEmptyString("version")});
  }
  order.kbs = reader.stringList("kbs", kMaxJobPackages);
  for (std::size_t i = 0; i < order.kbs.size(); ++i) {
    if (!isDigits(order.kbs[i])) {
      throw FieldError{indexPath(reader.field("kbs"), i), "must be the KB number's digits"};
    }
  }
  order.pre_hook = readHook(reader, "pre_hook");
  order.post_hook = readHook(reader, "post_hook");

  if (reader.find("restart") != nullptr) {
    ObjectReader restart(reader.require("restart"), reader.field("restart"));
    const std::string mode = restart.string("policy");
    if (mode == "in-window") {
      order.restart.mode = RestartMode::kInWindow;
    } else if (mode == "endpoint") {
      order.restart.mode = RestartMode::kEndpoint;
    } else {
      throw FieldError{restart.field("policy"), "must be \"in-window\" or \"endpoint\""};
    }
    order.restart.deadline_seconds = restart.integer("deadline_seconds", 0, kMaxJobSeconds);
    order.restart.countdown_seconds = restart.integer("countdown_seconds", 0, kMaxJobSeconds);
    order.restart.reminder_seconds = restart.integer("reminder_seconds", 0, kMaxJobSeconds);
  }
  return order;
}

}  // namespace

std::string_view jobManagerName(JobManager manager) {
  for (const auto& [value, name] : kManagers) {
    if (value == manager) return name;
  }
  return "unknown";
}

std::optional<JobManager> parseJobManager(std::string_view name) {
  for (const auto& [value, known] : kManagers) {
    if (known == name) return value;
  }
  return std::nullopt;
}

deploy::StartRequest startRequestOf(const JobOrder& order) {
  return deploy::StartRequest{
      .available_at = order.available_at,
      .window_bound = order.kind == JobHostKind::kServer && !order.emergency,
      .windows = order.windows,
      .estimate = std::chrono::seconds(order.estimate_seconds),
  };
}

bool isJobId(std::string_view text) {
  return text.size() == 18 && text.starts_with("j-") && isLowerHex(text.substr(2), 16);
}

bool isHookName(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

nlohmann::json toJson(const JobOrder& order) {
  Json windows = Json::array();
  for (const auto& window : order.windows) {
    windows.push_back({{"start", formatRfc3339(window.start)}, {"end", formatRfc3339(window.end)}});
  }
  Json packages = Json::array();
  for (const auto& package : order.packages) {
    packages.push_back({{"name", package.name}, {"version", package.version}});
  }
  return Json{
      {"job_id", order.job_id},
      {"deployment_id", order.deployment_id},
      {"deployment_name", order.deployment_name},
      {"state", deploy::jobStateName(order.state)},
      {"kind", order.kind == JobHostKind::kServer ? "server" : "endpoint"},
      {"emergency", order.emergency},
      {"available_at", formatRfc3339(order.available_at)},
      {"deadline", formatRfc3339(order.deadline)},
      {"windows", std::move(windows)},
      {"estimate_seconds", order.estimate_seconds},
      {"manager", jobManagerName(order.manager)},
      {"packages", std::move(packages)},
      {"kbs", order.kbs},
      {"pre_hook", optionalText(order.pre_hook)},
      {"post_hook", optionalText(order.post_hook)},
      {"restart",
       {{"policy", order.restart.mode == RestartMode::kInWindow ? "in-window" : "endpoint"},
        {"deadline_seconds", order.restart.deadline_seconds},
        {"countdown_seconds", order.restart.countdown_seconds},
        {"reminder_seconds", order.restart.reminder_seconds}}},
  };
}

nlohmann::json toJson(const JobList& list) {
  Json jobs = Json::array();
  for (const auto& order : list.jobs) jobs.push_back(toJson(order));
  return Json{{"server_time", formatRfc3339(list.server_time)}, {"jobs", std::move(jobs)}};
}

nlohmann::json toJson(const JobEvent& event) {
  Json packages = Json::array();
  for (const auto& change : event.packages) {
    packages.push_back({{"name", change.name}, {"from", change.from}, {"to", change.to}});
  }
  return Json{
      {"event_id", event.event_id},
      {"at", formatRfc3339(event.at)},
      {"state", deploy::jobStateName(event.state)},
      {"message", event.message},
      {"output", event.output},
      {"packages", std::move(packages)},
      {"report_id", optionalText(event.report_id)},
      {"duration_seconds", event.duration_seconds ? Json(*event.duration_seconds) : Json(nullptr)},
      {"next_window_start", optionalTime(event.next_window_start)},
  };
}

nlohmann::json toJson(const JobEventResponse& response) {
  return Json{{"state", deploy::jobStateName(response.state)}, {"cancelled", response.cancelled}};
}

Result<JobOrder> parseJobOrder(std::string_view text) {
  return parseMessage<JobOrder>("job", text,
                                [](const Json& document) { return readOrder(document, ""); });
}

Result<JobList> parseJobList(std::string_view text) {
  return parseMessage<JobList>("job list", text, [](const Json& document) {
    ObjectReader reader(document, "");
    JobList list;
    list.server_time = reader.time("server_time");
    const Json& jobs = reader.array("jobs", kMaxJobsPerList);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      list.jobs.push_back(readOrder(jobs[i], indexPath("jobs", i)));
    }
    return list;
  });
}

Result<JobEvent> parseJobEvent(std::string_view text) {
  return parseMessage<JobEvent>("job event", text, [](const Json& document) {
    ObjectReader reader(document, "");
    JobEvent event;
    event.event_id = reader.string("event_id");
    if (!isLowerHex(event.event_id, 32)) {
      throw FieldError{"event_id", "must be 32 lower-case hex digits"};
    }
    event.at = reader.time("at");
    event.state = readState(reader, "state");
    if (!deploy::isAgentReportable(event.state)) {
      throw FieldError{"state", "\"" + std::string(deploy::jobStateName(event.state)) +
                                    "\" is decided by the server, not reported by an agent"};
    }
    event.message = reader.optionalString("message");
    event.output = reader.optionalLongString("output", kMaxJobOutputBytes);
    const Json& packages = reader.array("packages", kMaxJobPackages);
    for (std::size_t i = 0; i < packages.size(); ++i) {
      ObjectReader change(packages[i], indexPath("packages", i));
      event.packages.push_back({change.nonEmptyString("name"), change.optionalString("from"),
                                change.optionalString("to")});
    }
    if (reader.find("report_id") != nullptr) {
      event.report_id = reader.string("report_id");
      if (!isReportId(*event.report_id)) {
        throw FieldError{"report_id", "must be 32 lower-case hex digits"};
      }
    }
    event.duration_seconds = reader.optionalInteger("duration_seconds", 0, kMaxJobSeconds);
    event.next_window_start = reader.optionalTime("next_window_start");
    return event;
  });
}

Result<JobEventResponse> parseJobEventResponse(std::string_view text) {
  return parseMessage<JobEventResponse>("job event response", text, [](const Json& document) {
    ObjectReader reader(document, "");
    JobEventResponse response;
    response.state = readState(reader, "state");
    response.cancelled = reader.optionalBoolean("cancelled", false);
    return response;
  });
}

}  // namespace pk::protocol
