// The iCalendar feeds read back by a real parser, Debian's
// python3-icalendar, run as a child process: each feed must parse, and
// its events must be exactly the occurrences the schedule library
// computes, across both DST changes of 2027 in New York.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "server/tests/window_fixture.h"

namespace pk::server::host_tests {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

// Prints one JSON object per VEVENT: its UID and its start and end as UTC
// instants, as the parser understands them.
constexpr const char* kParserScript = R"py(
import datetime, json, sys
import icalendar
with open(sys.argv[1], 'rb') as f:
    calendar = icalendar.Calendar.from_ical(f.read())
def utc(value):
    if value.tzinfo is None:
        raise SystemExit('floating time in feed: %s' % value)
    return value.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
events = []
zones = []
for component in calendar.walk():
    if component.name == 'VTIMEZONE':
        zones.append(str(component['TZID']))
    if component.name == 'VEVENT':
        events.append({'uid': str(component['UID']),
                       'start': utc(component.decoded('DTSTART')),
                       'end': utc(component.decoded('DTEND'))})
print(json.dumps({'version': str(calendar['VERSION']), 'zones': zones, 'events': events}))
)py";

class CalendarFeedTest : public WindowServerTest {
 protected:
  // Parses `ics` with python3-icalendar and returns what it read.
  nlohmann::json parse(const std::string& ics) {
    auto directory = test_support::TemporaryDirectory::create("ics");
    EXPECT_TRUE(directory) << directory.error().message;
    const auto feed = directory->path() / "feed.ics";
    const auto script = directory->path() / "parse.py";
    std::ofstream(feed, std::ios::binary) << ics;
    std::ofstream(script) << kParserScript;
    const std::string command =
        std::string(kPython) + " " + script.string() + " " + feed.string() + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    if (pipe == nullptr) return {};
    std::string output;
    char buffer[4096];
    while (std::size_t read = std::fread(buffer, 1, sizeof buffer, pipe))
      output.append(buffer, read);
    const int status = ::pclose(pipe);
    EXPECT_EQ(status, 0) << output;
    auto parsed = nlohmann::json::parse(output, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << output;
    return parsed;
  }

  // The occurrences the API computes over the feed's horizon.
  std::vector<std::pair<std::string, std::string>> expected(const std::string& id) {
    const auto response = call("GET", "/api/v1/windows/" + id + "/occurrences", adminToken(), "",
                               {{"from", formatRfc3339(clock_.now() - kFeedPastHorizon)},
                                {"to", formatRfc3339(clock_.now() + kFeedFutureHorizon)}});
    EXPECT_EQ(response.status, 200) << response.body;
    std::vector<std::pair<std::string, std::string>> occurrences;
    const auto body = bodyOf(response);
    for (const auto& item : body["occurrences"]) {
      occurrences.emplace_back(item["start_utc"], item["end_utc"]);
    }
    return occurrences;
  }

  std::string feedToken() {
    const auto response = call("POST", "/api/v1/calendar/feed-tokens", adminToken(), "{}");
    EXPECT_EQ(response.status, 201) << response.body;
    return bodyOf(response).value("token", "");
  }
};

TEST_F(CalendarFeedTest, ParsedWindowFeedsGiveTheSameOccurrences) {
  const std::vector<std::string> ids = {
      // Second Tuesday + 5 days, 02:00-06:00: on 14 March 2027 02:00 does
      // not exist and the window opens at 03:00 EDT.
      createWindow(),
      // Daily 01:30 for 5 hours: 01:30 on 7 November 2027 happens twice.
      createWindow({{"name", "daily-early"},
                    {"rrule", "FREQ=DAILY"},
                    {"start", "2026-01-01T01:30"},
                    {"length", "5h"},
                    {"offset_days", 0}}),
      // Another zone, with a weekend-long window.
      createWindow({{"name", "berlin-weekend"},
                    {"rrule", "FREQ=WEEKLY;BYDAY=FR"},
                    {"start", "2026-01-02T22:00"},
                    {"zone", "Europe/Berlin"},
                    {"length", "56h"},
                    {"offset_days", 0}}),
  };
  const std::string secret = feedToken();

  for (const auto& id : ids) {
    const auto feed = call("GET", "/calendar/" + secret + "/windows/" + id + ".ics", "");
    ASSERT_EQ(feed.status, 200) << feed.body;
    const auto parsed = parse(feed.body);
    ASSERT_TRUE(parsed.is_object());
    EXPECT_EQ(parsed["version"], "2.0");
    ASSERT_EQ(parsed["zones"].size(), 1u);

    std::vector<std::pair<std::string, std::string>> got;
    for (const auto& event : parsed["events"]) got.emplace_back(event["start"], event["end"]);
    const auto want = expected(id);
    EXPECT_GT(want.size(), 12u);
    EXPECT_EQ(got, want) << "window " << id;
  }
}

TEST_F(CalendarFeedTest, AllFeedParsesWithEveryZoneAndEvent) {
  const std::string first = createWindow();
  const std::string second = createWindow({{"name", "berlin; nightly, \"quoted\" \\ name"},
                                           {"rrule", "FREQ=DAILY"},
                                           {"start", "2026-01-01T23:00"},
                                           {"zone", "Europe/Berlin"},
                                           {"length", "2h"},
                                           {"offset_days", 0}});
  const auto feed = call("GET", "/calendar/" + feedToken() + "/all.ics", "");
  ASSERT_EQ(feed.status, 200);
  const auto parsed = parse(feed.body);
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed["zones"].size(), 2u);
  EXPECT_EQ(parsed["events"].size(), expected(first).size() + expected(second).size());
}

}  // namespace
}  // namespace pk::server::host_tests
