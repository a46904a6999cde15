#include "cli/restart_policy_command.h"

#include <algorithm>
#include <optional>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.h"
#include "common/clock.h"
#include "restart/manager.h"
#include "schedule/time_text.h"
#include "schedule/zone.h"

namespace pk::cli {
namespace {

using restart::Instant;
using restart::Seconds;
using namespace std::chrono_literals;

// The simulation ends at the restart, or this long after the install when
// the restart never comes (which would be a defect of the manager).
constexpr Seconds kMaxSimulated = std::chrono::hours(24 * 60);

// The loop steps as the agent's does: at least every 30 seconds.
constexpr Seconds kStep = 30s;

struct Defer {
  Instant at{};
  std::string text;  // the option as given, for messages
  restart::Choice choice{};
};

struct Span {
  Instant from{};
  Instant to{};
};

struct PreviewEvent {
  Instant at{};
  std::string kind;
  std::vector<std::string> offered;
};

struct Preview {
  Instant deadline{};
  Instant countdown_start{};
  Instant restart{};
  std::vector<PreviewEvent> events;
};

// Reads an instant: RFC 3339 with an offset, or a local date-time in `zone`.
Result<Instant> parseInstant(const std::string& text, const schedule::Zone& zone) {
  if (auto utc = parseRfc3339(text)) return std::chrono::floor<Seconds>(*utc);
  if (auto local = schedule::parseLocalDateTime(text)) {
    return std::chrono::floor<Seconds>(zone.toInstant(*local));
  }
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("\"{}\" is not an instant; give RFC 3339 (2027-03-27T10:00:00Z, "
                          "2027-03-27T10:00:00+01:00) or a local date-time in the zone "
                          "(2027-03-27T10:00)",
                          text));
}

Result<Seconds> parseDuration(const std::string& option, const std::string& text) {
  auto length = schedule::parseWindowLength(text);
  if (!length) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("{}: {}", option, length.error().message));
  }
  return *length;
}

Result<Defer> parseDefer(const std::string& text, const schedule::Zone& zone) {
  const auto equals = text.rfind('=');
  if (equals == std::string::npos) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--defer \"{}\" is not AT=DURATION, such as "
                            "2027-03-27T14:00=1h; DURATION is 1h, 4h or countdown",
                            text));
  }
  auto at = parseInstant(text.substr(0, equals), zone);
  if (!at) return fail(ErrorCode::kInvalidArgument, "--defer: " + at.error().message);

  Defer defer{.at = *at, .text = text};
  const std::string length = text.substr(equals + 1);
  if (length == "countdown") {
    defer.choice.kind = restart::ChoiceKind::kSnoozeUntilCountdown;
  } else {
    auto snooze = schedule::parseWindowLength(length);
    if (!snooze || (*snooze != 1h && *snooze != 4h)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--defer \"{}\": a snooze lasts 1h, 4h or until the countdown "
                              "(countdown), not \"{}\"",
                              text, length));
    }
    defer.choice.kind = restart::ChoiceKind::kSnooze;
    defer.choice.snooze = *snooze;
  }
  defer.choice.user = "preview";
  return defer;
}

Result<Span> parseOffline(const std::string& text, const schedule::Zone& zone) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("--offline \"{}\" is not FROM/TO, such as "
                                                         "2027-03-28T07:00/2027-03-28T12:00",
                                                         text));
  }
  auto from = parseInstant(text.substr(0, slash), zone);
  if (!from) return fail(ErrorCode::kInvalidArgument, "--offline: " + from.error().message);
  auto to = parseInstant(text.substr(slash + 1), zone);
  if (!to) return fail(ErrorCode::kInvalidArgument, "--offline: " + to.error().message);
  if (*to <= *from) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--offline \"{}\": the end must come after the start", text));
  }
  return Span{*from, *to};
}

std::string snoozeKind(const restart::Choice& choice) {
  if (choice.kind == restart::ChoiceKind::kSnoozeUntilCountdown) return "snooze-until-countdown";
  return choice.snooze == 1h ? "snooze-1h" : "snooze-4h";
}

// Runs the manager from the install to the restart, stepping every 30
// seconds while awake and not at all while asleep.
Result<Preview> simulate(const restart::Policy& policy, Instant installed_at,
                         std::vector<Defer> defers, std::vector<Span> offline) {
  std::sort(defers.begin(), defers.end(),
            [](const Defer& a, const Defer& b) { return a.at < b.at; });
  std::sort(offline.begin(), offline.end(),
            [](const Span& a, const Span& b) { return a.from < b.from; });
  for (std::size_t i = 1; i < offline.size(); ++i) {
    if (offline[i].from < offline[i - 1].to) {
      return fail(ErrorCode::kInvalidArgument, "--offline spans must not overlap");
    }
  }
  for (const Defer& defer : defers) {
    if (defer.at < installed_at) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--defer \"{}\" comes before the install", defer.text));
    }
    for (const Span& span : offline) {
      if (defer.at >= span.from && defer.at < span.to) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("--defer \"{}\" falls while the machine is asleep", defer.text));
      }
    }
  }

  restart::Reading reading{.wall = installed_at, .boottime = 1000s, .boot_id = "preview"};
  restart::RestartManager manager;
  manager.attach("j-0000000000000000", policy, reading, "preview");

  Preview preview;
  preview.deadline = manager.state().deadline;
  std::size_t next_defer = 0;
  std::size_t next_span = 0;
  const Instant give_up = installed_at + kMaxSimulated;

  // Records the notices of a step; returns true when it requested the restart.
  auto record = [&](const restart::StepResult& result, const restart::Reading& at) {
    for (const auto& notice : result.show) {
      PreviewEvent event{.at = notice.shown_at,
                         .kind = std::string(restart::noticeKindName(notice.kind))};
      for (auto offer : notice.offered) event.offered.emplace_back(restart::offerName(offer));
      preview.events.push_back(std::move(event));
      if (notice.kind == restart::NoticeKind::kCountdown) {
        preview.countdown_start = notice.countdown_start;
      }
    }
    if (result.restart) preview.restart = manager.policyNow(at);
    return result.restart;
  };
  // Ends the simulation at the restart. A --defer after it could never be
  // made, so it is rejected rather than left out of the table.
  auto finish = [&]() -> Result<Preview> {
    if (next_defer < defers.size()) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--defer \"{}\" comes after the restart at {}; nothing can be "
                              "snoozed then",
                              defers[next_defer].text,
                              formatRfc3339(SystemTime(preview.restart.time_since_epoch()))));
    }
    return preview;
  };

  while (reading.wall < give_up) {
    if (next_span < offline.size() && reading.wall >= offline[next_span].from) {
      const Span& span = offline[next_span++];
      preview.events.push_back({.at = reading.wall, .kind = "asleep"});
      const Seconds asleep = span.to - reading.wall;
      reading.wall += asleep;
      reading.boottime += asleep;
      preview.events.push_back({.at = reading.wall, .kind = "awake"});
    }
    restart::StepResult result = manager.step(reading);
    if (record(result, reading)) return finish();

    // A snooze responds to the notice shown at the same instant, so it
    // comes after the step, and a second step picks up its effect.
    bool chose = false;
    while (next_defer < defers.size() && defers[next_defer].at <= reading.wall) {
      const Defer& defer = defers[next_defer++];
      auto outcome = manager.apply(defer.choice, reading);
      if (!outcome.applied) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("--defer \"{}\": {}", defer.text, outcome.message));
      }
      preview.events.push_back({.at = reading.wall, .kind = snoozeKind(defer.choice)});
      chose = true;
    }
    if (chose) {
      result = manager.step(reading);
      if (record(result, reading)) return finish();
    }

    // The next step: 30 s on, or sooner for an event, a --defer or the
    // start of a --offline span.
    Instant next = reading.wall + kStep;
    if (result.next_event && *result.next_event > reading.wall) {
      next = std::min(next, *result.next_event);
    }
    if (next_defer < defers.size()) next = std::min(next, defers[next_defer].at);
    if (next_span < offline.size()) next = std::min(next, offline[next_span].from);
    next = std::max(next, reading.wall + 1s);
    reading.boottime += next - reading.wall;
    reading.wall = next;
  }
  return fail(ErrorCode::kInternal, "the simulated restart did not come within 60 days");
}

std::string formatAt(Instant at) {
  return formatRfc3339(SystemTime(at.time_since_epoch()));
}

std::string formatLocalAt(Instant at, const schedule::Zone& zone) {
  const SystemTime instant(at.time_since_epoch());
  return schedule::formatLocalWithOffset(zone.toLocal(instant), zone.utcOffsetAt(instant));
}

void printJson(const Preview& preview, std::ostream& out) {
  nlohmann::json events = nlohmann::json::array();
  for (const PreviewEvent& event : preview.events) {
    events.push_back(
        {{"at_utc", formatAt(event.at)}, {"kind", event.kind}, {"offered", event.offered}});
  }
  const nlohmann::json json{{"deadline_utc", formatAt(preview.deadline)},
                            {"countdown_start_utc", formatAt(preview.countdown_start)},
                            {"restart_utc", formatAt(preview.restart)},
                            {"events", events}};
  out << json.dump(2) << '\n';
}

void printTable(const Preview& preview, const schedule::Zone& zone, std::ostream& out) {
  out << fmt::format("time zone:        {}\n", zone.name());
  out << fmt::format("deadline:         {}  ({})\n", formatLocalAt(preview.deadline, zone),
                     formatAt(preview.deadline));
  out << fmt::format("countdown starts: {}  ({})\n", formatLocalAt(preview.countdown_start, zone),
                     formatAt(preview.countdown_start));
  out << fmt::format("restart:          {}  ({})\n\n", formatLocalAt(preview.restart, zone),
                     formatAt(preview.restart));
  out << fmt::format("{:<26}  {:<20}  {:<22}  {}\n", "LOCAL TIME", "UTC", "EVENT", "OFFERED");
  for (const PreviewEvent& event : preview.events) {
    std::string offered;
    for (const auto& name : event.offered) offered += (offered.empty() ? "" : ", ") + name;
    out << fmt::format("{:<26}  {:<20}  {:<22}  {}\n", formatLocalAt(event.at, zone),
                       formatAt(event.at), event.kind, offered);
  }
}

}  // namespace

void addRestartPolicyCommand(CLI::App& app, RestartPreviewOptions& options, int& exit_status) {
  auto* command = app.add_subcommand("restart-policy", "Work with endpoint restart policies");
  command->require_subcommand(1);

  auto* preview = command->add_subcommand(
      "preview",
      "Print what a user of an endpoint sees after an install: notices, reminders, the final\n"
      "countdown and the restart. Exit status: 0 on success, 2 on an invalid option.");
  preview
      ->add_option("--installed-at", options.installed_at,
                   "when the install finished: RFC 3339, or a local date-time in --tz")
      ->required();
  preview->add_option("--tz", options.zone, "IANA time zone of the user, such as Europe/Berlin")
      ->required();
  preview->add_option("--defer", options.defers,
                      "AT=DURATION: at AT the user snoozed the reminder for 1h, 4h or until the "
                      "countdown (countdown); repeatable");
  preview->add_option("--offline", options.offline,
                      "FROM/TO: the machine was asleep between these instants; repeatable");
  preview->add_option("--deadline", options.deadline,
                      "elapsed time from the install to the forced restart (default 24h)");
  preview->add_option("--countdown", options.countdown,
                      "length of the final countdown (default 90m)");
  preview->add_option("--reminder", options.reminder, "interval between reminders (default 4h)");
  preview->add_option("--format", options.format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  preview->callback(
      [&options, &exit_status] { exit_status = runRestartPreview(options, std::cout, std::cerr); });
}

int runRestartPreview(const RestartPreviewOptions& options, std::ostream& out, std::ostream& err) {
  auto invalid = [&err](const std::string& message) {
    err << "patchkeeper: " << message << '\n';
    return kExitInvalidInput;
  };

  auto zone = schedule::Zone::find(options.zone);
  if (!zone) return invalid("--tz: " + zone.error().message);
  auto installed_at = parseInstant(options.installed_at, *zone);
  if (!installed_at) return invalid("--installed-at: " + installed_at.error().message);

  auto deadline = parseDuration("--deadline", options.deadline);
  if (!deadline) return invalid(deadline.error().message);
  auto countdown = parseDuration("--countdown", options.countdown);
  if (!countdown) return invalid(countdown.error().message);
  auto reminder = parseDuration("--reminder", options.reminder);
  if (!reminder) return invalid(reminder.error().message);
  if (*countdown > *deadline) {
    return invalid(
        fmt::format("--countdown {} is longer than --deadline {}; the countdown must "
                    "fit inside the deadline",
                    options.countdown, options.deadline));
  }
  if (*reminder < 1min) return invalid("--reminder must be at least 1m");

  std::vector<Defer> defers;
  for (const auto& text : options.defers) {
    auto defer = parseDefer(text, *zone);
    if (!defer) return invalid(defer.error().message);
    defers.push_back(std::move(*defer));
  }
  std::vector<Span> offline;
  for (const auto& text : options.offline) {
    auto span = parseOffline(text, *zone);
    if (!span) return invalid(span.error().message);
    offline.push_back(*span);
  }

  auto preview = simulate({.deadline = *deadline, .countdown = *countdown, .reminder = *reminder},
                          *installed_at, std::move(defers), std::move(offline));
  if (!preview) return invalid(preview.error().message);
  if (options.format == "json") {
    printJson(*preview, out);
  } else {
    printTable(*preview, *zone, out);
  }
  return kExitOk;
}

}  // namespace pk::cli
