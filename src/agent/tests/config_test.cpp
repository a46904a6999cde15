#include "agent/config.h"

#include <gtest/gtest.h>

#include "tests/support/temporary_directory.h"

namespace pk::agent {
namespace {

const std::string kPin = "sha256:" + std::string(64, 'a');

TEST(AgentConfig, DefaultsMatchTheDocumentation) {
  const AgentConfig config;
  EXPECT_EQ(config.state_dir, "/var/lib/patchkeeper-agent");
  EXPECT_EQ(config.root, "/");
  EXPECT_EQ(config.interval_minutes, 60);
  EXPECT_DOUBLE_EQ(config.jitter_share, 0.1);
  EXPECT_EQ(config.backoff_initial_seconds, 10);
  EXPECT_EQ(config.backoff_max_seconds, 3600);
  EXPECT_FALSE(config.allow_plain_http);
  EXPECT_FALSE(config.download_changelogs);
  EXPECT_EQ(config.machine_id_path, "/etc/machine-id");
}

TEST(AgentConfig, ParsesEveryKey) {
  auto config = parseAgentConfig(R"(
server_url = "https://pk.example:8443"
server_pin = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
ca_file = "/etc/ca.pem"
enrolment_secret = "s"
enrolment_secret_file = "/etc/patchkeeper/secret"
state_dir = "/srv/state"
root = "/srv/root"
interval_minutes = 30
jitter_share = 0.2
backoff_initial_seconds = 5
backoff_max_seconds = 600
allow_plain_http = true
download_changelogs = true
machine_id_path = "/var/lib/dbus/machine-id"
)",
                                 "agent.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server_url, "https://pk.example:8443");
  EXPECT_EQ(config->server_pin, kPin);
  EXPECT_EQ(config->ca_file, "/etc/ca.pem");
  EXPECT_EQ(config->enrolment_secret, "s");
  EXPECT_EQ(config->enrolment_secret_file, "/etc/patchkeeper/secret");
  EXPECT_EQ(config->state_dir, "/srv/state");
  EXPECT_EQ(config->root, "/srv/root");
  EXPECT_EQ(config->interval_minutes, 30);
  EXPECT_DOUBLE_EQ(config->jitter_share, 0.2);
  EXPECT_EQ(config->backoff_initial_seconds, 5);
  EXPECT_EQ(config->backoff_max_seconds, 600);
  EXPECT_TRUE(config->allow_plain_http);
  EXPECT_TRUE(config->download_changelogs);
  EXPECT_EQ(config->machine_id_path, "/var/lib/dbus/machine-id");
}

TEST(AgentConfig, IntegerJitterIsAccepted) {
  auto config = parseAgentConfig("jitter_share = 0\n", "agent.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_DOUBLE_EQ(config->jitter_share, 0.0);
}

TEST(AgentConfig, MalformedFilesAreRejected) {
  const struct {
    const char* text;
    const char* expected;
  } cases[] = {
      {"server_url = ", "agent.toml:1:"},
      {"server_ulr = \"https://x\"", "key server_ulr is unknown"},
      {"server_url = 5", "key server_url must be a string"},
      {"interval_minutes = \"60\"", "key interval_minutes must be a whole number"},
      {"interval_minutes = -5", "key interval_minutes is out of range"},
      {"interval_minutes = 1.5", "key interval_minutes must be a whole number"},
      {"jitter_share = \"a\"", "key jitter_share must be a number"},
      {"allow_plain_http = 1", "key allow_plain_http must be true or false"},
      {"[server]\nurl = \"x\"", "key server is unknown"},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.text);
    auto config = parseAgentConfig(test_case.text, "agent.toml");
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().code, ErrorCode::kMalformedInput);
    EXPECT_NE(config.error().message.find(test_case.expected), std::string::npos)
        << config.error().message;
  }
}

AgentConfig validConfig() {
  AgentConfig config;
  config.server_url = "https://pk.example:8443";
  config.server_pin = kPin;
  return config;
}

TEST(AgentConfig, ValidConfigurationPasses) {
  EXPECT_TRUE(validateAgentConfig(validConfig()));
  AgentConfig system_store = validConfig();
  system_store.server_pin.clear();
  EXPECT_TRUE(validateAgentConfig(system_store));
}

TEST(AgentConfig, InvalidValuesAreNamed) {
  const struct {
    const char* name;
    void (*change)(AgentConfig&);
    const char* expected;
  } cases[] = {
      {"no url", [](AgentConfig& c) { c.server_url.clear(); }, "server_url is missing"},
      {"plain http", [](AgentConfig& c) { c.server_url = "http://pk.example"; },
       "allow_plain_http"},
      {"bad url", [](AgentConfig& c) { c.server_url = "pk.example"; }, "https://"},
      {"bad pin", [](AgentConfig& c) { c.server_pin = "sha256:xyz"; }, "server pin"},
      {"pin and ca", [](AgentConfig& c) { c.ca_file = "/etc/ca.pem"; }, "ca_file are both set"},
      {"two secrets",
       [](AgentConfig& c) {
         c.enrolment_secret = "a";
         c.enrolment_secret_file = "/b";
       },
       "enrolment_secret_file are both set"},
      {"interval zero", [](AgentConfig& c) { c.interval_minutes = 0; }, "interval_minutes"},
      {"interval long", [](AgentConfig& c) { c.interval_minutes = 10081; }, "interval_minutes"},
      {"jitter high", [](AgentConfig& c) { c.jitter_share = 0.6; }, "jitter_share"},
      {"jitter negative", [](AgentConfig& c) { c.jitter_share = -0.1; }, "jitter_share"},
      {"backoff zero", [](AgentConfig& c) { c.backoff_initial_seconds = 0; },
       "backoff_initial_seconds"},
      {"backoff inverted",
       [](AgentConfig& c) {
         c.backoff_initial_seconds = 100;
         c.backoff_max_seconds = 50;
       },
       "backoff_max_seconds"},
      {"relative state", [](AgentConfig& c) { c.state_dir = "state"; }, "state_dir"},
      {"relative root", [](AgentConfig& c) { c.root = "root"; }, "root"},
      {"relative machine id", [](AgentConfig& c) { c.machine_id_path = "machine-id"; },
       "machine_id_path"},
      {"relative hooks", [](AgentConfig& c) { c.hooks_dir = "hooks"; }, "hooks_dir"},
      {"relative boot id", [](AgentConfig& c) { c.boot_id_path = "boot_id"; }, "boot_id_path"},
      {"hook timeout zero", [](AgentConfig& c) { c.hook_timeout_seconds = 0; },
       "hook_timeout_seconds"},
      {"install timeout zero", [](AgentConfig& c) { c.install_timeout_minutes = 0; },
       "install_timeout_minutes"},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    AgentConfig config = validConfig();
    test_case.change(config);
    auto valid = validateAgentConfig(config);
    ASSERT_FALSE(valid);
    EXPECT_EQ(valid.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(valid.error().message.find(test_case.expected), std::string::npos)
        << valid.error().message;
  }
}

TEST(AgentConfig, ParsesJobKeys) {
  auto config = parseAgentConfig(R"(
hooks_dir = "/srv/hooks"
hook_timeout_seconds = 30
install_timeout_minutes = 45
restart_command = ["systemctl", "reboot"]
boot_id_path = "/srv/boot_id"
)",
                                 "agent.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->hooks_dir, "/srv/hooks");
  EXPECT_EQ(config->hook_timeout_seconds, 30);
  EXPECT_EQ(config->install_timeout_minutes, 45);
  EXPECT_EQ(config->restart_command, (std::vector<std::string>{"systemctl", "reboot"}));
  EXPECT_EQ(config->boot_id_path, "/srv/boot_id");
}

TEST(AgentConfig, RestartCommandMustBeStrings) {
  auto config = parseAgentConfig("restart_command = \"reboot\"\n", "agent.toml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("restart_command"), std::string::npos);
  auto numbers = parseAgentConfig("restart_command = [1]\n", "agent.toml");
  ASSERT_FALSE(numbers);
}

TEST(AgentConfig, JobDefaultsMatchDocumentation) {
  const AgentConfig config;
  EXPECT_EQ(config.hooks_dir, "/etc/patchkeeper/hooks");
  EXPECT_EQ(config.hook_timeout_seconds, 600);
  EXPECT_EQ(config.install_timeout_minutes, 30);
  EXPECT_TRUE(config.restart_command.empty());
  EXPECT_EQ(config.boot_id_path, "/proc/sys/kernel/random/boot_id");
}

TEST(AgentConfig, PlainHttpPassesWhenAllowed) {
  AgentConfig config = validConfig();
  config.server_url = "http://127.0.0.1:8080";
  config.server_pin.clear();
  config.allow_plain_http = true;
  EXPECT_TRUE(validateAgentConfig(config));
}

TEST(AgentConfig, LoadsFromFile) {
  auto folder = pk::test_support::TemporaryDirectory::create("agent-config");
  ASSERT_TRUE(folder) << folder.error().message;
  ASSERT_TRUE(pk::test_support::writeFile(folder->path(), "agent.toml",
                                          "server_url = \"https://pk.example\"\n"));
  auto config = loadAgentConfig(folder->path() / "agent.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server_url, "https://pk.example");

  auto missing = loadAgentConfig(folder->path() / "none.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace pk::agent
