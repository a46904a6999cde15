#include "inventory/dpkg_status.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "inventory/tests/shared_data.h"
#include "tests/support/dpkg_sandbox.h"

namespace pk::inventory {
namespace {

using test_support::DpkgStanza;
using test_support::formatDpkgStatus;
using testing::readSharedFile;

struct StanzaCase {
  const char* label;
  DpkgStanza stanza;
  Package expected;
};

TEST(DpkgStatus, ReadsStanzaTable) {
  const std::vector<StanzaCase> cases = {
      {"source with version",
       {.package = "dmsetup", .version = "2:1.02.185-2", .source = "lvm2 (2.03.16-2)"},
       {"dmsetup", "2:1.02.185-2", "amd64", "lvm2", "2.03.16-2", "installed"}},
      {"no source",
       {.package = "openssl", .version = "3.0.19-1~deb12u2"},
       {"openssl", "3.0.19-1~deb12u2", "amd64", "openssl", "3.0.19-1~deb12u2", "installed"}},
      {"source without version",
       {.package = "libc6", .version = "2.36-9+deb12u14", .source = "glibc"},
       {"libc6", "2.36-9+deb12u14", "amd64", "glibc", "2.36-9+deb12u14", "installed"}},
      {"half-configured is kept",
       {.package = "tzdata",
        .version = "2024a-0+deb12u1",
        .architecture = "all",
        .status = "install ok half-configured"},
       {"tzdata", "2024a-0+deb12u1", "all", "tzdata", "2024a-0+deb12u1", "half-configured"}},
      {"unpacked is kept",
       {.package = "curl", .version = "7.88.1-10+deb12u5", .status = "install reinstreq unpacked"},
       {"curl", "7.88.1-10+deb12u5", "amd64", "curl", "7.88.1-10+deb12u5", "unpacked"}},
      {"source version with blanks",
       {.package = "bash", .version = "5.2.15-2+b8", .source = "bash  ( 5.2.15-2 )"},
       {"bash", "5.2.15-2+b8", "amd64", "bash", "5.2.15-2", "installed"}},
  };
  for (const StanzaCase& test_case : cases) {
    SCOPED_TRACE(test_case.label);
    const ParsedPackages parsed = parseDpkgStatus(formatDpkgStatus({test_case.stanza}), "status");
    ASSERT_EQ(parsed.skipped.size(), 0u);
    ASSERT_EQ(parsed.packages.size(), 1u);
    const Package& package = parsed.packages[0];
    EXPECT_EQ(package.name, test_case.expected.name);
    EXPECT_EQ(package.version, test_case.expected.version);
    EXPECT_EQ(package.architecture, test_case.expected.architecture);
    EXPECT_EQ(package.source_name, test_case.expected.source_name);
    EXPECT_EQ(package.source_version, test_case.expected.source_version);
    EXPECT_EQ(package.state, test_case.expected.state);
  }
}

TEST(DpkgStatus, DropsRemovedPackages) {
  const ParsedPackages parsed = parseDpkgStatus(
      formatDpkgStatus({
          {.package = "old-config", .version = "1.0-1", .status = "deinstall ok config-files"},
          {.package = "purged", .version = "1.0-1", .status = "purge ok not-installed"},
          {.package = "kept", .version = "1.0-1"},
      }),
      "status");
  EXPECT_EQ(parsed.skipped.size(), 0u);
  ASSERT_EQ(parsed.packages.size(), 1u);
  EXPECT_EQ(parsed.packages[0].name, "kept");
}

struct MalformedCase {
  const char* label;
  std::string text;
  std::size_t line;
  std::string package;
  std::string reason_part;
};

TEST(DpkgStatus, ReportsMalformedParagraphs) {
  const std::string good = "Package: good\nStatus: install ok installed\nVersion: 1.0\n";
  const std::vector<MalformedCase> cases = {
      {"no package", "Status: install ok installed\nVersion: 1.0\n", 1, "", "Package"},
      {"empty package", "Package:\nStatus: install ok installed\nVersion: 1.0\n", 1, "", "Package"},
      {"no version", "Package: nover\nStatus: install ok installed\n", 1, "nover", "Version"},
      {"bad version", "Package: badver\nStatus: install ok installed\nVersion: a1.0\n", 1, "badver",
       "a1.0"},
      {"bad source version",
       "Package: badsrc\nStatus: install ok installed\nSource: src (x!)\nVersion: 1.0\n", 1,
       "badsrc", "source version"},
      {"unclosed source",
       "Package: s\nStatus: install ok installed\nSource: src (1.0\nVersion: 1.0\n", 1, "s",
       "Source"},
      {"no status", "Package: nostatus\nVersion: 1.0\n", 1, "nostatus", "Status"},
      {"short status", "Package: short\nStatus: installed\nVersion: 1.0\n", 1, "short",
       "three words"},
      {"duplicate field",
       "Package: dup\nStatus: install ok installed\nVersion: 1.0\nversion: 2.0\n", 1, "dup",
       "appears twice"},
      {"stray line", "Package: stray\nStatus: install ok installed\nnot a field\nVersion: 1.0\n", 1,
       "stray", "line 7 is neither"},
      {"leading continuation",
       " orphan\nPackage: cont\nStatus: install ok installed\nVersion: 1.0\n", 1, "cont",
       "continues"},
  };
  for (const MalformedCase& test_case : cases) {
    SCOPED_TRACE(test_case.label);
    const ParsedPackages parsed = parseDpkgStatus(good + "\n" + test_case.text + "\n" + good, "s");
    ASSERT_EQ(parsed.packages.size(), 2u);
    ASSERT_EQ(parsed.skipped.size(), 1u);
    const SkippedRecord& skipped = parsed.skipped[0];
    EXPECT_EQ(skipped.file, "s");
    EXPECT_EQ(skipped.line, 4 + test_case.line);
    EXPECT_EQ(skipped.package, test_case.package);
    EXPECT_NE(skipped.reason.find(test_case.reason_part), std::string::npos) << skipped.reason;
  }
}

TEST(DpkgStatus, HandlesLayoutVariants) {
  // CRLF line ends, blank lines made of spaces, field names in other cases,
  // and no final newline.
  const ParsedPackages parsed = parseDpkgStatus(
      "\n\nPACKAGE: a\r\nstatus: install ok installed\r\nVersion: 1:2.0-1\r\n  \t\n"
      "Package: b\nStatus: install ok installed\nDescription: x\n more\n .\nVersion: 3",
      "s");
  EXPECT_EQ(parsed.skipped.size(), 0u);
  ASSERT_EQ(parsed.packages.size(), 2u);
  EXPECT_EQ(parsed.packages[0].name, "a");
  EXPECT_EQ(parsed.packages[0].version, "1:2.0-1");
  EXPECT_EQ(parsed.packages[1].name, "b");
  EXPECT_EQ(parsed.packages[1].version, "3");
  EXPECT_EQ(parsed.packages[1].architecture, "");
}

TEST(DpkgStatus, EmptyInputHasNoPackages) {
  const ParsedPackages parsed = parseDpkgStatus("", "s");
  EXPECT_TRUE(parsed.packages.empty());
  EXPECT_TRUE(parsed.skipped.empty());
}

// Every package of a real Debian 12 host, checked against what dpkg-query
// printed for the same database (binary:Package, Version, source:Package,
// source:Version).
TEST(DpkgStatus, MatchesDpkgQueryOnDebianHost) {
  const std::string status = readSharedFile("inventories/this-host-debian12/dpkg-status");
  const std::string listing =
      readSharedFile("inventories/this-host-debian12/dpkg-query-installed.tsv");
  const ParsedPackages parsed = parseDpkgStatus(status, "dpkg-status");
  EXPECT_EQ(parsed.skipped.size(), 0u);
  ASSERT_EQ(parsed.packages.size(), 819u);

  std::map<std::string, std::vector<std::string>> expected;
  std::istringstream lines(listing);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream columns(line);
    std::string field;
    while (std::getline(columns, field, '\t')) fields.push_back(field);
    ASSERT_EQ(fields.size(), 5u) << line;
    const std::string name = fields[0].substr(0, fields[0].find(':'));
    expected[name] = fields;
  }
  ASSERT_EQ(expected.size(), 819u);

  for (const Package& package : parsed.packages) {
    SCOPED_TRACE(package.name);
    const auto found = expected.find(package.name);
    ASSERT_NE(found, expected.end());
    EXPECT_EQ(package.version, found->second[1]);
    EXPECT_EQ(package.source_name, found->second[2]);
    EXPECT_EQ(package.source_version, found->second[3]);
    EXPECT_EQ(package.state, "installed");
  }

  const auto dmsetup = std::find_if(parsed.packages.begin(), parsed.packages.end(),
                                    [](const Package& p) { return p.name == "dmsetup"; });
  ASSERT_NE(dmsetup, parsed.packages.end());
  EXPECT_EQ(dmsetup->version, "2:1.02.185-2");
  EXPECT_EQ(dmsetup->architecture, "amd64");
  EXPECT_EQ(dmsetup->source_name, "lvm2");
  EXPECT_EQ(dmsetup->source_version, "2.03.16-2");
}

struct FixtureCase {
  const char* file;
  std::size_t packages;
  std::size_t skipped;
  Package sample;
};

TEST(DpkgStatus, ReadsScannerFixtures) {
  const std::vector<FixtureCase> cases = {
      {"inventories/osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/valid",
       7,
       0,
       {"util-linux-extra", "2.38.1-5+b1", "amd64", "util-linux", "2.38.1-5", "installed"}},
      {"inventories/syft/cmd/syft/internal/test/integration/testdata/image-pkg-coverage/pkgs/var/"
       "lib/"
       "dpkg/status",
       1,
       0,
       {"apt", "1.8.2", "amd64", "apt-dev", "1.8.2", "installed"}},
      {"inventories/syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d/multiple",
       2,
       2,
       {"tzdata", "2020a-0+deb10u1", "all", "tzdata-dev", "2020a-0+deb10u1", "installed"}},
      {"inventories/syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d/"
       "coreutils-relationships",
       9,
       0,
       {"libselinux1", "3.4-1+b6", "arm64", "libselinux", "3.4-1", "installed"}},
  };
  for (const FixtureCase& test_case : cases) {
    SCOPED_TRACE(test_case.file);
    const ParsedPackages parsed = parseDpkgStatus(readSharedFile(test_case.file), test_case.file);
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

TEST(DpkgStatus, ReportsSyftMalformedParagraphs) {
  const std::string file =
      "inventories/syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d/multiple";
  const ParsedPackages parsed = parseDpkgStatus(readSharedFile(file), "multiple");
  ASSERT_EQ(parsed.skipped.size(), 2u);
  EXPECT_EQ(parsed.skipped[0].line, 1u);
  EXPECT_EQ(parsed.skipped[0].package, "");
  EXPECT_EQ(parsed.skipped[0].reason, "missing or empty Package field");
  EXPECT_EQ(parsed.skipped[1].line, 3u);
  EXPECT_EQ(parsed.skipped[1].package, "no-version");
  EXPECT_EQ(parsed.skipped[1].reason, "missing Status field");
}

// The dpkg status file inside trivy's txtar archive, between its
// "-- var/lib/dpkg/status --" header and the next header.
TEST(DpkgStatus, ReadsTrivyFixture) {
  const std::string archive =
      readSharedFile("inventories/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar");
  const std::string header = "-- var/lib/dpkg/status --\n";
  const std::size_t start = archive.find(header);
  ASSERT_NE(start, std::string::npos);
  const std::size_t body = start + header.size();
  const std::size_t end = archive.find("\n-- ", body);
  const std::string status =
      archive.substr(body, end == std::string::npos ? std::string::npos : end - body);

  const ParsedPackages parsed = parseDpkgStatus(status, "valid.txtar");
  EXPECT_EQ(parsed.skipped.size(), 0u);
  EXPECT_EQ(parsed.packages.size(), 90u);  // 91 paragraphs, one in config-files state
  for (const Package& package : parsed.packages) EXPECT_EQ(package.state, "installed");
}

}  // namespace
}  // namespace pk::inventory
