#include "installer/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include "tests/support/temporary_directory.h"

namespace pk::installer {
namespace {

using namespace std::chrono_literals;
using test_support::TemporaryDirectory;

// Moves a FakeClock forward by `step` every few milliseconds of real time
// until destroyed, so that runSupervised's timeout logic runs on fake time.
class ClockDriver {
 public:
  ClockDriver(FakeClock& clock, Elapsed step)
      : thread_([this, &clock, step] {
          while (!stop_) {
            clock.advance(step);
            std::this_thread::sleep_for(5ms);
          }
        }) {}
  ~ClockDriver() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

SystemClock system_clock;

// Whether process `pid` is gone or a zombie waiting for init to reap it.
bool processEnded(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  if (!stat) return true;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t after_name = text.rfind(") ");
  return after_name != std::string::npos && text.substr(after_name + 2, 1) == "Z";
}

TEST(RunSupervised, CombinesOutputAndExitStatus) {
  const Result<SupervisedResult> result =
      runSupervised({.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}}, system_clock);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->signal, 0);
  EXPECT_FALSE(result->timed_out);
  EXPECT_FALSE(result->succeeded());
  EXPECT_EQ(result->output, "out\nerr\n");
  EXPECT_FALSE(result->output_cut);
}

TEST(RunSupervised, SucceedsOnExitZero) {
  const Result<SupervisedResult> result = runSupervised({.argv = {"/bin/true"}}, system_clock);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_TRUE(result->succeeded());
  EXPECT_EQ(result->output, "");
}

TEST(RunSupervised, ReportsSignal) {
  const Result<SupervisedResult> result =
      runSupervised({.argv = {"/bin/sh", "-c", "kill -9 $$"}}, system_clock);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, -1);
  EXPECT_EQ(result->signal, SIGKILL);
  EXPECT_FALSE(result->timed_out);
}

TEST(RunSupervised, AppliesEnvironmentAndFolder) {
  Result<TemporaryDirectory> folder = TemporaryDirectory::create("supervised-folder");
  ASSERT_TRUE(folder) << folder.error().message;
  const Result<SupervisedResult> result =
      runSupervised({.argv = {"/bin/sh", "-c", "printf '%s|%s|%s' \"$PK_A\" \"$HOME\" \"$PWD\""},
                     .environment = {"PK_A=first value", "HOME=/nonexistent/home"},
                     .working_directory = folder->path()},
                    system_clock);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->output, "first value|/nonexistent/home|" + folder->path().string());
}

TEST(RunSupervised, SearchesChildPath) {
  Result<TemporaryDirectory> folder = TemporaryDirectory::create("supervised-path");
  ASSERT_TRUE(folder) << folder.error().message;
  ASSERT_TRUE(test_support::writeFile(folder->path(), "pk-fake-tool", "#!/bin/sh\necho fake $1\n"));
  std::filesystem::permissions(folder->path() / "pk-fake-tool", std::filesystem::perms::owner_all);

  const Result<SupervisedResult> result =
      runSupervised({.argv = {"pk-fake-tool", "ran"},
                     .environment = {"PATH=" + folder->path().string() + ":/usr/bin:/bin"}},
                    system_clock);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->output, "fake ran\n");
}

TEST(RunSupervised, RejectsMissingProgram) {
  const Result<SupervisedResult> in_path = runSupervised(
      {.argv = {"pk-no-such-program"}, .environment = {"PATH=/nonexistent"}}, system_clock);
  ASSERT_FALSE(in_path);
  EXPECT_EQ(in_path.error().code, ErrorCode::kNotFound);
  EXPECT_NE(in_path.error().message.find("'pk-no-such-program' was not found in PATH"),
            std::string::npos)
      << in_path.error().message;

  const Result<SupervisedResult> by_path =
      runSupervised({.argv = {"/nonexistent/pk-program"}}, system_clock);
  ASSERT_FALSE(by_path);
  EXPECT_EQ(by_path.error().code, ErrorCode::kNotFound);
  EXPECT_NE(by_path.error().message.find("/nonexistent/pk-program"), std::string::npos);
}

TEST(RunSupervised, RejectsMissingFolder) {
  const Result<SupervisedResult> result = runSupervised(
      {.argv = {"/bin/true"}, .working_directory = "/nonexistent/pk-folder"}, system_clock);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_NE(result.error().message.find("/nonexistent/pk-folder"), std::string::npos);
}

TEST(RunSupervised, RejectsInvalidCommands) {
  const Result<SupervisedResult> empty = runSupervised({}, system_clock);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);

  const Result<SupervisedResult> bad_entry =
      runSupervised({.argv = {"/bin/true"}, .environment = {"NO_EQUALS_SIGN"}}, system_clock);
  ASSERT_FALSE(bad_entry);
  EXPECT_EQ(bad_entry.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_entry.error().message.find("NO_EQUALS_SIGN"), std::string::npos);
}

// More than a pipe buffer of output on both streams: the end is kept, the
// start is cut and marked.
TEST(RunSupervised, KeepsTailOfLargeOutput) {
  const Result<SupervisedResult> result = runSupervised(
      {.argv = {"/bin/sh", "-c",
                "head -c 3000000 /dev/zero | tr '\\0' a; head -c 500000 /dev/zero >&2; "
                "echo; echo final-line >&2"},
       .max_output_bytes = 1000},
      system_clock);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_TRUE(result->output_cut);
  ASSERT_EQ(result->output.size(), kOutputCutMarker.size() + 1000);
  EXPECT_TRUE(result->output.starts_with(kOutputCutMarker));
  EXPECT_TRUE(result->output.ends_with("\nfinal-line\n"));
}

// A real one-second timeout: SIGTERM reaches the child and the grandchild
// it left in the background.
TEST(RunSupervised, TimeoutStopsWholeGroup) {
  Result<TemporaryDirectory> folder = TemporaryDirectory::create("supervised-timeout");
  ASSERT_TRUE(folder) << folder.error().message;
  const std::string pid_file = (folder->path() / "grandchild.pid").string();

  const Result<SupervisedResult> result = runSupervised(
      {.argv = {"/bin/sh", "-c", "sleep 30 & echo $! > " + pid_file + "; echo started; wait"},
       .timeout = 1s},
      system_clock);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->timed_out);
  EXPECT_FALSE(result->succeeded());
  EXPECT_EQ(result->signal, SIGTERM);
  EXPECT_EQ(result->output, "started\n");
  EXPECT_GE(result->duration, 1s);
  EXPECT_LT(result->duration, 20s);

  std::ifstream file(pid_file);
  std::string grandchild;
  ASSERT_TRUE(std::getline(file, grandchild));
  // The group was sent SIGKILL before runSupervised returned; the kernel
  // ends the process soon after, but not always before this line runs.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!processEnded(grandchild) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(processEnded(grandchild)) << "process " << grandchild << " is still running";
}

// The timeout runs on the injected clock, and a group that ignores SIGTERM
// gets SIGKILL once the grace period has passed on that clock too.
TEST(RunSupervised, KillsAfterGraceOnInjectedClock) {
  FakeClock clock(SystemTime{});
  ClockDriver driver(clock, 1s);
  const Result<SupervisedResult> result =
      runSupervised({.argv = {"/bin/sh", "-c", "trap '' TERM; echo ready; sleep 30"},
                     .timeout = 60s,
                     .kill_grace = 20s},
                    clock);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->signal, SIGKILL);
  EXPECT_GE(result->duration, 80s);
  EXPECT_EQ(result->output, "ready\n");
}

TEST(RunSupervised, NoTimeoutBeforeInjectedDeadline) {
  FakeClock clock(SystemTime{});
  const Result<SupervisedResult> result =
      runSupervised({.argv = {"/bin/sh", "-c", "sleep 0.3; echo done"}, .timeout = 1ms}, clock);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->output, "done\n");
  EXPECT_EQ(result->duration, Elapsed{0});
}

}  // namespace
}  // namespace pk::installer
