#include "apt/apt_lists.h"

#include <gtest/gtest.h>

#include "apt/tests/sandbox.h"

namespace pk::apt {
namespace {

TEST(PairIndexFiles, AptNaming) {
  const std::vector<std::string> names = {
      "deb.debian.org_debian-security_dists_bookworm-security_InRelease",
      "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4",
      "deb.debian.org_debian_dists_bookworm_InRelease",
      "deb.debian.org_debian_dists_bookworm_Release",
      "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.gz",
      "deb.debian.org_debian_dists_bookworm_main_i18n_Translation-en",
      "deb.debian.org_debian_dists_bookworm-updates_InRelease",
      "deb.debian.org_debian_dists_bookworm-updates_main_binary-i386_Packages.xz",
      "security.ubuntu.com_ubuntu_dists_noble-security_Release",
      "security.ubuntu.com_ubuntu_dists_noble-security_universe_binary-amd64_Packages",
      "example.org_orphan_dists_x_main_binary-amd64_Packages",
      "lock",
  };
  const auto pairs = pairIndexFiles(names);
  ASSERT_EQ(pairs.size(), 4U);
  EXPECT_EQ(
      pairs[0].packages_name,
      "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4");
  EXPECT_EQ(pairs[0].release_name,
            "deb.debian.org_debian-security_dists_bookworm-security_InRelease");
  EXPECT_EQ(pairs[0].compression, Compression::kLz4);
  EXPECT_EQ(pairs[1].packages_name,
            "deb.debian.org_debian_dists_bookworm-updates_main_binary-i386_Packages.xz");
  EXPECT_EQ(pairs[1].release_name, "deb.debian.org_debian_dists_bookworm-updates_InRelease");
  EXPECT_EQ(pairs[1].compression, Compression::kXz);
  EXPECT_EQ(pairs[2].packages_name,
            "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.gz");
  EXPECT_EQ(pairs[2].release_name, "deb.debian.org_debian_dists_bookworm_InRelease");
  EXPECT_EQ(pairs[2].compression, Compression::kGzip);
  EXPECT_EQ(pairs[3].release_name, "security.ubuntu.com_ubuntu_dists_noble-security_Release");
  EXPECT_EQ(pairs[3].compression, Compression::kNone);
}

TEST(FindIndexFiles, MissingFolder) {
  testing::TempDir dir;
  auto files = findIndexFiles(listsFolder(dir.path()));
  ASSERT_FALSE(files.has_value());
  EXPECT_EQ(files.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace pk::apt
