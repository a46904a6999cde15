// Runs the real patchkeeper binary and checks its output and exit status.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace {

struct CommandResult {
  int exit_status = -1;
  std::string output;  // stdout and stderr together
};

CommandResult runPatchkeeper(const std::string& arguments) {
  std::string command = std::string(PK_CLI_BINARY) + " " + arguments + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    result.output += buffer.data();
  }
  int status = pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(VersionCompareCommand, PrintsLess) {
  auto result = runPatchkeeper("version compare dpkg 1.0~rc1 1.0");
  EXPECT_EQ(result.exit_status, 0);
  EXPECT_EQ(result.output, "<\n");
}

TEST(VersionCompareCommand, PrintsGreaterForEpoch) {
  auto result = runPatchkeeper("version compare dpkg 1:0.1-1 9.9");
  EXPECT_EQ(result.exit_status, 0);
  EXPECT_EQ(result.output, ">\n");
}

TEST(VersionCompareCommand, PrintsEqual) {
  auto result = runPatchkeeper("version compare semver 1.0.0+a 1.0.0+b");
  EXPECT_EQ(result.exit_status, 0);
  EXPECT_EQ(result.output, "=\n");
}

TEST(VersionCompareCommand, RpmCaretAndApkSuffix) {
  EXPECT_EQ(runPatchkeeper("version compare rpm 1.0^git1 1.0").output, ">\n");
  EXPECT_EQ(runPatchkeeper("version compare apk 6.0_pre1 6.0").output, "<\n");
}

TEST(VersionCompareCommand, MalformedExitsTwoWithReason) {
  auto result = runPatchkeeper("version compare dpkg 1.0 abc");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_EQ(result.output,
            "patchkeeper: invalid dpkg version 'abc': version number does not start with digit\n");
}

TEST(VersionCompareCommand, UnknownEcosystemExitsTwo) {
  auto result = runPatchkeeper("version compare deb 1.0 2.0");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.output.find("unknown ecosystem 'deb'"), std::string::npos) << result.output;
}

TEST(VersionCompareCommand, MissingArgumentExitsTwo) {
  auto result = runPatchkeeper("version compare dpkg 1.0");
  EXPECT_EQ(result.exit_status, 2);
}

TEST(VersionCompareCommand, VersionStartingWithHyphenAfterSeparator) {
  auto result = runPatchkeeper("version compare rpm -- -1 1");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.output.find("version is empty"), std::string::npos) << result.output;
}

}  // namespace
