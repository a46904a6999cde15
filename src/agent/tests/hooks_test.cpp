#include "agent/hooks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/temporary_directory.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using test_support::TemporaryDirectory;
using test_support::writeFile;

SystemClock system_clock;

constexpr fs::perms kRootOnlyFolder = fs::perms::owner_all | fs::perms::group_read |
                                      fs::perms::group_exec | fs::perms::others_read |
                                      fs::perms::others_exec;
constexpr fs::perms kRootOnlyProgram = kRootOnlyFolder;

class HooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "hooks must be owned by root; run the test as root";
    auto created = TemporaryDirectory::create("hooks");
    ASSERT_TRUE(created) << created.error().message;
    directory_ = std::move(*created);
    fs::create_directories(folder());
    fs::permissions(folder(), kRootOnlyFolder);
  }

  fs::path folder() const { return directory_->path() / "hooks"; }

  void writeHook(const std::string& name, const std::string& body) {
    ASSERT_TRUE(writeFile(folder(), name, "#!/bin/sh\n" + body + "\n"));
    fs::permissions(folder() / name, kRootOnlyProgram);
  }

  HookOptions options() const { return {.folder = folder(), .timeout = std::chrono::seconds(20)}; }

  std::optional<TemporaryDirectory> directory_;
};

TEST(HookName, AcceptsLowerCaseDigitsDash) {
  EXPECT_TRUE(isValidHookName("stop-nginx"));
  EXPECT_TRUE(isValidHookName("check2"));
}

TEST(HookName, RejectsOtherCharacters) {
  for (const char* name : {"", "Stop", "../etc", "a/b", "a.sh", "a b", "a_b"}) {
    EXPECT_FALSE(isValidHookName(name)) << name;
  }
  EXPECT_FALSE(isValidHookName(std::string(65, 'a')));
}

TEST_F(HooksTest, RunsWithJobEnvironment) {
  writeHook("show", "echo \"$PATCHKEEPER_JOB $PATCHKEEPER_DEPLOYMENT $PATCHKEEPER_PHASE\"");
  auto result =
      runHook(options(), "show",
              {.job_id = "j-0011223344556677", .deployment_id = "d-1", .phase = HookPhase::kPost},
              system_clock);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->output, "j-0011223344556677 d-1 post\n");
}

TEST_F(HooksTest, FailingHookQuotesOutput) {
  writeHook("bad", "echo 'service did not stop' >&2; exit 3");
  auto result = runHook(options(), "bad", {}, system_clock);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kIoError);
  EXPECT_NE(result.error().message.find("exit status 3"), std::string::npos);
  EXPECT_NE(result.error().message.find("service did not stop"), std::string::npos);
}

TEST_F(HooksTest, RejectsGroupWritableHook) {
  writeHook("loose", "touch ran");
  fs::permissions(folder() / "loose", fs::perms::group_write, fs::perm_options::add);
  auto result = runHook(options(), "loose", {}, system_clock);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message.find("writable by group or others"), std::string::npos);
  EXPECT_FALSE(fs::exists(folder() / "ran")) << "the rejected hook ran";
}

TEST_F(HooksTest, RejectsOthersWritableFolder) {
  writeHook("fine", "true");
  fs::permissions(folder(), fs::perms::others_write, fs::perm_options::add);
  auto result = checkHook(folder(), "fine");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("hook folder"), std::string::npos);
}

TEST_F(HooksTest, RejectsHookNotOwnedByRoot) {
  writeHook("foreign", "true");
  ASSERT_EQ(::chown((folder() / "foreign").c_str(), 65534, 65534), 0);
  auto result = checkHook(folder(), "foreign");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("not by root"), std::string::npos);
}

TEST_F(HooksTest, RejectsSymbolicLink) {
  writeHook("target", "true");
  fs::create_symlink(folder() / "target", folder() / "link");
  auto result = checkHook(folder(), "link");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("not a regular file"), std::string::npos);
}

TEST_F(HooksTest, MissingHookIsNotFound) {
  auto result = checkHook(folder(), "absent");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
}

TEST_F(HooksTest, RejectsInvalidName) {
  auto result = checkHook(folder(), "../hooks/fine");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace pk::agent
