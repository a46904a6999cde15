#pragma once

// Runs a program in the background for end-to-end tests: a server or an
// agent that the test starts, watches through its output, and stops with
// a signal of its choosing (SIGTERM for a clean stop, SIGKILL for a crash).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace pk::test_support {

class BackgroundProcess {
 public:
  // Starts argv[0] with `argv`, standard input from /dev/null, standard
  // output and error appended to `log_file` (created when missing), and
  // this process's environment plus `environment` ("NAME=value" entries).
  // Fails with kNotFound when the program cannot be started.
  static Result<BackgroundProcess> start(const std::vector<std::string>& argv,
                                         const std::filesystem::path& log_file,
                                         const std::vector<std::string>& environment = {});

  BackgroundProcess(BackgroundProcess&& other) noexcept;
  BackgroundProcess& operator=(BackgroundProcess&& other) noexcept;
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  // Kills the process with SIGKILL if it is still running, and reaps it.
  ~BackgroundProcess();

  pid_t pid() const { return pid_; }
  const std::filesystem::path& logFile() const { return log_file_; }

  // Returns the log's text so far.
  std::string log() const;

  // Polls the log every 20 ms until it contains `text` and returns the line
  // holding it, or nullopt when `limit` passes or the process exits first.
  std::optional<std::string> waitForLine(std::string_view text, std::chrono::milliseconds limit);

  // Sends `signal` and waits up to `limit` for the process to end. Returns
  // its exit status (128 + signal when a signal ended it), or nullopt when
  // it is still running after `limit` (it is then killed with SIGKILL).
  std::optional<int> stop(int signal, std::chrono::milliseconds limit);

  // Whether the process is still running (reaps it when it has ended).
  bool running();

 private:
  BackgroundProcess(pid_t pid, std::filesystem::path log_file)
      : pid_(pid), log_file_(std::move(log_file)) {}

  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::filesystem::path log_file_;
};

}  // namespace pk::test_support
