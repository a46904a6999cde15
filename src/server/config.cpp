#include "server/config.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace pk::server {
namespace {

// A rejected field: its name as the file spells it ("port",
// "feeds[2].url") and what is wrong with it.
struct Problem {
  std::string field;
  std::string message;
};

constexpr std::int64_t kMaxBodyBytesLimit = std::int64_t{1} << 30;

const std::set<std::string, std::less<>> kFeedKinds = {
    "auto", "osv",  "debian-tracker", "alpine-secdb", "csaf",
    "kev",  "epss", "msrc-cvrf",      "kb-mapping"};

std::optional<Problem> checkRange(std::string field, std::int64_t value, std::int64_t min,
                                  std::int64_t max, std::string_view unit = {}) {
  if (value >= min && value <= max) return std::nullopt;
  const std::string suffix = unit.empty() ? "" : fmt::format(" {}", unit);
  return Problem{std::move(field),
                 fmt::format("must be between {} and {}{}, not {}", min, max, suffix, value)};
}

bool isIpAddress(const std::string& text) {
  in6_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1 ||
         inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Feed names appear in URLs, metric labels and log lines.
bool isFeedName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool allowed =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!allowed) return false;
  }
  return name.front() != '-' && name.front() != '.';
}

std::optional<Problem> findFeedProblem(const FeedSource& feed, std::size_t number) {
  const std::string prefix = fmt::format("feeds[{}].", number);
  if (!isFeedName(feed.name)) {
    return Problem{prefix + "name",
                   fmt::format("must be 1 to 64 characters from a-z, 0-9, '-', '_' and '.', "
                               "starting with a letter or digit, not \"{}\"",
                               feed.name)};
  }
  if (!kFeedKinds.contains(feed.kind)) {
    return Problem{prefix + "kind",
                   fmt::format("must be one of auto, osv, debian-tracker, alpine-secdb, csaf, "
                               "kev, epss, msrc-cvrf or kb-mapping, not \"{}\"",
                               feed.kind)};
  }
  if (feed.url.empty() == feed.path.empty()) {
    return Problem{prefix + "url",
                   fmt::format("feed \"{}\" needs exactly one of url and path", feed.name)};
  }
  if (!feed.url.empty() && !startsWith(feed.url, "https://") && !startsWith(feed.url, "http://")) {
    return Problem{prefix + "url",
                   fmt::format("must start with https:// or http://, not \"{}\"", feed.url)};
  }
  if (auto problem =
          checkRange(prefix + "interval_minutes", feed.interval_minutes, 1, 525600, "minutes")) {
    return problem;
  }
  if (!(feed.max_removal_share >= 0 && feed.max_removal_share <= 1)) {
    return Problem{prefix + "max_removal_share",
                   fmt::format("must be between 0 and 1, not {}", feed.max_removal_share)};
  }
  return std::nullopt;
}

std::optional<Problem> findProblem(const ServerConfig& config) {
  if (!isIpAddress(config.listen_address)) {
    return Problem{"listen_address",
                   fmt::format("must be an IPv4 or IPv6 address such as \"0.0.0.0\", \"::\" or "
                               "\"127.0.0.1\", not \"{}\"",
                               config.listen_address)};
  }
  if (auto problem = checkRange("port", config.port, 0, 65535)) return problem;
  if (config.data_dir.empty()) return Problem{"data_dir", "must not be empty"};
  if (!config.database.empty() && !startsWith(config.database, "sqlite://") &&
      config.database != "sqlite::memory:" && !startsWith(config.database, "postgresql://")) {
    return Problem{"database",
                   fmt::format("must start with sqlite:// or postgresql://, or be empty for "
                               "<data_dir>/patchkeeper.db, not \"{}\"",
                               config.database)};
  }
  if (config.tls_certificate.empty() != config.tls_private_key.empty()) {
    return Problem{config.tls_certificate.empty() ? "tls_certificate" : "tls_private_key",
                   "must be set together with the other TLS path, or both left empty to "
                   "generate a self-signed certificate"};
  }
  if (auto problem =
          checkRange("max_body_bytes", config.max_body_bytes, 1024, kMaxBodyBytesLimit, "bytes")) {
    return problem;
  }
  if (auto problem =
          checkRange("read_timeout_seconds", config.read_timeout_seconds, 1, 3600, "seconds")) {
    return problem;
  }
  if (auto problem =
          checkRange("write_timeout_seconds", config.write_timeout_seconds, 1, 3600, "seconds")) {
    return problem;
  }
  if (auto problem = checkRange("request_timeout_seconds", config.request_timeout_seconds, 1, 3600,
                                "seconds")) {
    return problem;
  }
  if (auto problem = checkRange("worker_threads", config.worker_threads, 1, 4096)) return problem;
  if (auto problem = checkRange("io_threads", config.io_threads, 1, 256)) return problem;
  if (auto problem = checkRange("max_connections", config.max_connections, 1, 1000000)) {
    return problem;
  }
  if (config.access_log.empty()) {
    return Problem{"access_log", "must be \"stdout\", \"off\" or a file path, not empty"};
  }
  if (auto problem = checkRange("session_hours", config.session_hours, 1, 8760, "hours")) {
    return problem;
  }
  if (auto problem = checkRange("checkin_interval_minutes", config.checkin_interval_minutes, 1,
                                10080, "minutes")) {
    return problem;
  }
  if (auto problem = checkRange("stale_after_days", config.stale_after_days, 1, 3650, "days")) {
    return problem;
  }
  if (auto problem =
          checkRange("leader_retry_seconds", config.leader_retry_seconds, 1, 600, "seconds")) {
    return problem;
  }
  if (auto problem =
          checkRange("index_refresh_seconds", config.index_refresh_seconds, 1, 3600, "seconds")) {
    return problem;
  }
  if (auto problem = checkRange("deployment_interval_seconds", config.deployment_interval_seconds,
                                1, 3600, "seconds")) {
    return problem;
  }
  if (auto problem = checkRange("default_job_estimate_minutes", config.default_job_estimate_minutes,
                                1, 24 * 60, "minutes")) {
    return problem;
  }
  if (auto problem = checkRange("webhook_interval_seconds", config.webhook_interval_seconds, 1,
                                3600, "seconds")) {
    return problem;
  }
  if (auto problem = checkRange("webhook_max_attempts", config.webhook_max_attempts, 1, 100)) {
    return problem;
  }
  if (auto problem = checkRange("webhook_timeout_seconds", config.webhook_timeout_seconds, 1, 300,
                                "seconds")) {
    return problem;
  }
  if (auto problem = checkRange("max_failed_logins", config.max_failed_logins, 1, 1000)) {
    return problem;
  }
  if (auto problem = checkRange("failed_login_window_minutes", config.failed_login_window_minutes,
                                1, 1440, "minutes")) {
    return problem;
  }

  std::set<std::string, std::less<>> names;
  for (std::size_t i = 0; i < config.feeds.size(); ++i) {
    const auto& feed = config.feeds[i];
    if (auto problem = findFeedProblem(feed, i + 1)) return problem;
    if (!names.insert(feed.name).second) {
      return Problem{fmt::format("feeds[{}].name", i + 1),
                     fmt::format("\"{}\" is already the name of another feed", feed.name)};
    }
  }
  return std::nullopt;
}

// --- Reading TOML values ----------------------------------------------------

std::string_view typeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
  }
  return "an unknown type";
}

std::string wrongType(std::string_view key, std::string_view expected, const toml::node& node) {
  return fmt::format("{} must be {}, not {}", key, expected, typeName(node.type()));
}

// Each reader stores the node's value into `target` or returns the message
// saying which type was expected.
using Reader = std::function<std::optional<std::string>(std::string_view key, const toml::node&)>;

Reader stringInto(std::string& target) {
  return [&target](std::string_view key, const toml::node& node) -> std::optional<std::string> {
    const auto value = node.value<std::string>();
    if (!node.is_string() || !value) return wrongType(key, "a string", node);
    target = *value;
    return std::nullopt;
  };
}

Reader boolInto(bool& target) {
  return [&target](std::string_view key, const toml::node& node) -> std::optional<std::string> {
    if (!node.is_boolean()) return wrongType(key, "true or false", node);
    target = *node.value<bool>();
    return std::nullopt;
  };
}

template <typename Integer>
Reader integerInto(Integer& target) {
  return [&target](std::string_view key, const toml::node& node) -> std::optional<std::string> {
    if (!node.is_integer()) return wrongType(key, "an integer", node);
    const auto value = *node.value_exact<std::int64_t>();
    if (value < std::numeric_limits<Integer>::min() ||
        value > std::numeric_limits<Integer>::max()) {
      return fmt::format("{} is out of range: {}", key, value);
    }
    target = static_cast<Integer>(value);
    return std::nullopt;
  };
}

// Accepts integers too, so that "max_removal_share = 1" reads as written.
Reader numberInto(double& target) {
  return [&target](std::string_view key, const toml::node& node) -> std::optional<std::string> {
    if (node.is_integer()) {
      target = static_cast<double>(*node.value_exact<std::int64_t>());
    } else if (node.is_floating_point()) {
      target = *node.value_exact<double>();
    } else {
      return wrongType(key, "a number", node);
    }
    return std::nullopt;
  };
}

std::string keyList(const std::map<std::string, Reader, std::less<>>& readers) {
  std::string list;
  for (const auto& [key, reader] : readers) {
    if (!list.empty()) list += ", ";
    list += key;
  }
  return list;
}

// Reads every key of `table` through `readers`, recording each key's line
// under `prefix + key`. Returns the first failure as "line: message".
std::optional<std::pair<std::uint32_t, std::string>> readTable(
    const toml::table& table, const std::map<std::string, Reader, std::less<>>& readers,
    const std::string& prefix, std::map<std::string, std::uint32_t>& lines) {
  for (const auto& [key, node] : table) {
    const std::string name = prefix + std::string(key.str());
    const auto line = key.source().begin.line;
    const auto reader = readers.find(key.str());
    if (reader == readers.end()) {
      return std::make_pair(
          line, fmt::format("unknown key \"{}\". Allowed keys: {}", name, keyList(readers)));
    }
    if (auto error = reader->second(name, node)) return std::make_pair(line, *error);
    lines[name] = line;
  }
  return std::nullopt;
}

std::map<std::string, Reader, std::less<>> feedReaders(FeedSource& feed) {
  return {
      {"name", stringInto(feed.name)},
      {"kind", stringInto(feed.kind)},
      {"url", stringInto(feed.url)},
      {"path", stringInto(feed.path)},
      {"interval_minutes", integerInto(feed.interval_minutes)},
      {"max_removal_share", numberInto(feed.max_removal_share)},
  };
}

}  // namespace

std::string ServerConfig::databaseUrl() const {
  if (!database.empty()) return database;
  return "sqlite://" + (std::filesystem::path(data_dir) / "patchkeeper.db").string();
}

bool ServerConfig::usesPostgresql() const {
  const std::string url = databaseUrl();
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string ServerConfig::tlsCertificatePath() const {
  if (!tls_certificate.empty()) return tls_certificate;
  return (std::filesystem::path(data_dir) / "tls" / "server.crt").string();
}

std::string ServerConfig::tlsPrivateKeyPath() const {
  if (!tls_private_key.empty()) return tls_private_key;
  return (std::filesystem::path(data_dir) / "tls" / "server.key").string();
}

Result<void> ServerConfig::validate() const {
  if (auto problem = findProblem(*this)) {
    return fail(ErrorCode::kInvalidArgument, problem->field + ": " + problem->message);
  }
  return {};
}

Result<ServerConfig> loadServerConfig(const std::string& path) {
  std::error_code exists_error;
  if (!std::filesystem::exists(path, exists_error)) {
    return fail(ErrorCode::kNotFound,
                fmt::format("The configuration file {} does not exist. Create it or pass "
                            "another one with --config.",
                            path));
  }
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  if (file.is_open()) contents << file.rdbuf();
  if (!file.is_open() || file.bad()) {
    return fail(ErrorCode::kIoError, fmt::format("Cannot read the configuration file {}: {}.", path,
                                                 std::strerror(errno)));
  }

  toml::table root;
  try {
    root = toml::parse(contents.str(), path);
  } catch (const toml::parse_error& error) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}:{}: invalid TOML: {}", path, error.source().begin.line,
                            error.description()));
  }

  ServerConfig config;
  std::vector<const toml::table*> feed_tables;
  std::uint32_t feeds_line = 0;
  // "feeds" is read apart: each of its tables fills one FeedSource.
  std::map<std::string, Reader, std::less<>> readers = {
      {"listen_address", stringInto(config.listen_address)},
      {"port", integerInto(config.port)},
      {"data_dir", stringInto(config.data_dir)},
      {"database", stringInto(config.database)},
      {"tls_certificate", stringInto(config.tls_certificate)},
      {"tls_private_key", stringInto(config.tls_private_key)},
      {"allow_plain_http", boolInto(config.allow_plain_http)},
      {"max_body_bytes", integerInto(config.max_body_bytes)},
      {"read_timeout_seconds", integerInto(config.read_timeout_seconds)},
      {"write_timeout_seconds", integerInto(config.write_timeout_seconds)},
      {"request_timeout_seconds", integerInto(config.request_timeout_seconds)},
      {"worker_threads", integerInto(config.worker_threads)},
      {"io_threads", integerInto(config.io_threads)},
      {"max_connections", integerInto(config.max_connections)},
      {"access_log", stringInto(config.access_log)},
      {"session_hours", integerInto(config.session_hours)},
      {"checkin_interval_minutes", integerInto(config.checkin_interval_minutes)},
      {"stale_after_days", integerInto(config.stale_after_days)},
      {"leader_retry_seconds", integerInto(config.leader_retry_seconds)},
      {"index_refresh_seconds", integerInto(config.index_refresh_seconds)},
      {"deployment_interval_seconds", integerInto(config.deployment_interval_seconds)},
      {"default_job_estimate_minutes", integerInto(config.default_job_estimate_minutes)},
      {"max_failed_logins", integerInto(config.max_failed_logins)},
      {"failed_login_window_minutes", integerInto(config.failed_login_window_minutes)},
      {"webhook_interval_seconds", integerInto(config.webhook_interval_seconds)},
      {"webhook_max_attempts", integerInto(config.webhook_max_attempts)},
      {"webhook_timeout_seconds", integerInto(config.webhook_timeout_seconds)},
      {"webhook_allow_http_loopback", boolInto(config.webhook_allow_http_loopback)},
      {"web_dir", stringInto(config.web_dir)},
      {"feeds",
       [&](std::string_view key, const toml::node& node) -> std::optional<std::string> {
         const auto* array = node.as_array();
         if (array == nullptr || !array->is_array_of_tables()) {
           return wrongType(key, "an array of [[feeds]] tables", node);
         }
         feeds_line = node.source().begin.line;
         for (const auto& element : *array) feed_tables.push_back(element.as_table());
         return std::nullopt;
       }},
  };

  std::map<std::string, std::uint32_t> lines;
  if (auto error = readTable(root, readers, "", lines)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}:{}: {}", path, error->first, error->second));
  }

  for (std::size_t i = 0; i < feed_tables.size(); ++i) {
    const std::string prefix = fmt::format("feeds[{}].", i + 1);
    const auto& table = *feed_tables[i];
    lines[prefix] = table.source().begin.line != 0 ? table.source().begin.line : feeds_line;
    FeedSource feed;
    if (auto error = readTable(table, feedReaders(feed), prefix, lines)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}:{}: {}", path, error->first, error->second));
    }
    config.feeds.push_back(std::move(feed));
  }

  if (auto problem = findProblem(config)) {
    // A bad value points at its own line. A missing value (a feed without
    // a name) points at the start of its table, or else at line 1.
    std::uint32_t line = 1;
    if (auto found = lines.find(problem->field); found != lines.end()) {
      line = found->second;
    } else if (auto dot = problem->field.find("]."); dot != std::string::npos) {
      if (auto table = lines.find(problem->field.substr(0, dot + 2)); table != lines.end()) {
        line = table->second;
      }
    }
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}:{}: {}: {}", path, line, problem->field, problem->message));
  }
  return config;
}

}  // namespace pk::server
