#include "tests/e2e/fleet_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "common/child_process.h"

namespace pk::e2e {

namespace {

Result<void> writeText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::trunc);
  file << text;
  file.close();
  if (!file) return fail(ErrorCode::kIoError, "cannot write " + path.string());
  return {};
}

}  // namespace

int freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

Fleet::Fleet(test_support::TemporaryDirectory directory, int port)
    : directory_(std::move(directory)), folder_(directory_.path()), port_(port) {}

Result<Fleet> Fleet::create(const std::string& name, const std::string& feeds_toml) {
  auto directory = test_support::TemporaryDirectory::create(name);
  if (!directory) return tl::unexpected(directory.error());
  Fleet fleet(std::move(*directory), freeLoopbackPort());
  std::filesystem::create_directories(fleet.folder_ / "agents");

  std::ostringstream config;
  config << "listen_address = \"127.0.0.1\"\n"
         << "port = " << fleet.port_ << "\n"
         << "data_dir = \"" << (fleet.folder_ / "server").string() << "\"\n"
         << "access_log = \"" << (fleet.folder_ / "access.log").string() << "\"\n"
         << feeds_toml;
  std::filesystem::create_directories(fleet.folder_ / "server");
  if (auto written = writeText(fleet.folder_ / "server.toml", config.str()); !written) {
    return tl::unexpected(written.error());
  }
  if (auto written = writeText(fleet.folder_ / "admin-password", fleet.admin_password_ + "\n");
      !written) {
    return tl::unexpected(written.error());
  }

  const std::vector<std::string> init = {
      PK_SERVER_BINARY, "init",  "--config",        (fleet.folder_ / "server.toml").string(),
      "--username",     "admin", "--password-file", (fleet.folder_ / "admin-password").string()};
  auto outcome = runCommand(init);
  if (!outcome) return tl::unexpected(outcome.error());
  if (outcome->exit_code != 0) return fail(ErrorCode::kIoError, describeFailure(init, *outcome));
  return fleet;
}

std::string Fleet::databaseUrl() const {
  return "sqlite://" + (folder_ / "server" / "patchkeeper.db").string();
}

Result<void> Fleet::startServer() {
  auto started = test_support::BackgroundProcess::start(
      {PK_SERVER_BINARY, "serve", "--config", (folder_ / "server.toml").string()},
      folder_ / "server.log", {"PK_TEST_CLOCK_SHIFT_FILE=" + (folder_ / "clock-shift").string()});
  if (!started) return tl::unexpected(started.error());
  server_.emplace(std::move(*started));

  const auto line = server_->waitForLine("sha256:", std::chrono::seconds(60));
  if (!line) return fail(ErrorCode::kIoError, "the server printed no key pin:\n" + serverLog());
  std::smatch match;
  if (!std::regex_search(*line, match, std::regex("sha256:[0-9a-f]{64}"))) {
    return fail(ErrorCode::kIoError, "no pin in the line: " + *line);
  }
  pin_ = match.str();

  // The pin is printed before the listener binds; wait until it answers.
  for (int attempt = 0; attempt < 300; ++attempt) {
    auto client = protocol::ApiClient::create({.base_url = baseUrl(), .server_pin = pin_});
    if (!client) return tl::unexpected(client.error());
    auto health = client->get("/healthz");
    if (health && health->status == 200) return {};
    if (!server_->running()) break;
    ::usleep(20'000);
  }
  return fail(ErrorCode::kIoError, "the server did not answer /healthz:\n" + serverLog());
}

Result<void> Fleet::shiftServerClock(std::chrono::seconds shift) {
  if (!server_) return fail(ErrorCode::kInvalidArgument, "the server is not running");
  {
    std::ofstream file(folder_ / "clock-shift", std::ios::trunc);
    file << shift.count() << "\n";
    if (!file.flush()) return fail(ErrorCode::kIoError, "cannot write the clock shift file");
  }
  if (::kill(server_->pid(), SIGUSR1) != 0) {
    return fail(ErrorCode::kIoError, "cannot signal the server: " + std::string(strerror(errno)));
  }
  // The server logs each shift it takes; wait for this one.
  const std::string line = fmt::format("time is shifted forward by {} s", shift.count());
  if (!server_->waitForLine(line, std::chrono::seconds(30))) {
    return fail(ErrorCode::kIoError,
                "the server did not take the clock shift (a build without PK_TEST_CLOCK?):\n" +
                    serverLog());
  }
  return {};
}

void Fleet::stopServer(int signal) {
  if (server_) server_->stop(signal, std::chrono::seconds(30));
  server_.reset();
}

nlohmann::json Fleet::waitForAdminGet(const std::string& path,
                                      const std::function<bool(const nlohmann::json&)>& condition) {
  nlohmann::json last;
  for (int attempt = 0; attempt < 600; ++attempt) {
    auto body = adminGet(path);
    if (body) {
      last = *body;
      if (condition(last)) return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

std::string Fleet::serverLog() const {
  std::ifstream file(folder_ / "server.log");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

Result<protocol::ApiClient> Fleet::adminClient() {
  auto client = protocol::ApiClient::create({.base_url = baseUrl(), .server_pin = pin_});
  if (!client) return client;
  const nlohmann::json login = {{"username", "admin"}, {"password", admin_password_}};
  auto response = client->post("/api/v1/sessions", login.dump());
  if (!response) return tl::unexpected(response.error());
  if (response->status != 201) {
    return fail(ErrorCode::kIoError,
                "admin login failed: " + std::to_string(response->status) + " " + response->body);
  }
  client->setBearerToken(nlohmann::json::parse(response->body).at("token").get<std::string>());
  return client;
}

Result<std::string> Fleet::createEnrolmentSecret(const std::string& name,
                                                 const std::vector<std::string>& collections) {
  auto client = adminClient();
  if (!client) return tl::unexpected(client.error());
  const nlohmann::json request = {{"name", name},
                                  {"kind", "server"},
                                  {"owner", "admin"},
                                  {"collections", collections},
                                  {"expires_in_hours", 2}};
  auto response = client->post("/api/v1/enrolment-secrets", request.dump());
  if (!response) return tl::unexpected(response.error());
  if (response->status != 201) {
    return fail(ErrorCode::kIoError, "creating an enrolment secret failed: " +
                                         std::to_string(response->status) + " " + response->body);
  }
  return nlohmann::json::parse(response->body).at("secret").get<std::string>();
}

Result<std::filesystem::path> Fleet::writeAgentConfig(const std::string& name,
                                                      const std::filesystem::path& root,
                                                      const std::string& secret) {
  const std::filesystem::path state = folder_ / "agents" / name;
  std::filesystem::create_directories(state.parent_path());
  const std::filesystem::path secret_file = folder_ / "agents" / (name + ".secret");
  if (auto written = writeText(secret_file, secret + "\n"); !written) {
    return tl::unexpected(written.error());
  }
  std::ostringstream config;
  config << "server_url = \"" << baseUrl() << "\"\n"
         << "server_pin = \"" << pin_ << "\"\n"
         << "enrolment_secret_file = \"" << secret_file.string() << "\"\n"
         << "state_dir = \"" << state.string() << "\"\n"
         << "root = \"" << root.string() << "\"\n"
         << "backoff_initial_seconds = 1\n";
  const std::filesystem::path path = folder_ / "agents" / (name + ".toml");
  if (auto written = writeText(path, config.str()); !written) {
    return tl::unexpected(written.error());
  }
  return path;
}

int Fleet::runAgentOnce(const std::filesystem::path& config) {
  std::filesystem::path log = config;
  log.replace_extension(".log");
  auto process = test_support::BackgroundProcess::start(
      {PK_AGENT_BINARY, "run", "--config", config.string(), "--once"}, log,
      {"PK_TEST_CLOCK_SHIFT_FILE=" + (folder_ / "clock-shift").string()});
  if (!process) return -1;
  const auto status = process->stop(0, std::chrono::minutes(5));
  return status.value_or(-1);
}

namespace {

Result<nlohmann::json> parsedBody(const std::string& what,
                                  const Result<protocol::ApiResponse>& response, int expected) {
  if (!response) return tl::unexpected(response.error());
  if (response->status != expected) {
    return fail(ErrorCode::kIoError,
                what + ": " + std::to_string(response->status) + " " + response->body);
  }
  return nlohmann::json::parse(response->body, nullptr, false);
}

}  // namespace

Result<nlohmann::json> Fleet::adminPost(const std::string& path, const nlohmann::json& body,
                                        int expected) {
  auto client = adminClient();
  if (!client) return tl::unexpected(client.error());
  return parsedBody("POST " + path, client->post(path, body.dump()), expected);
}

Result<nlohmann::json> Fleet::adminPut(const std::string& path, const nlohmann::json& body) {
  auto client = adminClient();
  if (!client) return tl::unexpected(client.error());
  return parsedBody("PUT " + path, client->put(path, body.dump()), 200);
}

Result<nlohmann::json> Fleet::adminGet(const std::string& path) {
  auto client = adminClient();
  if (!client) return tl::unexpected(client.error());
  auto response = client->get(path);
  if (!response) return tl::unexpected(response.error());
  if (response->status != 200) {
    return fail(ErrorCode::kIoError,
                "GET " + path + ": " + std::to_string(response->status) + " " + response->body);
  }
  return nlohmann::json::parse(response->body);
}

}  // namespace pk::e2e
