#include "agent/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "protocol/api_client.h"

namespace pk::agent {
namespace {

// Thrown while one key is read and caught in parseAgentConfig.
struct KeyError {
  std::string key;
  std::string problem;
};

using KeyReader = std::function<void(AgentConfig&, const toml::node&, const std::string&)>;

void readString(std::string& target, const toml::node& node, const std::string& key) {
  auto value = node.value<std::string>();
  if (!node.is_string() || !value) throw KeyError{key, "must be a string"};
  target = *value;
}

void readPath(std::filesystem::path& target, const toml::node& node, const std::string& key) {
  std::string text;
  readString(text, node, key);
  target = text;
}

void readInteger(int& target, const toml::node& node, const std::string& key) {
  if (!node.is_integer()) throw KeyError{key, "must be a whole number"};
  const std::int64_t value = *node.value<std::int64_t>();
  if (value < 0 || value > 1'000'000'000) throw KeyError{key, "is out of range"};
  target = static_cast<int>(value);
}

void readBoolean(bool& target, const toml::node& node, const std::string& key) {
  if (!node.is_boolean()) throw KeyError{key, "must be true or false"};
  target = *node.value<bool>();
}

void readStringList(std::vector<std::string>& target, const toml::node& node,
                    const std::string& key) {
  const toml::array* array = node.as_array();
  if (array == nullptr) throw KeyError{key, "must be an array of strings"};
  target.clear();
  for (const toml::node& item : *array) {
    auto value = item.value<std::string>();
    if (!item.is_string() || !value) throw KeyError{key, "must be an array of strings"};
    target.push_back(*value);
  }
}

const std::map<std::string, KeyReader, std::less<>>& keyReaders() {
  static const std::map<std::string, KeyReader, std::less<>> readers = {
      {"server_url", [](auto& c, auto& n, auto& k) { readString(c.server_url, n, k); }},
      {"server_pin", [](auto& c, auto& n, auto& k) { readString(c.server_pin, n, k); }},
      {"ca_file", [](auto& c, auto& n, auto& k) { readString(c.ca_file, n, k); }},
      {"enrolment_secret", [](auto& c, auto& n, auto& k) { readString(c.enrolment_secret, n, k); }},
      {"enrolment_secret_file",
       [](auto& c, auto& n, auto& k) { readString(c.enrolment_secret_file, n, k); }},
      {"state_dir", [](auto& c, auto& n, auto& k) { readPath(c.state_dir, n, k); }},
      {"root", [](auto& c, auto& n, auto& k) { readPath(c.root, n, k); }},
      {"interval_minutes",
       [](auto& c, auto& n, auto& k) { readInteger(c.interval_minutes, n, k); }},
      {"jitter_share",
       [](AgentConfig& c, const toml::node& n, const std::string& k) {
         if (!n.is_number()) throw KeyError{k, "must be a number"};
         c.jitter_share = *n.value<double>();
       }},
      {"backoff_initial_seconds",
       [](auto& c, auto& n, auto& k) { readInteger(c.backoff_initial_seconds, n, k); }},
      {"backoff_max_seconds",
       [](auto& c, auto& n, auto& k) { readInteger(c.backoff_max_seconds, n, k); }},
      {"allow_plain_http",
       [](auto& c, auto& n, auto& k) { readBoolean(c.allow_plain_http, n, k); }},
      {"download_changelogs",
       [](auto& c, auto& n, auto& k) { readBoolean(c.download_changelogs, n, k); }},
      {"machine_id_path", [](auto& c, auto& n, auto& k) { readPath(c.machine_id_path, n, k); }},
      {"hooks_dir", [](auto& c, auto& n, auto& k) { readPath(c.hooks_dir, n, k); }},
      {"hook_timeout_seconds",
       [](auto& c, auto& n, auto& k) { readInteger(c.hook_timeout_seconds, n, k); }},
      {"install_timeout_minutes",
       [](auto& c, auto& n, auto& k) { readInteger(c.install_timeout_minutes, n, k); }},
      {"restart_command",
       [](auto& c, auto& n, auto& k) { readStringList(c.restart_command, n, k); }},
      {"boot_id_path", [](auto& c, auto& n, auto& k) { readPath(c.boot_id_path, n, k); }},
      {"desktop_notices", [](auto& c, auto& n, auto& k) { readBoolean(c.desktop_notices, n, k); }},
      {"countdown_program", [](auto& c, auto& n, auto& k) { readPath(c.countdown_program, n, k); }},
      {"wall_command", [](auto& c, auto& n, auto& k) { readStringList(c.wall_command, n, k); }},
      {"control_socket", [](auto& c, auto& n, auto& k) { readPath(c.control_socket, n, k); }},
  };
  return readers;
}

Result<void> invalid(std::string_view key, std::string problem) {
  return fail(ErrorCode::kInvalidArgument, fmt::format("configuration key {} {}", key, problem));
}

}  // namespace

Result<AgentConfig> parseAgentConfig(std::string_view text, std::string_view origin) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}:{}:{}: invalid TOML: {}", origin, where.line, where.column,
                            error.description()));
  }

  AgentConfig config;
  try {
    for (const auto& [key, node] : table) {
      const std::string name(key.str());
      auto reader = keyReaders().find(name);
      if (reader == keyReaders().end()) {
        throw KeyError{name, "is unknown; docs/AGENT.md lists the valid keys"};
      }
      reader->second(config, node, name);
    }
  } catch (const KeyError& error) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: key {} {}", origin, error.key, error.problem));
  }
  return config;
}

Result<AgentConfig> loadAgentConfig(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    const int error_number = errno;
    if (error_number == ENOENT) {
      return fail(ErrorCode::kNotFound,
                  fmt::format("configuration file {} does not exist", path.string()));
    }
    return fail(ErrorCode::kIoError, fmt::format("cannot read configuration file {}: {}",
                                                 path.string(), std::strerror(error_number)));
  }
  std::stringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot read configuration file {}", path.string()));
  }
  return parseAgentConfig(text.str(), path.string());
}

Result<void> validateAgentConfig(const AgentConfig& config) {
  if (config.server_url.empty()) return invalid("server_url", "is missing");
  // The client checks the URL, the pin and their combination the same way
  // it will when connecting, so one set of rules applies.
  auto client = protocol::ApiClient::create({.base_url = config.server_url,
                                             .server_pin = config.server_pin,
                                             .allow_plain_http = config.allow_plain_http});
  if (!client) return fail(ErrorCode::kInvalidArgument, client.error().message);

  if (!config.server_pin.empty() && !config.ca_file.empty()) {
    return invalid("server_pin", "and ca_file are both set; set only one of them");
  }
  if (!config.enrolment_secret.empty() && !config.enrolment_secret_file.empty()) {
    return invalid("enrolment_secret", "and enrolment_secret_file are both set; set only one");
  }

  if (config.interval_minutes < 1 || config.interval_minutes > 7 * 24 * 60) {
    return invalid("interval_minutes",
                   fmt::format("is {}; use 1 to 10080 (a week)", config.interval_minutes));
  }

  if (!(config.jitter_share >= 0.0 && config.jitter_share <= 0.5)) {
    return invalid("jitter_share", fmt::format("is {}; use 0 to 0.5", config.jitter_share));
  }
  if (config.backoff_initial_seconds < 1) {
    return invalid("backoff_initial_seconds", "must be at least 1");
  }
  if (config.backoff_max_seconds < config.backoff_initial_seconds) {
    return invalid("backoff_max_seconds",
                   fmt::format("is {}, below backoff_initial_seconds ({})",
                               config.backoff_max_seconds, config.backoff_initial_seconds));
  }

  for (const auto& [key, path] :
       {std::pair<const char*, const std::filesystem::path*>{"state_dir", &config.state_dir},
        {"root", &config.root},
        {"machine_id_path", &config.machine_id_path},
        {"hooks_dir", &config.hooks_dir},
        {"boot_id_path", &config.boot_id_path}}) {
    if (!path->is_absolute()) {
      return invalid(key, fmt::format("is \"{}\"; use an absolute path", path->string()));
    }
  }
  if (config.hook_timeout_seconds < 1) return invalid("hook_timeout_seconds", "must be at least 1");
  if (config.install_timeout_minutes < 1) {
    return invalid("install_timeout_minutes", "must be at least 1");
  }
  return {};
}

}  // namespace pk::agent
