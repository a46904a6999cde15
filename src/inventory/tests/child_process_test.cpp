#include "inventory/child_process.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pk::inventory {
namespace {

TEST(RunCommand, CapturesBothStreams) {
  const Result<CommandOutput> output =
      runCommand({"sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 3"});
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(output->exit_status, 3);
  EXPECT_EQ(output->standard_output, "out\n");
  EXPECT_EQ(output->standard_error, "err\n");
}

// More output than a pipe buffer holds on both streams at once must not
// block the child.
TEST(RunCommand, ReadsLargeOutput) {
  const Result<CommandOutput> output =
      runCommand({"sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2"});
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(output->exit_status, 0);
  EXPECT_EQ(output->standard_output.size(), 300000u);
  EXPECT_EQ(output->standard_error.size(), 200000u);
}

TEST(RunCommand, PassesArgumentsVerbatim) {
  const Result<CommandOutput> output = runCommand({"printf", "%s|", "a b", "$HOME", "'q'"});
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(output->standard_output, "a b|$HOME|'q'|");
}

TEST(RunCommand, ReportsSignal) {
  const Result<CommandOutput> output = runCommand({"sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(output->exit_status, 128 + 9);
}

TEST(RunCommand, RejectsEmptyAndMissingPrograms) {
  const Result<CommandOutput> empty = runCommand({});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);

  const Result<CommandOutput> missing = runCommand({"/nonexistent/patchkeeper-test-program"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("/nonexistent/patchkeeper-test-program"),
            std::string::npos);
}

TEST(FormatCommand, QuotesArgumentsWithBlanks) {
  EXPECT_EQ(formatCommand({"rpm", "--root", "/tmp/a b", "-qa", ""}),
            "rpm --root '/tmp/a b' -qa ''");
}

}  // namespace
}  // namespace pk::inventory
