#include "inventory/rpm_query.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pk::inventory {
namespace {

struct SourceRpmCase {
  const char* file_name;
  const char* name;
  const char* version_release;
};

TEST(SourceRpmName, SplitsTable) {
  const std::vector<SourceRpmCase> cases = {
      {"openssl-3.0.7-27.el9.src.rpm", "openssl", "3.0.7-27.el9"},
      {"lvm2-2.03.23-2.el9.src.rpm", "lvm2", "2.03.23-2.el9"},
      {"perl-Time-Local-1.300-7.el9.src.rpm", "perl-Time-Local", "1.300-7.el9"},
      {"firmware-1-1.nosrc.rpm", "firmware", "1-1"},
  };
  for (const SourceRpmCase& test_case : cases) {
    SCOPED_TRACE(test_case.file_name);
    const Result<SourceRpm> parsed = parseSourceRpmName(test_case.file_name);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->name, test_case.name);
    EXPECT_EQ(parsed->version_release, test_case.version_release);
  }
}

TEST(SourceRpmName, RejectsMalformedNames) {
  for (const char* file_name :
       {"", ".src.rpm", "openssl-3.0.7.src.rpm", "openssl-3.0.7-27.el9.rpm", "-3.0.7-27.src.rpm",
        "openssl--27.src.rpm", "openssl-3.0.7-.src.rpm"}) {
    SCOPED_TRACE(file_name);
    const Result<SourceRpm> parsed = parseSourceRpmName(file_name);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedInput);
  }
}

struct QueryCase {
  const char* line;
  Package expected;
};

TEST(RpmQueryOutput, ParsesLineTable) {
  const std::vector<QueryCase> cases = {
      {"openssl-libs\t1\t3.0.7\t27.el9\tx86_64\topenssl-3.0.7-27.el9.src.rpm",
       {"openssl-libs", "1:3.0.7-27.el9", "x86_64", "openssl", "3.0.7-27.el9", ""}},
      {"bash\t\t5.1.8\t9.el9\tx86_64\tbash-5.1.8-9.el9.src.rpm",
       {"bash", "5.1.8-9.el9", "x86_64", "bash", "5.1.8-9.el9", ""}},
      {"device-mapper\t9\t1.02.197\t2.el9\tx86_64\tlvm2-2.03.23-2.el9.src.rpm",
       {"device-mapper", "9:1.02.197-2.el9", "x86_64", "lvm2", "2.03.23-2.el9", ""}},
      {"no-source\t0\t1.0\t1\t(none)\t(none)",
       {"no-source", "0:1.0-1", "", "no-source", "1.0-1", ""}},
  };
  for (const QueryCase& test_case : cases) {
    SCOPED_TRACE(test_case.line);
    const ParsedPackages parsed = parseRpmQueryOutput(std::string(test_case.line) + "\n", "rpmdb");
    ASSERT_EQ(parsed.skipped.size(), 0u);
    ASSERT_EQ(parsed.packages.size(), 1u);
    const Package& package = parsed.packages[0];
    EXPECT_EQ(package.name, test_case.expected.name);
    EXPECT_EQ(package.version, test_case.expected.version);
    EXPECT_EQ(package.architecture, test_case.expected.architecture);
    EXPECT_EQ(package.source_name, test_case.expected.source_name);
    EXPECT_EQ(package.source_version, test_case.expected.source_version);
    EXPECT_EQ(package.state, "");
  }
}

TEST(RpmQueryOutput, DropsSigningKeys) {
  const ParsedPackages parsed =
      parseRpmQueryOutput("gpg-pubkey\t\t8483c65d\t5ccc5b19\t(none)\t(none)\n", "rpmdb");
  EXPECT_TRUE(parsed.packages.empty());
  EXPECT_TRUE(parsed.skipped.empty());
}

struct BadLineCase {
  const char* line;
  const char* package;
  const char* reason_part;
};

TEST(RpmQueryOutput, ReportsBadLines) {
  const std::string good = "good\t\t1.0\t1\tnoarch\tgood-1.0-1.src.rpm\n";
  const std::vector<BadLineCase> cases = {
      {"short\t\t1.0\t1\tnoarch", "short", "found 5"},
      {"long\t\t1.0\t1\tnoarch\tlong-1.0-1.src.rpm\textra", "long", "found 7"},
      {"\t\t1.0\t1\tnoarch\tx-1.0-1.src.rpm", "", "empty NAME"},
      {"badepoch\tx\t1.0\t1\tnoarch\tx-1.0-1.src.rpm", "badepoch", "x:1.0-1"},
      {"emptyversion\t\t\t1\tnoarch\tx-1.0-1.src.rpm", "emptyversion", "-1"},
      {"badsource\t\t1.0\t1\tnoarch\tbroken.rpm", "badsource", "broken.rpm"},
  };
  for (const BadLineCase& test_case : cases) {
    SCOPED_TRACE(test_case.line);
    const ParsedPackages parsed = parseRpmQueryOutput(good + test_case.line + "\n" + good, "db");
    ASSERT_EQ(parsed.packages.size(), 2u);
    ASSERT_EQ(parsed.skipped.size(), 1u);
    EXPECT_EQ(parsed.skipped[0].file, "db");
    EXPECT_EQ(parsed.skipped[0].line, 2u);
    EXPECT_EQ(parsed.skipped[0].package, test_case.package);
    EXPECT_NE(parsed.skipped[0].reason.find(test_case.reason_part), std::string::npos)
        << parsed.skipped[0].reason;
  }
}

}  // namespace
}  // namespace pk::inventory
