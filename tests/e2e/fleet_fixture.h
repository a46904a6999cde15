#pragma once

// A patchkeeper deployment on loopback for end-to-end tests: the real
// patchkeeper-server binary on a fresh SQLite file with a generated TLS
// certificate, and real patchkeeper-agent processes reporting to it.

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "protocol/api_client.h"
#include "tests/support/background_process.h"
#include "tests/support/temporary_directory.h"

namespace pk::e2e {

// Returns a TCP port on 127.0.0.1 that was free a moment ago.
int freeLoopbackPort();

class Fleet {
 public:
  // Creates the folder, writes the server's configuration with `feeds_toml`
  // appended ([[feeds]] tables), and creates the first admin.
  static Result<Fleet> create(const std::string& name, const std::string& feeds_toml);

  const std::filesystem::path& folder() const { return folder_; }
  std::string databaseUrl() const;
  std::string baseUrl() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& pin() const { return pin_; }

  // Starts the server and waits until it prints its key pin and answers
  // /healthz. Fails with the server's log when it does not.
  Result<void> startServer();
  // Moves the running server's clock forward to `shift` past the real time
  // (PK_TEST_CLOCK in a test build): writes the shift file the server was
  // started with and sends SIGUSR1. Shifts only grow.
  Result<void> shiftServerClock(std::chrono::seconds shift);

  // Stops the server with `signal` (SIGTERM, or SIGKILL for a crash).
  void stopServer(int signal);
  bool serverRunning() { return server_ && server_->running(); }

  // A client logged in as the first admin.
  Result<protocol::ApiClient> adminClient();

  // Creates an enrolment secret for servers owned by "admin", whose hosts
  // join `collections`, and returns it.
  Result<std::string> createEnrolmentSecret(const std::string& name,
                                            const std::vector<std::string>& collections = {"e2e"});

  // Writes an agent configuration for a host whose root is `root`, with its
  // state under folder()/agents/<name>, and returns the file's path.
  Result<std::filesystem::path> writeAgentConfig(const std::string& name,
                                                 const std::filesystem::path& root,
                                                 const std::string& secret);

  // Runs `patchkeeper-agent run --config CONFIG --once` to completion and
  // returns its exit status; its output goes to folder()/agents/<name>.log.
  // The agent's clock is shifted as the server's was (a test build reads
  // the shift file at start).
  int runAgentOnce(const std::filesystem::path& config);

  // POSTs `body` to `path` as the admin and returns the parsed body, failing
  // on a status other than `expected`.
  Result<nlohmann::json> adminPost(const std::string& path, const nlohmann::json& body,
                                   int expected = 201);
  Result<nlohmann::json> adminPut(const std::string& path, const nlohmann::json& body);

  // GETs `path` as the admin and returns the parsed body, failing on a
  // status other than 200.
  Result<nlohmann::json> adminGet(const std::string& path);

  // GETs `path` as the admin every 100 ms, for up to a minute, until
  // `condition` holds for the body, because the server evaluates and syncs
  // feeds in its own time. Returns the last body read either way.
  nlohmann::json waitForAdminGet(const std::string& path,
                                 const std::function<bool(const nlohmann::json&)>& condition);

  // The server's log so far.
  std::string serverLog() const;

 private:
  Fleet(test_support::TemporaryDirectory directory, int port);

  test_support::TemporaryDirectory directory_;
  std::filesystem::path folder_;
  int port_ = 0;
  std::string pin_;
  std::optional<test_support::BackgroundProcess> server_;
  std::string admin_password_ = "correct horse battery staple";
};

}  // namespace pk::e2e
