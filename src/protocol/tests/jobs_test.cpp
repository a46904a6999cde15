#include "protocol/jobs.h"

#include <gtest/gtest.h>

namespace pk::protocol {
namespace {

SystemTime at(const char* text) {
  return *parseRfc3339(text);
}

JobOrder serverOrder() {
  JobOrder order;
  order.job_id = "j-0123456789abcdef";
  order.deployment_id = "d-00000000000000a1";
  order.deployment_name = "December patches";
  order.state = deploy::JobState::kWaitingForWindow;
  order.available_at = at("2026-12-05T00:00:00Z");
  order.deadline = at("2026-12-20T00:00:00Z");
  order.windows = {{at("2026-12-06T02:00:00Z"), at("2026-12-06T06:00:00Z")}};
  order.estimate_seconds = 2400;
  order.packages = {{"openssl", "3.0.15-1~deb12u1"}, {"libssl3", "3.0.15-1~deb12u1"}};
  order.pre_hook = "stop-app";
  return order;
}

std::string expectError(const Result<JobEvent>& parsed) {
  EXPECT_FALSE(parsed.has_value());
  return parsed ? std::string() : parsed.error().message;
}

nlohmann::json goodEvent() {
  return nlohmann::json{{"event_id", "0123456789abcdef0123456789abcdef"},
                        {"at", "2026-12-06T02:10:00Z"},
                        {"state", "installed"}};
}

TEST(JobMessages, OrderRoundTrips) {
  const JobOrder order = serverOrder();
  auto parsed = parseJobOrder(toJson(order).dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(toJson(*parsed), toJson(order));
  EXPECT_EQ(parsed->packages.size(), 2u);
  EXPECT_EQ(parsed->pre_hook, "stop-app");
  EXPECT_FALSE(parsed->post_hook.has_value());
}

TEST(JobMessages, ListRoundTrips) {
  JobList list{.server_time = at("2026-12-05T10:00:00Z"), .jobs = {serverOrder()}};
  auto parsed = parseJobList(toJson(list).dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->jobs.size(), 1u);
  EXPECT_EQ(parsed->jobs[0].windows[0].end, at("2026-12-06T06:00:00Z"));
}

TEST(JobMessages, StartRequestFollowsKind) {
  JobOrder order = serverOrder();
  EXPECT_TRUE(startRequestOf(order).window_bound);
  EXPECT_EQ(startRequestOf(order).estimate, std::chrono::minutes(40));
  order.emergency = true;
  EXPECT_FALSE(startRequestOf(order).window_bound);
  order.emergency = false;
  order.kind = JobHostKind::kEndpoint;
  EXPECT_FALSE(startRequestOf(order).window_bound);
}

TEST(JobMessages, HookMustBeAName) {
  auto json = toJson(serverOrder());
  json["pre_hook"] = "../../bin/sh";
  auto parsed = parseJobOrder(json.dump());
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("pre_hook"), std::string::npos);
}

TEST(JobMessages, WindowMustEndAfterStart) {
  auto json = toJson(serverOrder());
  json["windows"][0]["end"] = "2026-12-06T01:00:00Z";
  auto parsed = parseJobOrder(json.dump());
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("windows[0].end"), std::string::npos);
}

TEST(JobMessages, UnknownManagerIsRejected) {
  auto json = toJson(serverOrder());
  json["manager"] = "pacman";
  EXPECT_FALSE(parseJobOrder(json.dump()));
}

TEST(JobMessages, KbMustBeDigits) {
  auto json = toJson(serverOrder());
  json["kbs"] = {"KB5066791"};
  EXPECT_FALSE(parseJobOrder(json.dump()));
}

TEST(JobMessages, EventRoundTrips) {
  JobEvent event;
  event.event_id = "0123456789abcdef0123456789abcdef";
  event.at = at("2026-12-06T02:10:00Z");
  event.state = deploy::JobState::kVerifying;
  event.output = std::string(262'144, 'x');
  event.packages = {{"openssl", "3.0.11-1~deb12u2", "3.0.15-1~deb12u1"}};
  event.report_id = "fedcba9876543210fedcba9876543210";
  event.duration_seconds = 312;
  auto parsed = parseJobEvent(toJson(event).dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(toJson(*parsed), toJson(event));
}

TEST(JobMessages, EventStateMustBeTheAgents) {
  auto json = goodEvent();
  json["state"] = "succeeded";
  EXPECT_NE(expectError(parseJobEvent(json.dump())).find("decided by the server"),
            std::string::npos);
  json["state"] = "done";
  EXPECT_NE(expectError(parseJobEvent(json.dump())).find("not a job state"), std::string::npos);
}

TEST(JobMessages, EventIdMustBeHex) {
  auto json = goodEvent();
  json["event_id"] = "123";
  EXPECT_NE(expectError(parseJobEvent(json.dump())).find("event_id"), std::string::npos);
}

TEST(JobMessages, OversizedOutputIsRejected) {
  auto json = goodEvent();
  json["output"] = std::string(kMaxJobOutputBytes + 1, 'x');
  EXPECT_NE(expectError(parseJobEvent(json.dump())).find("output"), std::string::npos);
}

TEST(JobMessages, NegativeDurationIsRejected) {
  auto json = goodEvent();
  json["duration_seconds"] = -5;
  EXPECT_NE(expectError(parseJobEvent(json.dump())).find("duration_seconds"), std::string::npos);
  json["duration_seconds"] = 18446744073709551615ull;
  EXPECT_FALSE(parseJobEvent(json.dump()));
}

TEST(JobMessages, IdsHaveTheirForm) {
  EXPECT_TRUE(isJobId("j-0123456789abcdef"));
  EXPECT_FALSE(isJobId("j-0123456789ABCDEF"));
  EXPECT_FALSE(isJobId("h-0123456789abcdef"));
  EXPECT_TRUE(isHookName("health-check"));
  EXPECT_FALSE(isHookName("Health"));
  EXPECT_FALSE(isHookName(std::string(65, 'a')));
}

}  // namespace
}  // namespace pk::protocol
