#include "apt/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace pk::apt {
namespace {

constexpr std::size_t kMaxErrorText = 64 * 1024;

// Closes a descriptor once, on every path out of runProcess().
class Descriptor {
 public:
  explicit Descriptor(int fd = -1) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() { reset(); }

  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::string readAll(int fd) {
  std::string text;
  if (::lseek(fd, 0, SEEK_SET) < 0) return text;
  char buffer[4096];
  while (text.size() < kMaxErrorText) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
  }
  return text;
}

Error startError(const std::vector<std::string>& argv, std::string_view what, int error) {
  return Error{ErrorCode::kIoError, "cannot run " + argv.front() + ": " + std::string(what) + ": " +
                                        std::strerror(error)};
}

}  // namespace

Result<ProcessOutcome> runProcess(const std::vector<std::string>& argv,
                                  const std::filesystem::path& working_directory,
                                  const std::function<void(int output_fd)>& on_output) {
  if (argv.empty()) return pk::fail(ErrorCode::kInvalidArgument, "runProcess needs a program");

  FILE* error_file = std::tmpfile();
  if (error_file == nullptr) return tl::unexpected(startError(argv, "tmpfile", errno));
  Descriptor error_fd(::fcntl(::fileno(error_file), F_DUPFD_CLOEXEC, 0));
  std::fclose(error_file);

  int pipe_fds[2] = {-1, -1};
  if (on_output && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return tl::unexpected(startError(argv, "pipe", errno));
  }
  Descriptor read_end(pipe_fds[0]);
  Descriptor write_end(pipe_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (on_output) {
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, error_fd.get(), STDERR_FILENO);
  if (!working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());
  }

  // The child must get SIGPIPE's default action even if this process ignores it.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) return tl::unexpected(startError(argv, "posix_spawnp", spawned));

  // Only the child may hold the write end, or the reader would never see EOF.
  write_end.reset();
  if (on_output) on_output(read_end.get());
  read_end.reset();

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return tl::unexpected(startError(argv, "waitpid", errno));
  }

  ProcessOutcome outcome;
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
  }
  outcome.error_text = readAll(error_fd.get());
  return outcome;
}

std::string describeFailure(const std::vector<std::string>& argv, const ProcessOutcome& outcome) {
  std::string command;
  for (const auto& arg : argv) {
    if (!command.empty()) command.push_back(' ');
    command.append(arg);
  }
  std::string text = command + " failed with ";
  text += outcome.signal != 0 ? "signal " + std::to_string(outcome.signal)
                              : "exit status " + std::to_string(outcome.exit_code);
  if (!outcome.error_text.empty()) {
    std::string error_text = outcome.error_text;
    while (!error_text.empty() && error_text.back() == '\n') error_text.pop_back();
    text += ": " + error_text;
  }
  return text;
}

}  // namespace pk::apt
