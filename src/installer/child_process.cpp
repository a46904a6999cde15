#include "installer/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "common/file_descriptor.h"

extern char** environ;

namespace pk::installer {
namespace {

// How long one wait for output lasts before the clock is checked again.
constexpr int kPollMilliseconds = 50;
// How long output is still read after the process exited, for children
// that inherited the pipe and have not closed it yet.
constexpr Elapsed kDrainAfterExit = std::chrono::seconds(1);

// Keeps the last `max_bytes` bytes of a stream. The buffer grows to twice
// the limit before it is trimmed, so trimming costs amortised linear time.
class OutputTail {
 public:
  explicit OutputTail(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  void append(const char* data, std::size_t size) {
    text_.append(data, size);
    if (text_.size() > 2 * max_bytes_ + 65536) trim();
  }

  // Returns the kept text, with kOutputCutMarker in front when bytes were
  // dropped, and whether any were.
  std::pair<std::string, bool> finish() {
    trim();
    if (!cut_) return {std::move(text_), false};
    return {std::string(kOutputCutMarker) + text_, true};
  }

 private:
  void trim() {
    if (text_.size() <= max_bytes_) return;
    text_.erase(0, text_.size() - max_bytes_);
    cut_ = true;
  }

  std::size_t max_bytes_;
  std::string text_;
  bool cut_ = false;
};

std::string_view variableName(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

// Returns this process's environment with `additions` applied.
Result<std::vector<std::string>> childEnvironment(const std::vector<std::string>& additions) {
  std::vector<std::string> entries;
  for (char** variable = environ; *variable != nullptr; ++variable) entries.emplace_back(*variable);

  for (const std::string& addition : additions) {
    const std::size_t equals = addition.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("invalid environment entry '{}': expected NAME=value", addition));
    }
    const std::string_view name = variableName(addition);
    bool replaced = false;
    for (std::string& entry : entries) {
      if (variableName(entry) == name) {
        entry = addition;
        replaced = true;
      }
    }
    if (!replaced) entries.push_back(addition);
  }
  return entries;
}

std::string pathOf(const std::vector<std::string>& environment) {
  for (const std::string& entry : environment) {
    if (variableName(entry) == "PATH") return entry.substr(5);
  }
  // The value that execvp(3) falls back to in glibc 2.36.
  return "/bin:/usr/bin";
}

bool isExecutableFile(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

// Looks `program` up in `path` the way execvp(3) does. The lookup is done
// here, not by posix_spawnp, because posix_spawnp searches this process's
// PATH, and a command may set its own.
Result<std::string> findProgram(const std::string& program, const std::string& path) {
  if (program.find('/') != std::string::npos) return program;

  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    const std::string folder = path.substr(begin, end - begin);
    const std::string candidate = (folder.empty() ? std::string(".") : folder) + "/" + program;
    if (isExecutableFile(candidate)) return candidate;
    begin = end + 1;
  }
  return fail(ErrorCode::kNotFound,
              fmt::format("program '{}' was not found in PATH ({}); check that it is installed",
                          program, path));
}

Result<pid_t> spawnInNewGroup(const std::string& program, const SupervisedCommand& command,
                              const std::vector<std::string>& environment, int output_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDERR_FILENO);
  if (!command.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, command.working_directory.c_str());
  }

  // The child leads a new process group, so a time-out can signal every
  // process it started. Signals that this process ignores or blocks would be
  // inherited through exec, and a child that ignores SIGTERM could not be
  // stopped gently.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGHUP);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> arguments;
  for (const std::string& argument : command.argv) {
    arguments.push_back(const_cast<char*>(argument.c_str()));
  }
  arguments.push_back(nullptr);
  std::vector<char*> variables;
  for (const std::string& variable : environment) {
    variables.push_back(const_cast<char*>(variable.c_str()));
  }
  variables.push_back(nullptr);

  // glibc reports a failed exec or chdir in the child through this return
  // value.
  pid_t pid = 0;
  const int spawn_error = ::posix_spawn(&pid, program.c_str(), &actions, &attributes,
                                        arguments.data(), variables.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error == 0) return pid;

  std::string where;
  if (!command.working_directory.empty()) {
    where = fmt::format(" in folder {}", command.working_directory.string());
  }
  return fail(ErrorCode::kNotFound,
              fmt::format("cannot start '{}'{}: {}; check that the program and the folder exist",
                          program, where, std::strerror(spawn_error)));
}

// Reads what is available on `fd` into `tail`. Returns false at the end of
// the stream or on a read error.
bool readAvailable(int fd, OutputTail& tail) {
  std::array<char, 65536> buffer{};
  const ssize_t count = ::read(fd, buffer.data(), buffer.size());
  if (count < 0) return errno == EINTR || errno == EAGAIN;
  if (count == 0) return false;
  tail.append(buffer.data(), static_cast<std::size_t>(count));
  return true;
}

// Waits up to kPollMilliseconds for output on `fd` (or just waits when `fd`
// is closed) and reads it. Returns false once the stream has ended.
bool pumpOutput(int fd, OutputTail& tail) {
  if (fd < 0) {
    ::poll(nullptr, 0, kPollMilliseconds);
    return false;
  }
  pollfd entry{.fd = fd, .events = POLLIN, .revents = 0};
  const int ready = ::poll(&entry, 1, kPollMilliseconds);
  if (ready <= 0) return true;
  return readAvailable(fd, tail);
}

// Whether `pid` has ended, without reaping it, so that its process id (and
// the group id that equals it) cannot be reused before the group is killed.
Result<bool> hasEnded(pid_t pid, const std::string& program) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) {
      return fail(ErrorCode::kIoError, fmt::format("cannot wait for '{}' (process {}): {}", program,
                                                   pid, std::strerror(errno)));
    }
  }
  return info.si_pid == pid;
}

}  // namespace

Result<SupervisedResult> runSupervised(const SupervisedCommand& command, const Clock& clock) {
  if (command.argv.empty()) {
    return fail(ErrorCode::kInvalidArgument, "cannot run a command: argv is empty");
  }
  Result<std::vector<std::string>> environment = childEnvironment(command.environment);
  if (!environment) return tl::unexpected(environment.error());
  Result<std::string> program = findProgram(command.argv[0], pathOf(*environment));
  if (!program) return tl::unexpected(program.error());

  std::array<int, 2> pipe_fds{-1, -1};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return fail(ErrorCode::kIoError, fmt::format("cannot create a pipe for '{}': {}",
                                                 command.argv[0], std::strerror(errno)));
  }
  FileDescriptor read_end(pipe_fds[0]);
  FileDescriptor write_end(pipe_fds[1]);

  const Elapsed start = clock.elapsed();
  Result<pid_t> pid = spawnInNewGroup(*program, command, *environment, write_end.get());
  if (!pid) return tl::unexpected(pid.error());
  // Only the children may hold the write end, or the stream never ends.
  write_end.reset();

  OutputTail tail(command.max_output_bytes);
  SupervisedResult result;
  bool output_open = true;
  std::optional<Elapsed> terminated_at;
  bool killed = false;
  while (true) {
    if (!pumpOutput(output_open ? read_end.get() : -1, tail)) output_open = false;

    Result<bool> ended = hasEnded(*pid, command.argv[0]);
    if (!ended) {
      ::kill(-*pid, SIGKILL);
      ::waitpid(*pid, nullptr, 0);
      return tl::unexpected(ended.error());
    }
    const Elapsed now = clock.elapsed();
    if (*ended) {
      result.duration = now - start;
      break;
    }

    if (!terminated_at && now - start >= command.timeout) {
      result.timed_out = true;
      terminated_at = now;
      ::kill(-*pid, SIGTERM);
    } else if (terminated_at && !killed && now - *terminated_at >= command.kill_grace) {
      killed = true;
      ::kill(-*pid, SIGKILL);
    }
  }

  // The leader has ended but is not reaped yet, so the group id still
  // belongs to it. After a time-out nothing it started may keep running.
  if (result.timed_out) ::kill(-*pid, SIGKILL);
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }

  const Elapsed drain_start = clock.elapsed();
  while (output_open && clock.elapsed() - drain_start < kDrainAfterExit) {
    output_open = pumpOutput(read_end.get(), tail);
  }
  auto [output, cut] = tail.finish();
  result.output = std::move(output);
  result.output_cut = cut;
  return result;
}

}  // namespace pk::installer
