#include "restart/state_codec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pk::restart {
namespace {

using namespace std::chrono_literals;

const Instant kInstall = std::chrono::sys_days{std::chrono::year{2027} / 3 / 10} + 10h;

State pendingState() {
  RestartManager manager;
  const Reading reading{.wall = kInstall, .boottime = 100s, .boot_id = "boot-1"};
  manager.attach("j-0000000000000001", {.deadline = 20h, .countdown = 2h, .reminder = 3h}, reading,
                 "0123456789abcdef0123456789abcdef");
  manager.step(reading);
  manager.apply({.kind = ChoiceKind::kRestartAt, .user = "alice", .restart_at = kInstall + 10h},
                reading);
  return manager.state();
}

TEST(StateCodec, RoundTripsPendingState) {
  const State original = pendingState();
  State decoded;
  std::string error;
  ASSERT_TRUE(decodeState(encodeState(original), decoded, error)) << error;

  EXPECT_EQ(encodeState(decoded), encodeState(original));
  EXPECT_EQ(decoded.deadline, kInstall + 20h);
  EXPECT_EQ(decoded.restart_at, kInstall + 10h);
  EXPECT_EQ(decoded.policy.countdown, 2h);
  ASSERT_EQ(decoded.choices.size(), 1u);
  EXPECT_EQ(decoded.choices[0].user, "alice");
  ASSERT_EQ(decoded.events.size(), 2u);
  EXPECT_EQ(decoded.events[0].notice.offered.size(), 5u);
  ASSERT_EQ(decoded.notices.size(), 1u);
  EXPECT_EQ(decoded.notices[0].kind, NoticeKind::kInstalled);
  EXPECT_EQ(decoded.notices[0].at, kInstall);
}

TEST(StateCodec, RoundTripsIdleState) {
  State decoded;
  decoded.pending = true;
  std::string error;
  ASSERT_TRUE(decodeState(encodeState(State{}), decoded, error)) << error;

  EXPECT_FALSE(decoded.pending);
}

TEST(StateCodec, RejectsInvalidJson) {
  State decoded;
  std::string error;
  EXPECT_FALSE(decodeState("{", decoded, error));
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;
}

TEST(StateCodec, RejectsMissingField) {
  State decoded;
  std::string error;
  EXPECT_FALSE(decodeState(R"({"pending": true})", decoded, error));
  EXPECT_NE(error.find("policy"), std::string::npos) << error;
}

TEST(StateCodec, RejectsRestartAfterDeadline) {
  nlohmann::json json = nlohmann::json::parse(encodeState(pendingState()));
  json["restart_at"] = (kInstall + 30h).time_since_epoch().count();
  State decoded;
  std::string error;

  EXPECT_FALSE(decodeState(json.dump(), decoded, error));
  EXPECT_NE(error.find("later than the deadline"), std::string::npos) << error;
}

}  // namespace
}  // namespace pk::restart
