#include "server/calendar.h"

#include <map>
#include <set>

#include <date/tz.h>
#include <fmt/format.h>

namespace pk::server {
namespace {

using std::chrono::seconds;

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kMaxLineOctets = 75;

std::string icalLocal(schedule::LocalSeconds local) {
  return date::format("%Y%m%dT%H%M%S", local);
}

std::string icalUtc(SystemTime instant) {
  return date::format("%Y%m%dT%H%M%SZ", date::floor<seconds>(instant));
}

// "+0200", "-0500", or "+053000" when the offset has seconds (old LMT).
std::string icalOffset(seconds offset) {
  const char sign = offset < seconds(0) ? '-' : '+';
  const auto total = offset < seconds(0) ? -offset.count() : offset.count();
  const auto hours = total / 3600;
  const auto minutes = (total % 3600) / 60;
  const auto rest = total % 60;
  if (rest != 0) return fmt::format("{}{:02}{:02}{:02}", sign, hours, minutes, rest);
  return fmt::format("{}{:02}{:02}", sign, hours, minutes);
}

void addLine(std::string& out, std::string_view line) {
  out += foldICalendarLine(line);
  out += kCrlf;
}

// A start or end on the wall clock that names two instants is written in
// UTC, so that no app picks the other one.
std::string timeProperty(std::string_view name, const date::time_zone& zone,
                         std::string_view zone_name, schedule::LocalSeconds local,
                         SystemTime instant) {
  if (zone.get_info(local).result == date::local_info::ambiguous) {
    return fmt::format("{}:{}", name, icalUtc(instant));
  }
  return fmt::format("{};TZID={}:{}", name, zone_name, icalLocal(local));
}

void addObservance(std::string& out, const date::sys_info& info, seconds offset_from,
                   date::sys_seconds onset) {
  const std::string_view kind = info.save != std::chrono::minutes(0) ? "DAYLIGHT" : "STANDARD";
  addLine(out, fmt::format("BEGIN:{}", kind));
  // An observance starts at the wall-clock time of its onset as the clock
  // showed it before the change.
  addLine(out,
          fmt::format("DTSTART:{}",
                      icalLocal(schedule::LocalSeconds((onset + offset_from).time_since_epoch()))));
  addLine(out, fmt::format("TZOFFSETFROM:{}", icalOffset(offset_from)));
  addLine(out, fmt::format("TZOFFSETTO:{}", icalOffset(info.offset)));
  if (!info.abbrev.empty())
    addLine(out, fmt::format("TZNAME:{}", escapeICalendarText(info.abbrev)));
  addLine(out, fmt::format("END:{}", kind));
}

// Writes the zone's observances from the one in force at `from` through
// every transition before `to`.
void addTimezone(std::string& out, const date::time_zone& zone, SystemTime from, SystemTime to) {
  addLine(out, "BEGIN:VTIMEZONE");
  addLine(out, fmt::format("TZID:{}", zone.name()));

  const auto from_seconds = date::floor<seconds>(from);
  date::sys_info info = zone.get_info(from_seconds);
  // A zone without transitions (UTC) reports a begin at the start of time;
  // its one observance is given a start that every app can read.
  const date::sys_seconds epoch{};
  if (info.begin <= epoch) {
    addObservance(out, info, info.offset, epoch);
  } else {
    const date::sys_info before = zone.get_info(info.begin - seconds(1));
    addObservance(out, info, before.offset, info.begin);
  }

  const auto to_seconds = date::floor<seconds>(to);
  while (info.end < to_seconds) {
    const seconds offset_from = info.offset;
    const date::sys_seconds onset = info.end;
    info = zone.get_info(onset);
    addObservance(out, info, offset_from, onset);
  }
  addLine(out, "END:VTIMEZONE");
}

std::size_t utf8SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;  // a stray continuation byte: never split further
}

}  // namespace

Result<schedule::WindowRule> windowRuleOf(const store::WindowRecord& window) {
  schedule::WindowDefinition definition;
  definition.rrule = window.rrule;
  definition.zone = window.zone;

  auto start = schedule::parseLocalDateTime(window.start_local);
  if (!start) return tl::unexpected(start.error());
  definition.start = *start;

  definition.length = seconds(window.length_seconds);
  if (window.offset_days < -schedule::kMaxOffsetDays ||
      window.offset_days > schedule::kMaxOffsetDays) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("invalid offset of {} days: it must be between -{} and {}", window.offset_days,
                    schedule::kMaxOffsetDays, schedule::kMaxOffsetDays));
  }
  definition.offset_days = static_cast<int>(window.offset_days);

  for (const auto& text : window.exclusions) {
    auto day = schedule::parseLocalDate(text);
    if (!day) return tl::unexpected(day.error());
    definition.exclusions.push_back(*day);
  }
  for (const auto& [start_text, end_text] : window.blackouts) {
    auto blackout_start = schedule::parseLocalDateTime(start_text);
    if (!blackout_start) return tl::unexpected(blackout_start.error());
    auto blackout_end = schedule::parseLocalDateTime(end_text);
    if (!blackout_end) return tl::unexpected(blackout_end.error());
    definition.blackouts.push_back(schedule::LocalPeriod{*blackout_start, *blackout_end});
  }
  return schedule::WindowRule::create(std::move(definition));
}

nlohmann::json occurrenceToJson(const schedule::Occurrence& occurrence) {
  return {
      {"start_local",
       schedule::formatLocalWithOffset(occurrence.local_start, occurrence.start_utc_offset)},
      {"end_local",
       schedule::formatLocalWithOffset(occurrence.local_end, occurrence.end_utc_offset)},
      {"start_utc", schedule::formatUtc(occurrence.start)},
      {"end_utc", schedule::formatUtc(occurrence.end)},
      {"day", date::format("%F", date::sys_days(occurrence.day))},
      {"duration_s", occurrence.duration().count()},
  };
}

std::string escapeICalendarText(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\':
        escaped += "\\\\";
        break;
      case ';':
        escaped += "\\;";
        break;
      case ',':
        escaped += "\\,";
        break;
      case '\r':
        // CRLF and a lone CR are both one line break.
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        escaped += "\\n";
        break;
      case '\n':
        escaped += "\\n";
        break;
      default:
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) break;
        escaped += c;
    }
  }
  return escaped;
}

std::string foldICalendarLine(std::string_view line) {
  std::string folded;
  folded.reserve(line.size() + line.size() / 60 * 3);
  // The first line contains 75 octets. Each continuation line starts with a
  // space, which counts, so it contains 74 more.
  std::size_t room = kMaxLineOctets;
  std::size_t used = 0;
  std::size_t i = 0;
  while (i < line.size()) {
    std::size_t length = utf8SequenceLength(static_cast<unsigned char>(line[i]));
    if (i + length > line.size()) length = line.size() - i;
    if (used + length > room) {
      folded += kCrlf;
      folded += ' ';
      room = kMaxLineOctets;
      used = 1;
    }
    folded.append(line.substr(i, length));
    used += length;
    i += length;
  }
  return folded;
}

std::string writeICalendar(const std::vector<CalendarEvent>& events,
                           const ICalendarOptions& options) {
  return writeICalendar(events, {}, options);
}

std::vector<DeploymentDate> deploymentDates(const store::DeploymentRecord& deployment) {
  const bool stopped = deployment.status == store::kDeploymentHalted ||
                       deployment.status == store::kDeploymentCancelled;
  const bool started = !deployment.rings.empty() && deployment.rings.front().entered_at;
  auto date = [&](std::string kind, SystemTime at) {
    DeploymentDate record;
    record.deployment_id = deployment.id;
    record.deployment_name = deployment.name;
    record.deployment_status = deployment.status;
    record.kind = std::move(kind);
    record.at = at;
    return record;
  };
  std::vector<DeploymentDate> dates;
  DeploymentDate available = date("available", deployment.available_at);
  available.cancelled = stopped && !started;
  dates.push_back(std::move(available));

  SystemTime previous_start = deployment.available_at;
  std::int64_t previous_soak = 0;
  for (std::size_t i = 0; i < deployment.rings.size(); ++i) {
    const store::DeploymentRingRecord& ring = deployment.rings[i];
    DeploymentDate start = date("ring_start", previous_start);
    start.ring_position = ring.position;
    start.ring_name = ring.name;
    if (ring.entered_at) {
      start.at = *ring.entered_at;
    } else {
      start.at =
          i == 0 ? deployment.available_at : previous_start + std::chrono::seconds(previous_soak);
      start.planned = true;
      start.cancelled = stopped;
    }
    previous_start = start.at;
    previous_soak = ring.min_soak_seconds;
    dates.push_back(std::move(start));
  }
  DeploymentDate deadline = date("deadline", deployment.deadline);
  deadline.cancelled = stopped;
  dates.push_back(std::move(deadline));
  return dates;
}

nlohmann::json deploymentDateToJson(const DeploymentDate& date) {
  return {
      {"type", "deployment_" + date.kind},
      {"at", formatRfc3339(date.at)},
      {"deployment_id", date.deployment_id},
      {"deployment_name", date.deployment_name},
      {"deployment_status", date.deployment_status},
      {"planned", date.planned},
      {"cancelled", date.cancelled},
      {"ring_position",
       date.ring_position ? nlohmann::json(*date.ring_position) : nlohmann::json(nullptr)},
      {"ring_name", date.ring_position ? nlohmann::json(date.ring_name) : nlohmann::json(nullptr)}};
}

std::string writeICalendar(const std::vector<CalendarEvent>& events,
                           const std::vector<DeploymentDate>& dates,
                           const ICalendarOptions& options) {
  std::string out;
  addLine(out, "BEGIN:VCALENDAR");
  addLine(out, "VERSION:2.0");
  addLine(out, "PRODID:-//patchkeeper//maintenance windows//EN");
  addLine(out, "CALSCALE:GREGORIAN");
  addLine(out, "METHOD:PUBLISH");
  addLine(out, fmt::format("X-WR-CALNAME:{}", escapeICalendarText(options.calendar_name)));

  // Zones that date/tz does not know cannot reach here: windowRuleOf
  // found each one. A zone that vanished since is skipped with its events.
  std::map<std::string, const date::time_zone*> zones;
  for (const auto& event : events) {
    if (zones.count(event.zone) != 0) continue;
    const date::time_zone* zone = nullptr;
    try {
      zone = date::locate_zone(event.zone);
    } catch (const std::exception&) {
      zone = nullptr;
    }
    zones.emplace(event.zone, zone);
  }
  for (const auto& [name, zone] : zones) {
    if (zone != nullptr) addTimezone(out, *zone, options.from, options.to);
  }

  const std::string stamp = icalUtc(options.generated_at);
  for (const auto& event : events) {
    const date::time_zone* zone = zones.at(event.zone);
    if (zone == nullptr) continue;
    const schedule::Occurrence& occurrence = event.occurrence;
    // RFC 5545 requires DTEND after DTSTART. An occurrence whose start moved
    // forward out of a spring-forward gap, past its end, has no length.
    if (occurrence.end <= occurrence.start) continue;
    addLine(out, "BEGIN:VEVENT");
    addLine(out, fmt::format("UID:{}-{}@patchkeeper", event.window_id,
                             icalLocal(occurrence.local_start)));
    addLine(out, fmt::format("DTSTAMP:{}", stamp));
    addLine(out,
            timeProperty("DTSTART", *zone, event.zone, occurrence.local_start, occurrence.start));
    addLine(out, timeProperty("DTEND", *zone, event.zone, occurrence.local_end, occurrence.end));
    addLine(out, fmt::format("SUMMARY:{}",
                             escapeICalendarText("Maintenance window: " + event.window_name)));
    std::string description = fmt::format(
        "{} to {} ({}), {} of real time.",
        schedule::formatLocalWithOffset(occurrence.local_start, occurrence.start_utc_offset),
        schedule::formatLocalWithOffset(occurrence.local_end, occurrence.end_utc_offset),
        event.zone, schedule::formatLength(occurrence.duration()));
    for (const auto& note : event.notes) description += "\n" + note;
    addLine(out, fmt::format("DESCRIPTION:{}", escapeICalendarText(description)));
    addLine(out, "TRANSP:OPAQUE");
    addLine(out, "END:VEVENT");
  }
  for (const DeploymentDate& date : dates) {
    std::string uid_part = date.kind;
    std::string summary;
    if (date.kind == "ring_start") {
      uid_part = fmt::format("ring-{}", date.ring_position.value_or(0));
      summary = fmt::format("Deployment {}: ring {} ({}) {}", date.deployment_name,
                            date.ring_position.value_or(0) + 1, date.ring_name,
                            date.planned ? "starts (planned)" : "started");
    } else if (date.kind == "available") {
      summary = fmt::format("Deployment {}: available", date.deployment_name);
    } else {
      summary = fmt::format("Deployment {}: deadline", date.deployment_name);
    }
    addLine(out, "BEGIN:VEVENT");
    addLine(out, fmt::format("UID:{}-{}@patchkeeper", date.deployment_id, uid_part));
    addLine(out, fmt::format("DTSTAMP:{}", stamp));
    addLine(out, fmt::format("DTSTART:{}", icalUtc(date.at)));
    addLine(out, fmt::format("SUMMARY:{}", escapeICalendarText(summary)));
    addLine(out,
            fmt::format("DESCRIPTION:{}", escapeICalendarText(fmt::format(
                                              "Deployment {} ({}), status {}.", date.deployment_id,
                                              date.deployment_name, date.deployment_status))));
    if (date.cancelled) addLine(out, "STATUS:CANCELLED");
    addLine(out, "TRANSP:TRANSPARENT");
    addLine(out, "END:VEVENT");
  }
  addLine(out, "END:VCALENDAR");
  return out;
}

}  // namespace pk::server
