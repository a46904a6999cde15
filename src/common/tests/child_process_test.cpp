#include "common/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace pk {
namespace {

std::string readToEnd(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t count = 0;
  while ((count = ::read(fd, buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(count));
  }
  return text;
}

TEST(ChildProcessRunCommand, CapturesBothStreams) {
  const Result<CommandOutput> output =
      runCommand({"sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 3"});
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(output->exit_code, 3);
  EXPECT_EQ(output->signal, 0);
  EXPECT_EQ(output->standard_output, "out\n");
  EXPECT_EQ(output->standard_error, "err\n");
}

// More output than a pipe buffer holds on both streams must not block the
// child, and runCommand keeps all of standard error.
TEST(ChildProcessRunCommand, ReadsLargeOutput) {
  const Result<CommandOutput> output =
      runCommand({"sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2"});
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(output->exit_code, 0);
  EXPECT_EQ(output->standard_output.size(), 300000u);
  EXPECT_EQ(output->standard_error.size(), 200000u);
}

TEST(ChildProcessRunCommand, PassesArgumentsVerbatim) {
  const Result<CommandOutput> output = runCommand({"printf", "%s|", "a b", "$HOME", "'q'"});
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(output->standard_output, "a b|$HOME|'q'|");
}

TEST(ChildProcessRunCommand, ReportsSignal) {
  const Result<CommandOutput> output = runCommand({"sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(output->exit_code, -1);
  EXPECT_EQ(output->signal, 9);
}

TEST(ChildProcessRunCommand, RejectsEmptyAndMissingPrograms) {
  const Result<CommandOutput> empty = runCommand({});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);

  const Result<CommandOutput> missing = runCommand({"/nonexistent/patchkeeper-test-program"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("/nonexistent/patchkeeper-test-program"),
            std::string::npos);
}

TEST(ChildProcessRunProcess, DiscardsOutputWithoutCallback) {
  const Result<ProcessOutcome> outcome = runProcess({"sh", "-c", "echo out; echo err >&2; exit 2"});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 2);
  EXPECT_EQ(outcome->signal, 0);
  EXPECT_EQ(outcome->standard_error, "err\n");
}

TEST(ChildProcessRunProcess, RunsInWorkingDirectory) {
  std::string output;
  const Result<ProcessOutcome> outcome =
      runProcess({"pwd"}, "/", [&](int fd) { output = readToEnd(fd); });
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_EQ(output, "/\n");
}

TEST(ChildProcessRunProcess, RejectsMissingWorkingDirectory) {
  const Result<ProcessOutcome> outcome =
      runProcess({"true"}, "/nonexistent/patchkeeper-test-folder");
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kNotFound);
  EXPECT_NE(outcome.error().message.find("/nonexistent/patchkeeper-test-folder"), std::string::npos)
      << outcome.error().message;
}

TEST(ChildProcessRunProcess, RejectsEmptyArgv) {
  const Result<ProcessOutcome> outcome = runProcess({});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kInvalidArgument);
}

TEST(ChildProcessRunProcess, ReadsStandardInputFromDevNull) {
  std::string output = "not read";
  const Result<ProcessOutcome> outcome =
      runProcess({"cat"}, {}, [&](int fd) { output = readToEnd(fd); });
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_EQ(output, "");
}

// Standard error written before standard output, and more than a pipe
// holds, must not keep the callback from seeing standard output.
TEST(ChildProcessRunProcess, ErrorOutputDoesNotBlockReader) {
  std::string output;
  const Result<ProcessOutcome> outcome =
      runProcess({"sh", "-c", "head -c 200000 /dev/zero >&2; echo done"}, {},
                 [&](int fd) { output = readToEnd(fd); });
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_EQ(output, "done\n");
  EXPECT_EQ(outcome->standard_error.size(), kDefaultMaxErrorBytes);
}

TEST(ChildProcessRunProcess, LimitsStandardError) {
  const Result<ProcessOutcome> outcome =
      runProcess({"sh", "-c", "printf 'first line\\nsecond line\\n' >&2"}, {}, {}, 10);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->standard_error, "first line");
}

// A reader that stops early closes the pipe, and the child must end with
// SIGPIPE even when this process ignores that signal.
TEST(ChildProcessRunProcess, EarlyCloseEndsChildWithSigpipe) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &previous), 0);

  std::string first_bytes(4, '\0');
  const Result<ProcessOutcome> outcome = runProcess({"yes"}, {}, [&](int fd) {
    EXPECT_EQ(::read(fd, first_bytes.data(), first_bytes.size()), 4);
  });
  ::sigaction(SIGPIPE, &previous, nullptr);

  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(first_bytes, "y\ny\n");
  EXPECT_EQ(outcome->exit_code, -1);
  EXPECT_EQ(outcome->signal, SIGPIPE);
}

TEST(ChildProcessRunProcess, CallbackExceptionPropagates) {
  EXPECT_THROW(runProcess({"sh", "-c", "echo out"}, {},
                          [](int) { throw std::runtime_error("callback failed"); }),
               std::runtime_error);
}

TEST(ChildProcessDescribeFailure, QuotesArgumentsWithBlanks) {
  const ProcessOutcome outcome{
      .exit_code = 1, .signal = 0, .standard_error = "\n error: no db\n\n"};
  EXPECT_EQ(describeFailure({"rpm", "--root", "/tmp/a b", "-qa", ""}, outcome),
            "rpm --root '/tmp/a b' -qa '' failed with exit status 1: error: no db");
}

TEST(ChildProcessDescribeFailure, ReportsSignalWithoutErrorText) {
  const ProcessOutcome outcome{.exit_code = -1, .signal = 13, .standard_error = ""};
  EXPECT_EQ(describeFailure({"yes"}, outcome), "yes failed with signal 13");
}

}  // namespace
}  // namespace pk
