#include "cli/admin_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "protocol/api_client.h"

namespace pk::cli {
namespace {

std::string environmentValue(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string systemReason(int error_number) {
  return std::generic_category().message(error_number);
}

// Closes a descriptor on scope exit unless released.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and returns close(2)'s result, because a failed close can
  // mean the data never reached the disk.
  int close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

Result<void> ensureFolder(const std::filesystem::path& folder) {
  if (folder.empty()) return {};
  std::error_code error;
  if (std::filesystem::is_directory(folder, error)) return {};
  std::filesystem::create_directories(folder, error);
  if (error) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot create the folder {}: {}", folder.string(), error.message()));
  }
  // Only the owner needs to list the folder that contains the token file.
  std::filesystem::permissions(folder, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  return {};
}

bool isLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (host.rfind("127.", 0) != 0) return false;
  // 127.0.0.0/8: four dot-separated numbers.
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace

ConfigEnvironment ConfigEnvironment::fromProcess() {
  ConfigEnvironment environment;
  environment.config_path = environmentValue("PATCHKEEPER_CONFIG");
  environment.token = environmentValue("PATCHKEEPER_TOKEN");
  environment.xdg_config_home = environmentValue("XDG_CONFIG_HOME");
  environment.home = environmentValue("HOME");
  return environment;
}

Result<std::filesystem::path> clientConfigPath(const ConfigEnvironment& environment) {
  if (!environment.config_path.empty()) return std::filesystem::path(environment.config_path);
  if (!environment.xdg_config_home.empty()) {
    return std::filesystem::path(environment.xdg_config_home) / "patchkeeper" / "cli.json";
  }
  if (!environment.home.empty()) {
    return std::filesystem::path(environment.home) / ".config" / "patchkeeper" / "cli.json";
  }
  return fail(ErrorCode::kInvalidArgument,
              "cannot find the client configuration: set PATCHKEEPER_CONFIG to a file path, "
              "or HOME");
}

Result<ClientConfig> loadClientConfig(const std::filesystem::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    if (errno == ENOENT) return ClientConfig{};
    return fail(ErrorCode::kIoError,
                fmt::format("cannot read {}: {}", path.string(), systemReason(errno)));
  }
  if ((status.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("{} holds a session token but group or others may access it "
                            "(mode {:o}); run: chmod 600 {}",
                            path.string(), status.st_mode & 0777U, path.string()));
  }

  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  if (!file) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot read {}: {}", path.string(), systemReason(errno)));
  }

  auto document = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{} is not a JSON object; fix it or delete it and run "
                            "`patchkeeper login` again",
                            path.string()));
  }

  ClientConfig config;
  const std::pair<const char*, std::string*> fields[] = {
      {"server_url", &config.server_url}, {"pin", &config.pin},
      {"ca_file", &config.ca_file},       {"token", &config.token},
      {"username", &config.username},     {"token_expires_at", &config.token_expires_at},
  };
  for (const auto& [name, target] : fields) {
    auto found = document.find(name);
    if (found == document.end() || found->is_null()) continue;
    if (!found->is_string()) {
      return fail(ErrorCode::kMalformedInput,
                  fmt::format("{}: field \"{}\" must be a string", path.string(), name));
    }
    *target = found->get<std::string>();
  }
  return config;
}

Result<void> saveClientConfig(const std::filesystem::path& path, const ClientConfig& config) {
  nlohmann::json document = nlohmann::json::object();
  const std::pair<const char*, const std::string*> fields[] = {
      {"server_url", &config.server_url}, {"pin", &config.pin},
      {"ca_file", &config.ca_file},       {"token", &config.token},
      {"username", &config.username},     {"token_expires_at", &config.token_expires_at},
  };
  for (const auto& [name, value] : fields) {
    if (!value->empty()) document[name] = *value;
  }
  std::string text = document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";

  std::filesystem::path folder = path.parent_path();
  if (auto created = ensureFolder(folder); !created) return created;

  auto failure = [&path](std::string_view step, int error_number) {
    return fail(ErrorCode::kIoError, fmt::format("cannot save {}: {} failed: {}", path.string(),
                                                 step, systemReason(error_number)));
  };

  // mkstemp creates the file with mode 0600, so the token is never readable
  // by others, even before the rename.
  std::string temporary = path.string() + ".tmp-XXXXXX";
  FileDescriptor fd(::mkstemp(temporary.data()));
  if (fd.get() < 0) return failure("creating a temporary file", errno);
  auto discard = [&temporary] { ::unlink(temporary.c_str()); };

  if (!writeAll(fd.get(), text)) {
    int error_number = errno;
    discard();
    return failure("write", error_number);
  }
  if (::fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0 || ::fsync(fd.get()) != 0) {
    int error_number = errno;
    discard();
    return failure("fsync", error_number);
  }
  if (fd.close() != 0) {
    int error_number = errno;
    discard();
    return failure("close", error_number);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error_number = errno;
    discard();
    return failure("rename", error_number);
  }

  // Syncing the folder makes the rename itself survive a crash.
  FileDescriptor folder_fd(
      ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (folder_fd.get() >= 0) ::fsync(folder_fd.get());
  return {};
}

ClientConfig applyOverrides(ClientConfig config, const ConnectionFlags& flags,
                            const ConfigEnvironment& environment) {
  if (!flags.server.empty() && flags.server != config.server_url) {
    config.server_url = flags.server;
    config.pin.clear();
    config.ca_file.clear();
  }
  if (!flags.pin.empty()) {
    config.pin = flags.pin;
    config.ca_file.clear();
  }
  if (!flags.ca_file.empty()) {
    config.ca_file = flags.ca_file;
    if (flags.pin.empty()) config.pin.clear();
  }
  if (!environment.token.empty()) config.token = environment.token;
  if (!flags.token.empty()) config.token = flags.token;
  return config;
}

Result<void> validateServerUrl(const std::string& url) {
  auto invalid = [&url](std::string_view reason) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("invalid server URL '{}': {}; expected https://HOST:PORT", url, reason));
  };

  std::string_view rest = url;
  bool plain = false;
  if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
    plain = true;
  } else {
    return invalid("it must start with https://");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@ ") != std::string_view::npos) {
    return invalid("it must name only a host and a port");
  }

  std::string_view host = rest;
  std::string_view port;
  if (rest.rfind('[', 0) == 0) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return invalid("an IPv6 address lacks its ']'");
    host = rest.substr(0, close + 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return invalid("unexpected text after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) return invalid("the port is empty");
    }
  } else if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) return invalid("the port is empty");
  }
  if (host.empty() || host == "[]") return invalid("the host is empty");
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
      return invalid("the port must be a number from 1 to 65535");
    }
  }
  if (plain && !isLoopbackHost(host)) {
    return invalid(
        "plain http:// would send passwords and tokens unencrypted and is accepted only for "
        "127.0.0.1, ::1 or localhost");
  }
  return {};
}

Result<void> validatePin(const std::string& pin) {
  if (protocol::isPublicKeyPin(pin)) return {};
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("invalid pin '{}': expected \"sha256:\" followed by 64 lower-case hex "
                          "digits, as patchkeeper-server prints at start",
                          pin));
}

}  // namespace pk::cli
