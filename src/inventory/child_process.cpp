#include "inventory/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace pk::inventory {
namespace {

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }

  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  FileDescriptor read_end;
  FileDescriptor write_end;
};

Result<void> openPipe(Pipe& pipe) {
  std::array<int, 2> fds{};
  // O_CLOEXEC keeps these ends out of the child; posix_spawn's dup2 gives
  // the child its own copies without the flag.
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return fail(ErrorCode::kIoError, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  }
  pipe.read_end.reset(fds[0]);
  pipe.write_end.reset(fds[1]);
  return {};
}

// Reads both pipes until the child closes them. Reading them together keeps
// a child that fills one pipe from blocking while we wait on the other.
Result<void> drainPipes(int out_fd, int err_fd, std::string& out, std::string& err) {
  std::array<pollfd, 2> polled{{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}}};
  std::array<std::string*, 2> sinks{&out, &err};
  std::array<char, 65536> buffer{};
  int open_count = 2;
  while (open_count > 0) {
    if (::poll(polled.data(), polled.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIoError,
                  fmt::format("cannot poll the child's output: {}", std::strerror(errno)));
    }
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if (polled[i].fd < 0 || polled[i].revents == 0) continue;
      const ssize_t count = ::read(polled[i].fd, buffer.data(), buffer.size());
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0) {
        polled[i].fd = -1;
        --open_count;
        continue;
      }
      sinks[i]->append(buffer.data(), static_cast<std::size_t>(count));
    }
  }
  return {};
}

Result<int> waitForChild(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return fail(ErrorCode::kIoError,
                  fmt::format("cannot wait for process {}: {}", pid, std::strerror(errno)));
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return status;
}

}  // namespace

std::string formatCommand(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& arg : argv) {
    if (!text.empty()) text += ' ';
    if (arg.empty() || arg.find_first_of(" \t\n'\"") != std::string::npos) {
      text += fmt::format("'{}'", arg);
    } else {
      text += arg;
    }
  }
  return text;
}

Result<CommandOutput> runCommand(const std::vector<std::string>& argv) {
  if (argv.empty()) return fail(ErrorCode::kInvalidArgument, "runCommand needs a program to run");

  Pipe out_pipe;
  Pipe err_pipe;
  if (auto opened = openPipe(out_pipe); !opened) return tl::unexpected(opened.error());
  if (auto opened = openPipe(err_pipe); !opened) return tl::unexpected(opened.error());

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe.write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe.write_end.get(), STDERR_FILENO);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  const int spawn_error = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return fail(ErrorCode::kNotFound,
                fmt::format("cannot start '{}': {}; check that it is installed and in PATH",
                            argv[0], std::strerror(spawn_error)));
  }

  // Our copies of the write ends must close, or the reads below never see
  // the end of the output.
  out_pipe.write_end.reset();
  err_pipe.write_end.reset();

  CommandOutput output;
  Result<void> drained = drainPipes(out_pipe.read_end.get(), err_pipe.read_end.get(),
                                    output.standard_output, output.standard_error);
  Result<int> status = waitForChild(pid);
  if (!drained) return tl::unexpected(drained.error());
  if (!status) return tl::unexpected(status.error());
  output.exit_status = *status;
  return output;
}

}  // namespace pk::inventory
