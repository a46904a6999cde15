#include "desktop/user_process.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/temporary_directory.h"

namespace pk::desktop {
namespace {

constexpr UserIdentity kNobody{.uid = 65534, .gid = 65534};

std::string readText(const std::filesystem::path& path) {
  std::ifstream file(path);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

int waitForExit(pid_t child) {
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class UserProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = test_support::TemporaryDirectory::create("user-process");
    ASSERT_TRUE(created.has_value());
    folder_.emplace(std::move(*created));
    // Other users must reach the socket and write results into the folder.
    ::chmod(folder_->path().c_str(), 0777);
    socket_path_ = (folder_->path() / "listen.sock").string();
  }

  // Listens on socket_path_ (mode 0666) and returns the listening descriptor.
  int listen() {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path_.c_str(), sizeof(address.sun_path) - 1);
    EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::chmod(socket_path_.c_str(), 0666), 0);
    EXPECT_EQ(::listen(fd, 4), 0);
    return fd;
  }

  // Connects as `user`, accepts, and returns the uid SO_PEERCRED reports.
  std::optional<uid_t> peerUid(const UserIdentity& user) {
    FileDescriptor listener(listen());
    auto connected = connectUnixSocketAs(socket_path_, user);
    EXPECT_TRUE(connected.has_value()) << connected.error().message;
    if (!connected) return std::nullopt;
    FileDescriptor client(*connected);
    FileDescriptor accepted(::accept(listener.get(), nullptr, nullptr));
    ucred credentials{};
    socklen_t length = sizeof(credentials);
    if (::getsockopt(accepted.get(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
      return std::nullopt;
    }
    return credentials.uid;
  }

  std::optional<test_support::TemporaryDirectory> folder_;
  std::string socket_path_;
};

TEST_F(UserProcessTest, ConnectsAsSelf) {
  EXPECT_EQ(peerUid({.uid = ::geteuid(), .gid = ::getegid()}), ::geteuid());
}

TEST_F(UserProcessTest, ConnectsAsOtherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching to another uid needs root";
  EXPECT_EQ(peerUid(kNobody), kNobody.uid);
}

TEST_F(UserProcessTest, MissingSocketAsSelf) {
  const auto connected = connectUnixSocketAs(socket_path_, {.uid = ::geteuid()});
  ASSERT_FALSE(connected.has_value());
  EXPECT_NE(connected.error().message.find(socket_path_), std::string::npos);
}

TEST_F(UserProcessTest, MissingSocketAsOtherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching to another uid needs root";
  const auto connected = connectUnixSocketAs(socket_path_, kNobody);
  ASSERT_FALSE(connected.has_value());
  EXPECT_NE(connected.error().message.find("No such file or directory"), std::string::npos)
      << connected.error().message;
}

TEST_F(UserProcessTest, ProgramGetsEnvironment) {
  const auto output = folder_->path() / "environment.txt";
  auto child = startProgramAs({"/bin/sh", "-c", "echo \"$GREETING\" > '" + output.string() + "'"},
                              {"GREETING=hello"}, {.uid = ::geteuid(), .gid = ::getegid()});
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(waitForExit(*child), 0);
  EXPECT_EQ(readText(output), "hello\n");
}

TEST_F(UserProcessTest, ProgramRunsAsUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching to another uid needs root";
  const auto output = folder_->path() / "ids.txt";
  auto child = startProgramAs(
      {"/bin/sh", "-c", "echo \"$(id -u) $(id -g) $(id -G)\" > '" + output.string() + "'"},
      {"PATH=/usr/bin:/bin"}, kNobody);
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(waitForExit(*child), 0);
  EXPECT_EQ(readText(output), "65534 65534 65534\n");
}

TEST_F(UserProcessTest, ProgramEndsWithThread) {
  pid_t child = -1;
  std::thread starter([&] {
    auto started = startProgramAs({"/bin/sleep", "30"}, {}, {.uid = ::geteuid()});
    if (!started) return;
    child = *started;
    // The death signal is armed just before exec, so wait for the exec.
    const auto executable = fmt::format("/proc/{}/exe", child);
    for (int attempt = 0; attempt < 200; ++attempt) {
      std::error_code error;
      if (std::filesystem::read_symlink(executable, error).filename() == "sleep") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  starter.join();
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

TEST_F(UserProcessTest, MissingProgramExits127) {
  auto child = startProgramAs({"/nonexistent/program"}, {}, {.uid = ::geteuid()});
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(waitForExit(*child), 127);
}

}  // namespace
}  // namespace pk::desktop
