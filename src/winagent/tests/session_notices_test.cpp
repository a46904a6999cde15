#include "winagent/session_notices.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "restart/manager.h"

namespace pk::winagent {
namespace {

using namespace std::chrono_literals;

const restart::Instant kInstall = std::chrono::sys_days{std::chrono::year{2027} / 3 / 10} + 10h;

// Sessions on a fake host: a list of sessions, the messages shown, and
// countdown processes that a test can "kill".
class FakeSessions final : public Sessions {
 public:
  std::vector<UserSession> sessions{{1, "CORP\\alice"}, {2, "CORP\\bob"}};
  std::vector<std::pair<DWORD, std::wstring>> messages;     // session, title
  std::map<DWORD, std::pair<DWORD, std::wstring>> started;  // process id: session, command
  std::set<DWORD> running;
  std::set<DWORD> failing_sessions;
  DWORD next_process_id = 100;

  std::vector<UserSession> activeSessions() override { return sessions; }
  Result<void> showMessage(DWORD session_id, const std::wstring& title, const std::wstring&,
                           DWORD) override {
    if (failing_sessions.count(session_id) != 0) return fail(ErrorCode::kIoError, "no message");
    messages.emplace_back(session_id, title);
    return {};
  }
  Result<DWORD> startProcess(DWORD session_id, const std::wstring& command_line) override {
    if (failing_sessions.count(session_id) != 0) return fail(ErrorCode::kIoError, "no token");
    const DWORD process_id = next_process_id++;
    started[process_id] = {session_id, command_line};
    running.insert(process_id);
    return process_id;
  }
  bool isRunning(DWORD process_id) override { return running.count(process_id) != 0; }
  void endProcess(DWORD process_id) override { running.erase(process_id); }
};

std::string utc(restart::Instant at) {
  return restart::formatInstant(at);
}

restart::Notice notice(restart::NoticeKind kind) {
  return {.kind = kind,
          .shown_at = kInstall,
          .deadline = kInstall + 24h,
          .restart_at = kInstall + 24h,
          .countdown_start = kInstall + 24h - 90min};
}

TEST(NoticeMessage, InstalledNamesRestartTime) {
  const NoticeMessage message = noticeMessage(notice(restart::NoticeKind::kInstalled), utc);
  EXPECT_NE(message.text.find("2027-03-11T10:00:00Z"), std::string::npos);
}

TEST(NoticeMessage, InstalledNamesCountdownStart) {
  const NoticeMessage message = noticeMessage(notice(restart::NoticeKind::kInstalled), utc);
  EXPECT_NE(message.text.find("2027-03-11T08:30:00Z"), std::string::npos);
}

TEST(NoticeMessage, CountdownCannotBePostponed) {
  const NoticeMessage message = noticeMessage(notice(restart::NoticeKind::kCountdown), utc);
  EXPECT_NE(message.text.find("cannot be postponed"), std::string::npos);
}

TEST(SessionNotices, MessageInEverySession) {
  FakeSessions sessions;
  SessionNoticeChannel channel(sessions, L"C:\\pk\\patchkeeper-countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kReminder));
  ASSERT_EQ(sessions.messages.size(), 2u);
  EXPECT_EQ(sessions.messages[0].first, 1u);
  EXPECT_EQ(sessions.messages[1].first, 2u);
  EXPECT_TRUE(sessions.started.empty());
}

TEST(SessionNotices, CountdownStartsWindowPerSession) {
  FakeSessions sessions;
  SessionNoticeChannel channel(sessions, L"C:\\pk\\patchkeeper-countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kCountdown));
  ASSERT_EQ(sessions.started.size(), 2u);
  EXPECT_EQ(sessions.started.at(100).first, 1u);
  EXPECT_EQ(sessions.started.at(101).first, 2u);
  EXPECT_EQ(sessions.started.at(100).second,
            L"\"C:\\pk\\patchkeeper-countdown.exe\" --until 1804759200");
}

TEST(SessionNotices, KilledWindowStartsAgain) {
  FakeSessions sessions;
  SessionNoticeChannel channel(sessions, L"countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kCountdown));
  sessions.running.erase(100);  // alice ended her window
  channel.keepShown(notice(restart::NoticeKind::kCountdown));
  ASSERT_EQ(sessions.started.size(), 3u);
  EXPECT_EQ(sessions.started.at(102).first, 1u);
}

TEST(SessionNotices, RunningWindowIsKept) {
  FakeSessions sessions;
  SessionNoticeChannel channel(sessions, L"countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kCountdown));
  channel.keepShown(notice(restart::NoticeKind::kCountdown));
  EXPECT_EQ(sessions.started.size(), 2u);
}

TEST(SessionNotices, NewSessionGetsWindow) {
  FakeSessions sessions;
  SessionNoticeChannel channel(sessions, L"countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kCountdown));
  sessions.sessions.push_back({3, "CORP\\carol"});
  channel.keepShown(notice(restart::NoticeKind::kCountdown));
  ASSERT_EQ(sessions.started.size(), 3u);
  EXPECT_EQ(sessions.started.at(102).first, 3u);
}

TEST(SessionNotices, NoWindowBeforeCountdown) {
  FakeSessions sessions;
  SessionNoticeChannel channel(sessions, L"countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kInstalled));
  channel.keepShown(notice(restart::NoticeKind::kInstalled));
  EXPECT_TRUE(sessions.started.empty());
}

TEST(SessionNotices, NewSessionGetsMessage) {
  FakeSessions sessions;
  SessionNoticeChannel channel(sessions, L"countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kReminder));
  sessions.sessions.push_back({3, "CORP\\carol"});
  channel.keepShown(notice(restart::NoticeKind::kReminder));
  ASSERT_EQ(sessions.messages.size(), 3u);
  EXPECT_EQ(sessions.messages[2].first, 3u);
}

TEST(SessionNotices, NotifiedSessionNotRepeated) {
  FakeSessions sessions;
  SessionNoticeChannel channel(sessions, L"countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kReminder));
  channel.keepShown(notice(restart::NoticeKind::kReminder));
  EXPECT_EQ(sessions.messages.size(), 2u);
}

TEST(SessionNotices, MovedRestartReplacesWindows) {
  FakeSessions sessions;
  SessionNoticeChannel channel(sessions, L"countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kCountdown));
  restart::Notice moved = notice(restart::NoticeKind::kCountdown);
  moved.restart_at += 1h;
  channel.keepShown(moved);
  EXPECT_EQ(sessions.running.size(), 2u);
  ASSERT_EQ(sessions.started.size(), 4u);
  EXPECT_EQ(sessions.started.at(102).second, L"\"countdown.exe\" --until 1804762800");
}

TEST(SessionNotices, ClearEndsWindows) {
  FakeSessions sessions;
  SessionNoticeChannel channel(sessions, L"countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kCountdown));
  channel.clear();
  EXPECT_TRUE(sessions.running.empty());
}

TEST(SessionNotices, FailureListedOtherSessionsServed) {
  FakeSessions sessions;
  sessions.failing_sessions.insert(1);
  SessionNoticeChannel channel(sessions, L"countdown.exe", utc);
  channel.show(notice(restart::NoticeKind::kCountdown));
  EXPECT_EQ(channel.problems().size(), 2u);
  ASSERT_EQ(sessions.started.size(), 1u);
  EXPECT_EQ(sessions.started.begin()->second.first, 2u);
}

// The real calls under Wine or Windows: the process starts in this
// process's own session as its user, and endProcess ends it.
TEST(Win32Sessions, StartsAndEndsProcess) {
  Win32Sessions sessions;
  DWORD session_id = 0;
  ASSERT_TRUE(ProcessIdToSessionId(GetCurrentProcessId(), &session_id));
  auto started = sessions.startProcess(session_id, L"cmd.exe /c ping -n 60 127.0.0.1");
  ASSERT_TRUE(started.has_value()) << started.error().message;
  EXPECT_TRUE(sessions.isRunning(*started));
  sessions.endProcess(*started);
  EXPECT_FALSE(sessions.isRunning(*started));
}

}  // namespace
}  // namespace pk::winagent
