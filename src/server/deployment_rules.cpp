#include "server/deployment_rules.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "server/patches.h"
#include "store/audit_repository.h"

namespace pk::server {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxRruleBytes = 1000;
// How far back a run looks for a due occurrence.
constexpr auto kLookback = std::chrono::hours(24 * 400);
// The window length the schedule is built with; a rule has no length.
constexpr std::chrono::seconds kScheduleLength = std::chrono::hours(1);

Rejection fieldRejection(std::string_view field, std::string_view problem) {
  return Rejection{400, "invalid_field", fmt::format("Field \"{}\": {}", field, problem)};
}

// Reads an optional string field: nullopt when absent or null, an error
// text when it is not a string of 1 to `max` bytes.
struct TextField {
  std::optional<std::string> value;
  bool invalid = false;
};

TextField textField(const json& body, const char* key, std::size_t max) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>().size() > max) {
    return {.value = std::nullopt, .invalid = true};
  }
  return {.value = it->get<std::string>(), .invalid = false};
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

Result<void> audit(store::Session& session, const std::string& actor, std::string_view action,
                   const std::string& rule_id, const json& before, const json& after,
                   SystemTime now) {
  store::AuditEvent event;
  event.at = now;
  event.actor = actor;
  event.action = std::string(action);
  event.object_type = "deployment_rule";
  event.object_id = rule_id;
  event.before_json = before.is_null() ? "" : before.dump();
  event.after_json = after.is_null() ? "" : after.dump();
  auto appended = store::appendAuditEvent(session, event);
  if (!appended) return tl::unexpected(appended.error());
  return {};
}

Result<std::vector<std::string>> approvedIds(store::Session& session,
                                             const DeploymentServices& services,
                                             const std::optional<std::string>& ecosystem) {
  if (services.approved_patches) return services.approved_patches(session, ecosystem);
  auto approved = approvedPatches(session, ecosystem);
  if (!approved) return tl::unexpected(approved.error());
  std::vector<std::string> ids;
  for (const auto& patch : *approved) ids.push_back(patch.id);
  return ids;
}

}  // namespace

Outcome<store::DeploymentRuleRecord> parseDeploymentRuleRequest(const json& body) {
  if (!body.is_object()) return Rejection{400, "not_an_object", "Expected a JSON object."};
  store::DeploymentRuleRecord rule;

  auto name = textField(body, "name", kMaxNameBytes);
  if (!name.value) {
    return fieldRejection("name", fmt::format("expected a string of 1 to {} bytes, such as "
                                              "\"Patch Tuesday + 1\".",
                                              kMaxNameBytes));
  }
  rule.name = *name.value;

  if (auto enabled = body.find("enabled"); enabled != body.end() && !enabled->is_null()) {
    if (!enabled->is_boolean()) return fieldRejection("enabled", "expected true or false.");
    rule.enabled = enabled->get<bool>();
  }

  auto rrule = textField(body, "rrule", kMaxRruleBytes);
  if (!rrule.value) {
    return fieldRejection("rrule",
                          "required: an RFC 5545 RRULE such as "
                          "\"FREQ=MONTHLY;BYDAY=2TU\".");
  }
  const std::string frequency = upper(*rrule.value);
  for (const char* too_often :
       {"FREQ=HOURLY", "FREQ=MINUTELY", "FREQ=SECONDLY", "BYHOUR", "BYMINUTE", "BYSECOND"}) {
    if (frequency.find(too_often) != std::string::npos) {
      return fieldRejection("rrule",
                            "a deployment rule repeats at most daily: use FREQ=DAILY, "
                            "WEEKLY, MONTHLY or YEARLY without BYHOUR, BYMINUTE or "
                            "BYSECOND; start_local sets the time of day.");
    }
  }
  rule.rrule = *rrule.value;

  auto start = textField(body, "start_local", 64);
  if (!start.value) {
    return fieldRejection("start_local",
                          "required: a local date-time such as "
                          "\"2026-01-13T09:00:00\", without an offset.");
  }
  auto local = schedule::parseLocalDateTime(*start.value);
  if (!local) return fieldRejection("start_local", local.error().message);
  rule.start_local = schedule::formatLocal(*local);

  auto zone = textField(body, "zone", 100);
  if (!zone.value) {
    return fieldRejection("zone", "required: an IANA zone name such as \"America/New_York\".");
  }
  if (auto found = schedule::Zone::find(*zone.value); !found) {
    return fieldRejection("zone", found.error().message);
  }
  rule.zone = *zone.value;

  if (auto offset = body.find("offset_days"); offset != body.end() && !offset->is_null()) {
    if (!offset->is_number_integer() ||
        std::abs(offset->get<std::int64_t>()) > schedule::kMaxOffsetDays) {
      return fieldRejection("offset_days", fmt::format("expected a whole number of days from "
                                                       "-{0} to {0}, such as 1.",
                                                       schedule::kMaxOffsetDays));
    }
    rule.offset_days = offset->get<std::int64_t>();
  }

  auto sequence = textField(body, "ring_sequence", kMaxNameBytes);
  if (sequence.invalid) {
    return fieldRejection("ring_sequence", "expected a ring sequence id such as \"default\".");
  }
  rule.ring_sequence = sequence.value.value_or("default");

  auto deadline = body.find("deadline_seconds");
  if (deadline == body.end() || !deadline->is_number_integer() ||
      deadline->get<std::int64_t>() <= 0 ||
      deadline->get<std::int64_t>() > kMaxRuleDeadlineSeconds) {
    return fieldRejection("deadline_seconds",
                          fmt::format("required: the seconds from availability to the "
                                      "deadline, 1 to {}, such as 1209600 for two weeks.",
                                      kMaxRuleDeadlineSeconds));
  }
  rule.deadline_seconds = deadline->get<std::int64_t>();

  auto ecosystem = textField(body, "ecosystem", kMaxNameBytes);
  if (ecosystem.invalid) {
    return fieldRejection("ecosystem",
                          "expected an ecosystem such as \"Debian:12\", or null "
                          "for every ecosystem.");
  }
  rule.ecosystem = ecosystem.value;

  auto schedule = scheduleOf(rule);
  if (!schedule) return fieldRejection("rrule", schedule.error().message);
  return rule;
}

Result<schedule::WindowRule> scheduleOf(const store::DeploymentRuleRecord& rule) {
  auto start = schedule::parseLocalDateTime(rule.start_local);
  if (!start) return tl::unexpected(start.error());
  schedule::WindowDefinition definition;
  definition.rrule = rule.rrule;
  definition.start = *start;
  definition.zone = rule.zone;
  definition.length = kScheduleLength;
  definition.offset_days = static_cast<int>(rule.offset_days);
  return schedule::WindowRule::create(std::move(definition));
}

Result<std::optional<schedule::Occurrence>> dueOccurrence(const store::DeploymentRuleRecord& rule,
                                                          SystemTime now) {
  using Due = std::optional<schedule::Occurrence>;
  SystemTime from = std::max(rule.created_at, now - kLookback);
  if (rule.last_created_for) {
    from = std::max(from, *rule.last_created_for + std::chrono::microseconds(1));
  }
  const SystemTime to = now + std::chrono::microseconds(1);
  if (from >= to) return Due();
  auto schedule = scheduleOf(rule);
  if (!schedule) return tl::unexpected(schedule.error());
  auto occurrences = schedule->occurrencesBetween(from, to);
  if (!occurrences) return tl::unexpected(occurrences.error());
  if (occurrences->empty()) return Due();
  return Due(occurrences->back());
}

Result<store::DeploymentRuleRecord> createDeploymentRule(store::Session& session,
                                                         store::DeploymentRuleRecord rule,
                                                         const std::string& actor, SystemTime now) {
  rule.id = store::newDeploymentRuleId();
  rule.created_by = actor;
  rule.created_at = now;
  rule.last_created_for.reset();
  rule.last_result.clear();
  if (auto inserted = store::insertDeploymentRule(session, rule); !inserted) {
    return tl::unexpected(inserted.error());
  }
  auto audited = audit(session, actor, "deployment_rule.create", rule.id, json(),
                       deploymentRuleToJson(rule, now), now);
  if (!audited) return tl::unexpected(audited.error());
  return rule;
}

Result<bool> removeDeploymentRule(store::Session& session, const std::string& id,
                                  const std::string& actor, SystemTime now) {
  auto found = store::getDeploymentRule(session, id);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return false;
  auto deleted = store::deleteDeploymentRule(session, id);
  if (!deleted) return tl::unexpected(deleted.error());
  auto audited = audit(session, actor, "deployment_rule.delete", id,
                       deploymentRuleToJson(**found, now), json(), now);
  if (!audited) return tl::unexpected(audited.error());
  return *deleted;
}

Result<std::vector<std::string>> runDeploymentRules(store::Session& session,
                                                    const DeploymentServices& services,
                                                    SystemTime now) {
  std::vector<std::string> created;
  auto rules = store::listDeploymentRules(session, true);
  if (!rules) return tl::unexpected(rules.error());
  for (const store::DeploymentRuleRecord& rule : *rules) {
    auto due = dueOccurrence(rule, now);
    if (!due) {
      // A stored schedule that no longer expands (a zone removed from the
      // tz database) must not stop the other rules.
      auto recorded = store::recordDeploymentRuleRun(
          session, rule.id, std::nullopt,
          fmt::format("Not run: the schedule cannot be expanded: {}", due.error().message));
      if (!recorded) return tl::unexpected(recorded.error());
      continue;
    }
    if (!*due) continue;
    const schedule::Occurrence& occurrence = **due;

    auto patches = approvedIds(session, services, rule.ecosystem);
    if (!patches) return tl::unexpected(patches.error());
    std::string result;
    if (patches->empty()) {
      result = rule.ecosystem
                   ? fmt::format("Not created: no approved patch of {} to deploy.", *rule.ecosystem)
                   : "Not created: no approved patch to deploy.";
    } else {
      DeploymentRequest request;
      request.name = fmt::format("{} {}", rule.name,
                                 schedule::formatLocal(occurrence.local_start).substr(0, 10));
      request.patch_ids = std::move(*patches);
      std::sort(request.patch_ids.begin(), request.patch_ids.end());
      request.patch_ids.erase(std::unique(request.patch_ids.begin(), request.patch_ids.end()),
                              request.patch_ids.end());
      request.ring_sequence = rule.ring_sequence;
      request.available_at = occurrence.start;
      request.deadline = occurrence.start + std::chrono::seconds(rule.deadline_seconds);
      request.rule_id = rule.id;
      auto outcome = createDeployment(session, services, request, "rule:" + rule.id, now);
      if (!outcome) return tl::unexpected(outcome.error());
      if (const auto* rejection = std::get_if<Rejection>(&*outcome)) {
        result = fmt::format("Not created: {}", rejection->message);
      } else {
        const auto& deployment = std::get<store::DeploymentRecord>(*outcome);
        result = fmt::format("Created deployment {}.", deployment.id);
        created.push_back(deployment.id);
      }
    }
    auto recorded = store::recordDeploymentRuleRun(session, rule.id, occurrence.start, result);
    if (!recorded) return tl::unexpected(recorded.error());
  }
  return created;
}

json deploymentRuleToJson(const store::DeploymentRuleRecord& rule, SystemTime now) {
  json next = nullptr;
  if (rule.enabled) {
    if (auto schedule = scheduleOf(rule)) {
      auto occurrence = schedule->nextOccurrence(std::max(now, rule.created_at));
      if (occurrence && *occurrence) next = formatRfc3339((*occurrence)->start);
    }
  }
  return {{"id", rule.id},
          {"name", rule.name},
          {"enabled", rule.enabled},
          {"rrule", rule.rrule},
          {"start_local", rule.start_local},
          {"zone", rule.zone},
          {"offset_days", rule.offset_days},
          {"ring_sequence", rule.ring_sequence},
          {"deadline_seconds", rule.deadline_seconds},
          {"ecosystem", rule.ecosystem ? json(*rule.ecosystem) : json(nullptr)},
          {"created_by", rule.created_by},
          {"created_at", formatRfc3339(rule.created_at)},
          {"last_created_for",
           rule.last_created_for ? json(formatRfc3339(*rule.last_created_for)) : json(nullptr)},
          {"last_result", rule.last_result},
          {"next_available_at", next}};
}

}  // namespace pk::server
