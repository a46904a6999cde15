#include "server/window_routes.h"

#include <gtest/gtest.h>

#include <sstream>

#include "server/tests/window_fixture.h"

namespace pk::server::host_tests {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class WindowRoutesTest : public WindowServerTest {
 protected:
  // Expects `fields` to be refused with 400 and returns the message.
  std::string refusedMessage(const nlohmann::json& fields) {
    const auto response = call("POST", "/api/v1/windows", adminToken(), windowBody(fields).dump());
    EXPECT_EQ(response.status, 400) << response.body;
    return bodyOf(response)["error"].value("message", "");
  }
};

TEST_F(WindowRoutesTest, CreatedWindowShowsItsNextOccurrence) {
  const auto response = call("POST", "/api/v1/windows", adminToken(), windowBody().dump());
  ASSERT_EQ(response.status, 201) << response.body;
  const auto body = bodyOf(response);
  EXPECT_EQ(body["start"], "2026-01-01T02:00:00");
  EXPECT_EQ(body["length_seconds"], 4 * 3600);
  // Second Tuesday of December 2026 is the 8th; plus five days is Sunday
  // the 13th, 02:00 EST.
  EXPECT_EQ(body["next_occurrence"]["start_utc"], "2026-12-13T07:00:00Z");
  EXPECT_EQ(body["next_occurrence"]["end_local"], "2026-12-13T06:00:00-05:00");

  const auto listed = call("GET", "/api/v1/windows", userToken("vera", {"viewer"}));
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(bodyOf(listed)["items"].size(), 1u);
  EXPECT_EQ(bodyOf(listed)["items"][0]["id"], body["id"]);
  EXPECT_EQ(auditEvents("window.create").size(), 1u);
}

TEST_F(WindowRoutesTest, InvalidRruleIsRefused) {
  EXPECT_NE(refusedMessage({{"rrule", "FREQ=SOMETIMES"}}), "");
}

TEST_F(WindowRoutesTest, UnknownZoneIsRefused) {
  EXPECT_NE(refusedMessage({{"zone", "Mars/Olympus_Mons"}}).find("Mars/Olympus_Mons"),
            std::string::npos);
}

TEST_F(WindowRoutesTest, ZeroLengthIsRefused) {
  EXPECT_NE(refusedMessage({{"length", "0h"}}), "");
}

TEST_F(WindowRoutesTest, NegativeLengthIsRefused) {
  EXPECT_NE(refusedMessage({{"length", "-4h"}}), "");
}

TEST_F(WindowRoutesTest, BlackoutEndingBeforeItStartsIsRefused) {
  const auto message = refusedMessage(
      {{"blackouts", {{{"start", "2026-12-24T00:00"}, {"end", "2026-12-20T00:00"}}}}});
  EXPECT_NE(message.find("does not end after it starts"), std::string::npos) << message;
}

TEST_F(WindowRoutesTest, UnknownFieldIsRefused) {
  EXPECT_NE(refusedMessage({{"colour", "blue"}}).find("colour"), std::string::npos);
}

TEST_F(WindowRoutesTest, DuplicateNameIsConflict) {
  createWindow();
  const auto response = call("POST", "/api/v1/windows", adminToken(), windowBody().dump());
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(errorCode(response), "name_taken");
}

TEST_F(WindowRoutesTest, OnlyAdminChangesWindows) {
  const auto operator_token = userToken("otto", {"operator"});
  EXPECT_EQ(call("POST", "/api/v1/windows", operator_token, windowBody().dump()).status, 403);
  EXPECT_EQ(
      call("POST", "/api/v1/windows", userToken("vera", {"viewer"}), windowBody().dump()).status,
      403);
  const std::string id = createWindow();
  EXPECT_EQ(call("DELETE", "/api/v1/windows/" + id, operator_token).status, 403);
}

TEST_F(WindowRoutesTest, UpdateChangesOnlyGivenFieldsAndIsAudited) {
  const std::string id = createWindow();
  const auto response = call("PUT", "/api/v1/windows/" + id, adminToken(),
                             nlohmann::json{{"length", "3h"}, {"description", "shorter"}}.dump());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(bodyOf(response)["length_seconds"], 3 * 3600);
  EXPECT_EQ(bodyOf(response)["rrule"], "FREQ=MONTHLY;BYDAY=2TU");
  EXPECT_EQ(auditEvents("window.update").size(), 1u);

  const auto bad = call("PUT", "/api/v1/windows/" + id, adminToken(),
                        nlohmann::json{{"zone", "Nowhere/Special"}}.dump());
  EXPECT_EQ(bad.status, 400);
}

TEST_F(WindowRoutesTest, OccurrencesByCountAndByRange) {
  const std::string id = createWindow();
  const auto by_count = call("GET", "/api/v1/windows/" + id + "/occurrences", adminToken(), "",
                             {{"count", "3"}, {"from", "2027-03-01"}});
  ASSERT_EQ(by_count.status, 200) << by_count.body;
  const auto items = bodyOf(by_count)["occurrences"];
  ASSERT_EQ(items.size(), 3u);
  // 9 March 2027 + 5 days is 14 March, the spring-forward day: 02:00 does
  // not exist, so the window opens at 03:00 EDT and lasts 3 real hours.
  EXPECT_EQ(items[0]["start_local"], "2027-03-14T03:00:00-04:00");
  EXPECT_EQ(items[0]["duration_s"], 3 * 3600);

  const auto by_range = call("GET", "/api/v1/windows/" + id + "/occurrences", adminToken(), "",
                             {{"from", "2027-01-01"}, {"to", "2027-04-01"}});
  ASSERT_EQ(by_range.status, 200);
  EXPECT_EQ(bodyOf(by_range)["occurrences"].size(), 3u);

  EXPECT_EQ(
      call("GET", "/api/v1/windows/" + id + "/occurrences", adminToken(), "", {{"count", "0"}})
          .status,
      400);
  const auto both = call("GET", "/api/v1/windows/" + id + "/occurrences", adminToken(), "",
                         {{"count", "3"}, {"to", "2027-04-01"}});
  EXPECT_EQ(both.status, 400);
  EXPECT_NE(both.body.find("not both"), std::string::npos) << both.body;
}

TEST_F(WindowRoutesTest, EndpointGetsNoWindow) {
  const std::string id = createWindow();
  const auto endpoint = enrolHost("laptop-1", {{"kind", "endpoint"}});
  const auto response = assign(endpoint.host_id, id);
  EXPECT_EQ(response.status, 409);
  EXPECT_NE(bodyOf(response)["error"].value("message", "").find("endpoint"), std::string::npos);
}

TEST_F(WindowRoutesTest, OnlyAdminAssigns) {
  const std::string id = createWindow();
  const auto server = enrolHost("server-1");
  EXPECT_EQ(assign(server.host_id, id, userToken("otto", {"operator"})).status, 403);
  EXPECT_EQ(assign(server.host_id, id, userToken("olivia", {"owner"})).status, 403);
}

TEST_F(WindowRoutesTest, UnknownWindowIsNotFound) {
  const auto server = enrolHost("server-1");
  EXPECT_EQ(assign(server.host_id, "w-0000000000000000").status, 404);
}

TEST_F(WindowRoutesTest, WindowInUseCannotBeDeleted) {
  const std::string id = createWindow();
  const auto server = enrolHost("server-1");
  ASSERT_EQ(assign(server.host_id, id).status, 200);
  const auto refused = call("DELETE", "/api/v1/windows/" + id, adminToken());
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(errorCode(refused), "window_in_use");

  ASSERT_EQ(assign(server.host_id, nullptr).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/windows/" + id, adminToken()).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/windows/" + id, adminToken()).status, 404);
  EXPECT_EQ(auditEvents("window.delete").size(), 1u);
}

TEST_F(WindowRoutesTest, FirstWindowAppliesAtOnce) {
  const std::string id = createWindow();
  const auto server = enrolHost("server-1");
  const auto response = assign(server.host_id, id);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(bodyOf(response)["window"]["id"], id);
  EXPECT_EQ(bodyOf(response)["move"]["applied_now"], true);
  ASSERT_EQ(auditEvents("host.window_assign").size(), 1u);
  EXPECT_EQ(auditEvents("host.window_assign")[0].actor, "user:admin");
}

TEST_F(WindowRoutesTest, MoveOutOfOpenWindowWaitsForItsEnd) {
  // Open daily 00:00-02:00 UTC; the clock starts at 00:00.
  const std::string nightly = createWindow({{"name", "nightly"},
                                            {"rrule", "FREQ=DAILY"},
                                            {"start", "2026-01-01T00:00"},
                                            {"zone", "UTC"},
                                            {"length", "2h"},
                                            {"offset_days", 0}});
  const std::string monthly = createWindow();
  const auto server = enrolHost("server-1");
  ASSERT_EQ(assign(server.host_id, nightly).status, 200);

  clock_.advance(minutes(30));
  const auto moved = assign(server.host_id, monthly);
  ASSERT_EQ(moved.status, 200) << moved.body;
  const auto body = bodyOf(moved);
  EXPECT_EQ(body["window"]["id"], nightly);
  EXPECT_EQ(body["pending"]["window"]["id"], monthly);
  EXPECT_EQ(body["pending"]["effective_at"], "2026-12-01T02:00:00Z");
  EXPECT_EQ(body["move"]["applied_now"], false);

  // Before the job folds the move, reads already see it once it is due.
  clock_.advance(minutes(90));
  const auto after = call("GET", "/api/v1/hosts/" + server.host_id + "/window", adminToken());
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(bodyOf(after)["window"]["id"], monthly);
  EXPECT_TRUE(bodyOf(after)["pending"].is_null());

  std::vector<WindowMove> applied;
  auto written = database_->write([&](store::Session& session) -> Result<void> {
    auto moves = applyDueWindowMoves(session, clock_.now());
    if (!moves) return tl::unexpected(moves.error());
    applied = *moves;
    return {};
  });
  ASSERT_TRUE(written) << written.error().message;
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].from_window_id, nightly);
  EXPECT_EQ(applied[0].to_window_id, monthly);
  EXPECT_EQ(auditEvents("host.window_move_scheduled").size(), 1u);
  EXPECT_EQ(auditEvents("host.window_move_applied").size(), 1u);
}

TEST_F(WindowRoutesTest, MoveFromClosedWindowAppliesAtOnce) {
  const std::string monthly = createWindow();
  const std::string other = createWindow({{"name", "other"}});
  const auto server = enrolHost("server-1");
  ASSERT_EQ(assign(server.host_id, monthly).status, 200);
  const auto moved = assign(server.host_id, other);
  ASSERT_EQ(moved.status, 200);
  EXPECT_EQ(bodyOf(moved)["window"]["id"], other);
  EXPECT_EQ(bodyOf(moved)["move"]["applied_now"], true);
}

TEST_F(WindowRoutesTest, OwnerSeesOnlyOwnHostsWindow) {
  const std::string id = createWindow();
  const auto own = enrolHost("server-1", {{"owner", "olivia"}});
  const auto other = enrolHost("server-2", {{"owner", "oscar"}});
  const auto token = userToken("olivia", {"owner"});
  EXPECT_EQ(call("GET", "/api/v1/hosts/" + own.host_id + "/window", token).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/hosts/" + other.host_id + "/window", token).status, 404);
}

TEST_F(WindowRoutesTest, CalendarListsOccurrencesInRange) {
  createWindow();
  const auto response = call("GET", "/api/v1/calendar", userToken("vera", {"viewer"}), "",
                             {{"from", "2027-01-01"}, {"to", "2027-07-01"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const auto events = bodyOf(response)["events"];
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0]["window_name"], "patch-tuesday-plus-5");
  EXPECT_EQ(events[0]["start_local"], "2027-01-17T02:00:00-05:00");
  EXPECT_EQ(call("GET", "/api/v1/calendar", adminToken(), "", {{"from", "yesterday"}}).status, 400);
}

// Joins folded iCalendar lines back together.
std::string unfold(std::string text) {
  for (auto at = text.find("\r\n "); at != std::string::npos; at = text.find("\r\n ", at)) {
    text.erase(at, 3);
  }
  return text;
}

class FeedTest : public WindowRoutesTest {
 protected:
  // Creates a feed token for `token`'s user and returns the secret.
  std::string feedToken(const std::string& token) {
    const auto response = call("POST", "/api/v1/calendar/feed-tokens", token,
                               nlohmann::json{{"name", "phone"}}.dump());
    EXPECT_EQ(response.status, 201) << response.body;
    return bodyOf(response).value("token", "");
  }
};

TEST_F(FeedTest, AllFeedIsICalendarWithStableUids) {
  createWindow();
  const std::string secret = feedToken(adminToken());
  const auto first = call("GET", "/calendar/" + secret + "/all.ics", "");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.content_type, "text/calendar; charset=utf-8");
  EXPECT_EQ(first.body.rfind("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 0), 0u);
  EXPECT_NE(first.body.find("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"), std::string::npos);
  EXPECT_NE(first.body.find("DTSTART;TZID=America/New_York:20261213T020000\r\n"),
            std::string::npos);

  std::istringstream lines(first.body);
  std::vector<std::string> uids;
  for (std::string line; std::getline(lines, line);) {
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\r');
    EXPECT_LE(line.size() - 1, 75u);
    if (line.rfind("UID:", 0) == 0) uids.push_back(line);
  }
  // 3 months back and 13 months ahead of 1 December 2026.
  EXPECT_GE(uids.size(), 15u);

  clock_.advance(hours(1));
  const auto second = call("GET", "/calendar/" + secret + "/all.ics", "");
  std::istringstream again(second.body);
  std::vector<std::string> uids_again;
  for (std::string line; std::getline(again, line);) {
    if (line.rfind("UID:", 0) == 0) uids_again.push_back(line);
  }
  EXPECT_EQ(uids_again, uids);
}

// On 14 March 2027 in New York, 02:30 does not exist and moves to 03:30,
// after the 03:10 end, so that occurrence has no length and gets no event:
// RFC 5545 needs DTEND after DTSTART.
TEST_F(FeedTest, ZeroLengthOccurrenceIsLeftOut) {
  createWindow({{"name", "in-the-gap"},
                {"rrule", "FREQ=DAILY"},
                {"start", "2026-01-01T02:30"},
                {"length", "40m"},
                {"offset_days", 0}});
  const std::string secret = feedToken(adminToken());
  const auto feed = call("GET", "/calendar/" + secret + "/all.ics", "");
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_NE(feed.body.find("DTSTART;TZID=America/New_York:20270313T023000\r\n"), std::string::npos);
  EXPECT_NE(feed.body.find("DTSTART;TZID=America/New_York:20270315T023000\r\n"), std::string::npos);
  EXPECT_EQ(feed.body.find("DTSTART;TZID=America/New_York:20270314T"), std::string::npos);
}

TEST_F(FeedTest, RevokedOrUnknownTokenIsNotFound) {
  createWindow();
  const std::string secret = feedToken(adminToken());
  EXPECT_EQ(call("GET", "/calendar/" + std::string(64, 'a') + "/all.ics", "").status, 404);

  const auto listed = call("GET", "/api/v1/calendar/feed-tokens", adminToken());
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(bodyOf(listed)["items"].size(), 1u);
  EXPECT_FALSE(bodyOf(listed)["items"][0].contains("token"));
  const auto id = bodyOf(listed)["items"][0]["id"].get<std::int64_t>();

  // Another user cannot revoke it.
  EXPECT_EQ(call("DELETE", fmt::format("/api/v1/calendar/feed-tokens/{}", id),
                 userToken("vera", {"viewer"}))
                .status,
            404);
  EXPECT_EQ(call("GET", "/calendar/" + secret + "/all.ics", "").status, 200);
  EXPECT_EQ(call("DELETE", fmt::format("/api/v1/calendar/feed-tokens/{}", id), adminToken()).status,
            204);
  EXPECT_EQ(call("GET", "/calendar/" + secret + "/all.ics", "").status, 404);
}

TEST_F(FeedTest, OwnerFeedsShowOnlyOwnHosts) {
  const std::string id = createWindow();
  const auto own = enrolHost("server-1", {{"owner", "olivia"}, {"collections", {"web"}}});
  const auto other = enrolHost("server-2", {{"owner", "oscar"}, {"collections", {"web"}}});
  ASSERT_EQ(assign(own.host_id, id).status, 200);
  ASSERT_EQ(assign(other.host_id, id).status, 200);
  const std::string secret = feedToken(userToken("olivia", {"owner"}));

  const auto host_feed = call("GET", "/calendar/" + secret + "/hosts/" + own.host_id + ".ics", "");
  ASSERT_EQ(host_feed.status, 200);
  EXPECT_NE(host_feed.body.find("BEGIN:VEVENT"), std::string::npos);
  EXPECT_EQ(call("GET", "/calendar/" + secret + "/hosts/" + other.host_id + ".ics", "").status,
            404);

  const auto collection = call("GET", "/calendar/" + secret + "/collections/web.ics", "");
  ASSERT_EQ(collection.status, 200);
  EXPECT_NE(unfold(collection.body).find(own.host_id), std::string::npos);
  EXPECT_EQ(unfold(collection.body).find(other.host_id), std::string::npos);
  EXPECT_EQ(call("GET", "/calendar/" + secret + "/collections/none.ics", "").status, 404);
  EXPECT_EQ(call("GET", "/calendar/" + secret + "/windows/" + id + ".ics", "").status, 200);
}

}  // namespace
}  // namespace pk::server::host_tests
