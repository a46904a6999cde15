#include "desktop/control_socket.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "desktop/tests/recording_sink.h"
#include "tests/support/temporary_directory.h"

namespace pk::desktop {
namespace {

using namespace std::chrono_literals;
using testing_support::RecordingSink;

constexpr uid_t kUserUid = 1000;
constexpr uid_t kNobodyUid = 65534;

const SystemTime kStart =
    SystemTime(date::sys_days(date::year{2027} / 3 / 14).time_since_epoch() + 9h);

LoginSession session(uid_t uid, std::string user, bool remote) {
  LoginSession listed;
  listed.id = "1";
  listed.uid = uid;
  listed.user = std::move(user);
  listed.type = remote ? "tty" : "x11";
  listed.remote = remote;
  return listed;
}

restart::RestartStatus pendingStatus() {
  restart::RestartStatus status;
  status.pending = true;
  status.deadline = restart::Instant(std::chrono::floor<std::chrono::seconds>(kStart) + 24h);
  status.restart_at = status.deadline;
  status.countdown_start = status.deadline - 90min;
  return status;
}

TEST(PeerCheck, RootMayChoose) {
  EXPECT_TRUE(checkChoiceAllowed({.uid = 0}, "root", {}).has_value());
}

TEST(PeerCheck, LocalSessionMayChoose) {
  const std::vector<LoginSession> sessions = {session(kUserUid, "alice", false)};
  EXPECT_TRUE(checkChoiceAllowed({.uid = kUserUid}, "alice", sessions).has_value());
}

TEST(PeerCheck, NoSessionRejected) {
  const std::vector<LoginSession> sessions = {session(kUserUid, "alice", false)};
  const auto allowed = checkChoiceAllowed({.uid = 1001}, "bob", sessions);
  ASSERT_FALSE(allowed.has_value());
  EXPECT_EQ(allowed.error().message,
            "User bob has no login session at this machine; only users logged in at this "
            "machine, or root, may snooze or restart it.");
}

TEST(PeerCheck, RemoteOnlyRejected) {
  const std::vector<LoginSession> sessions = {session(kUserUid, "alice", true)};
  const auto allowed = checkChoiceAllowed({.uid = kUserUid}, "alice", sessions);
  ASSERT_FALSE(allowed.has_value());
  EXPECT_NE(allowed.error().message.find("only over the network"), std::string::npos);
}

TEST(PeerCheck, LocalBesideRemoteAllowed) {
  const std::vector<LoginSession> sessions = {session(kUserUid, "alice", true),
                                              session(kUserUid, "alice", false)};
  EXPECT_TRUE(checkChoiceAllowed({.uid = kUserUid}, "alice", sessions).has_value());
}

TEST(ControlAnswer, StatusNeedsNoSession) {
  RecordingSink sink(pendingStatus());
  StaticSessionSource sessions({});
  FakeClock clock(kStart);
  const auto reply = answerControlRequest({.verb = ControlVerb::kStatus}, {.uid = 1001}, "bob",
                                          sink, sessions, clock);
  EXPECT_TRUE(reply.ok);
  ASSERT_TRUE(reply.status.has_value());
  EXPECT_TRUE(reply.status->pending);
}

TEST(ControlAnswer, SnoozeCarriesUserAndTime) {
  RecordingSink sink(pendingStatus());
  StaticSessionSource sessions({session(kUserUid, "alice", false)});
  FakeClock clock(kStart);
  const auto reply = answerControlRequest({.verb = ControlVerb::kSnooze, .snooze = 1h},
                                          {.uid = kUserUid}, "alice", sink, sessions, clock);
  EXPECT_TRUE(reply.ok);
  const auto choices = sink.choices();
  ASSERT_EQ(choices.size(), 1U);
  EXPECT_EQ(choices[0].user, "alice");
  EXPECT_EQ(choices[0].kind, restart::ChoiceKind::kSnooze);
  EXPECT_EQ(choices[0].snooze, 1h);
  EXPECT_EQ(choices[0].made_at, std::chrono::floor<std::chrono::seconds>(kStart));
}

TEST(ControlAnswer, RejectedPeerReachesNoSink) {
  RecordingSink sink(pendingStatus());
  StaticSessionSource sessions({session(kUserUid, "alice", true)});
  FakeClock clock(kStart);
  const auto reply = answerControlRequest({.verb = ControlVerb::kRestartNow}, {.uid = kUserUid},
                                          "alice", sink, sessions, clock);
  EXPECT_FALSE(reply.ok);
  EXPECT_TRUE(sink.choices().empty());
}

TEST(ControlAnswer, SinkRejectionIsPassedOn) {
  RecordingSink sink(pendingStatus());
  StaticSessionSource sessions({});
  FakeClock clock(kStart);
  const auto reply = answerControlRequest({.verb = ControlVerb::kSnooze, .snooze = 2h}, {.uid = 0},
                                          "root", sink, sessions, clock);
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.message, "Only snoozes of 1 h or 4 h are allowed.");
}

class ControlSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = test_support::TemporaryDirectory::create("control");
    ASSERT_TRUE(created.has_value());
    folder_.emplace(std::move(*created));
    // Other users must reach the socket through the test's folder.
    ::chmod(folder_->path().c_str(), 0755);
    socket_ = folder_->path() / "run" / "control.sock";
  }

  std::optional<test_support::TemporaryDirectory> folder_;
  std::filesystem::path socket_;
  RecordingSink sink_{pendingStatus()};
  FakeClock clock_{kStart};
  const schedule::Zone zone_ = *schedule::Zone::find("Europe/Berlin");
};

TEST_F(ControlSocketTest, StatusOverSocket) {
  StaticSessionSource sessions({});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_TRUE(server.has_value()) << server.error().message;
  const auto reply = sendControlRequest(socket_, {.verb = ControlVerb::kStatus});
  ASSERT_TRUE(reply.has_value()) << reply.error().message;
  EXPECT_TRUE(reply->ok);
  ASSERT_TRUE(reply->status.has_value());
  EXPECT_EQ(reply->status->deadline, pendingStatus().deadline);
}

TEST_F(ControlSocketTest, SocketIsOpenToLocalUsers) {
  StaticSessionSource sessions({});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_TRUE(server.has_value()) << server.error().message;
  struct stat info {};
  ASSERT_EQ(::stat(socket_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0666U);
  ASSERT_EQ(::stat(socket_.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0755U);
}

TEST_F(ControlSocketTest, ChoiceCarriesCallerName) {
  // The caller is this test's own user; give it a local session unless root.
  StaticSessionSource sessions({session(::geteuid(), userName(::geteuid()), false)});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_TRUE(server.has_value()) << server.error().message;
  const auto reply = sendControlRequest(socket_, {.verb = ControlVerb::kSnooze, .snooze = 4h});
  ASSERT_TRUE(reply.has_value()) << reply.error().message;
  EXPECT_TRUE(reply->ok) << reply->message;
  const auto choices = sink_.choices();
  ASSERT_EQ(choices.size(), 1U);
  EXPECT_EQ(choices[0].user, userName(::geteuid()));
}

TEST_F(ControlSocketTest, MalformedRequestGetsError) {
  StaticSessionSource sessions({});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_TRUE(server.has_value()) << server.error().message;

  // Writes a raw line, as a client other than patchkeeper-agent could.
  const auto reply = sendControlRequest(socket_, {.verb = ControlVerb::kSnooze, .snooze = 0s});
  ASSERT_TRUE(reply.has_value()) << reply.error().message;
  EXPECT_FALSE(reply->ok);
  EXPECT_NE(reply->message.find("not a positive whole number"), std::string::npos)
      << reply->message;
  EXPECT_TRUE(sink_.choices().empty());
}

TEST_F(ControlSocketTest, StaleSocketReplaced) {
  StaticSessionSource sessions({});
  {
    auto first = ControlServer::start(socket_, sink_, sessions, clock_);
    ASSERT_TRUE(first.has_value());
  }
  auto second = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_TRUE(sendControlRequest(socket_, {.verb = ControlVerb::kStatus}).has_value());
}

TEST_F(ControlSocketTest, RegularFileNotReplaced) {
  ASSERT_TRUE(test_support::writeFile(socket_.parent_path(), "control.sock", "data").has_value());
  StaticSessionSource sessions({});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_FALSE(server.has_value());
  EXPECT_NE(server.error().message.find("is not a socket"), std::string::npos);
}

TEST_F(ControlSocketTest, WritableFolderRejected) {
  std::filesystem::create_directories(socket_.parent_path());
  ::chmod(socket_.parent_path().c_str(), 0777);
  StaticSessionSource sessions({});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_FALSE(server.has_value());
  EXPECT_NE(server.error().message.find("writable by other users"), std::string::npos);
}

// Connects as uid 65534 (nobody) from a child process and returns whether
// the agent applied a 1 h snooze, or nullopt when the child failed.
std::optional<bool> snoozeAsNobody(const std::filesystem::path& socket) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(kNobodyUid) != 0 || ::setuid(kNobodyUid) != 0) ::_exit(3);
    const auto reply = sendControlRequest(socket, {.verb = ControlVerb::kSnooze, .snooze = 1h});
    ::_exit(!reply ? 4 : reply->ok ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) return std::nullopt;
  return WEXITSTATUS(status) == 0;
}

TEST_F(ControlSocketTest, PeerCredentialsRejectNobody) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching to another uid needs root";
  StaticSessionSource sessions({session(kUserUid, "alice", false)});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_TRUE(server.has_value()) << server.error().message;
  EXPECT_EQ(snoozeAsNobody(socket_), std::optional<bool>(false));
  EXPECT_TRUE(sink_.choices().empty());
}

TEST_F(ControlSocketTest, PeerCredentialsAllowLocalNobody) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching to another uid needs root";
  StaticSessionSource sessions({session(kNobodyUid, "nobody", false)});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_TRUE(server.has_value()) << server.error().message;
  EXPECT_EQ(snoozeAsNobody(socket_), std::optional<bool>(true));
  const auto choices = sink_.choices();
  ASSERT_EQ(choices.size(), 1U);
  EXPECT_EQ(choices[0].user, userName(kNobodyUid));
}

TEST_F(ControlSocketTest, ClientPrintsStatus) {
  StaticSessionSource sessions({});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_TRUE(server.has_value());
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(runControlCommand("status", std::nullopt, socket_, zone_, clock_, out, err),
            kControlExitOk);
  EXPECT_NE(out.str().find("deadline:        Mon 15 Mar 10:00 CET"), std::string::npos)
      << out.str();
  EXPECT_EQ(err.str(), "");
}

TEST_F(ControlSocketTest, ClientBadDurationIsUsageError) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(runControlCommand("snooze", "forever", socket_, zone_, clock_, out, err),
            kControlExitUsage);
  EXPECT_EQ(err.str(),
            "patchkeeper-agent: The snooze duration 'forever' is invalid. Write a duration such "
            "as 1h or 4h, or until-countdown.\n");
}

TEST_F(ControlSocketTest, ClientBadTimeIsUsageError) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(runControlCommand("restart-at", "7pm", socket_, zone_, clock_, out, err),
            kControlExitUsage);
  EXPECT_NE(err.str().find("The restart time '7pm' is invalid."), std::string::npos) << err.str();
}

TEST_F(ControlSocketTest, ClientWithoutAgent) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(runControlCommand("restart-now", std::nullopt, socket_, zone_, clock_, out, err),
            kControlExitRejected);
  EXPECT_NE(err.str().find("check that patchkeeper-agent runs"), std::string::npos) << err.str();
}

TEST_F(ControlSocketTest, ClientShowsRejection) {
  StaticSessionSource sessions({session(::geteuid(), userName(::geteuid()), false)});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_TRUE(server.has_value());
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(runControlCommand("snooze", "2h", socket_, zone_, clock_, out, err),
            kControlExitRejected);
  EXPECT_EQ(err.str(), "patchkeeper-agent: Only snoozes of 1 h or 4 h are allowed.\n");
}

// Opens a raw connection to `socket`, as a client that writes what it
// wants could.
// Returns the descriptor, or -1.
int connectRaw(const std::filesystem::path& socket) {
  FileDescriptor connection(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket.c_str(), sizeof(address.sun_path) - 1);
  if (::connect(connection.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) !=
      0) {
    return -1;
  }
  return connection.release();
}

TEST_F(ControlSocketTest, StalledClientDelaysNoOne) {
  StaticSessionSource sessions({});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_);
  ASSERT_TRUE(server.has_value()) << server.error().message;
  // Connects and sends nothing; the server waits up to 2 s for its line.
  const FileDescriptor stalled(connectRaw(socket_));
  ASSERT_GE(stalled.get(), 0);

  const auto reply = sendControlRequest(socket_, {.verb = ControlVerb::kStatus}, 1s);
  ASSERT_TRUE(reply.has_value()) << reply.error().message;
  EXPECT_TRUE(reply->ok);
}

TEST_F(ControlSocketTest, TrickleStopsAtDeadline) {
  StaticSessionSource sessions({});
  auto server = ControlServer::start(socket_, sink_, sessions, clock_,
                                     {.request_deadline = std::chrono::milliseconds(300)});
  ASSERT_TRUE(server.has_value()) << server.error().message;
  const FileDescriptor connection(connectRaw(socket_));
  ASSERT_GE(connection.get(), 0);

  // One byte every 50 ms, 100 bytes in all: never a whole line, and never a
  // pause long enough for a timeout per read.
  std::atomic<bool> trickle_done = false;
  std::thread trickle([&] {
    for (int sent = 0; sent < 100; ++sent) {
      if (::send(connection.get(), "s", 1, MSG_NOSIGNAL) != 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    trickle_done = true;
  });
  char reply[512] = {};
  const auto count = ::recv(connection.get(), reply, sizeof(reply) - 1, 0);
  const bool done_at_reply = trickle_done;
  ::shutdown(connection.get(), SHUT_RDWR);
  trickle.join();

  EXPECT_GT(count, 0);
  EXPECT_FALSE(done_at_reply) << "the server waited for the whole trickle";
  EXPECT_NE(std::string(reply).find("within 300 ms"), std::string::npos) << reply;
}

// A sink whose apply() waits until the test lets it go, like an agent busy
// with a slow step.
class HeldSink final : public restart::ChoiceSink {
 public:
  Outcome apply(const restart::Choice& choice) override {
    std::unique_lock lock(mutex_);
    released_.wait(lock, [&] { return released; });
    lock.unlock();
    return sink.apply(choice);
  }
  restart::RestartStatus status() const override { return sink.status(); }
  void release() {
    std::lock_guard lock(mutex_);
    released = true;
    released_.notify_all();
  }

  RecordingSink sink{pendingStatus()};
  bool released = false;

 private:
  std::mutex mutex_;
  std::condition_variable released_;
};

TEST_F(ControlSocketTest, GaveUpClientPointsToStatus) {
  HeldSink held;
  StaticSessionSource sessions({session(::geteuid(), userName(::geteuid()), false)});
  auto server = ControlServer::start(socket_, held, sessions, clock_);
  ASSERT_TRUE(server.has_value()) << server.error().message;

  const auto reply = sendControlRequest(socket_, {.verb = ControlVerb::kSnooze, .snooze = 1h},
                                        std::chrono::milliseconds(200));
  held.release();
  ASSERT_FALSE(reply.has_value());
  EXPECT_NE(reply.error().message.find("run patchkeeper-agent status"), std::string::npos)
      << reply.error().message;
}

TEST_F(ControlSocketTest, GaveUpChoiceInStatus) {
  HeldSink held;
  StaticSessionSource sessions({session(::geteuid(), userName(::geteuid()), false)});
  auto server = ControlServer::start(socket_, held, sessions, clock_);
  ASSERT_TRUE(server.has_value()) << server.error().message;
  const auto gave_up = sendControlRequest(socket_, {.verb = ControlVerb::kSnooze, .snooze = 1h},
                                          std::chrono::milliseconds(200));
  ASSERT_FALSE(gave_up.has_value());
  held.release();
  ASSERT_TRUE(held.sink.waitForChoices(1, 10s));

  const auto reply = sendControlRequest(socket_, {.verb = ControlVerb::kStatus});
  ASSERT_TRUE(reply.has_value()) << reply.error().message;
  ASSERT_TRUE(reply->status.has_value());
  ASSERT_EQ(reply->status->choices.size(), 1U);
  EXPECT_EQ(reply->status->choices[0].user, userName(::geteuid()));
}

}  // namespace
}  // namespace pk::desktop
