#include "common/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>

#include "common/file_descriptor.h"

extern char** environ;

namespace pk {
namespace {

// Opens an unlinked temporary file for the child's standard error. The
// returned descriptor has O_CLOEXEC, so only the copy that posix_spawn's
// dup2 gives the child reaches it.
Result<int> openErrorFile(const std::string& program) {
  FILE* file = std::tmpfile();
  if (file == nullptr) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot create a temporary file for the standard error of '{}': {}",
                            program, std::strerror(errno)));
  }
  const int fd = ::fcntl(::fileno(file), F_DUPFD_CLOEXEC, 0);
  const int dup_error = errno;
  std::fclose(file);
  if (fd < 0) {
    return fail(
        ErrorCode::kIoError,
        fmt::format("cannot duplicate the temporary file for the standard error of '{}': {}",
                    program, std::strerror(dup_error)));
  }
  return fd;
}

// Reads up to `max_bytes` from the start of `fd`. A failed seek or read ends
// the text early without an error, because the text is diagnostic output
// and a partial copy is still useful.
std::string readErrorFile(int fd, std::size_t max_bytes) {
  std::string text;
  if (::lseek(fd, 0, SEEK_SET) < 0) return text;
  std::array<char, 65536> buffer{};
  while (text.size() < max_bytes) {
    const std::size_t chunk_size = std::min(buffer.size(), max_bytes - text.size());
    const ssize_t count = ::read(fd, buffer.data(), chunk_size);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(count));
  }
  return text;
}

// Starts the child with its standard streams connected. `output_fd` is -1
// when standard output should go to /dev/null.
Result<pid_t> spawnChild(const std::vector<std::string>& argv,
                         const std::filesystem::path& working_directory, int output_fd,
                         int error_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (output_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, error_fd, STDERR_FILENO);
  if (!working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());
  }

  // A caller that stops reading early relies on SIGPIPE ending the child,
  // and an ignored SIGPIPE would be inherited through exec.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  // glibc 2.24 and later report a failed exec or chdir in the child through
  // this return value, so a missing program or folder is caught here.
  pid_t pid = 0;
  const int spawn_error =
      ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error == 0) return pid;

  if (working_directory.empty()) {
    return fail(ErrorCode::kNotFound,
                fmt::format("cannot start '{}': {}; check that it is installed and in PATH",
                            argv[0], std::strerror(spawn_error)));
  }
  return fail(ErrorCode::kNotFound,
              fmt::format("cannot start '{}' in {}: {}; check that it is installed and in PATH "
                          "and that the folder exists",
                          argv[0], working_directory.string(), std::strerror(spawn_error)));
}

Result<ProcessOutcome> waitForChild(pid_t pid, const std::string& program) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return fail(ErrorCode::kIoError, fmt::format("cannot wait for '{}' (process {}): {}", program,
                                                   pid, std::strerror(errno)));
    }
  }
  ProcessOutcome outcome;
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
  }
  return outcome;
}

std::string quoteArgument(const std::string& arg) {
  if (arg.empty() || arg.find_first_of(" \t\n'\"") != std::string::npos) {
    return fmt::format("'{}'", arg);
  }
  return arg;
}

std::string_view trimWhitespace(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\r\n";
  const std::size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

}  // namespace

Result<ProcessOutcome> runProcess(const std::vector<std::string>& argv,
                                  const std::filesystem::path& working_directory,
                                  const std::function<void(int output_fd)>& on_output,
                                  std::size_t max_error_bytes) {
  if (argv.empty()) return fail(ErrorCode::kInvalidArgument, "cannot run a process: argv is empty");

  Result<int> error_file = openErrorFile(argv[0]);
  if (!error_file) return tl::unexpected(error_file.error());
  FileDescriptor error_fd(*error_file);

  // O_CLOEXEC keeps both ends out of the child. posix_spawn's dup2 gives the
  // child its own copy of the write end, without the flag.
  std::array<int, 2> pipe_fds{-1, -1};
  if (on_output && ::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot create a pipe for '{}': {}", argv[0], std::strerror(errno)));
  }
  FileDescriptor read_end(pipe_fds[0]);
  FileDescriptor write_end(pipe_fds[1]);

  Result<pid_t> pid = spawnChild(argv, working_directory, write_end.get(), error_fd.get());
  if (!pid) return tl::unexpected(pid.error());

  // Only the child may hold the write end, or the reader never sees the end
  // of the output.
  write_end.reset();
  if (on_output) {
    try {
      on_output(read_end.get());
    } catch (...) {
      // Reap the child so that it does not stay a zombie.
      read_end.reset();
      (void)waitForChild(*pid, argv[0]);
      throw;
    }
  }
  read_end.reset();

  Result<ProcessOutcome> outcome = waitForChild(*pid, argv[0]);
  if (!outcome) return outcome;
  outcome->standard_error = readErrorFile(error_fd.get(), max_error_bytes);
  return outcome;
}

Result<CommandOutput> runCommand(const std::vector<std::string>& argv) {
  std::string standard_output;
  int read_error = 0;
  auto read_output = [&](int fd) {
    std::array<char, 65536> buffer{};
    while (true) {
      const ssize_t count = ::read(fd, buffer.data(), buffer.size());
      if (count < 0 && errno == EINTR) continue;
      if (count < 0) read_error = errno;
      if (count <= 0) return;
      standard_output.append(buffer.data(), static_cast<std::size_t>(count));
    }
  };
  Result<ProcessOutcome> outcome =
      runProcess(argv, {}, read_output, std::numeric_limits<std::size_t>::max());
  if (!outcome) return tl::unexpected(outcome.error());
  if (read_error != 0) {
    return fail(ErrorCode::kIoError, fmt::format("cannot read the standard output of '{}': {}",
                                                 argv[0], std::strerror(read_error)));
  }

  CommandOutput output;
  static_cast<ProcessOutcome&>(output) = std::move(*outcome);
  output.standard_output = std::move(standard_output);
  return output;
}

std::string describeFailure(const std::vector<std::string>& argv, const ProcessOutcome& outcome) {
  std::string text;
  for (const std::string& arg : argv) {
    if (!text.empty()) text += ' ';
    text += quoteArgument(arg);
  }
  if (outcome.signal != 0) {
    text += fmt::format(" failed with signal {}", outcome.signal);
  } else {
    text += fmt::format(" failed with exit status {}", outcome.exit_code);
  }
  const std::string_view error_text = trimWhitespace(outcome.standard_error);
  if (!error_text.empty()) text += fmt::format(": {}", error_text);
  return text;
}

}  // namespace pk
