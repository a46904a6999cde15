#include "desktop/control_protocol.h"

#include <charconv>
#include <cstdint>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "desktop/notice_text.h"
#include "schedule/time_text.h"

namespace pk::desktop {
namespace {

using restart::ChoiceKind;
using restart::Instant;

// 9999-12-31T23:59:59Z: later instants cannot be written as dates.
constexpr long long kMaxUnixSeconds = 253402300799;

Result<long long> parsePositiveSeconds(std::string_view text, std::string_view what) {
  long long value = 0;
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || value <= 0 ||
      value > kMaxUnixSeconds) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("The {} '{}' is not a positive whole number of seconds up to {}.", what,
                            text, kMaxUnixSeconds));
  }
  return value;
}

std::string_view choiceKindName(ChoiceKind kind) {
  switch (kind) {
    case ChoiceKind::kSnooze:
      return "snooze";
    case ChoiceKind::kSnoozeUntilCountdown:
      return "snooze-until-countdown";
    case ChoiceKind::kRestartNow:
      return "restart-now";
    case ChoiceKind::kRestartAt:
      return "restart-at";
  }
  return "snooze";
}

std::optional<ChoiceKind> choiceKindFromName(std::string_view name) {
  for (const auto kind : {ChoiceKind::kSnooze, ChoiceKind::kSnoozeUntilCountdown,
                          ChoiceKind::kRestartNow, ChoiceKind::kRestartAt}) {
    if (choiceKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

long long unixSeconds(Instant instant) {
  return instant.time_since_epoch().count();
}

nlohmann::json statusJson(const restart::RestartStatus& status) {
  nlohmann::json choices = nlohmann::json::array();
  for (const auto& choice : status.choices) {
    choices.push_back({{"kind", choiceKindName(choice.kind)},
                       {"user", choice.user},
                       {"made_at", unixSeconds(choice.made_at)},
                       {"snooze_seconds", choice.snooze.count()},
                       {"restart_at", unixSeconds(choice.restart_at)}});
  }
  nlohmann::json json = {{"pending", status.pending},
                         {"required_since", unixSeconds(status.required_since)},
                         {"deadline", unixSeconds(status.deadline)},
                         {"restart_at", unixSeconds(status.restart_at)},
                         {"countdown_start", unixSeconds(status.countdown_start)},
                         {"in_countdown", status.in_countdown},
                         {"choices", std::move(choices)}};
  json["next_reminder"] =
      status.next_reminder ? nlohmann::json(unixSeconds(*status.next_reminder)) : nullptr;
  return json;
}

// Reads the integer member `key` of `object` as an instant.
std::optional<Instant> instantMember(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number_integer()) return std::nullopt;
  return Instant(std::chrono::seconds(found->get<std::int64_t>()));
}

std::optional<restart::Choice> choiceFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return std::nullopt;
  const auto kind = json.find("kind");
  const auto user = json.find("user");
  const auto snooze = json.find("snooze_seconds");
  const auto made_at = instantMember(json, "made_at");
  const auto restart_at = instantMember(json, "restart_at");
  if (kind == json.end() || !kind->is_string() || user == json.end() || !user->is_string() ||
      snooze == json.end() || !snooze->is_number_integer() || !made_at || !restart_at) {
    return std::nullopt;
  }
  const auto choice_kind = choiceKindFromName(kind->get<std::string>());
  if (!choice_kind) return std::nullopt;
  restart::Choice choice;
  choice.kind = *choice_kind;
  choice.user = user->get<std::string>();
  choice.made_at = *made_at;
  choice.snooze = std::chrono::seconds(snooze->get<std::int64_t>());
  choice.restart_at = *restart_at;
  return choice;
}

std::optional<restart::RestartStatus> statusFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return std::nullopt;
  restart::RestartStatus status;
  const auto pending = json.find("pending");
  const auto in_countdown = json.find("in_countdown");
  const auto choices = json.find("choices");
  const auto next_reminder = json.find("next_reminder");
  if (pending == json.end() || !pending->is_boolean() || in_countdown == json.end() ||
      !in_countdown->is_boolean() || choices == json.end() || !choices->is_array() ||
      next_reminder == json.end()) {
    return std::nullopt;
  }
  status.pending = pending->get<bool>();
  status.in_countdown = in_countdown->get<bool>();

  const auto required_since = instantMember(json, "required_since");
  const auto deadline = instantMember(json, "deadline");
  const auto restart_at = instantMember(json, "restart_at");
  const auto countdown_start = instantMember(json, "countdown_start");
  if (!required_since || !deadline || !restart_at || !countdown_start) return std::nullopt;
  status.required_since = *required_since;
  status.deadline = *deadline;
  status.restart_at = *restart_at;
  status.countdown_start = *countdown_start;

  if (!next_reminder->is_null()) {
    const auto reminder = instantMember(json, "next_reminder");
    if (!reminder) return std::nullopt;
    status.next_reminder = *reminder;
  }
  for (const auto& item : *choices) {
    auto choice = choiceFromJson(item);
    if (!choice) return std::nullopt;
    status.choices.push_back(std::move(*choice));
  }
  return status;
}

Result<std::chrono::seconds> parseSnoozeArgument(std::string_view text) {
  auto length = schedule::parseWindowLength(text);
  if (!length) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The snooze duration '{}' is invalid. Write a duration such as 1h or "
                            "4h, or until-countdown.",
                            text));
  }
  return *length;
}

// Returns the next instant after `now` at which the local time in `zone` is
// `hours`:`minutes`.
Instant nextLocalTime(int hours, int minutes, const schedule::Zone& zone, Instant now) {
  const auto today = date::floor<date::days>(zone.toLocal(pk::SystemTime(now)));
  for (int day = 0; day < 3; ++day) {
    const auto local =
        today + date::days(day) + std::chrono::hours(hours) + std::chrono::minutes(minutes);
    const auto instant = std::chrono::floor<std::chrono::seconds>(zone.toInstant(local));
    if (instant > now) return instant;
  }
  return now;
}

Result<Instant> parseRestartTime(std::string_view text, const schedule::Zone& zone, Instant now) {
  const auto invalid = [&] {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The restart time '{}' is invalid. Write HH:MM for the next such local "
                            "time, YYYY-MM-DDTHH:MM for a local date and time, or "
                            "YYYY-MM-DDTHH:MMZ for UTC.",
                            text));
  };

  Instant instant;
  if (text.size() == 5 && text[2] == ':') {
    int hours = 0;
    int minutes = 0;
    const auto [hours_end, hours_error] = std::from_chars(text.data(), text.data() + 2, hours);
    const auto [minutes_end, minutes_error] =
        std::from_chars(text.data() + 3, text.data() + 5, minutes);
    if (hours_error != std::errc() || hours_end != text.data() + 2 ||
        minutes_error != std::errc() || minutes_end != text.data() + 5 || hours > 23 ||
        minutes > 59) {
      return invalid();
    }
    instant = nextLocalTime(hours, minutes, zone, now);
  } else if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) {
    auto local = schedule::parseLocalDateTime(text.substr(0, text.size() - 1));
    if (!local) return invalid();
    instant = Instant(local->time_since_epoch());
  } else {
    auto local = schedule::parseLocalDateTime(text);
    if (!local) return invalid();
    instant = std::chrono::floor<std::chrono::seconds>(zone.toInstant(*local));
  }

  if (instant <= now) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The restart time '{}' ({}) is not in the future.", text,
                            formatLocalTime(instant, zone)));
  }
  return instant;
}

}  // namespace

Result<ControlRequest> parseControlRequest(std::string_view line) {
  if (line.size() > kMaxRequestBytes) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("The request is {} bytes long; the maximum is {}.", line.size(),
                            kMaxRequestBytes));
  }
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  for (const char c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail(ErrorCode::kMalformedInput, "The request contains a control character.");
    }
  }

  const auto space = line.find(' ');
  const auto verb = line.substr(0, space);
  const std::optional<std::string_view> argument =
      space == std::string_view::npos ? std::nullopt : std::optional(line.substr(space + 1));
  const auto no_argument = [&](ControlVerb parsed) -> Result<ControlRequest> {
    if (argument) {
      return fail(ErrorCode::kMalformedInput,
                  fmt::format("The request '{}' takes no argument.", verb));
    }
    return ControlRequest{.verb = parsed};
  };

  if (verb == "status") return no_argument(ControlVerb::kStatus);
  if (verb == "restart-now") return no_argument(ControlVerb::kRestartNow);
  if (verb != "snooze" && verb != "restart-at") {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("The request verb '{}' is unknown; expected status, snooze, "
                            "restart-now or restart-at.",
                            verb));
  }
  if (!argument) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("The request '{}' needs one argument.", verb));
  }
  if (verb == "snooze" && *argument == "until-countdown") {
    return ControlRequest{.verb = ControlVerb::kSnoozeUntilCountdown};
  }
  auto seconds =
      parsePositiveSeconds(*argument, verb == "snooze" ? "snooze duration" : "restart time");
  if (!seconds) return tl::unexpected(seconds.error());
  if (verb == "snooze") {
    return ControlRequest{.verb = ControlVerb::kSnooze, .snooze = std::chrono::seconds(*seconds)};
  }
  return ControlRequest{.verb = ControlVerb::kRestartAt,
                        .restart_at = Instant(std::chrono::seconds(*seconds))};
}

std::string formatControlRequest(const ControlRequest& request) {
  switch (request.verb) {
    case ControlVerb::kStatus:
      return "status\n";
    case ControlVerb::kSnooze:
      return fmt::format("snooze {}\n", request.snooze.count());
    case ControlVerb::kSnoozeUntilCountdown:
      return "snooze until-countdown\n";
    case ControlVerb::kRestartNow:
      return "restart-now\n";
    case ControlVerb::kRestartAt:
      return fmt::format("restart-at {}\n", unixSeconds(request.restart_at));
  }
  return "status\n";
}

std::string formatControlReply(const ControlReply& reply) {
  nlohmann::json json = {{"ok", reply.ok}, {"message", reply.message}};
  json["status"] = reply.status ? statusJson(*reply.status) : nlohmann::json(nullptr);
  // Replacing invalid UTF-8 keeps a user name with odd bytes from failing the reply.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<ControlReply> parseControlReply(std::string_view line) {
  const auto malformed = [] {
    return fail(ErrorCode::kMalformedInput,
                "The agent's reply is not the expected JSON object; check that the agent and this "
                "command come from the same version.");
  };
  if (line.size() > kMaxReplyBytes) return malformed();
  const auto json = nlohmann::json::parse(line, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return malformed();

  const auto ok = json.find("ok");
  const auto message = json.find("message");
  const auto status = json.find("status");
  if (ok == json.end() || !ok->is_boolean() || message == json.end() || !message->is_string() ||
      status == json.end()) {
    return malformed();
  }
  ControlReply reply;
  reply.ok = ok->get<bool>();
  reply.message = message->get<std::string>();
  if (!status->is_null()) {
    reply.status = statusFromJson(*status);
    if (!reply.status) return malformed();
  }
  return reply;
}

Result<ControlRequest> requestFromArguments(std::string_view command,
                                            std::optional<std::string_view> argument,
                                            const schedule::Zone& zone, Instant now) {
  const bool takes_argument = command == "snooze" || command == "restart-at";
  if (command != "status" && command != "restart-now" && !takes_argument) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The command '{}' is unknown; use status, snooze DURATION, "
                            "restart-now or restart-at TIME.",
                            command));
  }
  if (takes_argument && !argument) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The command '{0}' needs {1}: patchkeeper-agent {0} {1}.", command,
                            command == "snooze" ? "DURATION" : "TIME"));
  }
  if (!takes_argument && argument) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("The command '{}' takes no argument, but '{}' was given.", command, *argument));
  }

  if (command == "status") return ControlRequest{.verb = ControlVerb::kStatus};
  if (command == "restart-now") return ControlRequest{.verb = ControlVerb::kRestartNow};
  if (command == "snooze") {
    if (*argument == "until-countdown") {
      return ControlRequest{.verb = ControlVerb::kSnoozeUntilCountdown};
    }
    auto snooze = parseSnoozeArgument(*argument);
    if (!snooze) return tl::unexpected(snooze.error());
    return ControlRequest{.verb = ControlVerb::kSnooze, .snooze = *snooze};
  }
  auto restart_at = parseRestartTime(*argument, zone, now);
  if (!restart_at) return tl::unexpected(restart_at.error());
  return ControlRequest{.verb = ControlVerb::kRestartAt, .restart_at = *restart_at};
}

std::string formatStatusText(const restart::RestartStatus& status, const schedule::Zone& zone,
                             Instant now) {
  if (!status.pending) return "restart:         not required\n";

  std::string text;
  text += fmt::format("restart:         required since {}\n",
                      formatLocalTime(status.required_since, zone));
  text += fmt::format("deadline:        {}\n", formatLocalTime(status.deadline, zone));
  text += fmt::format("restart at:      {} (in {})\n", formatLocalTime(status.restart_at, zone),
                      formatRemaining(status.restart_at - now));
  text += fmt::format("countdown from:  {}{}\n", formatLocalTime(status.countdown_start, zone),
                      status.in_countdown ? " (running)" : "");
  if (status.next_reminder) {
    text += fmt::format("next reminder:   {}\n", formatLocalTime(*status.next_reminder, zone));
  }
  for (const auto& choice : status.choices) {
    std::string what(choiceKindName(choice.kind));
    if (choice.kind == ChoiceKind::kSnooze) {
      what += " " + schedule::formatLength(choice.snooze);
    } else if (choice.kind == ChoiceKind::kRestartAt) {
      what += " " + formatLocalTime(choice.restart_at, zone);
    }
    text += fmt::format("choice:          {} by {} at {}\n", what, choice.user,
                        formatLocalTime(choice.made_at, zone));
  }
  return text;
}

}  // namespace pk::desktop
