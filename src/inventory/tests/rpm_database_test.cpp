#include "inventory/rpm_database.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "inventory/tests/shared_data.h"
#include "tests/support/rpm_sandbox.h"
#include "tests/support/temporary_directory.h"

namespace pk::inventory {
namespace {

namespace fs = std::filesystem;
using test_support::RpmSpec;
using test_support::TemporaryDirectory;

void expectPackage(const Package& actual, const Package& expected) {
  SCOPED_TRACE(expected.name);
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.version, expected.version);
  EXPECT_EQ(actual.architecture, expected.architecture);
  EXPECT_EQ(actual.source_name, expected.source_name);
  EXPECT_EQ(actual.source_version, expected.source_version);
  EXPECT_EQ(actual.state, "");
}

struct BerkeleyCase {
  const char* file;
  Package expected;
};

// Debian 12's rpm 4.18 opens these BerkeleyDB Packages files through its
// read-only bdb_ro backend.
TEST(RpmDatabase, ReadsBerkeleyDbFixtures) {
  const std::vector<BerkeleyCase> cases = {
      {"inventories/osv-scalibr/extractor/filesystem/os/rpm/testdata/Packages_epoch",
       {"hello", "1:0.0.1-rls", "x86_64", "hello", "0.0.1-rls", ""}},
      {"inventories/syft/syft/pkg/cataloger/redhat/testdata/Packages",
       {"dive", "0.9.2-1", "x86_64", "dive", "0.9.2-1", ""}},
      {"inventories/syft/cmd/syft/internal/test/integration/testdata/image-pkg-coverage/pkgs/var/"
       "lib/"
       "rpm/Packages",
       {"dive", "0.9.2-1", "x86_64", "dive", "0.9.2-1", ""}},
  };
  for (const BerkeleyCase& test_case : cases) {
    SCOPED_TRACE(test_case.file);
    Result<TemporaryDirectory> root = TemporaryDirectory::create("rpm-bdb");
    ASSERT_TRUE(root) << root.error().message;
    fs::create_directories(root->path() / "var/lib/rpm");
    fs::copy_file(testing::sharedDataPath(test_case.file), root->path() / "var/lib/rpm/Packages");

    const Result<ParsedPackages> parsed = readRpmDatabase(root->path(), "/var/lib/rpm");
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->skipped.size(), 0u);
    ASSERT_EQ(parsed->packages.size(), 1u);
    expectPackage(parsed->packages[0], test_case.expected);
  }
}

TEST(RpmDatabase, ReadsBuiltPackages) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("rpm-built");
  ASSERT_TRUE(root) << root.error().message;
  const Result<void> installed = test_support::buildAndInstallRpms(
      root->path(), {
                        {.name = "device-mapper",
                         .epoch = 9,
                         .version = "1.02.197",
                         .release = "2.el9",
                         .source_name = "lvm2",
                         .source_version = "2.03.23",
                         .source_release = "2.el9"},
                        {.name = "bash", .version = "5.1.8", .release = "9.el9"},
                        {.name = "tzdata", .epoch = 0, .version = "2024a", .release = "1.el9"},
                        {.name = "openssl-libs",
                         .epoch = 1,
                         .version = "3.0.7",
                         .release = "27.el9",
                         .source_name = "openssl"},
                    });
  ASSERT_TRUE(installed) << installed.error().message;
  // Debian 12's rpm 4.18 writes SQLite databases.
  EXPECT_TRUE(fs::is_regular_file(root->path() / "var/lib/rpm/rpmdb.sqlite"));

  Result<ParsedPackages> parsed = readRpmDatabase(root->path(), "/var/lib/rpm");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->skipped.size(), 0u);
  ASSERT_EQ(parsed->packages.size(), 4u);
  std::sort(parsed->packages.begin(), parsed->packages.end(),
            [](const Package& a, const Package& b) { return a.name < b.name; });
  expectPackage(parsed->packages[0], {"bash", "5.1.8-9.el9", "noarch", "bash", "5.1.8-9.el9", ""});
  expectPackage(parsed->packages[1],
                {"device-mapper", "9:1.02.197-2.el9", "noarch", "lvm2", "2.03.23-2.el9", ""});
  expectPackage(parsed->packages[2],
                {"openssl-libs", "1:3.0.7-27.el9", "noarch", "openssl", "3.0.7-27.el9", ""});
  expectPackage(parsed->packages[3],
                {"tzdata", "0:2024a-1.el9", "noarch", "tzdata", "2024a-1.el9", ""});
}

TEST(RpmDatabase, CorruptDatabaseQuotesRpm) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("rpm-corrupt");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_TRUE(
      test_support::writeFile(root->path(), "var/lib/rpm/rpmdb.sqlite", std::string(4096, 'x')));

  const Result<ParsedPackages> parsed = readRpmDatabase(root->path(), "/var/lib/rpm");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kIoError);
  EXPECT_NE(parsed.error().message.find("exit status 1"), std::string::npos)
      << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("file is not a database"), std::string::npos)
      << parsed.error().message;
}

TEST(RpmDatabase, MissingProgramIsNotFound) {
  Result<TemporaryDirectory> root = TemporaryDirectory::create("rpm-missing");
  ASSERT_TRUE(root) << root.error().message;
  const Result<ParsedPackages> parsed =
      readRpmDatabase(root->path(), "/var/lib/rpm", (root->path() / "no-such-rpm").string());
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace pk::inventory
