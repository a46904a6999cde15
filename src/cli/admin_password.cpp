#include "cli/admin_password.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <system_error>

#include <fmt/format.h>

namespace pk::cli {
namespace {

void dropLineEnding(std::string& line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
}

// Turns terminal echo off for its lifetime and restores the previous mode,
// also when reading fails.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

Result<std::string> promptWithoutEcho(std::string_view prompt) {
  std::cerr << prompt << std::flush;
  EchoOff echo_off(STDIN_FILENO);
  return readPasswordLine(std::cin);
}

}  // namespace

Result<std::string> readPasswordFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot read the password file {}: {}", path.string(),
                            std::generic_category().message(errno)));
  }
  std::string line;
  std::getline(file, line);
  dropLineEnding(line);
  if (line.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the password file {} is empty; put the password on its first line",
                            path.string()));
  }
  return line;
}

Result<std::string> readPasswordLine(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) {
    return fail(ErrorCode::kInvalidArgument,
                "no password given: standard input ended before a line was read");
  }
  dropLineEnding(line);
  if (line.empty()) return fail(ErrorCode::kInvalidArgument, "the password is empty");
  return line;
}

Result<std::string> readPassword(const std::string& password_file, std::string_view prompt,
                                 bool confirm) {
  if (!password_file.empty()) return readPasswordFile(password_file);
  if (::isatty(STDIN_FILENO) == 0) return readPasswordLine(std::cin);

  auto password = promptWithoutEcho(prompt);
  if (!password || !confirm) return password;
  auto repeated = promptWithoutEcho("Repeat the password: ");
  if (!repeated) return repeated;
  if (*repeated != *password) {
    return fail(ErrorCode::kInvalidArgument, "the two passwords differ; nothing was changed");
  }
  return password;
}

}  // namespace pk::cli
