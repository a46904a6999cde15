#include "cli/admin_config.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/temporary_directory.h"

namespace pk::cli {
namespace {

using test_support::TemporaryDirectory;

const std::string kPin = "sha256:" + std::string(64, 'a');

ClientConfig sampleConfig() {
  ClientConfig config;
  config.server_url = "https://pk.example.org:8443";
  config.pin = kPin;
  config.token = "0123456789abcdef";
  config.username = "alice";
  config.token_expires_at = "2026-12-05T11:00:00Z";
  return config;
}

mode_t fileMode(const std::filesystem::path& path) {
  struct stat status {};
  EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
  return status.st_mode & 07777U;
}

std::string readText(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(AdminConfigFile, SaveThenLoadRoundTrips) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  auto path = folder.path() / "cli.json";

  ASSERT_TRUE(saveClientConfig(path, sampleConfig()));
  auto loaded = loadClientConfig(path);
  ASSERT_TRUE(loaded) << loaded.error().message;

  EXPECT_EQ(loaded->server_url, "https://pk.example.org:8443");
  EXPECT_EQ(loaded->pin, kPin);
  EXPECT_EQ(loaded->ca_file, "");
  EXPECT_EQ(loaded->token, "0123456789abcdef");
  EXPECT_EQ(loaded->username, "alice");
  EXPECT_EQ(loaded->token_expires_at, "2026-12-05T11:00:00Z");
}

TEST(AdminConfigFile, LeavesEmptyFieldsOut) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  auto path = folder.path() / "cli.json";
  ClientConfig config;
  config.server_url = "https://pk.example.org";

  ASSERT_TRUE(saveClientConfig(path, config));
  EXPECT_EQ(nlohmann::json::parse(readText(path)),
            nlohmann::json({{"server_url", "https://pk.example.org"}}));
}

TEST(AdminConfigFile, SavedFileIsOwnerOnlyWhateverTheUmask) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  auto path = folder.path() / "cli.json";

  mode_t previous = ::umask(0);
  auto saved = saveClientConfig(path, sampleConfig());
  ::umask(previous);

  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(fileMode(path), 0600U);
}

TEST(AdminConfigFile, OverwriteResetsLooseMode) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  auto path = folder.path() / "cli.json";
  ASSERT_TRUE(test_support::writeFile(folder.path(), "cli.json", "{}"));
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);

  ASSERT_TRUE(saveClientConfig(path, sampleConfig()));
  EXPECT_EQ(fileMode(path), 0600U);
  EXPECT_EQ(loadClientConfig(path).value().username, "alice");
}

TEST(AdminConfigFile, CreatesMissingParentOwnerOnly) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  auto path = folder.path() / "home" / ".config" / "patchkeeper" / "cli.json";

  ASSERT_TRUE(saveClientConfig(path, sampleConfig()));
  EXPECT_EQ(fileMode(path.parent_path()), 0700U);
  EXPECT_EQ(fileMode(path), 0600U);
}

TEST(AdminConfigFile, ReplacesWholeFileAndLeavesNoTemporaryFile) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  auto path = folder.path() / "cli.json";
  ASSERT_TRUE(saveClientConfig(path, sampleConfig()));

  ClientConfig logged_out = sampleConfig();
  logged_out.token.clear();
  logged_out.token_expires_at.clear();
  ASSERT_TRUE(saveClientConfig(path, logged_out));

  auto document = nlohmann::json::parse(readText(path));
  EXPECT_FALSE(document.contains("token"));
  EXPECT_EQ(document["username"], "alice");
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder.path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"cli.json"});
}

TEST(AdminConfigFile, FailedRenameKeepsTargetAndRemovesTemporaryFile) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  // A non-empty folder where the file should go makes rename(2) fail, which
  // also works when the tests run as root.
  auto path = folder.path() / "cli.json";
  ASSERT_TRUE(test_support::writeFile(path, "keep.txt", "old"));

  auto saved = saveClientConfig(path, sampleConfig());
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code, ErrorCode::kIoError);
  EXPECT_NE(saved.error().message.find("rename failed"), std::string::npos)
      << saved.error().message;
  EXPECT_EQ(readText(path / "keep.txt"), "old");
  std::size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder.path())) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1U);
}

TEST(AdminConfigFile, MissingFileIsEmptyConfig) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  auto loaded = loadClientConfig(folder.path() / "absent.json");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->server_url, "");
  EXPECT_EQ(loaded->token, "");
}

TEST(AdminConfigFile, RejectsFileOthersCanRead) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  auto path = folder.path() / "cli.json";
  ASSERT_TRUE(saveClientConfig(path, sampleConfig()));
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);

  auto loaded = loadClientConfig(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kIoError);
  EXPECT_NE(loaded.error().message.find("chmod 600 " + path.string()), std::string::npos)
      << loaded.error().message;
}

TEST(AdminConfigFile, RejectsMalformedContent) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  struct Case {
    std::string text;
    std::string expected_message;
  };
  const Case cases[] = {
      {"not json", "is not a JSON object"},
      {"[1, 2]", "is not a JSON object"},
      {"", "is not a JSON object"},
      {R"({"token": 5})", "field \"token\" must be a string"},
      {R"({"server_url": ["x"]})", "field \"server_url\" must be a string"},
  };
  for (const auto& test_case : cases) {
    auto path = folder.path() / "cli.json";
    ASSERT_TRUE(test_support::writeFile(folder.path(), "cli.json", test_case.text));
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    auto loaded = loadClientConfig(path);
    ASSERT_FALSE(loaded) << test_case.text;
    EXPECT_EQ(loaded.error().code, ErrorCode::kMalformedInput) << test_case.text;
    EXPECT_NE(loaded.error().message.find(test_case.expected_message), std::string::npos)
        << loaded.error().message;
  }
}

TEST(AdminConfigFile, IgnoresUnknownAndNullFields) {
  auto folder = TemporaryDirectory::create("cli-config").value();
  auto path = folder.path() / "cli.json";
  ASSERT_TRUE(test_support::writeFile(folder.path(), "cli.json",
                                      R"({"server_url": "https://a", "pin": null, "later": 1})"));
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto loaded = loadClientConfig(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->server_url, "https://a");
  EXPECT_EQ(loaded->pin, "");
}

TEST(AdminConfigPath, PrefersVariableThenXdgThenHome) {
  ConfigEnvironment environment;
  environment.home = "/home/alice";
  EXPECT_EQ(clientConfigPath(environment).value(), "/home/alice/.config/patchkeeper/cli.json");
  environment.xdg_config_home = "/xdg";
  EXPECT_EQ(clientConfigPath(environment).value(), "/xdg/patchkeeper/cli.json");
  environment.config_path = "/etc/pk/cli.json";
  EXPECT_EQ(clientConfigPath(environment).value(), "/etc/pk/cli.json");
}

TEST(AdminConfigPath, FailsWithoutAnyVariable) {
  auto path = clientConfigPath(ConfigEnvironment{});
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().code, ErrorCode::kInvalidArgument);
}

TEST(AdminConfigOverrides, FlagBeatsEnvironmentBeatsFile) {
  ConfigEnvironment environment;
  EXPECT_EQ(applyOverrides(sampleConfig(), {}, environment).token, "0123456789abcdef");
  environment.token = "from-environment";
  EXPECT_EQ(applyOverrides(sampleConfig(), {}, environment).token, "from-environment");
  ConnectionFlags flags;
  flags.token = "from-flag";
  EXPECT_EQ(applyOverrides(sampleConfig(), flags, environment).token, "from-flag");
}

TEST(AdminConfigOverrides, OtherServerDropsSavedTrust) {
  ConnectionFlags flags;
  flags.server = "https://other.example.org";
  auto config = applyOverrides(sampleConfig(), flags, {});
  EXPECT_EQ(config.server_url, "https://other.example.org");
  EXPECT_EQ(config.pin, "");

  flags.server = sampleConfig().server_url;
  EXPECT_EQ(applyOverrides(sampleConfig(), flags, {}).pin, kPin);
}

TEST(AdminConfigOverrides, PinAndCaFileReplaceEachOther) {
  ConnectionFlags flags;
  flags.ca_file = "/etc/ssl/pk-ca.pem";
  auto with_ca = applyOverrides(sampleConfig(), flags, {});
  EXPECT_EQ(with_ca.ca_file, "/etc/ssl/pk-ca.pem");
  EXPECT_EQ(with_ca.pin, "");

  ClientConfig saved = with_ca;
  ConnectionFlags pin_flags;
  pin_flags.pin = kPin;
  auto with_pin = applyOverrides(saved, pin_flags, {});
  EXPECT_EQ(with_pin.pin, kPin);
  EXPECT_EQ(with_pin.ca_file, "");
}

TEST(AdminConfigServerUrl, AcceptsAndRejects) {
  const std::string accepted[] = {
      "https://pk.example.org",       "https://pk.example.org:8443",
      "https://pk.example.org:8443/", "https://[2001:db8::1]:443",
      "http://127.0.0.1:8080",        "http://localhost:1",
      "http://[::1]:65535",           "http://127.1.2.3",
  };
  for (const auto& url : accepted) {
    auto result = validateServerUrl(url);
    EXPECT_TRUE(result) << url << ": " << result.error().message;
  }

  struct Case {
    std::string url;
    std::string reason;
  };
  const Case rejected[] = {
      {"pk.example.org", "must start with https://"},
      {"ftp://pk.example.org", "must start with https://"},
      {"https://", "the host is empty"},
      {"https://pk.example.org:", "the port is empty"},
      {"https://pk.example.org:0", "from 1 to 65535"},
      {"https://pk.example.org:65536", "from 1 to 65535"},
      {"https://pk.example.org:84a3", "from 1 to 65535"},
      {"https://pk.example.org/api", "only a host and a port"},
      {"https://user@pk.example.org", "only a host and a port"},
      {"https://[::1", "lacks its ']'"},
      {"http://pk.example.org", "accepted only for 127.0.0.1, ::1 or localhost"},
      {"http://127.0.0.1.example.org", "accepted only for"},
      {"http://10.0.0.1:8080", "accepted only for"},
  };
  for (const auto& test_case : rejected) {
    auto result = validateServerUrl(test_case.url);
    ASSERT_FALSE(result) << test_case.url;
    EXPECT_NE(result.error().message.find(test_case.reason), std::string::npos)
        << test_case.url << ": " << result.error().message;
  }
}

TEST(AdminConfigPin, AcceptsOnlySha256LowerHex) {
  EXPECT_TRUE(validatePin(kPin));
  EXPECT_FALSE(validatePin("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(validatePin("sha256:" + std::string(65, 'a')));
  EXPECT_FALSE(validatePin("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(validatePin("sha1:" + std::string(64, 'a')));
  EXPECT_FALSE(validatePin(std::string(64, 'a')));
}

}  // namespace
}  // namespace pk::cli
