#include "desktop/desktop_channel.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "desktop/notice_text.h"
#include "desktop/tests/recording_sink.h"
#include "tests/support/temporary_directory.h"

namespace pk::desktop {
namespace {

using namespace std::chrono_literals;
using testing_support::RecordingSink;

std::string readText(const std::filesystem::path& path) {
  std::ifstream file(path);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

restart::Notice reminder() {
  restart::Notice notice;
  notice.kind = restart::NoticeKind::kReminder;
  notice.shown_at = restart::Instant(1805000000s);
  notice.deadline = notice.shown_at + 20h;
  notice.restart_at = notice.deadline;
  notice.countdown_start = notice.deadline - 90min;
  notice.offered = {restart::Offer::kRestartNow, restart::Offer::kSnooze1h};
  return notice;
}

restart::Notice countdown(restart::Instant now) {
  restart::Notice notice;
  notice.kind = restart::NoticeKind::kCountdown;
  notice.shown_at = now;
  notice.deadline = now + 90min;
  notice.restart_at = notice.deadline;
  notice.countdown_start = now;
  return notice;
}

// Sessions that a test adds while the channel runs, as users log in.
class ChangingSessionSource final : public SessionSource {
 public:
  Result<std::vector<LoginSession>> sessions() const override {
    std::lock_guard lock(mutex_);
    return sessions_;
  }
  void add(LoginSession session) {
    std::lock_guard lock(mutex_);
    sessions_.push_back(std::move(session));
  }

 private:
  mutable std::mutex mutex_;
  std::vector<LoginSession> sessions_;
};

// A graphical session of this process's user, whose countdown "window" is
// the test's script; no bus listens, so notifications fail and are logged.
LoginSession graphicalSession(const std::filesystem::path& folder) {
  LoginSession session;
  session.id = "7";
  session.uid = ::getuid();
  session.gid = ::getgid();
  session.user = "alice";
  session.type = "x11";
  session.display = ":99";
  session.bus_address = "unix:path=" + (folder / "no-bus").string();
  return session;
}

// Waits until `path` has a whole line: the started program wrote it.
std::string waitForLine(const std::filesystem::path& path) {
  const auto limit = std::chrono::steady_clock::now() + 10s;
  std::string text;
  while (std::chrono::steady_clock::now() < limit) {
    text = readText(path);
    if (!text.empty() && text.back() == '\n') return text;
    std::this_thread::sleep_for(10ms);
  }
  return text;
}

LoginSession terminalSession() {
  LoginSession session;
  session.id = "5";
  session.uid = 1000;
  session.user = "alice";
  session.type = "tty";
  return session;
}

class DesktopChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = test_support::TemporaryDirectory::create("channel");
    ASSERT_TRUE(created.has_value());
    folder_.emplace(std::move(*created));
    wall_file_ = folder_->path() / "wall.txt";
    arguments_file_ = folder_->path() / "countdown-arguments.txt";
    wall_command_ = {"/bin/sh", "-c", "cat >> '" + wall_file_.string() + "'"};
  }

  // A countdown program that writes its arguments and waits to be stopped.
  std::filesystem::path countdownScript() {
    const auto script = folder_->path() / "countdown.sh";
    std::ofstream(script) << "#!/bin/sh\necho \"$@\" >> '" << arguments_file_.string()
                          << "'\nexec sleep 600\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    return script;
  }

  std::unique_ptr<DesktopNoticeChannel> channel(const SessionSource& sessions) {
    DesktopChannelOptions options;
    options.countdown_program = countdownScript();
    options.wall_command = wall_command_;
    options.time_zone = "Europe/Berlin";
    auto created = DesktopNoticeChannel::create(options, sessions, sink_, clock_);
    EXPECT_TRUE(created.has_value());
    return created ? std::move(*created) : nullptr;
  }

  std::optional<test_support::TemporaryDirectory> folder_;
  std::filesystem::path wall_file_;
  std::filesystem::path arguments_file_;
  std::vector<std::string> wall_command_;
  RecordingSink sink_;
  FakeClock clock_{SystemTime(1805000000s)};
};

TEST_F(DesktopChannelTest, BroadcastWritesMessage) {
  ASSERT_TRUE(broadcastToTerminals(wall_command_, "hello\n").has_value());
  EXPECT_EQ(readText(wall_file_), "hello\n");
}

TEST_F(DesktopChannelTest, BroadcastFailureNamesCommand) {
  const auto sent = broadcastToTerminals({"/bin/sh", "-c", "exit 3"}, "hello\n");
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code, ErrorCode::kIoError);
  EXPECT_NE(sent.error().message.find("exit status 3"), std::string::npos) << sent.error().message;
}

TEST_F(DesktopChannelTest, BroadcastMissingProgram) {
  const auto sent = broadcastToTerminals({"/nonexistent/wall"}, "hello\n");
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code, ErrorCode::kNotFound);
}

TEST_F(DesktopChannelTest, TerminalSessionGetsWall) {
  StaticSessionSource sessions({terminalSession()});
  auto notices = channel(sessions);
  ASSERT_NE(notices, nullptr);
  notices->show(reminder());
  const auto zone = *schedule::Zone::find("Europe/Berlin");
  EXPECT_EQ(readText(wall_file_), formatTerminalNotice(reminder(), zone));
}

TEST_F(DesktopChannelTest, RepeatedNoticeSentOnce) {
  StaticSessionSource sessions({terminalSession()});
  auto notices = channel(sessions);
  ASSERT_NE(notices, nullptr);
  notices->show(reminder());
  const auto once = readText(wall_file_);
  notices->show(reminder());
  EXPECT_EQ(readText(wall_file_), once);
}

TEST_F(DesktopChannelTest, NewNoticeSentAgain) {
  StaticSessionSource sessions({terminalSession()});
  auto notices = channel(sessions);
  ASSERT_NE(notices, nullptr);
  notices->show(reminder());
  auto later = reminder();
  later.shown_at += 4h;
  notices->show(later);
  const auto text = readText(wall_file_);
  EXPECT_NE(text.find("patchkeeper: Restart required"),
            text.rfind("patchkeeper: Restart required"));
}

TEST_F(DesktopChannelTest, NoTerminalNoWall) {
  LoginSession graphical = terminalSession();
  graphical.type = "x11";
  // No bus listens there: the notifier fails and is logged, nothing is thrown.
  graphical.bus_address = "unix:path=" + (folder_->path() / "no-bus").string();
  StaticSessionSource sessions({graphical});
  auto notices = channel(sessions);
  ASSERT_NE(notices, nullptr);
  notices->show(reminder());
  EXPECT_FALSE(std::filesystem::exists(wall_file_));
}

TEST_F(DesktopChannelTest, WindowGetsSecondsLeft) {
  StaticSessionSource sessions({graphicalSession(folder_->path())});
  auto notices = channel(sessions);
  ASSERT_NE(notices, nullptr);
  const auto now = restart::Instant(std::chrono::floor<std::chrono::seconds>(clock_.now()));
  notices->show(countdown(now));
  EXPECT_EQ(waitForLine(arguments_file_), "--seconds-left 5400\n");
}

TEST_F(DesktopChannelTest, LaterSessionGetsWindow) {
  ChangingSessionSource sessions;
  auto notices = channel(sessions);
  ASSERT_NE(notices, nullptr);
  const auto now = restart::Instant(std::chrono::floor<std::chrono::seconds>(clock_.now()));
  notices->show(countdown(now));
  // A user logs in ten minutes into the countdown.
  clock_.advance(10min);
  sessions.add(graphicalSession(folder_->path()));
  notices->keepShown(countdown(now));
  EXPECT_EQ(waitForLine(arguments_file_), "--seconds-left 4800\n");
}

TEST_F(DesktopChannelTest, KeptWindowNotStartedAgain) {
  StaticSessionSource sessions({graphicalSession(folder_->path())});
  auto notices = channel(sessions);
  ASSERT_NE(notices, nullptr);
  const auto now = restart::Instant(std::chrono::floor<std::chrono::seconds>(clock_.now()));
  notices->show(countdown(now));
  ASSERT_FALSE(waitForLine(arguments_file_).empty());
  clock_.advance(30s);
  notices->keepShown(countdown(now));
  notices.reset();  // stops the window and waits for its thread
  EXPECT_EQ(readText(arguments_file_), "--seconds-left 5400\n");
}

TEST_F(DesktopChannelTest, UnknownZoneRejected) {
  StaticSessionSource sessions({});
  DesktopChannelOptions options;
  options.time_zone = "Mars/Olympus";
  const auto created = DesktopNoticeChannel::create(options, sessions, sink_, clock_);
  EXPECT_FALSE(created.has_value());
}

}  // namespace
}  // namespace pk::desktop
