// Runs the real patchkeeper binary's administration commands where no
// server is needed: argument checks that stop before any request, a missing
// or unsafe configuration, and a connection that is refused.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "cli/admin_config.h"
#include "tests/support/temporary_directory.h"

namespace pk::cli {
namespace {

using test_support::TemporaryDirectory;

struct CommandResult {
  int exit_status = -1;
  std::string out;
  std::string err;
};

class AdminCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = TemporaryDirectory::create("cli-binary");
    ASSERT_TRUE(created);
    folder_.emplace(std::move(*created));
    config_path_ = folder_->path() / "cli.json";
  }

  // Runs patchkeeper with `arguments` and the configuration file in this
  // test's folder, with PATCHKEEPER_TOKEN unset.
  CommandResult run(const std::string& arguments) {
    std::filesystem::path err_file = folder_->path() / "stderr.txt";
    std::string command = "env -u PATCHKEEPER_TOKEN PATCHKEEPER_CONFIG='" + config_path_.string() +
                          "' " + PK_CLI_BINARY + " " + arguments + " 2>'" + err_file.string() +
                          "' </dev/null";
    CommandResult result;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
      result.out += buffer.data();
    }
    int status = pclose(pipe);
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream err(err_file);
    std::stringstream text;
    text << err.rdbuf();
    result.err = text.str();
    return result;
  }

  std::optional<TemporaryDirectory> folder_;
  std::filesystem::path config_path_;
};

// A TCP port on 127.0.0.1 that is bound but not listening, so connecting
// to it is refused, and no other program can take it while the test runs.
class ClosedLoopbackPort {
 public:
  ClosedLoopbackPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ClosedLoopbackPort(const ClosedLoopbackPort&) = delete;
  ClosedLoopbackPort& operator=(const ClosedLoopbackPort&) = delete;
  ~ClosedLoopbackPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(AdminCli, HelpListsAdministrationCommands) {
  auto result = run("--help");
  EXPECT_EQ(result.exit_status, 0);
  for (const char* command : {"login", "logout", "whoami", "hosts", "findings", "feeds",
                              "enrolment-secrets", "users", "tokens", "audit", "scan", "version"}) {
    EXPECT_NE(result.out.find(command), std::string::npos) << command;
  }
}

TEST_F(AdminCli, BadHostIdIsUsageError) {
  auto result = run("hosts show web-01");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("invalid host id 'web-01'"), std::string::npos) << result.err;
}

TEST_F(AdminCli, UnknownFormatIsUsageError) {
  auto result = run("hosts list --format xml");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("unknown output format 'xml'"), std::string::npos) << result.err;
}

TEST_F(AdminCli, UnknownRoleIsUsageError) {
  auto result = run("users create --username bob --roles viewer,root");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("unknown role 'root'"), std::string::npos) << result.err;
}

TEST_F(AdminCli, MissingRequiredOptionIsUsageError) {
  auto result = run("enrolment-secrets create --name web --kind server --owner alice");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("--expires-in-hours"), std::string::npos) << result.err;
}

TEST_F(AdminCli, BadKindSeverityAndSinceAreUsageErrors) {
  EXPECT_EQ(run("hosts set h-0123456789abcdef --kind laptop").exit_status, 2);
  EXPECT_EQ(run("findings list --severity severe").exit_status, 2);
  EXPECT_EQ(run("findings list --status closed").exit_status, 2);
  EXPECT_EQ(run("audit export --since yesterday").exit_status, 2);
  EXPECT_EQ(run("tokens revoke 0").exit_status, 2);
  EXPECT_EQ(run("hosts list --pin sha256:abc").exit_status, 2);
}

TEST_F(AdminCli, PlainHttpToRemoteHostIsUsageError) {
  auto result = run("hosts list --server http://192.0.2.10:8080");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("accepted only for 127.0.0.1, ::1 or localhost"), std::string::npos)
      << result.err;
}

TEST_F(AdminCli, NoServerConfiguredIsUsageError) {
  auto result = run("hosts list");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("error: no server is configured: run `patchkeeper login"),
            std::string::npos)
      << result.err;
}

TEST_F(AdminCli, ConfigReadableByOthersIsError) {
  ClientConfig config;
  config.server_url = "https://127.0.0.1:8443";
  ASSERT_TRUE(saveClientConfig(config_path_, config));
  ASSERT_EQ(::chmod(config_path_.c_str(), 0644), 0);

  auto result = run("hosts list");
  EXPECT_EQ(result.exit_status, 3);
  EXPECT_NE(result.err.find("chmod 600"), std::string::npos) << result.err;
}

TEST_F(AdminCli, RefusedConnectionIsErrorThree) {
  ClosedLoopbackPort port;
  ASSERT_NE(port.port(), 0);
  auto result = run("hosts list --server http://127.0.0.1:" + std::to_string(port.port()));
  EXPECT_EQ(result.exit_status, 3);
  EXPECT_EQ(result.err.rfind("error: ", 0), 0U) << result.err;
  EXPECT_NE(result.err.find("(io_error)"), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
}

TEST_F(AdminCli, LoginWithoutPasswordOnStdinIsUsageError) {
  ClosedLoopbackPort port;
  ASSERT_NE(port.port(), 0);
  auto result =
      run("login --server http://127.0.0.1:" + std::to_string(port.port()) + " --username alice");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("no password given"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(config_path_));
}

}  // namespace
}  // namespace pk::cli
