#include "inventory/root_path.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/temporary_directory.h"

namespace pk::inventory {
namespace {

namespace fs = std::filesystem;
using test_support::TemporaryDirectory;
using test_support::writeFile;

TEST(ResolveInRoot, KeepsPathWithoutLinks) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("root-plain");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "etc/os-release", "ID=debian\n"));

  const Result<fs::path> resolved = resolveInRoot(root->path(), "etc/./os-release");
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(*resolved, root->path() / "etc/os-release");

  const Result<fs::path> leading_slash = resolveInRoot(root->path(), "/etc/os-release");
  ASSERT_TRUE(leading_slash) << leading_slash.error().message;
  EXPECT_EQ(*leading_slash, root->path() / "etc/os-release");
}

TEST(ResolveInRoot, AbsoluteLinkStartsAtRoot) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("root-absolute");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "usr/lib/os-release", "ID=debian\n"));
  fs::create_symlink("/usr/lib/os-release", root->path() / "etc-os-release");

  const Result<fs::path> resolved = resolveInRoot(root->path(), "etc-os-release");
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(*resolved, root->path() / "usr/lib/os-release");
}

TEST(ResolveInRoot, LinkedFolderInMiddle) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("root-folder");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "run/reboot-required", ""));
  fs::create_directories(root->path() / "var");
  fs::create_symlink("/run", root->path() / "var/run");
  fs::create_symlink("../var/run", root->path() / "var-run-relative");

  const Result<fs::path> absolute = resolveInRoot(root->path(), "var/run/reboot-required");
  ASSERT_TRUE(absolute) << absolute.error().message;
  EXPECT_EQ(*absolute, root->path() / "run/reboot-required");

  // "../var/run" from the root's top level: ".." stays at the root.
  const Result<fs::path> relative = resolveInRoot(root->path(), "var-run-relative/reboot-required");
  ASSERT_TRUE(relative) << relative.error().message;
  EXPECT_EQ(*relative, root->path() / "run/reboot-required");
}

TEST(ResolveInRoot, DotDotNeverLeavesRoot) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("root-escape");
  ASSERT_TRUE(root) << root.error().message;
  fs::create_directories(root->path() / "etc");
  fs::create_symlink("/../../etc/passwd", root->path() / "etc/absolute-escape");
  fs::create_symlink("../../../../../../etc/passwd", root->path() / "etc/relative-escape");

  for (const char* link : {"etc/absolute-escape", "etc/relative-escape", "../../etc/passwd"}) {
    SCOPED_TRACE(link);
    const Result<fs::path> resolved = resolveInRoot(root->path(), link);
    ASSERT_TRUE(resolved) << resolved.error().message;
    EXPECT_EQ(*resolved, root->path() / "etc/passwd");
  }
}

TEST(ResolveInRoot, MissingComponentKeepsRest) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("root-missing");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "etc/os-release", "ID=debian\n"));

  const Result<fs::path> resolved = resolveInRoot(root->path(), "missing/../etc/os-release");
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(*resolved, root->path() / "missing/../etc/os-release");
}

TEST(ResolveInRoot, DanglingLinkResolvesToMissingTarget) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("root-dangling");
  ASSERT_TRUE(root) << root.error().message;
  fs::create_directories(root->path() / "etc");
  fs::create_symlink("/usr/lib/os-release", root->path() / "etc/os-release");

  const Result<fs::path> resolved = resolveInRoot(root->path(), "etc/os-release");
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(*resolved, root->path() / "usr/lib/os-release");
}

TEST(ResolveInRoot, LoopFails) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("root-loop");
  ASSERT_TRUE(root) << root.error().message;
  fs::create_symlink("/b", root->path() / "a");
  fs::create_symlink("a", root->path() / "b");

  const Result<fs::path> resolved = resolveInRoot(root->path(), "a/file");
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().code, ErrorCode::kMalformedInput);
  const std::string& message = resolved.error().message;
  EXPECT_NE(message.find("too many symbolic links (more than 40)"), std::string::npos) << message;
  EXPECT_NE(message.find("a/file"), std::string::npos) << message;
  EXPECT_NE(message.find("loop"), std::string::npos) << message;
}

TEST(ResolveInRoot, FollowsFortyLinksNotMore) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("root-chain");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(writeFile(root->path(), "target", ""));
  // link0 -> target, link1 -> link0, ..., link40 -> link39.
  fs::create_symlink("target", root->path() / "link0");
  for (int i = 1; i <= 40; ++i) {
    fs::create_symlink("link" + std::to_string(i - 1), root->path() / ("link" + std::to_string(i)));
  }

  const Result<fs::path> forty = resolveInRoot(root->path(), "link39");
  ASSERT_TRUE(forty) << forty.error().message;
  EXPECT_EQ(*forty, root->path() / "target");

  const Result<fs::path> forty_one = resolveInRoot(root->path(), "link40");
  ASSERT_FALSE(forty_one);
  EXPECT_EQ(forty_one.error().code, ErrorCode::kMalformedInput);
}

}  // namespace
}  // namespace pk::inventory
