#include <functional>

#include <gtest/gtest.h>

#include "server/http_listener.h"

namespace pk::server {
namespace {

using namespace std::chrono_literals;

TEST(AccessLogLine, FullEntry) {
  AccessLogEntry entry;
  entry.time = std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::sys_seconds(1796426648s));
  entry.remote_address = "192.0.2.7";
  entry.method = "GET";
  entry.path = "/api/v1/hosts/h-0123456789abcdef";
  entry.query_keys = {"owner", "status"};
  entry.route = "/api/v1/hosts/(h-[0-9a-f]{16})";
  entry.status = 200;
  entry.bytes = 512;
  entry.duration_ms = 1.23456;
  entry.principal = "user:alice";
  entry.user_agent = "curl/7.88.1";
  EXPECT_EQ(formatAccessLogLine(entry),
            "{\"time\":\"2026-12-04T23:24:08Z\",\"remote\":\"192.0.2.7\",\"method\":\"GET\","
            "\"path\":\"/api/v1/hosts/h-0123456789abcdef\",\"query_keys\":[\"owner\",\"status\"],"
            "\"route\":\"/api/v1/hosts/(h-[0-9a-f]{16})\",\"status\":200,\"bytes\":512,"
            "\"duration_ms\":1.235,\"principal\":\"user:alice\",\"user_agent\":\"curl/7.88.1\"}");
}

TEST(AccessLogLine, LeavesOutUnknownFields) {
  AccessLogEntry entry;
  entry.remote_address = "::1";
  entry.method = "POST";
  entry.path = "/nowhere";
  entry.status = 404;
  const auto line = nlohmann::json::parse(formatAccessLogLine(entry));
  EXPECT_FALSE(line.contains("route"));
  EXPECT_FALSE(line.contains("principal"));
  EXPECT_FALSE(line.contains("query_keys"));
  EXPECT_FALSE(line.contains("user_agent"));
  EXPECT_EQ(line.at("status"), 404);
}

TEST(AccessLogLine, StaysOneLineWithHostileInput) {
  AccessLogEntry entry;
  entry.method = "GET";
  entry.path = "/a\nb\"c\xff";
  entry.user_agent = "evil\r\n{\"status\":200}";
  const auto line = formatAccessLogLine(entry);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed.at("user_agent"), "evil\r\n{\"status\":200}");
}

TEST(MethodLabel, BoundsCardinality) {
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    EXPECT_EQ(methodLabel(method), method);
  }
  EXPECT_EQ(methodLabel("TRACE"), "OTHER");
  EXPECT_EQ(methodLabel("get"), "OTHER");
  EXPECT_EQ(methodLabel(""), "OTHER");
}

TEST(ListenerOptions, FromConfig) {
  ServerConfig config;
  config.listen_address = "::";
  config.port = 9443;
  config.data_dir = "/srv/pk";
  config.max_body_bytes = 2048;
  config.read_timeout_seconds = 3;
  config.request_timeout_seconds = 30;
  config.write_timeout_seconds = 4;
  config.worker_threads = 7;
  config.io_threads = 3;
  config.max_connections = 500;
  config.access_log = "off";
  config.allow_plain_http = true;
  const auto options = ListenerOptions::fromConfig(config);
  EXPECT_EQ(options.listen_address, "::");
  EXPECT_EQ(options.port, 9443);
  EXPECT_TRUE(options.plain_http);
  EXPECT_EQ(options.certificate_path, "/srv/pk/tls/server.crt");
  EXPECT_EQ(options.private_key_path, "/srv/pk/tls/server.key");
  EXPECT_EQ(options.max_body_bytes, 2048);
  EXPECT_EQ(options.read_timeout_seconds, 3);
  EXPECT_EQ(options.request_timeout_seconds, 30);
  EXPECT_EQ(options.write_timeout_seconds, 4);
  EXPECT_EQ(options.worker_threads, 7);
  EXPECT_EQ(options.io_threads, 3);
  EXPECT_EQ(options.max_connections, 500);
  EXPECT_EQ(options.access_log, "off");
  EXPECT_EQ(options.listen_backlog, 1024);
  // Idle keep-alive connections are cut no later than a silent new one.
  EXPECT_EQ(options.keep_alive_timeout_seconds, 3);
}

TEST(ListenerOptions, ConfigRejectsListenerLimitsOutOfRange) {
  const std::vector<std::pair<std::string, std::function<void(ServerConfig&)>>> cases = {
      {"request_timeout_seconds", [](ServerConfig& c) { c.request_timeout_seconds = 0; }},
      {"request_timeout_seconds", [](ServerConfig& c) { c.request_timeout_seconds = 3601; }},
      {"io_threads", [](ServerConfig& c) { c.io_threads = 0; }},
      {"io_threads", [](ServerConfig& c) { c.io_threads = 257; }},
      {"max_connections", [](ServerConfig& c) { c.max_connections = 0; }},
      {"max_connections", [](ServerConfig& c) { c.max_connections = 1000001; }},
  };
  for (const auto& [field, change] : cases) {
    SCOPED_TRACE(field);
    ServerConfig config;
    config.data_dir = "/srv/pk";
    ASSERT_TRUE(config.validate()) << config.validate().error().message;
    change(config);
    const auto valid = config.validate();
    ASSERT_FALSE(valid);
    EXPECT_NE(valid.error().message.find(field), std::string::npos) << valid.error().message;
  }
}

}  // namespace
}  // namespace pk::server
