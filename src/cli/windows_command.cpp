#include "cli/windows_command.h"

#include <memory>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/admin_arguments.h"
#include "cli/admin_commands.h"
#include "cli/admin_output.h"
#include "cli/exit_codes.h"
#include "schedule/time_text.h"
#include "schedule/window_rule.h"

namespace pk::cli {
namespace {

// The maximum number of occurrences one preview prints.
constexpr int kMaxPreviewCount = 1000;

// Builds the window from the options, or returns the reason it is invalid.
Result<schedule::WindowRule> windowFromOptions(const WindowPreviewOptions& options) {
  auto start = schedule::parseLocalDateTime(options.start);
  if (!start) return tl::unexpected(Error{start.error().code, "--start: " + start.error().message});
  auto length = schedule::parseWindowLength(options.duration);
  if (!length) {
    return tl::unexpected(Error{length.error().code, "--duration: " + length.error().message});
  }

  schedule::WindowDefinition definition;
  definition.rrule = options.rrule;
  definition.start = *start;
  definition.zone = options.zone;
  definition.length = *length;
  definition.offset_days = options.offset_days;
  for (const std::string& text : options.excludes) {
    auto day = schedule::parseLocalDate(text);
    if (!day) return tl::unexpected(Error{day.error().code, "--exclude: " + day.error().message});
    definition.exclusions.push_back(*day);
  }
  return schedule::WindowRule::create(std::move(definition));
}

// Reads --from as a local date (midnight) or a local date-time.
Result<schedule::LocalSeconds> parseFrom(const std::string& text) {
  if (text.size() == 10) {
    auto day = schedule::parseLocalDate(text);
    if (!day) return tl::unexpected(day.error());
    return schedule::LocalSeconds{date::local_days{*day}.time_since_epoch()};
  }
  return schedule::parseLocalDateTime(text);
}

void printTable(const std::vector<schedule::Occurrence>& occurrences, std::ostream& out) {
  out << fmt::format("{:<26}  {:<26}  {:<20}  {:<20}  {}\n", "START (LOCAL)", "END (LOCAL)",
                     "START (UTC)", "END (UTC)", "LENGTH");
  for (const schedule::Occurrence& occurrence : occurrences) {
    out << fmt::format(
        "{:<26}  {:<26}  {:<20}  {:<20}  {}\n",
        schedule::formatLocalWithOffset(occurrence.local_start, occurrence.start_utc_offset),
        schedule::formatLocalWithOffset(occurrence.local_end, occurrence.end_utc_offset),
        schedule::formatUtc(occurrence.start), schedule::formatUtc(occurrence.end),
        schedule::formatLength(occurrence.duration()));
  }
}

void printJson(const std::vector<schedule::Occurrence>& occurrences, std::ostream& out) {
  nlohmann::json list = nlohmann::json::array();
  for (const schedule::Occurrence& occurrence : occurrences) {
    list.push_back({
        {"start_local",
         schedule::formatLocalWithOffset(occurrence.local_start, occurrence.start_utc_offset)},
        {"end_local",
         schedule::formatLocalWithOffset(occurrence.local_end, occurrence.end_utc_offset)},
        {"start_utc", schedule::formatUtc(occurrence.start)},
        {"end_utc", schedule::formatUtc(occurrence.end)},
        {"duration_s", occurrence.duration().count()},
    });
  }
  out << nlohmann::json{{"occurrences", list}}.dump(2) << '\n';
}

}  // namespace

void addWindowsCommand(CLI::App& app, WindowPreviewOptions& options, int& exit_status) {
  auto* windows = app.add_subcommand("windows", "Work with maintenance windows");
  windows->require_subcommand(1);

  auto* preview = windows->add_subcommand(
      "preview",
      "Print the occurrences of a maintenance window rule, in local time and UTC.\n"
      "Exit status: 0 on success, 2 on an invalid option (the reason goes to stderr).");
  preview->add_option("--rrule", options.rrule, "RFC 5545 RRULE, such as FREQ=MONTHLY;BYDAY=2TU")
      ->required();
  preview
      ->add_option("--start", options.start,
                   "local start date-time of the first possible occurrence, YYYY-MM-DDTHH:MM")
      ->required();
  preview->add_option("--tz", options.zone, "IANA time zone, such as America/New_York")->required();
  preview
      ->add_option("--duration", options.duration,
                   "length on the local wall clock: 4h, 90m, 1h30m, 2d, PT4H or P2DT8H")
      ->required();
  preview->add_option("--offset-days", options.offset_days,
                      "days added to each date the rule produces (default 0)");
  preview->add_option("--exclude", options.excludes,
                      "local date (YYYY-MM-DD) on which no occurrence starts; repeatable");
  preview
      ->add_option("--from", options.from,
                   "list occurrences starting at or after this local date or date-time")
      ->required();
  preview
      ->add_option("--count", options.count,
                   fmt::format("number of occurrences to print, 1 to {}", kMaxPreviewCount))
      ->required();
  preview->add_option("--format", options.format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  preview->callback(
      [&options, &exit_status] { exit_status = runWindowPreview(options, std::cout, std::cerr); });
}

int runWindowPreview(const WindowPreviewOptions& options, std::ostream& out, std::ostream& err) {
  if (options.count < 1 || options.count > kMaxPreviewCount) {
    err << fmt::format("patchkeeper: --count: invalid count {}; give 1 to {}\n", options.count,
                       kMaxPreviewCount);
    return kExitInvalidInput;
  }
  auto window = windowFromOptions(options);
  if (!window) {
    err << "patchkeeper: " << window.error().message << '\n';
    return kExitInvalidInput;
  }
  auto from = parseFrom(options.from);
  if (!from) {
    err << "patchkeeper: --from: " << from.error().message << '\n';
    return kExitInvalidInput;
  }

  auto occurrences = window->firstOccurrences(window->zone().toInstant(*from),
                                              static_cast<std::size_t>(options.count));
  if (!occurrences) {
    err << "patchkeeper: " << occurrences.error().message << '\n';
    return kExitInvalidInput;
  }
  if (options.format == "json") {
    printJson(*occurrences, out);
  } else {
    printTable(*occurrences, out);
  }
  return kExitOk;
}

namespace {

const std::vector<Column> kWindowColumns = {
    {"ID", "id"},           {"NAME", "name"},
    {"ZONE", "zone"},       {"RRULE", "rrule"},
    {"LENGTH", "length"},   {"OFFSET", "offset_days"},
    {"SERVERS", "servers"}, {"NEXT", "next_occurrence.start_local"},
};

std::string windowPath(const std::string& window_id) {
  return "/api/v1/windows/" + percentEncode(window_id);
}

}  // namespace

int runWindowsList(AdminContext& ctx) {
  return showList(ctx, "/api/v1/windows", {}, kWindowColumns, "no maintenance windows");
}

int runWindowsShow(const std::string& window_id, AdminContext& ctx) {
  return showObject(ctx, "GET", windowPath(window_id));
}

int runWindowsSave(const std::optional<std::string>& window_id, const WindowFieldsOptions& options,
                   AdminContext& ctx) {
  nlohmann::json body = nlohmann::json::object();
  if (options.name) body["name"] = *options.name;
  if (options.description) body["description"] = *options.description;
  if (options.rrule) body["rrule"] = *options.rrule;
  if (options.start) body["start"] = *options.start;
  if (options.zone) body["zone"] = *options.zone;
  if (options.duration) body["length"] = *options.duration;
  if (options.offset_days) body["offset_days"] = *options.offset_days;
  if (options.excludes) body["exclusions"] = *options.excludes;
  if (options.blackouts) {
    nlohmann::json blackouts = nlohmann::json::array();
    for (const auto& period : *options.blackouts) {
      const auto slash = period.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == period.size()) {
        printError(ctx.err,
                   fmt::format("invalid blackout \"{}\": give START/END in local date-times, "
                               "2026-12-20T00:00/2027-01-03T00:00",
                               period),
                   "invalid_argument");
        return kExitInvalidInput;
      }
      blackouts.push_back({{"start", period.substr(0, slash)}, {"end", period.substr(slash + 1)}});
    }
    body["blackouts"] = std::move(blackouts);
  }
  if (window_id && body.empty()) {
    printError(ctx.err, "nothing to change: give at least one field option", "invalid_argument");
    return kExitInvalidInput;
  }
  if (window_id) return showObject(ctx, "PUT", windowPath(*window_id), body);
  return showObject(ctx, "POST", "/api/v1/windows", body);
}

int runWindowsDelete(const std::string& window_id, AdminContext& ctx) {
  if (!callApi(ctx, "DELETE", windowPath(window_id))) return kExitError;
  ctx.out << fmt::format("window {} deleted\n", window_id);
  return kExitOk;
}

int runWindowsAssign(const std::string& host_id, const std::optional<std::string>& window_id,
                     const std::string& reason, AdminContext& ctx) {
  nlohmann::json body = {{"window", window_id ? nlohmann::json(*window_id) : nlohmann::json()}};
  if (!reason.empty()) body["reason"] = reason;
  auto response = callApi(ctx, "PUT", "/api/v1/hosts/" + percentEncode(host_id) + "/window", body);
  if (!response) return kExitError;
  if (ctx.output.format == OutputFormat::kJson) {
    ctx.out << response->dump(2) << '\n';
    return kExitOk;
  }
  const auto& move = (*response)["move"];
  const std::string target = window_id ? "window " + *window_id : "no window";
  if (move.value("applied_now", false)) {
    ctx.out << fmt::format("host {} is in {} now\n", host_id, target);
  } else {
    ctx.out << fmt::format("host {} moves to {} at {}, when its open window closes\n", host_id,
                           target, move.value("effective_at", ""));
  }
  return kExitOk;
}

int runWindowsOccurrences(const WindowOccurrencesOptions& options, AdminContext& ctx) {
  std::vector<std::pair<std::string, std::string>> parameters;
  if (!options.from.empty()) parameters.emplace_back("from", options.from);
  if (!options.to.empty()) parameters.emplace_back("to", options.to);
  if (options.count > 0) parameters.emplace_back("count", std::to_string(options.count));
  std::string target = windowPath(options.window_id) + "/occurrences";
  char separator = '?';
  for (const auto& [name, value] : parameters) {
    target += separator + name + "=" + percentEncode(value);
    separator = '&';
  }
  auto response = callApi(ctx, "GET", target);
  if (!response) return kExitError;
  if (ctx.output.format == OutputFormat::kJson) {
    ctx.out << response->dump(2) << '\n';
    return kExitOk;
  }
  writeList((*response)["occurrences"],
            {{"START (LOCAL)", "start_local"},
             {"END (LOCAL)", "end_local"},
             {"START (UTC)", "start_utc"},
             {"LENGTH (S)", "duration_s"}},
            ctx.output, "no occurrences", ctx.out);
  return kExitOk;
}

int runReport(const std::string& name, const std::string& format, AdminContext& ctx) {
  auto body = callApiText(
      ctx, "GET", "/api/v1/reports/" + percentEncode(name) + "?format=" + percentEncode(format));
  if (!body) return kExitError;
  ctx.out << *body;
  if (!body->empty() && body->back() != '\n') ctx.out << '\n';
  return kExitOk;
}

void addWindowAdminCommands(CLI::App& app, AdminRunner& runner) {
  CLI::App* windows = nullptr;
  for (CLI::App* command :
       app.get_subcommands([](CLI::App* sub) { return sub->get_name() == "windows"; })) {
    windows = command;
  }
  if (windows == nullptr) {
    windows = app.add_subcommand("windows", "Work with maintenance windows");
    windows->require_subcommand(1);
  }

  auto* list =
      windows->add_subcommand("list", "List maintenance windows with their next occurrence");
  runner.addConnectionOptions(list);
  runner.addFormatOption(list);
  list->callback([&runner] { runner.run(runWindowsList); });

  auto show_id = std::make_shared<std::string>();
  auto* show = windows->add_subcommand("show", "Show one maintenance window");
  show->add_option("WINDOW_ID", *show_id, "the window's id, w-...")->required();
  runner.addConnectionOptions(show);
  runner.addFormatOption(show);
  show->callback([&runner, show_id] {
    runner.run([show_id](AdminContext& ctx) { return runWindowsShow(*show_id, ctx); });
  });

  const auto add_fields = [](CLI::App* command, WindowFieldsOptions& fields, bool required) {
    auto* name = command->add_option("--name", fields.name, "a unique name, \"patch-tuesday\"");
    auto* rrule = command->add_option("--rrule", fields.rrule,
                                      "RFC 5545 RRULE, such as FREQ=MONTHLY;BYDAY=2TU");
    auto* start = command->add_option("--start", fields.start,
                                      "local start date-time of the first possible occurrence");
    auto* zone =
        command->add_option("--tz", fields.zone, "IANA time zone, such as America/New_York");
    auto* duration = command->add_option("--duration", fields.duration,
                                         "length on the local wall clock: 4h, 1h30m or PT4H");
    if (required) {
      for (auto* option : {name, rrule, start, zone, duration}) option->required();
    }
    command->add_option("--description", fields.description, "a description for people");
    command->add_option("--offset-days", fields.offset_days,
                        "days added to each date the rule produces");
    command->add_option("--exclude", fields.excludes,
                        "local date (YYYY-MM-DD) on which no occurrence starts; repeatable");
    command->add_option("--blackout", fields.blackouts,
                        "START/END local date-times no occurrence may overlap; repeatable");
  };

  auto create_fields = std::make_shared<WindowFieldsOptions>();
  auto* create = windows->add_subcommand("create", "Create a maintenance window (admin only)");
  add_fields(create, *create_fields, true);
  runner.addConnectionOptions(create);
  runner.addFormatOption(create);
  create->callback([&runner, create_fields] {
    runner.run([create_fields](AdminContext& ctx) {
      return runWindowsSave(std::nullopt, *create_fields, ctx);
    });
  });

  auto update_id = std::make_shared<std::string>();
  auto update_fields = std::make_shared<WindowFieldsOptions>();
  auto* update = windows->add_subcommand(
      "update", "Change the given fields of a maintenance window (admin only)");
  update->add_option("WINDOW_ID", *update_id, "the window's id, w-...")->required();
  add_fields(update, *update_fields, false);
  runner.addConnectionOptions(update);
  runner.addFormatOption(update);
  update->callback([&runner, update_id, update_fields] {
    runner.run([update_id, update_fields](AdminContext& ctx) {
      return runWindowsSave(*update_id, *update_fields, ctx);
    });
  });

  auto delete_id = std::make_shared<std::string>();
  auto* remove = windows->add_subcommand(
      "delete", "Delete a maintenance window that has no servers (admin only)");
  remove->add_option("WINDOW_ID", *delete_id, "the window's id, w-...")->required();
  runner.addConnectionOptions(remove);
  remove->callback([&runner, delete_id] {
    runner.run([delete_id](AdminContext& ctx) { return runWindowsDelete(*delete_id, ctx); });
  });

  struct AssignOptions {
    std::string host_id;
    std::string window_id;
    bool none = false;
    std::string reason;
  };
  auto assign_options = std::make_shared<AssignOptions>();
  auto* assign = windows->add_subcommand(
      "assign",
      "Move a server to a window (admin only); from an open window, when that occurrence ends");
  assign->add_option("HOST_ID", assign_options->host_id, "the server's id, h-...")->required();
  auto* target =
      assign->add_option("WINDOW_ID", assign_options->window_id, "the window's id, w-...");
  auto* none =
      assign->add_flag("--none", assign_options->none, "take the server out of every window");
  target->excludes(none);
  assign->add_option("--reason", assign_options->reason, "why, for the audit log");
  runner.addConnectionOptions(assign);
  runner.addFormatOption(assign);
  assign->callback([&runner, assign_options] {
    if (assign_options->window_id.empty() && !assign_options->none) {
      printError(std::cerr, "give a WINDOW_ID, or --none to take the server out of every window",
                 "invalid_argument");
      runner.setExitStatus(kExitInvalidInput);
      return;
    }
    runner.run([assign_options](AdminContext& ctx) {
      const auto window = assign_options->none
                              ? std::nullopt
                              : std::optional<std::string>(assign_options->window_id);
      return runWindowsAssign(assign_options->host_id, window, assign_options->reason, ctx);
    });
  });

  auto occurrence_options = std::make_shared<WindowOccurrencesOptions>();
  auto* occurrences = windows->add_subcommand(
      "occurrences", "List a stored window's occurrences in a range, or the next --count");
  occurrences->add_option("WINDOW_ID", occurrence_options->window_id, "the window's id, w-...")
      ->required();
  occurrences->add_option("--from", occurrence_options->from,
                          "RFC 3339 time or YYYY-MM-DD (UTC); default now");
  occurrences->add_option("--to", occurrence_options->to,
                          "RFC 3339 time or YYYY-MM-DD (UTC); default 31 days after --from");
  occurrences
      ->add_option("--count", occurrence_options->count, "how many, 1 to 1000, instead of --to")
      ->check(CLI::Range(1, 1000));
  runner.addConnectionOptions(occurrences);
  runner.addFormatOption(occurrences);
  occurrences->callback([&runner, occurrence_options] {
    runner.run([occurrence_options](AdminContext& ctx) {
      return runWindowsOccurrences(*occurrence_options, ctx);
    });
  });

  // `reports` may exist already, holding the fleet reports.
  CLI::App* reports = nullptr;
  for (CLI::App* command :
       app.get_subcommands([](CLI::App* sub) { return sub->get_name() == "reports"; })) {
    reports = command;
  }
  if (reports == nullptr) {
    reports = app.add_subcommand("reports", "Fleet and maintenance window reports");
    reports->require_subcommand(1);
  }
  for (const auto& [name, description] : std::vector<std::pair<std::string, std::string>>{
           {"servers-by-window", "Each window with its next occurrence and its servers"},
           {"windows", "Each window with its next 12 occurrences"},
           {"servers-without-window", "Servers in no window, which count as not compliant"}}) {
    auto format = std::make_shared<std::string>("json");
    auto* report = reports->add_subcommand(name, description);
    report->add_option("--format", *format, "json (default), csv or html")
        ->check(CLI::IsMember({"json", "csv", "html"}));
    runner.addConnectionOptions(report);
    report->callback([&runner, format, report_name = name] {
      runner.run([format, report_name](AdminContext& ctx) {
        return runReport(report_name, *format, ctx);
      });
    });
  }
}

}  // namespace pk::cli
