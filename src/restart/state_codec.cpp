#include "restart/state_codec.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace pk::restart {
namespace {

using Json = nlohmann::json;

// A field that is missing or has the wrong type or value.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::int64_t unixSeconds(Instant at) {
  return at.time_since_epoch().count();
}

Json optionalInstant(const std::optional<Instant>& at) {
  return at ? Json(unixSeconds(*at)) : Json(nullptr);
}

const Json& member(const Json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end()) throw DecodeError(std::string("the field ") + key + " is missing");
  return *found;
}

std::int64_t integerAt(const Json& object, const char* key) {
  const Json& value = member(object, key);
  if (!value.is_number_integer()) {
    throw DecodeError(std::string("the field ") + key + " is not an integer");
  }
  return value.get<std::int64_t>();
}

Instant instantAt(const Json& object, const char* key) {
  return Instant(Seconds(integerAt(object, key)));
}

std::optional<Instant> optionalInstantAt(const Json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::nullopt;
  return instantAt(object, key);
}

std::optional<Seconds> optionalSecondsAt(const Json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::nullopt;
  return Seconds(integerAt(object, key));
}

Json optionalSeconds(std::optional<Seconds> value) {
  return value ? Json(value->count()) : Json(nullptr);
}

std::string stringAt(const Json& object, const char* key) {
  const Json& value = member(object, key);
  if (!value.is_string()) throw DecodeError(std::string("the field ") + key + " is not a string");
  return value.get<std::string>();
}

bool boolAt(const Json& object, const char* key) {
  const Json& value = member(object, key);
  if (!value.is_boolean()) throw DecodeError(std::string("the field ") + key + " is not a boolean");
  return value.get<bool>();
}

const Json& arrayAt(const Json& object, const char* key) {
  const Json& value = member(object, key);
  if (!value.is_array()) throw DecodeError(std::string("the field ") + key + " is not an array");
  return value;
}

Json encodeChoice(const Choice& choice) {
  return {{"kind", choiceKindName(choice.kind)},
          {"user", choice.user},
          {"made_at", unixSeconds(choice.made_at)},
          {"snooze_seconds", choice.snooze.count()},
          {"restart_at", unixSeconds(choice.restart_at)}};
}

Choice decodeChoice(const Json& json) {
  Choice choice;
  auto kind = parseChoiceKind(stringAt(json, "kind"));
  if (!kind) throw DecodeError("a choice has an unknown kind");
  choice.kind = *kind;
  choice.user = stringAt(json, "user");
  choice.made_at = instantAt(json, "made_at");
  choice.snooze = Seconds(integerAt(json, "snooze_seconds"));
  choice.restart_at = instantAt(json, "restart_at");
  return choice;
}

Json encodeNotice(const Notice& notice) {
  Json offered = Json::array();
  for (Offer offer : notice.offered) offered.push_back(offerName(offer));
  return {{"kind", noticeKindName(notice.kind)},
          {"shown_at", unixSeconds(notice.shown_at)},
          {"deadline", unixSeconds(notice.deadline)},
          {"restart_at", unixSeconds(notice.restart_at)},
          {"countdown_start", unixSeconds(notice.countdown_start)},
          {"offered", offered}};
}

Notice decodeNotice(const Json& json) {
  Notice notice;
  auto kind = parseNoticeKind(stringAt(json, "kind"));
  if (!kind) throw DecodeError("a notice has an unknown kind");
  notice.kind = *kind;
  notice.shown_at = instantAt(json, "shown_at");
  notice.deadline = instantAt(json, "deadline");
  notice.restart_at = instantAt(json, "restart_at");
  notice.countdown_start = instantAt(json, "countdown_start");
  for (const Json& name : arrayAt(json, "offered")) {
    auto offer = name.is_string() ? parseOffer(name.get<std::string>()) : std::nullopt;
    if (!offer) throw DecodeError("a notice offers an unknown action");
    notice.offered.push_back(*offer);
  }
  return notice;
}

std::string_view eventTypeName(LogEvent::Type type) {
  switch (type) {
    case LogEvent::Type::kNotice:
      return "notice";
    case LogEvent::Type::kChoice:
      return "choice";
    case LogEvent::Type::kRestartRequested:
      return "restart_requested";
  }
  return "notice";
}

Json encodeEvent(const LogEvent& event) {
  Json json{{"sequence", event.sequence},
            {"at", unixSeconds(event.at)},
            {"type", eventTypeName(event.type)}};
  if (event.type == LogEvent::Type::kNotice) json["notice"] = encodeNotice(event.notice);
  if (event.type == LogEvent::Type::kChoice) json["choice"] = encodeChoice(event.choice);
  return json;
}

LogEvent decodeEvent(const Json& json) {
  LogEvent event;
  event.sequence = integerAt(json, "sequence");
  event.at = instantAt(json, "at");
  const std::string type = stringAt(json, "type");
  if (type == "notice") {
    event.type = LogEvent::Type::kNotice;
    event.notice = decodeNotice(member(json, "notice"));
  } else if (type == "choice") {
    event.type = LogEvent::Type::kChoice;
    event.choice = decodeChoice(member(json, "choice"));
  } else if (type == "restart_requested") {
    event.type = LogEvent::Type::kRestartRequested;
  } else {
    throw DecodeError("an event has the unknown type \"" + type + "\"");
  }
  return event;
}

State decode(const Json& json) {
  if (!json.is_object()) throw DecodeError("the state is not a JSON object");
  State state;
  state.pending = boolAt(json, "pending");
  if (!state.pending) return state;

  const Json& policy = member(json, "policy");
  state.policy.deadline = Seconds(integerAt(policy, "deadline_seconds"));
  state.policy.countdown = Seconds(integerAt(policy, "countdown_seconds"));
  state.policy.reminder = Seconds(integerAt(policy, "reminder_seconds"));
  state.policy = normalizedPolicy(state.policy);
  state.required_since = instantAt(json, "required_since");
  state.deadline = instantAt(json, "deadline");
  state.restart_at = instantAt(json, "restart_at");
  if (state.restart_at > state.deadline) {
    throw DecodeError("restart_at is later than the deadline");
  }
  state.boot_id = stringAt(json, "boot_id");
  state.boottime_at_install = Seconds(integerAt(json, "boottime_at_install"));
  state.next_reminder = optionalInstantAt(json, "next_reminder");
  state.countdown_shown_at = optionalInstantAt(json, "countdown_shown_at");
  state.countdown_end = optionalInstantAt(json, "countdown_end");
  if (state.countdown_shown_at.has_value() != state.countdown_end.has_value()) {
    throw DecodeError("countdown_shown_at and countdown_end must be set together");
  }
  state.restart_requested_at = optionalInstantAt(json, "restart_requested_at");
  // Files written before these fields existed have neither.
  state.countdown_end_boottime = optionalSecondsAt(json, "countdown_end_boottime");
  state.restart_requested_boottime = optionalSecondsAt(json, "restart_requested_boottime");
  state.installed_shown = boolAt(json, "installed_shown");
  state.restart_now = boolAt(json, "restart_now");
  state.last_step = instantAt(json, "last_step");
  state.last_step_boottime = Seconds(integerAt(json, "last_step_boottime"));
  for (const Json& job : arrayAt(json, "jobs")) {
    state.jobs.push_back(
        {.job_id = stringAt(job, "job_id"), .installed_at = instantAt(job, "installed_at")});
  }
  // Files written before earlier_boot_jobs existed lack it.
  if (json.contains("earlier_boot_jobs")) {
    for (const Json& job : arrayAt(json, "earlier_boot_jobs")) {
      state.earlier_boot_jobs.push_back(
          {.job_id = stringAt(job, "job_id"), .installed_at = instantAt(job, "installed_at")});
    }
  }
  for (const Json& choice : arrayAt(json, "choices")) state.choices.push_back(decodeChoice(choice));
  for (const Json& notice : arrayAt(json, "notices")) {
    auto kind = parseNoticeKind(stringAt(notice, "kind"));
    if (!kind) throw DecodeError("a shown notice has an unknown kind");
    state.notices.push_back({.kind = *kind, .at = instantAt(notice, "at")});
  }
  for (const Json& event : arrayAt(json, "events")) state.events.push_back(decodeEvent(event));
  state.next_sequence = integerAt(json, "next_sequence");
  state.series_id = stringAt(json, "series_id");
  return state;
}

}  // namespace

std::string encodeState(const State& state) {
  if (!state.pending) return Json{{"pending", false}}.dump(2);

  const auto encodeJobs = [](const std::vector<AttachedJob>& list) {
    Json encoded = Json::array();
    for (const auto& job : list) {
      encoded.push_back({{"job_id", job.job_id}, {"installed_at", unixSeconds(job.installed_at)}});
    }
    return encoded;
  };
  Json choices = Json::array();
  for (const auto& choice : state.choices) choices.push_back(encodeChoice(choice));
  Json notices = Json::array();
  for (const auto& notice : state.notices) {
    notices.push_back({{"kind", noticeKindName(notice.kind)}, {"at", unixSeconds(notice.at)}});
  }
  Json events = Json::array();
  for (const auto& event : state.events) events.push_back(encodeEvent(event));

  const Json json{
      {"pending", true},
      {"policy",
       {{"deadline_seconds", state.policy.deadline.count()},
        {"countdown_seconds", state.policy.countdown.count()},
        {"reminder_seconds", state.policy.reminder.count()}}},
      {"required_since", unixSeconds(state.required_since)},
      {"deadline", unixSeconds(state.deadline)},
      {"restart_at", unixSeconds(state.restart_at)},
      {"boot_id", state.boot_id},
      {"boottime_at_install", state.boottime_at_install.count()},
      {"next_reminder", optionalInstant(state.next_reminder)},
      {"countdown_shown_at", optionalInstant(state.countdown_shown_at)},
      {"countdown_end", optionalInstant(state.countdown_end)},
      {"restart_requested_at", optionalInstant(state.restart_requested_at)},
      {"countdown_end_boottime", optionalSeconds(state.countdown_end_boottime)},
      {"restart_requested_boottime", optionalSeconds(state.restart_requested_boottime)},
      {"installed_shown", state.installed_shown},
      {"restart_now", state.restart_now},
      {"last_step", unixSeconds(state.last_step)},
      {"last_step_boottime", state.last_step_boottime.count()},
      {"jobs", encodeJobs(state.jobs)},
      {"earlier_boot_jobs", encodeJobs(state.earlier_boot_jobs)},
      {"choices", choices},
      {"notices", notices},
      {"events", events},
      {"next_sequence", state.next_sequence},
      {"series_id", state.series_id},
  };
  return json.dump(2);
}

bool decodeState(std::string_view text, State& state, std::string& error) {
  const Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    error = "the restart state is not valid JSON";
    return false;
  }
  try {
    state = decode(json);
  } catch (const DecodeError& failure) {
    error = std::string("the restart state is invalid: ") + failure.what();
    return false;
  }
  return true;
}

}  // namespace pk::restart
