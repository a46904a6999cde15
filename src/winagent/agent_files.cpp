#include "winagent/agent_files.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "protocol/jobs.h"
#include "protocol/messages.h"
#include "winagent/pin.h"

namespace pk::winagent {
namespace {

using Json = nlohmann::json;

constexpr int kMaxIntervalMinutes = 7 * 24 * 60;

Error invalid(std::string_view origin, std::string_view key, std::string_view message) {
  return Error{ErrorCode::kMalformedInput, fmt::format("{}: \"{}\" {}", origin, key, message)};
}

bool isLowerHex(std::string_view text, std::size_t length) {
  return text.size() == length &&
         text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Result<Json> parseObject(std::string_view text, std::string_view origin) {
  Json document;
  try {
    document = Json::parse(text);
  } catch (const Json::exception& error) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: the file is not valid JSON: {}", origin, error.what()));
  }
  if (!document.is_object()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: the file must contain a JSON object", origin));
  }
  return document;
}

Result<std::string> stringMember(const Json& document, std::string_view key,
                                 std::string_view origin) {
  auto found = document.find(key);
  if (found == document.end() || found->is_null()) return std::string();
  if (!found->is_string()) return tl::unexpected(invalid(origin, key, "must be a string"));
  return found->get<std::string>();
}

}  // namespace

Result<WindowsAgentConfig> parseWindowsAgentConfig(std::string_view text, std::string_view origin) {
  auto document = parseObject(text, origin);
  if (!document) return tl::unexpected(document.error());

  WindowsAgentConfig config;
  for (const auto& [key, value] : document->items()) {
    if (key == "server_url" || key == "server_pin" || key == "enrolment_secret_file") {
      if (!value.is_string()) return tl::unexpected(invalid(origin, key, "must be a string"));
      const auto text_value = value.get<std::string>();
      if (key == "server_url") config.server_url = text_value;
      if (key == "server_pin") config.server_pin = text_value;
      if (key == "enrolment_secret_file") config.enrolment_secret_file = text_value;
    } else if (key == "allow_plain_http") {
      if (!value.is_boolean()) return tl::unexpected(invalid(origin, key, "must be true or false"));
      config.allow_plain_http = value.get<bool>();
    } else if (key == "interval_minutes") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 1 ||
          value.get<std::int64_t>() > kMaxIntervalMinutes) {
        return tl::unexpected(invalid(origin, key, "must be a whole number from 1 to 10080"));
      }
      config.interval_minutes = value.get<int>();
    } else {
      return tl::unexpected(invalid(origin, key, "is not a known key; check its spelling"));
    }
  }

  if (config.server_url.empty()) {
    return tl::unexpected(invalid(origin, "server_url", "is missing"));
  }
  const bool https = config.server_url.starts_with("https://");
  const bool http = config.server_url.starts_with("http://");
  if (!https && !(http && config.allow_plain_http)) {
    return tl::unexpected(invalid(origin, "server_url",
                                  "must start with https:// (http:// only with allow_plain_http)"));
  }
  if (!config.server_pin.empty() && !isPublicKeyPin(config.server_pin)) {
    return tl::unexpected(
        invalid(origin, "server_pin", "must be \"sha256:\" followed by 64 lower-case hex digits"));
  }
  return config;
}

Result<HostIdentity> parseHostIdentity(std::string_view text, std::string_view origin) {
  auto document = parseObject(text, origin);
  if (!document) return tl::unexpected(document.error());

  HostIdentity identity;
  auto host_id = stringMember(*document, "host_id", origin);
  auto token = stringMember(*document, "token", origin);
  auto hash = stringMember(*document, "acknowledged_hash", origin);
  if (!host_id) return tl::unexpected(host_id.error());
  if (!token) return tl::unexpected(token.error());
  if (!hash) return tl::unexpected(hash.error());
  if (!protocol::isHostId(*host_id)) {
    return tl::unexpected(invalid(origin, "host_id", "must be \"h-\" followed by 16 hex digits"));
  }
  if (!isLowerHex(*token, 64)) {
    return tl::unexpected(invalid(origin, "token", "must be 64 lower-case hex digits"));
  }
  if (!hash->empty() && !isLowerHex(*hash, 64)) {
    return tl::unexpected(
        invalid(origin, "acknowledged_hash", "must be empty or 64 lower-case hex digits"));
  }
  identity.host_id = std::move(*host_id);
  identity.token = std::move(*token);
  identity.acknowledged_hash = std::move(*hash);
  return identity;
}

std::string toJsonText(const HostIdentity& identity) {
  const Json document{{"host_id", identity.host_id},
                      {"token", identity.token},
                      {"acknowledged_hash", identity.acknowledged_hash}};
  return document.dump(2) + "\n";
}

Result<std::vector<QueuedJobEvent>> parseJobOutbox(std::string_view text, std::string_view origin) {
  auto document = parseObject(text, origin);
  if (!document) return tl::unexpected(document.error());
  const auto events = document->find("events");
  if (events == document->end() || !events->is_array()) {
    return fail(ErrorCode::kMalformedInput, fmt::format("{}: \"events\" must be an array", origin));
  }
  if (events->size() > kMaxQueuedJobEvents) {
    return fail(ErrorCode::kMalformedInput, fmt::format("{}: \"events\" has more than {} entries",
                                                        origin, kMaxQueuedJobEvents));
  }

  std::vector<QueuedJobEvent> queued;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const Json& entry = (*events)[i];
    const std::string where = fmt::format("events[{}]", i);
    if (!entry.is_object() || !entry.contains("job_id") || !entry["job_id"].is_string() ||
        !protocol::isJobId(entry["job_id"].get<std::string>()) || !entry.contains("event")) {
      return tl::unexpected(invalid(origin, where, "must have a job id and an event"));
    }
    auto event = protocol::parseJobEvent(entry["event"].dump());
    if (!event) {
      return tl::unexpected(invalid(origin, where + ".event", event.error().message));
    }
    queued.push_back({entry["job_id"].get<std::string>(), std::move(*event)});
  }
  return queued;
}

std::string jobOutboxText(const std::vector<QueuedJobEvent>& events) {
  Json entries = Json::array();
  for (const QueuedJobEvent& queued : events) {
    entries.push_back({{"job_id", queued.job_id}, {"event", protocol::toJson(queued.event)}});
  }
  return Json{{"events", std::move(entries)}}.dump(2) + "\n";
}

}  // namespace pk::winagent
