#include "cli/windows_command.h"

#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

}  // namespace pk::cli
