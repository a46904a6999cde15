#include "server/config.h"

#include "server/app.h"

#include <gtest/gtest.h>

#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

using test_support::TemporaryDirectory;

FeedSource makeFeed(std::string name, std::string kind, std::string url, std::string path) {
  FeedSource feed;
  feed.name = std::move(name);
  feed.kind = std::move(kind);
  feed.url = std::move(url);
  feed.path = std::move(path);
  return feed;
}

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = TemporaryDirectory::create("server-config");
    ASSERT_TRUE(directory) << directory.error().message;
    directory_.emplace(std::move(*directory));
  }

  std::string write(std::string_view text) {
    const auto written = test_support::writeFile(directory_->path(), "server.toml", text);
    EXPECT_TRUE(written) << written.error().message;
    return (directory_->path() / "server.toml").string();
  }

  Result<ServerConfig> load(std::string_view text) { return loadServerConfig(write(text)); }

  std::optional<TemporaryDirectory> directory_;
};

TEST(ServerConfig, DefaultsAreValid) {
  const ServerConfig config;
  EXPECT_TRUE(config.validate());
  EXPECT_EQ(config.listen_address, "0.0.0.0");
  EXPECT_EQ(config.port, 8443);
  EXPECT_EQ(config.max_body_bytes, 32 * 1024 * 1024);
  EXPECT_EQ(config.worker_threads, 16);
  EXPECT_FALSE(config.allow_plain_http);
  EXPECT_EQ(config.databaseUrl(), "sqlite:///var/lib/patchkeeper/patchkeeper.db");
  EXPECT_TRUE(config.generatesTls());
  EXPECT_EQ(config.tlsCertificatePath(), "/var/lib/patchkeeper/tls/server.crt");
  EXPECT_EQ(config.tlsPrivateKeyPath(), "/var/lib/patchkeeper/tls/server.key");
}

TEST(ServerConfig, DerivedPathsFollowSettings) {
  ServerConfig config;
  config.data_dir = "/srv/pk";
  EXPECT_EQ(config.databaseUrl(), "sqlite:///srv/pk/patchkeeper.db");
  config.database = "postgresql://pk@db/pk";
  EXPECT_EQ(config.databaseUrl(), "postgresql://pk@db/pk");
  config.tls_certificate = "/etc/pk/cert.pem";
  config.tls_private_key = "/etc/pk/key.pem";
  EXPECT_FALSE(config.generatesTls());
  EXPECT_EQ(config.tlsCertificatePath(), "/etc/pk/cert.pem");
  EXPECT_EQ(config.tlsPrivateKeyPath(), "/etc/pk/key.pem");
}

TEST(ServerConfig, ValidateRejectsFromTable) {
  const struct {
    const char* name;
    void (*change)(ServerConfig&);
    const char* field;
  } cases[] = {
      {"hostname", [](ServerConfig& c) { c.listen_address = "example.org"; }, "listen_address"},
      {"port high", [](ServerConfig& c) { c.port = 65536; }, "port"},
      {"port negative", [](ServerConfig& c) { c.port = -1; }, "port"},
      {"empty data_dir", [](ServerConfig& c) { c.data_dir = ""; }, "data_dir"},
      {"mysql", [](ServerConfig& c) { c.database = "mysql://x"; }, "database"},
      {"certificate alone", [](ServerConfig& c) { c.tls_certificate = "/c.pem"; },
       "tls_private_key"},
      {"key alone", [](ServerConfig& c) { c.tls_private_key = "/k.pem"; }, "tls_certificate"},
      {"tiny body", [](ServerConfig& c) { c.max_body_bytes = 10; }, "max_body_bytes"},
      {"huge body", [](ServerConfig& c) { c.max_body_bytes = std::int64_t{1} << 40; },
       "max_body_bytes"},
      {"zero read timeout", [](ServerConfig& c) { c.read_timeout_seconds = 0; },
       "read_timeout_seconds"},
      {"zero write timeout", [](ServerConfig& c) { c.write_timeout_seconds = 0; },
       "write_timeout_seconds"},
      {"no workers", [](ServerConfig& c) { c.worker_threads = 0; }, "worker_threads"},
      {"empty access log", [](ServerConfig& c) { c.access_log = ""; }, "access_log"},
      {"zero session", [](ServerConfig& c) { c.session_hours = 0; }, "session_hours"},
      {"zero checkin", [](ServerConfig& c) { c.checkin_interval_minutes = 0; },
       "checkin_interval_minutes"},
      {"zero stale", [](ServerConfig& c) { c.stale_after_days = 0; }, "stale_after_days"},
      {"zero leader retry", [](ServerConfig& c) { c.leader_retry_seconds = 0; },
       "leader_retry_seconds"},
      {"huge leader retry", [](ServerConfig& c) { c.leader_retry_seconds = 601; },
       "leader_retry_seconds"},
      {"zero index refresh", [](ServerConfig& c) { c.index_refresh_seconds = 0; },
       "index_refresh_seconds"},
      {"zero logins", [](ServerConfig& c) { c.max_failed_logins = 0; }, "max_failed_logins"},
      {"zero window", [](ServerConfig& c) { c.failed_login_window_minutes = 0; },
       "failed_login_window_minutes"},
      {"feed without source",
       [](ServerConfig& c) { c.feeds.push_back(makeFeed("kev", "kev", "", "")); }, "feeds[1].url"},
      {"feed with both sources",
       [](ServerConfig& c) { c.feeds.push_back(makeFeed("kev", "kev", "https://x", "/y")); },
       "feeds[1].url"},
      {"feed ftp url",
       [](ServerConfig& c) { c.feeds.push_back(makeFeed("kev", "kev", "ftp://x", "")); },
       "feeds[1].url"},
      {"feed unknown kind",
       [](ServerConfig& c) { c.feeds.push_back(makeFeed("n", "nvd", "", "/x")); }, "feeds[1].kind"},
      {"feed bad name",
       [](ServerConfig& c) { c.feeds.push_back(makeFeed("Bad Name", "auto", "", "/x")); },
       "feeds[1].name"},
      {"feed share above one",
       [](ServerConfig& c) {
         c.feeds.push_back(makeFeed("a", "auto", "", "/x"));
         c.feeds.back().max_removal_share = 1.5;
       },
       "feeds[1].max_removal_share"},
      {"feed zero interval",
       [](ServerConfig& c) {
         c.feeds.push_back(makeFeed("a", "auto", "", "/x"));
         c.feeds.back().interval_minutes = 0;
       },
       "feeds[1].interval_minutes"},
      {"duplicate feed names",
       [](ServerConfig& c) {
         c.feeds.push_back(makeFeed("a", "auto", "", "/x"));
         c.feeds.push_back(makeFeed("a", "auto", "", "/y"));
       },
       "feeds[2].name"},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    ServerConfig config;
    test_case.change(config);
    const auto result = config.validate();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().message.rfind(std::string(test_case.field) + ": ", 0), 0u)
        << result.error().message;
  }
}

TEST(ServerConfig, ValidateAcceptsEdges) {
  ServerConfig config;
  config.listen_address = "::1";
  config.port = 0;
  config.database = "sqlite::memory:";
  config.feeds.push_back(makeFeed("osv-debian", "osv", "", "/data/osv"));
  config.feeds.push_back(makeFeed("kev", "kev", "https://example.org/kev.json", ""));
  config.feeds.back().max_removal_share = 0;
  EXPECT_TRUE(config.validate());
}

TEST_F(ConfigFile, ReadsEveryKey) {
  const auto config = load(R"(
listen_address = "127.0.0.1"
port = 9443
data_dir = "/srv/pk"
database = "sqlite:///srv/pk/other.db"
tls_certificate = "/etc/pk/cert.pem"
tls_private_key = "/etc/pk/key.pem"
allow_plain_http = true
max_body_bytes = 1048576
read_timeout_seconds = 5
write_timeout_seconds = 6
worker_threads = 32
access_log = "/var/log/pk/access.log"
session_hours = 8
checkin_interval_minutes = 30
stale_after_days = 3
leader_retry_seconds = 5
index_refresh_seconds = 7
max_failed_logins = 10
failed_login_window_minutes = 60

[[feeds]]
name = "debian-tracker"
kind = "debian-tracker"
url = "https://security-tracker.debian.org/tracker/data/json"
interval_minutes = 120
max_removal_share = 0.25

[[feeds]]
name = "kev"
path = "/data/kev.json"
max_removal_share = 1
)");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->listen_address, "127.0.0.1");
  EXPECT_EQ(config->port, 9443);
  EXPECT_EQ(config->data_dir, "/srv/pk");
  EXPECT_EQ(config->database, "sqlite:///srv/pk/other.db");
  EXPECT_EQ(config->tls_certificate, "/etc/pk/cert.pem");
  EXPECT_EQ(config->tls_private_key, "/etc/pk/key.pem");
  EXPECT_TRUE(config->allow_plain_http);
  EXPECT_EQ(config->max_body_bytes, 1048576);
  EXPECT_EQ(config->read_timeout_seconds, 5);
  EXPECT_EQ(config->write_timeout_seconds, 6);
  EXPECT_EQ(config->worker_threads, 32);
  EXPECT_EQ(config->access_log, "/var/log/pk/access.log");
  EXPECT_EQ(config->session_hours, 8);
  EXPECT_EQ(config->checkin_interval_minutes, 30);
  EXPECT_EQ(config->stale_after_days, 3);
  EXPECT_EQ(config->leader_retry_seconds, 5);
  EXPECT_EQ(config->index_refresh_seconds, 7);
  EXPECT_EQ(config->max_failed_logins, 10);
  EXPECT_EQ(config->failed_login_window_minutes, 60);
  ASSERT_EQ(config->feeds.size(), 2u);
  EXPECT_EQ(config->feeds[0].name, "debian-tracker");
  EXPECT_EQ(config->feeds[0].kind, "debian-tracker");
  EXPECT_EQ(config->feeds[0].url, "https://security-tracker.debian.org/tracker/data/json");
  EXPECT_EQ(config->feeds[0].interval_minutes, 120);
  EXPECT_DOUBLE_EQ(config->feeds[0].max_removal_share, 0.25);
  EXPECT_EQ(config->feeds[1].name, "kev");
  EXPECT_EQ(config->feeds[1].kind, "auto");
  EXPECT_EQ(config->feeds[1].path, "/data/kev.json");
  EXPECT_EQ(config->feeds[1].interval_minutes, 360);
  EXPECT_DOUBLE_EQ(config->feeds[1].max_removal_share, 1.0);
}

TEST_F(ConfigFile, EmptyFileKeepsDefaults) {
  const auto config = load("# nothing set\n");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->port, 8443);
  EXPECT_EQ(config->access_log, "stdout");
  EXPECT_TRUE(config->feeds.empty());
}

TEST_F(ConfigFile, RejectsBadFilesWithLine) {
  const struct {
    const char* text;
    const char* location;  // "line: " after the path
    const char* message_part;
  } cases[] = {
      {"port = 8443\nprot = 1\n", ":2: ", "unknown key \"prot\". Allowed keys: access_log"},
      {"port = \"8443\"\n", ":1: ", "port must be an integer, not a string"},
      {"\n\nport = 70000\n", ":3: ", "port: must be between 0 and 65535, not 70000"},
      {"port = 99999999999\n", ":1: ", "port is out of range"},
      {"allow_plain_http = \"yes\"\n", ":1: ", "allow_plain_http must be true or false"},
      {"worker_threads = 1.5\n", ":1: ",
       "worker_threads must be an integer, not a "
       "floating-point number"},
      {"port = \n", ":1: ", "invalid TOML"},
      {"[server]\nport = 1\n", ":1: ", "unknown key \"server\""},
      {"feeds = \"osv\"\n", ":1: ", "feeds must be an array of [[feeds]] tables"},
      {"listen_address = \"localhost\"\n", ":1: ", "listen_address: must be an IPv4 or IPv6"},
      {"tls_certificate = \"/c.pem\"\n", ":1: ", "tls_private_key: must be set together"},
      {"[[feeds]]\nname = \"kev\"\nkind = \"kev\"\nurl = \"https://x\"\nevery = 5\n",
       ":5: ", "unknown key \"feeds[1].every\". Allowed keys: interval_minutes, kind"},
      {"[[feeds]]\nname = \"a\"\npath = \"/a\"\n\n[[feeds]]\nname = \"b\"\nkind = \"nvd\"\n"
       "path = \"/b\"\n",
       ":7: ", "feeds[2].kind: must be one of auto, osv"},
      {"[[feeds]]\nname = \"a\"\npath = \"/a\"\ninterval_minutes = \"hourly\"\n",
       ":4: ", "feeds[1].interval_minutes must be an integer, not a string"},
      {"[[feeds]]\nname = \"a\"\npath = \"/a\"\nmax_removal_share = -0.5\n",
       ":4: ", "feeds[1].max_removal_share: must be between 0 and 1"},
      {"\n[[feeds]]\nkind = \"kev\"\npath = \"/a\"\n", ":2: ", "feeds[1].name: must be 1 to 64"},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.text);
    const auto path = write(test_case.text);
    const auto config = loadServerConfig(path);
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
    const auto& message = config.error().message;
    EXPECT_EQ(message.rfind(path + test_case.location, 0), 0u) << message;
    EXPECT_NE(message.find(test_case.message_part), std::string::npos) << message;
  }
}

TEST_F(ConfigFile, FlagsOverrideFile) {
  const auto path = write("port = 9443\nlisten_address = \"0.0.0.0\"\ndata_dir = \"/srv/pk\"\n");
  ConfigOverrides overrides;
  overrides.port = 0;
  overrides.database = "sqlite:///tmp/other.db";
  overrides.data_dir = "/srv/elsewhere";
  overrides.listen_address = "127.0.0.1";
  overrides.allow_plain_http = true;
  const auto config = loadConfig(path, overrides);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->port, 0);
  EXPECT_EQ(config->database, "sqlite:///tmp/other.db");
  EXPECT_EQ(config->data_dir, "/srv/elsewhere");
  EXPECT_EQ(config->listen_address, "127.0.0.1");
  EXPECT_TRUE(config->allow_plain_http);

  const auto untouched = loadConfig(path, {});
  ASSERT_TRUE(untouched) << untouched.error().message;
  EXPECT_EQ(untouched->port, 9443);
  EXPECT_FALSE(untouched->allow_plain_http);
}

TEST_F(ConfigFile, BadFlagIsUsageError) {
  const auto path = write("");
  ConfigOverrides overrides;
  overrides.listen_address = "not-an-address";
  const auto config = loadConfig(path, overrides);
  ASSERT_FALSE(config);
  EXPECT_EQ(exitStatusFor(config.error()), kExitUsage);
  EXPECT_NE(config.error().message.find("command-line value: listen_address"), std::string::npos)
      << config.error().message;
}

TEST_F(ConfigFile, MissingFileIsNotFound) {
  const auto config = loadServerConfig((directory_->path() / "absent.toml").string());
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kNotFound);
  EXPECT_NE(config.error().message.find("absent.toml"), std::string::npos);
}

}  // namespace
}  // namespace pk::server
