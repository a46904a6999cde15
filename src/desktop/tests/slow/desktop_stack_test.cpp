// The restart notices on a real desktop stack: Xvfb, a private session bus
// (dbus-daemon), the dunst notification server and the openbox window
// manager. Each test starts them on a free display and a private bus
// address, and stops them at its end.
//
// dunst lists a notification's actions in its context menu, which it pipes
// to the "dmenu" program of its configuration. The test points that at a
// script that saves the menu (the actions dunst actually received) and
// picks the line named in a pattern file, so dunst itself invokes the
// action and emits ActionInvoked.
//
// Screenshots go to PK_SCREENSHOT_DIR when set (docs/images to refresh the
// documentation's pictures), else to the build folder.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/child_process.h"
#include "desktop/desktop_channel.h"
#include "desktop/tests/recording_sink.h"
#include "tests/support/background_process.h"
#include "tests/support/temporary_directory.h"

namespace pk::desktop {
namespace {

using namespace std::chrono_literals;
using test_support::BackgroundProcess;
using testing_support::RecordingSink;

constexpr auto kWaitLimit = 15s;

std::optional<std::string> findProgram(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path != nullptr ? path : "/usr/bin:/bin");
  std::string folder;
  while (std::getline(folders, folder, ':')) {
    const auto candidate = std::filesystem::path(folder) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

// Polls `condition` every 50 ms until it is true or `limit` passes.
bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit = kWaitLimit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

// Runs a command and returns its trimmed standard output, or nullopt when
// it fails.
std::optional<std::string> output(const std::vector<std::string>& argv) {
  auto result = runCommand(argv);
  if (!result || result->exit_code != 0) return std::nullopt;
  auto text = result->standard_output;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string readText(const std::filesystem::path& path) {
  std::ifstream file(path);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

restart::Instant nowSeconds() {
  return restart::Instant(
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

class DesktopStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> missing;
    for (const auto* tool : {"Xvfb", "dbus-daemon", "dunst", "dunstctl", "openbox", "xprop",
                             "xdotool", "xmessage", "wmctrl", "import"}) {
      if (!findProgram(tool)) missing.emplace_back(tool);
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& tool : missing) list += " " + tool;
      GTEST_SKIP() << "the desktop stack needs these programs, which are missing:" << list
                   << " (scripts/install-deps.sh installs them)";
    }

    auto created = test_support::TemporaryDirectory::create("desktop");
    ASSERT_TRUE(created.has_value());
    folder_.emplace(std::move(*created));
    startDisplay();
    ASSERT_FALSE(display_.empty()) << "Xvfb did not start: " << (xvfb_ ? xvfb_->log() : "");
    startBus();
    ASSERT_FALSE(bus_address_.empty()) << "dbus-daemon did not start; see its log";

    ::setenv("DISPLAY", display_.c_str(), 1);
    ::setenv("DBUS_SESSION_BUS_ADDRESS", bus_address_.c_str(), 1);
    ::unsetenv("XAUTHORITY");
    ::unsetenv("WAYLAND_DISPLAY");
    startWindowManager();
    startNotificationServer();

    session_.id = "test";
    session_.uid = ::geteuid();
    session_.gid = ::getegid();
    session_.user = userName(session_.uid);
    session_.type = "x11";
    session_.display = display_;
    session_.bus_address = bus_address_;
    sessions_.emplace(std::vector<LoginSession>{session_});

    DesktopChannelOptions options;
    options.countdown_program = PK_COUNTDOWN_BINARY;
    options.wall_command = {};
    options.time_zone = "UTC";
    options.window_restart_delay = 200ms;
    auto channel = DesktopNoticeChannel::create(options, *sessions_, sink_, clock_);
    ASSERT_TRUE(channel.has_value()) << channel.error().message;
    channel_ = std::move(*channel);
  }

  void TearDown() override {
    // The channel stops its windows and bus connections before the stack goes.
    channel_.reset();
    for (auto* process : {&dunst_, &openbox_, &bus_, &xvfb_}) {
      if (*process) (*process)->stop(SIGTERM, 2s);
    }
  }

  // Starts Xvfb with -displayfd, so that the server itself picks a free
  // display number and reports it once it accepts clients.
  void startDisplay() {
    const auto number_file = folder_->path() / "display.txt";
    const auto command =
        fmt::format("exec '{}' -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3> '{}'",
                    *findProgram("Xvfb"), number_file.string());
    auto started =
        BackgroundProcess::start({"/bin/sh", "-c", command}, folder_->path() / "xvfb.log");
    if (!started) return;
    xvfb_.emplace(std::move(*started));
    std::string number;
    waitFor([&] {
      number = readText(number_file);
      return number.ends_with('\n') || !xvfb_->running();
    });
    if (number.ends_with('\n') && xvfb_->running()) {
      number.pop_back();
      display_ = ":" + number;
    }
  }

  void startBus() {
    auto started = startBusIn(folder_->path(), {});
    if (!started) return;
    bus_.emplace(std::move(started->first));
    bus_address_ = started->second;
  }

  // Starts a dbus-daemon listening in `folder`, run through `prefix` (for
  // example setpriv to run it as another user). Returns it and its address.
  std::optional<std::pair<BackgroundProcess, std::string>> startBusIn(
      const std::filesystem::path& folder, const std::vector<std::string>& prefix) {
    const auto socket = folder / "bus";
    const auto config = fmt::format(
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig>\n"
        "  <type>session</type>\n"
        "  <listen>unix:path={}</listen>\n"
        "  <auth>EXTERNAL</auth>\n"
        "  <policy context=\"default\">\n"
        "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
        "    <allow eavesdrop=\"true\"/>\n"
        "    <allow own=\"*\"/>\n"
        "  </policy>\n"
        "</busconfig>\n",
        socket.string());
    EXPECT_TRUE(test_support::writeFile(folder, "bus.conf", config).has_value());
    auto argv = prefix;
    argv.insert(argv.end(), {*findProgram("dbus-daemon"), "--nofork", "--nopidfile",
                             "--config-file=" + (folder / "bus.conf").string()});
    auto started = BackgroundProcess::start(argv, folder / "dbus.log");
    EXPECT_TRUE(started.has_value());
    if (!started) return std::nullopt;
    if (!waitFor([&] { return std::filesystem::exists(socket); })) return std::nullopt;
    return std::pair(std::move(*started), "unix:path=" + socket.string());
  }

  void startWindowManager() {
    auto started = BackgroundProcess::start({*findProgram("openbox"), "--sm-disable"},
                                            folder_->path() / "openbox.log");
    ASSERT_TRUE(started.has_value());
    openbox_.emplace(std::move(*started));
    ASSERT_TRUE(waitFor([] {
      const auto check = output({"xprop", "-root", "_NET_SUPPORTING_WM_CHECK"});
      return check && check->find("window id") != std::string::npos;
    })) << "openbox did not start on "
        << display_ << ": " << openbox_->log() << "\nXvfb: " << xvfb_->log();
  }

  void startNotificationServer() {
    // The "dmenu" that dunst runs for its context menu.
    menu_file_ = folder_->path() / "menu.txt";
    pick_file_ = folder_->path() / "pick.txt";
    const auto script = fmt::format(
        "#!/bin/sh\n"
        "cat > '{0}.part'\n"
        "mv '{0}.part' '{0}'\n"
        "pattern=$(cat '{1}' 2>/dev/null)\n"
        "[ -n \"$pattern\" ] && grep -F \"$pattern\" '{0}'\n"
        "exit 0\n",
        menu_file_.string(), pick_file_.string());
    ASSERT_TRUE(test_support::writeFile(folder_->path(), "pick.sh", script).has_value());
    ::chmod((folder_->path() / "pick.sh").c_str(), 0755);
    // A rule that runs a script for every notification, with the summary
    // and the urgency dunst parsed.
    recorded_file_ = folder_->path() / "recorded.txt";
    const auto record = fmt::format("#!/bin/sh\necho \"$2|$5\" >> '{}'\n", recorded_file_.string());
    ASSERT_TRUE(test_support::writeFile(folder_->path(), "record.sh", record).has_value());
    ::chmod((folder_->path() / "record.sh").c_str(), 0755);
    const auto config = fmt::format(
        "[global]\n"
        "dmenu = {}\n"
        "font = DejaVu Sans 10\n"
        "width = 420\n"
        "offset = 16x16\n"
        "frame_width = 2\n"
        "[record]\n"
        "summary = \"*\"\n"
        "script = {}\n",
        (folder_->path() / "pick.sh").string(), (folder_->path() / "record.sh").string());
    ASSERT_TRUE(test_support::writeFile(folder_->path(), "dunstrc", config).has_value());

    auto started = BackgroundProcess::start(
        {*findProgram("dunst"), "-config", (folder_->path() / "dunstrc").string()},
        folder_->path() / "dunst.log");
    ASSERT_TRUE(started.has_value());
    dunst_.emplace(std::move(*started));
    ASSERT_TRUE(waitFor([] {
      return output({"dunstctl", "count", "displayed"}).has_value();
    })) << "dunst did not take org.freedesktop.Notifications: "
        << dunst_->log();
  }

  int displayedNotifications() {
    const auto count = output({"dunstctl", "count", "displayed"});
    return count ? std::atoi(count->c_str()) : -1;
  }

  // Opens dunst's context menu, which runs the pick script, and returns
  // the menu dunst listed: one "#LABEL (SUMMARY) [ID,KEY]" line per action.
  std::string openContextMenu(std::string_view pick) {
    std::filesystem::remove(menu_file_);
    EXPECT_TRUE(
        test_support::writeFile(pick_file_.parent_path(), pick_file_.filename(), std::string(pick))
            .has_value());
    EXPECT_TRUE(output({"dunstctl", "context"}).has_value());
    // The script renames the menu into place once dunst has piped all of it.
    waitFor([&] { return std::filesystem::exists(menu_file_); });
    return readText(menu_file_);
  }

  std::filesystem::path screenshotPath(std::string_view name) {
    const char* configured = std::getenv("PK_SCREENSHOT_DIR");
    const std::filesystem::path folder =
        configured != nullptr && *configured != '\0' ? configured : PK_SCREENSHOT_DEFAULT_DIR;
    std::filesystem::create_directories(folder);
    return folder / name;
  }

  // Saves a screenshot of `window` ("root" for the whole screen) and
  // returns whether a non-empty PNG was written.
  bool saveScreenshot(const std::string& window, std::string_view name) {
    const auto path = screenshotPath(name);
    std::filesystem::remove(path);
    if (!output({"import", "-window", window, path.string()})) return false;
    return std::filesystem::exists(path) && std::filesystem::file_size(path) > 0;
  }

  restart::Notice installedNotice() {
    restart::Notice notice;
    notice.kind = restart::NoticeKind::kInstalled;
    notice.shown_at = nowSeconds();
    notice.deadline = notice.shown_at + 24h;
    notice.restart_at = notice.deadline;
    notice.countdown_start = notice.deadline - 90min;
    notice.offered = {restart::Offer::kRestartNow, restart::Offer::kRestartAt,
                      restart::Offer::kSnooze1h, restart::Offer::kSnooze4h,
                      restart::Offer::kSnoozeUntilCountdown};
    return notice;
  }

  restart::Notice countdownNotice() {
    restart::Notice notice;
    notice.kind = restart::NoticeKind::kCountdown;
    notice.shown_at = nowSeconds();
    notice.restart_at = notice.shown_at + 90min;
    notice.deadline = notice.restart_at;
    notice.countdown_start = notice.shown_at;
    return notice;
  }

  // Returns the X window ids (decimal) whose title starts with "Restart in".
  std::vector<std::string> countdownWindows() {
    const auto found = output({"xdotool", "search", "--name", "^Restart in "});
    std::vector<std::string> ids;
    if (!found) return ids;
    std::stringstream lines(*found);
    std::string id;
    while (std::getline(lines, id)) {
      if (!id.empty()) ids.push_back(id);
    }
    return ids;
  }

  std::optional<std::string> mappedCountdownWindow() {
    for (const auto& id : countdownWindows()) {
      const auto state = output({"xprop", "-id", id, "WM_STATE"});
      if (state && state->find("Normal") != std::string::npos) return id;
    }
    return std::nullopt;
  }

  std::optional<pid_t> windowPid(const std::string& id) {
    const auto pid = output({"xdotool", "getwindowpid", id});
    if (!pid) return std::nullopt;
    return static_cast<pid_t>(std::atoi(pid->c_str()));
  }

  // Reads the remaining time from a countdown window's title.
  std::optional<std::chrono::seconds> remainingInTitle(const std::string& id) {
    const auto title = output({"xdotool", "getwindowname", id});
    if (!title) return std::nullopt;
    std::smatch match;
    static const std::regex pattern("^Restart in (\\d+):(\\d\\d):(\\d\\d)$");
    if (!std::regex_match(*title, match, pattern)) return std::nullopt;
    return std::chrono::hours(std::stoi(match[1])) + std::chrono::minutes(std::stoi(match[2])) +
           std::chrono::seconds(std::stoi(match[3]));
  }

  std::optional<test_support::TemporaryDirectory> folder_;
  std::optional<BackgroundProcess> xvfb_;
  std::optional<BackgroundProcess> bus_;
  std::optional<BackgroundProcess> openbox_;
  std::optional<BackgroundProcess> dunst_;
  std::string display_;
  std::string bus_address_;
  std::filesystem::path menu_file_;
  std::filesystem::path pick_file_;
  std::filesystem::path recorded_file_;
  LoginSession session_;
  std::optional<StaticSessionSource> sessions_;
  RecordingSink sink_;
  SystemClock clock_;
  std::unique_ptr<DesktopNoticeChannel> channel_;
};

TEST_F(DesktopStackTest, NoticeAppears) {
  channel_->show(installedNotice());
  EXPECT_TRUE(waitFor([&] { return displayedNotifications() == 1; }))
      << "dunst shows " << displayedNotifications() << " notifications";
  EXPECT_TRUE(saveScreenshot("root", "restart-notice.png"));
}

TEST_F(DesktopStackTest, NoticeCarriesActions) {
  channel_->show(installedNotice());
  ASSERT_TRUE(waitFor([&] { return displayedNotifications() == 1; }));

  const auto menu = openContextMenu("");
  EXPECT_NE(menu.find("#Restart now (Updates were installed) ["), std::string::npos) << menu;
  EXPECT_NE(menu.find(",restart-now]"), std::string::npos) << menu;
  EXPECT_NE(menu.find(",snooze-1h]"), std::string::npos) << menu;
  EXPECT_NE(menu.find(",snooze-4h]"), std::string::npos) << menu;
  EXPECT_NE(menu.find(",snooze-until-countdown]"), std::string::npos) << menu;
  EXPECT_NE(menu.find("#Snooze 1 h ("), std::string::npos) << menu;
}

TEST_F(DesktopStackTest, SnoozeOneHourReachesSink) {
  channel_->show(installedNotice());
  ASSERT_TRUE(waitFor([&] { return displayedNotifications() == 1; }));

  const auto menu = openContextMenu(",snooze-1h]");
  ASSERT_TRUE(sink_.waitForChoices(1, kWaitLimit)) << "no choice arrived; dunst's menu:\n" << menu;
  const auto choices = sink_.choices();
  ASSERT_EQ(choices.size(), 1U);
  EXPECT_EQ(choices[0].kind, restart::ChoiceKind::kSnooze);
  EXPECT_EQ(choices[0].snooze, 1h);
  EXPECT_EQ(choices[0].user, session_.user);
}

TEST_F(DesktopStackTest, CountdownIsCritical) {
  channel_->show(countdownNotice());
  ASSERT_TRUE(waitFor([&] { return displayedNotifications() == 1; }));
  // dunst's rule script receives the urgency as dunst understood it.
  std::string recorded;
  EXPECT_TRUE(waitFor([&] {
    recorded = readText(recorded_file_);
    return recorded.find("Restart soon|CRITICAL\n") != std::string::npos;
  })) << recorded;
}

TEST_F(DesktopStackTest, InstalledNoticeIsNormal) {
  channel_->show(installedNotice());
  std::string recorded;
  EXPECT_TRUE(waitFor([&] {
    recorded = readText(recorded_file_);
    return recorded.find("Updates were installed|NORMAL\n") != std::string::npos;
  })) << recorded;
}

TEST_F(DesktopStackTest, CountdownWindowStaysAbove) {
  const auto notice = countdownNotice();
  channel_->show(notice);
  std::optional<std::string> window;
  ASSERT_TRUE(waitFor([&] { return (window = mappedCountdownWindow()).has_value(); }))
      << "no countdown window appeared";

  const auto state = output({"xprop", "-id", *window, "_NET_WM_STATE"});
  ASSERT_TRUE(state.has_value());
  EXPECT_NE(state->find("_NET_WM_STATE_ABOVE"), std::string::npos) << *state;

  // Another window that takes the focus stays below the countdown.
  auto other = BackgroundProcess::start({*findProgram("xmessage"), "-name", "other", "-geometry",
                                         "1000x700+0+0", "An ordinary window that takes the focus"},
                                        folder_->path() / "xmessage.log");
  ASSERT_TRUE(other.has_value());
  std::optional<std::string> other_window;
  ASSERT_TRUE(waitFor([&] {
    other_window = output({"xdotool", "search", "--classname", "^other$"});
    return other_window.has_value() && !other_window->empty();
  }));
  other_window = other_window->substr(0, other_window->find('\n'));
  EXPECT_TRUE(output({"xdotool", "windowactivate", "--sync", *other_window}).has_value());
  const auto stacking = output({"xprop", "-root", "_NET_CLIENT_LIST_STACKING"});
  ASSERT_TRUE(stacking.has_value());
  const auto topmost = stacking->substr(stacking->rfind(' ') + 1);
  EXPECT_EQ(std::stoul(topmost, nullptr, 16), std::stoul(*window)) << *stacking;
  EXPECT_TRUE(saveScreenshot("root", "restart-countdown.png"));
}

TEST_F(DesktopStackTest, CountdownShowsRemainingTime) {
  const auto notice = countdownNotice();
  channel_->show(notice);
  std::optional<std::string> window;
  ASSERT_TRUE(waitFor([&] { return (window = mappedCountdownWindow()).has_value(); }));

  const auto remaining = remainingInTitle(*window);
  const auto expected = notice.restart_at - nowSeconds();
  ASSERT_TRUE(remaining.has_value()) << *output({"xdotool", "getwindowname", *window});
  EXPECT_LE(std::chrono::abs(*remaining - expected), 3s)
      << "title shows " << remaining->count() << " s, expected " << expected.count() << " s";
}

TEST_F(DesktopStackTest, CountdownSurvivesClosing) {
  channel_->show(countdownNotice());
  std::optional<std::string> window;
  ASSERT_TRUE(waitFor([&] { return (window = mappedCountdownWindow()).has_value(); }));
  const auto pid = windowPid(*window);
  ASSERT_TRUE(pid.has_value());

  // The window manager's close request (the close button) and minimising.
  EXPECT_TRUE(output({"wmctrl", "-c", "Restart in"}).has_value());
  EXPECT_TRUE(output({"xdotool", "windowminimize", *window}).has_value());
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(mappedCountdownWindow(), window);
  EXPECT_EQ(windowPid(*window), pid);
}

TEST_F(DesktopStackTest, CountdownReturnsAfterKill) {
  const auto notice = countdownNotice();
  channel_->show(notice);
  std::optional<std::string> window;
  ASSERT_TRUE(waitFor([&] { return (window = mappedCountdownWindow()).has_value(); }));
  const auto pid = windowPid(*window);
  ASSERT_TRUE(pid.has_value());

  ASSERT_EQ(::kill(*pid, SIGKILL), 0);
  std::optional<std::string> again;
  ASSERT_TRUE(waitFor([&] {
    again = mappedCountdownWindow();
    if (!again) return false;
    const auto new_pid = windowPid(*again);
    return new_pid && *new_pid != *pid;
  })) << "the countdown window did not come back";
  const auto remaining = remainingInTitle(*again);
  ASSERT_TRUE(remaining.has_value());
  EXPECT_LE(std::chrono::abs(*remaining - (notice.restart_at - nowSeconds())), 3s);
}

// The agent runs as root while the session belongs to another user, whose
// session bus accepts only that user: the notifier connects through a child
// process running as the user, and the countdown window runs as the user.
TEST_F(DesktopStackTest, OtherUserSession) {
  if (::geteuid() != 0) GTEST_SKIP() << "running a session as another user needs root";
  if (!findProgram("setpriv")) GTEST_SKIP() << "setpriv (util-linux) is missing";
  const std::vector<std::string> as_nobody = {*findProgram("setpriv"), "--reuid=65534",
                                              "--regid=65534", "--clear-groups"};

  // The user's own folder, bus and notification server. dunst as that user
  // writes its menu and rule outputs into the test's folder.
  const auto user_folder = folder_->path() / "nobody";
  std::filesystem::create_directories(user_folder);
  ASSERT_EQ(::chown(user_folder.c_str(), 65534, 65534), 0);
  ::chmod(folder_->path().c_str(), 0777);
  auto user_bus = startBusIn(user_folder, as_nobody);
  ASSERT_TRUE(user_bus.has_value());
  const auto as_nobody_on_bus = [&](std::vector<std::string> command) {
    auto argv = as_nobody;
    argv.insert(argv.end(), {*findProgram("env"), "DBUS_SESSION_BUS_ADDRESS=" + user_bus->second});
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  };
  auto user_dunst = BackgroundProcess::start(
      as_nobody_on_bus({*findProgram("dunst"), "-config", (folder_->path() / "dunstrc").string()}),
      user_folder / "dunst.log");
  ASSERT_TRUE(user_dunst.has_value());
  const auto displayed = [&] {
    return output(as_nobody_on_bus({*findProgram("dunstctl"), "count", "displayed"}));
  };
  ASSERT_TRUE(waitFor([&] { return displayed().has_value(); })) << user_dunst->log();

  LoginSession session = session_;
  session.uid = 65534;
  session.gid = 65534;
  session.user = userName(65534);
  session.bus_address = user_bus->second;
  StaticSessionSource sessions({session});
  DesktopChannelOptions options;
  options.countdown_program = PK_COUNTDOWN_BINARY;
  options.wall_command = {};
  options.time_zone = "UTC";
  auto channel = DesktopNoticeChannel::create(options, sessions, sink_, clock_);
  ASSERT_TRUE(channel.has_value());

  (*channel)->show(installedNotice());
  ASSERT_TRUE(waitFor([&] { return displayed() == "1"; })) << user_dunst->log();
  ASSERT_TRUE(test_support::writeFile(folder_->path(), "pick.txt", ",snooze-1h]").has_value());
  EXPECT_TRUE(output(as_nobody_on_bus({*findProgram("dunstctl"), "context"})).has_value());
  ASSERT_TRUE(sink_.waitForChoices(1, kWaitLimit)) << user_dunst->log();
  EXPECT_EQ(sink_.choices()[0].user, session.user);
  EXPECT_EQ(sink_.choices()[0].snooze, 1h);

  (*channel)->show(countdownNotice());
  std::optional<std::string> window;
  ASSERT_TRUE(waitFor([&] { return (window = mappedCountdownWindow()).has_value(); }));
  const auto pid = windowPid(*window);
  ASSERT_TRUE(pid.has_value());
  struct stat info {};
  ASSERT_EQ(::stat(fmt::format("/proc/{}", *pid).c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, 65534U);

  channel->reset();
  user_dunst->stop(SIGTERM, 2s);
  user_bus->first.stop(SIGTERM, 2s);
}

TEST_F(DesktopStackTest, ClearClosesCountdown) {
  channel_->show(countdownNotice());
  ASSERT_TRUE(waitFor([&] { return mappedCountdownWindow().has_value(); }));
  channel_->clear();
  EXPECT_TRUE(waitFor([&] { return countdownWindows().empty(); }));
}

}  // namespace
}  // namespace pk::desktop
