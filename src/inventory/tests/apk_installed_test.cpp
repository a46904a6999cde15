#include "inventory/apk_installed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "inventory/tests/shared_data.h"

namespace pk::inventory {
namespace {

using testing::readSharedFile;

TEST(ApkInstalled, ReadsRecordFields) {
  const ParsedPackages parsed = parseApkInstalled(
      "C:Q1abc=\nP:libcrypto3\nV:3.3.2-r0\nA:x86_64\nS:1\no:openssl\nF:lib\n\n"
      "P:musl\nV:1.2.5-r0\nA:aarch64\n\n"
      "P:busybox\nV:1.36.1-r29\n",
      "installed");
  EXPECT_EQ(parsed.skipped.size(), 0u);
  ASSERT_EQ(parsed.packages.size(), 3u);
  const std::vector<Package> expected = {
      {"libcrypto3", "3.3.2-r0", "x86_64", "openssl", "3.3.2-r0", ""},
      {"musl", "1.2.5-r0", "aarch64", "musl", "1.2.5-r0", ""},
      {"busybox", "1.36.1-r29", "", "busybox", "1.36.1-r29", ""},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(parsed.packages[i].name, expected[i].name);
    EXPECT_EQ(parsed.packages[i].version, expected[i].version);
    EXPECT_EQ(parsed.packages[i].architecture, expected[i].architecture);
    EXPECT_EQ(parsed.packages[i].source_name, expected[i].source_name);
    EXPECT_EQ(parsed.packages[i].source_version, expected[i].source_version);
  }
}

struct BadRecordCase {
  const char* record;
  const char* package;
  const char* reason_part;
};

TEST(ApkInstalled, ReportsBadRecords) {
  const std::string good = "P:good\nV:1.0-r0\n";
  const std::vector<BadRecordCase> cases = {
      {"V:1.0-r0\nA:x86_64\n", "", "P:"},
      {"P:nover\nA:x86_64\n", "nover", "V:"},
      {"P:badver\nV:1.0-rx\n", "badver", "1.0-rx"},
      {"P:badline\nV:1.0-r0\nnot a field\n", "badline", "line 6"},
  };
  for (const BadRecordCase& test_case : cases) {
    SCOPED_TRACE(test_case.record);
    const ParsedPackages parsed =
        parseApkInstalled(good + "\n" + test_case.record + "\n" + good, "installed");
    ASSERT_EQ(parsed.packages.size(), 2u);
    ASSERT_EQ(parsed.skipped.size(), 1u);
    EXPECT_EQ(parsed.skipped[0].line, 4u);
    EXPECT_EQ(parsed.skipped[0].package, test_case.package);
    EXPECT_NE(parsed.skipped[0].reason.find(test_case.reason_part), std::string::npos)
        << parsed.skipped[0].reason;
  }
}

struct FixtureCase {
  const char* file;
  std::size_t packages;
  std::size_t skipped;
  Package sample;
};

TEST(ApkInstalled, ReadsScannerFixtures) {
  const std::vector<FixtureCase> cases = {
      {"inventories/osv-scalibr/extractor/filesystem/os/apk/testdata/installed",
       15,
       0,
       {"alpine-baselayout-data", "3.4.3-r1", "x86_64", "alpine-baselayout", "3.4.3-r1", ""}},
      {"inventories/syft/syft/pkg/cataloger/alpine/testdata/multiple-2/lib/apk/db/installed",
       14,
       0,
       {"musl", "1.2.3-r0", "x86_64", "musl", "1.2.3-r0", ""}},
      {"inventories/trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk",
       15,
       1,
       {"busybox", "1.24.2-r9", "x86_64", "busybox", "1.24.2-r9", ""}},
  };
  for (const FixtureCase& test_case : cases) {
    SCOPED_TRACE(test_case.file);
    const ParsedPackages parsed = parseApkInstalled(readSharedFile(test_case.file), test_case.file);
    EXPECT_EQ(parsed.packages.size(), test_case.packages);
    EXPECT_EQ(parsed.skipped.size(), test_case.skipped);
    const auto found =
        std::find_if(parsed.packages.begin(), parsed.packages.end(),
                     [&](const Package& p) { return p.name == test_case.sample.name; });
    ASSERT_NE(found, parsed.packages.end());
    EXPECT_EQ(found->version, test_case.sample.version);
    EXPECT_EQ(found->architecture, test_case.sample.architecture);
    EXPECT_EQ(found->source_name, test_case.sample.source_name);
    EXPECT_EQ(found->source_version, test_case.sample.source_version);
  }
}

TEST(ApkInstalled, ReportsTrivyRecordWithoutVersion) {
  const ParsedPackages parsed = parseApkInstalled(
      readSharedFile("inventories/trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk"), "apk");
  ASSERT_EQ(parsed.skipped.size(), 1u);
  EXPECT_EQ(parsed.skipped[0].package, "invalidPackageWithoutAVersion");
  EXPECT_EQ(parsed.skipped[0].reason, "missing or empty V: (package version)");
}

}  // namespace
}  // namespace pk::inventory
