#include "desktop/user_process.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pk::desktop {
namespace {

// Drops to `user` in a freshly forked child. Only system calls follow the
// fork, because the parent may have other threads.
bool becomeUser(const UserIdentity& user) {
  if (user.uid == ::geteuid()) return true;
  return ::setgroups(0, nullptr) == 0 && ::setgid(user.gid) == 0 && ::setuid(user.uid) == 0;
}

bool sendDescriptor(int channel, int fd) {
  char byte = 0;
  iovec data{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
  return ::sendmsg(channel, &message, MSG_NOSIGNAL) == 1;
}

// Receives a descriptor, or the child's errno as a 4-byte message.
Result<int> receiveDescriptor(int channel, const std::string& path) {
  int child_error = 0;
  iovec data{&child_error, sizeof(child_error)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  const auto received = ::recvmsg(channel, &message, MSG_CMSG_CLOEXEC);
  cmsghdr* header = received > 0 ? CMSG_FIRSTHDR(&message) : nullptr;
  if (header != nullptr && header->cmsg_type == SCM_RIGHTS) {
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(header), sizeof(int));
    return fd;
  }
  return fail(ErrorCode::kIoError,
              fmt::format("Connecting to {} as the session's user failed: {}.", path,
                          received == sizeof(child_error) ? std::strerror(child_error)
                                                          : "the helper process failed"));
}

}  // namespace

Result<int> connectUnixSocketAs(const std::string& path, const UserIdentity& user) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("The socket path {} is too long.", path));
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);

  if (user.uid == ::geteuid()) {
    FileDescriptor fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0 ||
        ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      return fail(ErrorCode::kIoError,
                  fmt::format("Connecting to {} failed: {}.", path, std::strerror(errno)));
    }
    return fd.release();
  }

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("Creating a socket pair failed: {}.", std::strerror(errno)));
  }
  FileDescriptor parent_end(pair[0]);
  FileDescriptor child_end(pair[1]);
  const pid_t child = ::fork();
  if (child < 0) {
    return fail(ErrorCode::kIoError, fmt::format("fork failed: {}.", std::strerror(errno)));
  }
  if (child == 0) {
    int error = 0;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!becomeUser(user) || fd < 0 ||
        ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      error = errno;
      [[maybe_unused]] const auto written = ::write(child_end.get(), &error, sizeof(error));
      ::_exit(1);
    }
    ::_exit(sendDescriptor(child_end.get(), fd) ? 0 : 1);
  }

  child_end.reset();
  auto fd = receiveDescriptor(parent_end.get(), path);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return fd;
}

Result<pid_t> startProgramAs(const std::vector<std::string>& argv,
                             const std::vector<std::string>& environment,
                             const UserIdentity& user) {
  // Everything the child needs is prepared before fork.
  std::vector<char*> arguments;
  for (const auto& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);
  std::vector<char*> variables;
  for (const auto& variable : environment) variables.push_back(const_cast<char*>(variable.c_str()));
  variables.push_back(nullptr);

  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) {
    return fail(ErrorCode::kIoError, fmt::format("fork failed: {}.", std::strerror(errno)));
  }
  if (child == 0) {
    const int null_input = ::open("/dev/null", O_RDONLY);
    if (null_input < 0 || ::dup2(null_input, STDIN_FILENO) < 0 ||
        ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0 || ::setsid() < 0 || ::chdir("/") != 0 ||
        !becomeUser(user)) {
      ::_exit(126);
    }
    // The program ends with the thread that started it, also when the agent
    // crashes. Changing credentials clears this setting, so it comes after.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(0);
    ::execve(arguments[0], arguments.data(), variables.data());
    ::_exit(127);
  }
  return child;
}

}  // namespace pk::desktop
