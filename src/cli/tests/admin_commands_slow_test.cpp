// Runs the patchkeeper administration commands against a real
// patchkeeper-server process on 127.0.0.1: a fresh data folder per test,
// the first admin created with `patchkeeper-server init`, then the CLI
// binary as an administrator would run it.

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/child_process.h"
#include "tests/support/background_process.h"
#include "tests/support/temporary_directory.h"

namespace {

using pk::test_support::BackgroundProcess;
using pk::test_support::TemporaryDirectory;

constexpr std::string_view kAdminPassword = "first admin password 1";
constexpr std::string_view kViewerPassword = "viewer password 12345";

struct CommandResult {
  int exit_status = -1;
  std::string out;
  std::string err;
};

std::string readText(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void writeText(const std::filesystem::path& path, std::string_view text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
}

std::string quoted(const std::string& text) {
  return "'" + text + "'";
}

// Returns the decimal digits that follow the first `marker` in `line`.
std::string digitsAfter(const std::string& line, std::string_view marker) {
  auto at = line.find(marker);
  if (at == std::string::npos) return "";
  auto start = at + marker.size();
  auto end = line.find_first_not_of("0123456789", start);
  return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

class AdminCommandsAgainstServer : public ::testing::Test {
 protected:
  // Starts a server in a new data folder and creates the first admin.
  // `plain_http` serves http:// on loopback; otherwise the server generates
  // its self-signed certificate and prints its pin.
  void startServer(bool plain_http) {
    auto created = TemporaryDirectory::create("cli-server");
    ASSERT_TRUE(created);
    folder_.emplace(std::move(*created));
    data_dir_ = folder_->path() / "data";
    server_config_ = folder_->path() / "server.toml";
    writeText(server_config_, "listen_address = \"127.0.0.1\"\nport = 0\ndata_dir = \"" +
                                  data_dir_.string() + "\"\naccess_log = \"off\"\n");
    writeText(folder_->path() / "admin-password", std::string(kAdminPassword) + "\n");
    writeText(folder_->path() / "viewer-password", std::string(kViewerPassword) + "\n");

    auto init =
        pk::runCommand({PK_SERVER_BINARY, "init", "--config", server_config_.string(), "--username",
                        "admin", "--password-file", (folder_->path() / "admin-password").string()});
    ASSERT_TRUE(init) << init.error().message;
    ASSERT_EQ(init->exit_code, 0) << init->standard_output << init->standard_error;

    std::vector<std::string> serve = {PK_SERVER_BINARY, "serve", "--config",
                                      server_config_.string()};
    if (plain_http) serve.push_back("--allow-plain-http");
    auto started = BackgroundProcess::start(serve, folder_->path() / "server.log");
    ASSERT_TRUE(started) << started.error().message;
    server_.emplace(std::move(*started));

    // The listener logs "Serving HTTP on 127.0.0.1 port N" (or HTTPS) once bound.
    auto serving = server_->waitForLine(plain_http ? "Serving HTTP on" : "Serving HTTPS on",
                                        std::chrono::seconds(30));
    ASSERT_TRUE(serving) << "the server did not start:\n" << server_->log();
    std::string port = digitsAfter(*serving, "port ");
    ASSERT_FALSE(port.empty()) << *serving;
    server_url_ = std::string(plain_http ? "http" : "https") + "://127.0.0.1:" + port;

    if (!plain_http) {
      std::string log = server_->log();
      auto at = log.find("TLS public key pin: sha256:");
      ASSERT_NE(at, std::string::npos) << log;
      pin_ = log.substr(at + std::string_view("TLS public key pin: ").size(), 7 + 64);
    }
  }

  void TearDown() override {
    if (server_) server_->stop(SIGTERM, std::chrono::seconds(10));
  }

  // Runs patchkeeper with `arguments` and the client configuration file
  // `config_name` in this test's folder, standard input from `input`.
  CommandResult run(const std::string& arguments, const std::string& config_name = "admin.json",
                    const std::string& input = "") {
    auto input_file = folder_->path() / "stdin.txt";
    auto err_file = folder_->path() / "stderr.txt";
    writeText(input_file, input);
    std::string command = "env -u PATCHKEEPER_TOKEN PATCHKEEPER_CONFIG=" +
                          quoted((folder_->path() / config_name).string()) + " " + PK_CLI_BINARY +
                          " " + arguments + " <" + quoted(input_file.string()) + " 2>" +
                          quoted(err_file.string());
    CommandResult result;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
      result.out += buffer.data();
    }
    int status = pclose(pipe);
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = readText(err_file);
    return result;
  }

  std::string passwordFile(std::string_view name) const {
    return quoted((folder_->path() / name).string());
  }

  // Logs in as the first admin with the client configuration admin.json.
  void loginAsAdmin() {
    auto login = run("login --server " + server_url_ + " --username admin --password-file " +
                     passwordFile("admin-password"));
    ASSERT_EQ(login.exit_status, 0) << login.err;
  }

  std::optional<TemporaryDirectory> folder_;
  std::filesystem::path data_dir_;
  std::filesystem::path server_config_;
  std::optional<BackgroundProcess> server_;
  std::string server_url_;
  std::string pin_;
};

TEST_F(AdminCommandsAgainstServer, AdminWorkflowIsAudited) {
  ASSERT_NO_FATAL_FAILURE(startServer(/*plain_http=*/true));
  ASSERT_NO_FATAL_FAILURE(loginAsAdmin());

  auto whoami = run("whoami --format json");
  ASSERT_EQ(whoami.exit_status, 0) << whoami.err;
  auto me = nlohmann::json::parse(whoami.out);
  EXPECT_EQ(me["username"], "admin");
  EXPECT_EQ(me["roles"], nlohmann::json({"admin"}));

  auto create_user = run("users create --username victor --roles viewer --password-file " +
                         passwordFile("viewer-password"));
  ASSERT_EQ(create_user.exit_status, 0) << create_user.err;
  EXPECT_NE(create_user.out.find("victor"), std::string::npos) << create_user.out;

  auto users = run("users list --format csv");
  ASSERT_EQ(users.exit_status, 0) << users.err;
  EXPECT_NE(users.out.find("\nvictor,viewer,no,"), std::string::npos) << users.out;

  auto token = run("tokens create --name \"nightly report\" --expires-in-days 30 --format json");
  ASSERT_EQ(token.exit_status, 0) << token.err;
  auto token_json = nlohmann::json::parse(token.out);
  ASSERT_TRUE(token_json["token"].is_string()) << token.out;
  EXPECT_EQ(token_json["token"].get<std::string>().size(), 64U);
  EXPECT_NE(token.err.find("shows this token only once"), std::string::npos);

  // The new API token works on its own, without the saved session.
  auto with_token =
      run("whoami --format json --token " + token_json["token"].get<std::string>(), "none.json");
  ASSERT_EQ(with_token.exit_status, 2) << "no server is saved in none.json";
  auto token_whoami = run("whoami --format json --server " + server_url_ + " --token " +
                              token_json["token"].get<std::string>(),
                          "none.json");
  ASSERT_EQ(token_whoami.exit_status, 0) << token_whoami.err;
  EXPECT_EQ(nlohmann::json::parse(token_whoami.out)["username"], "admin");

  auto hosts = run("hosts list");
  ASSERT_EQ(hosts.exit_status, 0) << hosts.err;
  EXPECT_EQ(hosts.out, "no hosts\n");
  auto hosts_json = run("hosts list --format json");
  ASSERT_EQ(hosts_json.exit_status, 0) << hosts_json.err;
  EXPECT_EQ(nlohmann::json::parse(hosts_json.out), nlohmann::json::array());

  auto secret =
      run("enrolment-secrets create --name \"web servers\" --kind server --owner victor "
          "--collections web,dmz --expires-in-hours 24 --format json");
  ASSERT_EQ(secret.exit_status, 0) << secret.err;
  auto secret_json = nlohmann::json::parse(secret.out);
  EXPECT_TRUE(secret_json["secret"].is_string()) << secret.out;
  auto collections = secret_json["collections"].get<std::vector<std::string>>();
  std::sort(collections.begin(), collections.end());
  EXPECT_EQ(collections, (std::vector<std::string>{"dmz", "web"}));

  auto secrets = run("enrolment-secrets list");
  ASSERT_EQ(secrets.exit_status, 0) << secrets.err;
  EXPECT_NE(secrets.out.find("web servers"), std::string::npos) << secrets.out;
  EXPECT_EQ(secrets.out.find(secret_json["secret"].get<std::string>()), std::string::npos)
      << "a listing must not show the secret again";

  std::string secret_id = std::to_string(secret_json["id"].get<std::int64_t>());
  auto revoke_secret = run("enrolment-secrets delete " + secret_id);
  ASSERT_EQ(revoke_secret.exit_status, 0) << revoke_secret.err;
  auto after_revoke = run("enrolment-secrets list --format json");
  ASSERT_EQ(after_revoke.exit_status, 0) << after_revoke.err;
  EXPECT_EQ(nlohmann::json::parse(after_revoke.out).at(0)["status"], "revoked") << after_revoke.out;

  auto unknown_host = run("hosts show h-0123456789abcdef");
  EXPECT_EQ(unknown_host.exit_status, 3);
  EXPECT_NE(unknown_host.err.find("(not_found)"), std::string::npos) << unknown_host.err;

  auto exported = run("audit export --since 1h");
  ASSERT_EQ(exported.exit_status, 0) << exported.err;
  std::vector<std::string> actions;
  std::istringstream lines(exported.out);
  std::string line;
  while (std::getline(lines, line)) {
    auto event = nlohmann::json::parse(line);
    actions.push_back(event["action"].get<std::string>());
    EXPECT_EQ(line.find(std::string(kViewerPassword)), std::string::npos)
        << "the audit log must not contain a password: " << line;
  }
  for (const char* expected : {"user.create", "token.create", "enrolment_secret.create"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), expected), actions.end())
        << expected << " missing from:\n"
        << exported.out;
  }

  auto audit = run("audit list --object-type user --format json");
  ASSERT_EQ(audit.exit_status, 0) << audit.err;
  auto user_events = nlohmann::json::parse(audit.out);
  ASSERT_FALSE(user_events.empty());
  for (const auto& event : user_events) EXPECT_EQ(event["object_type"], "user");
}

TEST_F(AdminCommandsAgainstServer, WrongPasswordExitsThree) {
  ASSERT_NO_FATAL_FAILURE(startServer(/*plain_http=*/true));
  writeText(folder_->path() / "wrong-password", "not the password at all\n");

  auto login = run("login --server " + server_url_ + " --username admin --password-file " +
                   passwordFile("wrong-password"));
  EXPECT_EQ(login.exit_status, 3);
  EXPECT_EQ(login.out, "");
  EXPECT_EQ(login.err.rfind("error: ", 0), 0U) << login.err;
  EXPECT_NE(login.err.find("(invalid_credentials)\n"), std::string::npos) << login.err;
  EXPECT_EQ(login.err.find("hint:"), std::string::npos) << "no login hint for a login";
  EXPECT_FALSE(std::filesystem::exists(folder_->path() / "admin.json"));
}

TEST_F(AdminCommandsAgainstServer, PasswordFromStandardInput) {
  ASSERT_NO_FATAL_FAILURE(startServer(/*plain_http=*/true));
  auto login = run("login --server " + server_url_ + " --username admin", "admin.json",
                   std::string(kAdminPassword) + "\n");
  ASSERT_EQ(login.exit_status, 0) << login.err;
  EXPECT_NE(login.out.find("logged in to " + server_url_ + " as admin"), std::string::npos);
}

TEST_F(AdminCommandsAgainstServer, ViewerCannotCreateUser) {
  ASSERT_NO_FATAL_FAILURE(startServer(/*plain_http=*/true));
  ASSERT_NO_FATAL_FAILURE(loginAsAdmin());
  auto create_viewer = run("users create --username victor --roles viewer --password-file " +
                           passwordFile("viewer-password"));
  ASSERT_EQ(create_viewer.exit_status, 0) << create_viewer.err;

  auto login = run("login --server " + server_url_ + " --username victor --password-file " +
                       passwordFile("viewer-password"),
                   "viewer.json");
  ASSERT_EQ(login.exit_status, 0) << login.err;

  auto create = run("users create --username mallory --roles admin --password-file " +
                        passwordFile("viewer-password"),
                    "viewer.json");
  EXPECT_EQ(create.exit_status, 3);
  EXPECT_EQ(create.out, "");
  EXPECT_EQ(create.err.rfind("error: ", 0), 0U) << create.err;
  EXPECT_NE(create.err.find("(forbidden)"), std::string::npos) << create.err;
  EXPECT_NE(create.err.find("manage_users"), std::string::npos) << create.err;

  // A viewer may still read hosts.
  auto hosts = run("hosts list", "viewer.json");
  EXPECT_EQ(hosts.exit_status, 0) << hosts.err;
}

TEST_F(AdminCommandsAgainstServer, LogoutEndsSession) {
  ASSERT_NO_FATAL_FAILURE(startServer(/*plain_http=*/true));
  ASSERT_NO_FATAL_FAILURE(loginAsAdmin());
  std::string saved_token =
      nlohmann::json::parse(readText(folder_->path() / "admin.json"))["token"].get<std::string>();

  auto logout = run("logout");
  ASSERT_EQ(logout.exit_status, 0) << logout.err;
  EXPECT_EQ(logout.out, "logged out\n");
  EXPECT_FALSE(nlohmann::json::parse(readText(folder_->path() / "admin.json")).contains("token"));

  auto whoami = run("whoami --token " + saved_token);
  EXPECT_EQ(whoami.exit_status, 3);
  EXPECT_NE(whoami.err.find("(revoked_credential)"), std::string::npos) << whoami.err;
  EXPECT_NE(whoami.err.find("hint: run `patchkeeper login`"), std::string::npos) << whoami.err;
}

TEST_F(AdminCommandsAgainstServer, PinnedHttpsLogin) {
  ASSERT_NO_FATAL_FAILURE(startServer(/*plain_http=*/false));
  ASSERT_FALSE(pin_.empty());

  auto login = run("login --server " + server_url_ + " --pin " + pin_ +
                   " --username admin --password-file " + passwordFile("admin-password"));
  ASSERT_EQ(login.exit_status, 0) << login.err;
  auto saved = nlohmann::json::parse(readText(folder_->path() / "admin.json"));
  EXPECT_EQ(saved["pin"], pin_);

  auto whoami = run("whoami --format json");
  ASSERT_EQ(whoami.exit_status, 0) << whoami.err;
  EXPECT_EQ(nlohmann::json::parse(whoami.out)["username"], "admin");
}

TEST_F(AdminCommandsAgainstServer, WrongPinFailsBeforeSendingPassword) {
  ASSERT_NO_FATAL_FAILURE(startServer(/*plain_http=*/false));
  std::string wrong_pin = "sha256:" + std::string(64, '0');

  auto login = run("login --server " + server_url_ + " --pin " + wrong_pin +
                   " --username admin --password-file " + passwordFile("admin-password"));
  EXPECT_EQ(login.exit_status, 3);
  EXPECT_NE(login.err.find(wrong_pin), std::string::npos) << login.err;
  EXPECT_NE(login.err.find(pin_), std::string::npos) << login.err;
  EXPECT_FALSE(std::filesystem::exists(folder_->path() / "admin.json"));
}

}  // namespace
