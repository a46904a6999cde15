#include "winagent/agent_files.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "protocol/jobs.h"

namespace pk::winagent {
namespace {

const std::string kPin = "sha256:" + std::string(64, 'b');
const std::string kToken(64, 'c');

TEST(AgentConfig, ReadsEveryKey) {
  auto config = parseWindowsAgentConfig(
      R"({"server_url": "https://pk.example:8443", "server_pin": ")" + kPin +
          R"(", "enrolment_secret_file": "C:\\ProgramData\\patchkeeper\\secret.txt",
             "interval_minutes": 30})",
      "agent.json");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->server_url, "https://pk.example:8443");
  EXPECT_EQ(config->server_pin, kPin);
  EXPECT_EQ(config->enrolment_secret_file, "C:\\ProgramData\\patchkeeper\\secret.txt");
  EXPECT_EQ(config->interval_minutes, 30);
  EXPECT_FALSE(config->allow_plain_http);
}

TEST(AgentConfig, RejectsUnknownKey) {
  auto config =
      parseWindowsAgentConfig(R"({"server_url": "https://a", "server_ping": "x"})", "agent.json");
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().message.find("server_ping"), std::string::npos);
}

TEST(AgentConfig, RequiresServerUrl) {
  EXPECT_FALSE(parseWindowsAgentConfig("{}", "agent.json").has_value());
}

TEST(AgentConfig, PlainHttpNeedsOptIn) {
  EXPECT_FALSE(parseWindowsAgentConfig(R"({"server_url": "http://127.0.0.1:8080"})", "agent.json")
                   .has_value());
  EXPECT_TRUE(
      parseWindowsAgentConfig(
          R"({"server_url": "http://127.0.0.1:8080", "allow_plain_http": true})", "agent.json")
          .has_value());
}

TEST(AgentConfig, RejectsMalformedPin) {
  EXPECT_FALSE(parseWindowsAgentConfig(R"({"server_url": "https://a", "server_pin": "sha256:0"})",
                                       "agent.json")
                   .has_value());
}

TEST(AgentConfig, RejectsIntervalOutOfRange) {
  for (const char* interval : {"0", "10081", "1.5", "\"60\"", "-1", "18446744073709551615"}) {
    auto text = std::string(R"({"server_url": "https://a", "interval_minutes": )") + interval + "}";
    EXPECT_FALSE(parseWindowsAgentConfig(text, "agent.json").has_value()) << interval;
  }
}

TEST(AgentConfig, RejectsNonObject) {
  EXPECT_FALSE(parseWindowsAgentConfig("[1]", "agent.json").has_value());
  EXPECT_FALSE(parseWindowsAgentConfig("{", "agent.json").has_value());
}

TEST(HostIdentityFile, RoundTrips) {
  HostIdentity identity{"h-0123456789abcdef", kToken, std::string(64, 'd')};
  auto read = parseHostIdentity(toJsonText(identity), "identity.json");
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(*read, identity);
}

TEST(HostIdentityFile, RejectsBadHostId) {
  auto read =
      parseHostIdentity(R"({"host_id": "h-1", "token": ")" + kToken + R"("})", "identity.json");
  ASSERT_FALSE(read.has_value());
  EXPECT_NE(read.error().message.find("host_id"), std::string::npos);
}

TEST(HostIdentityFile, RejectsShortToken) {
  EXPECT_FALSE(
      parseHostIdentity(R"({"host_id": "h-0123456789abcdef", "token": "abc"})", "identity.json")
          .has_value());
}

TEST(HostIdentityFile, RejectsBadHash) {
  EXPECT_FALSE(parseHostIdentity(R"({"host_id": "h-0123456789abcdef", "token": ")" + kToken +
                                     R"(", "acknowledged_hash": "xyz"})",
                                 "identity.json")
                   .has_value());
}

QueuedJobEvent queuedEvent() {
  protocol::JobEvent event;
  event.event_id = std::string(32, 'c');
  event.at = SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 6 / 8));
  event.state = deploy::JobState::kInstalled;
  event.message = "installed";
  return {"j-0123456789abcdef", event};
}

TEST(JobOutboxFile, RoundTrips) {
  auto parsed = parseJobOutbox(jobOutboxText({queuedEvent()}), "job-outbox.json");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].job_id, "j-0123456789abcdef");
  EXPECT_EQ(protocol::toJson((*parsed)[0].event), protocol::toJson(queuedEvent().event));
}

TEST(JobOutboxFile, RejectsBadJobId) {
  QueuedJobEvent queued = queuedEvent();
  queued.job_id = "job-1";
  auto parsed = parseJobOutbox(jobOutboxText({queued}), "job-outbox.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("events[0]"), std::string::npos);
}

TEST(JobOutboxFile, RejectsMissingEvents) {
  EXPECT_FALSE(parseJobOutbox("{}", "job-outbox.json").has_value());
}

TEST(JobOutboxFile, RejectsInvalidEvent) {
  EXPECT_FALSE(parseJobOutbox(R"({"events": [{"job_id": "j-0123456789abcdef", "event": {}}]})", "f")
                   .has_value());
}

}  // namespace
}  // namespace pk::winagent
