#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "advisory/debian_files.h"
#include "advisory/debian_lists.h"

namespace pk::advisory {
namespace {

using Type = RangeEvent::Type;

struct Loaded {
  std::vector<Advisory> advisories;
  LoadReport report;
};

Loaded parseList(std::string_view text) {
  Loaded loaded;
  auto result = parseDebianSecurityList(
      text, "test/list", [&](Advisory&& advisory) { loaded.advisories.push_back(advisory); },
      loaded.report);
  EXPECT_TRUE(result.has_value());
  return loaded;
}

const Advisory* findById(const std::vector<Advisory>& advisories, std::string_view id) {
  for (const auto& advisory : advisories) {
    if (advisory.id == id) return &advisory;
  }
  return nullptr;
}

std::vector<RangeEvent> fixedRange(std::string_view version) {
  return {RangeEvent{Type::kIntroduced, "0"}, RangeEvent{Type::kFixed, std::string(version)}};
}

void expectEvents(const std::vector<RangeEvent>& actual, const std::vector<RangeEvent>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].type, expected[i].type) << "event " << i;
    EXPECT_EQ(actual[i].version, expected[i].version) << "event " << i;
  }
}

TEST(DebianList, ReadsOneEntry) {
  Loaded loaded = parseList(
      "[21 Apr 2023] DSA-5395-1 nodejs - security update\n"
      "\t{CVE-2023-23918 CVE-2023-23920}\n"
      "\t[bullseye] - nodejs 12.22.12~dfsg-1~deb11u4\n");

  ASSERT_EQ(loaded.advisories.size(), 1u);
  const Advisory& advisory = loaded.advisories[0];
  EXPECT_EQ(advisory.id, "DSA-5395-1");
  EXPECT_EQ(advisory.source, "debian-dsa");
  EXPECT_EQ(advisory.summary, "nodejs - security update");
  EXPECT_EQ(advisory.published, "2023-04-21");
  EXPECT_EQ(advisory.aliases, (std::vector<std::string>{"CVE-2023-23918", "CVE-2023-23920"}));
  ASSERT_EQ(advisory.affected.size(), 1u);
  const AffectedPackage& affected = advisory.affected[0];
  EXPECT_EQ(affected.ecosystem, "Debian:11");
  EXPECT_EQ(affected.name, "nodejs");
  EXPECT_EQ(affected.name_kind, PackageNameKind::kSource);
  EXPECT_FALSE(affected.severity.has_value());
  ASSERT_EQ(affected.ranges.size(), 1u);
  expectEvents(affected.ranges[0], fixedRange("12.22.12~dfsg-1~deb11u4"));
  EXPECT_EQ(loaded.report.records_loaded, 1u);
  EXPECT_EQ(loaded.report.records_skipped, 0u);
}

// One row per line shape found in the tracker's lists; each input is one
// entry whose release lines produce `expected_affected` entries.
struct ShapeCase {
  std::string_view name;
  std::string_view text;
  std::string_view id;
  std::string_view source;
  std::string_view summary;
  std::vector<std::string> aliases;
  std::size_t expected_affected;
};

class DebianListShapes : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(DebianListShapes, ReadsShape) {
  const ShapeCase& shape = GetParam();
  Loaded loaded = parseList(shape.text);

  EXPECT_EQ(loaded.report.records_skipped, 0u);
  for (const auto& issue : loaded.report.issues) ADD_FAILURE() << issue.message;
  ASSERT_EQ(loaded.advisories.size(), 1u);
  const Advisory& advisory = loaded.advisories[0];
  EXPECT_EQ(advisory.id, shape.id);
  EXPECT_EQ(advisory.source, shape.source);
  EXPECT_EQ(advisory.summary, shape.summary);
  EXPECT_EQ(advisory.aliases, shape.aliases);
  EXPECT_EQ(advisory.affected.size(), shape.expected_affected);
}

INSTANTIATE_TEST_SUITE_P(
    Debian, DebianListShapes,
    ::testing::Values(ShapeCase{"DlaEntry",
                                "[01 Apr 2023] DLA-3378-1 duktape - security update\n"
                                "\t{CVE-2021-46322}\n"
                                "\t[buster] - duktape 2.3.0-1+deb10u1\n",
                                "DLA-3378-1",
                                "debian-dla",
                                "duktape - security update",
                                {"CVE-2021-46322"},
                                1},
                      ShapeCase{"NoCves",
                                "[24 Mar 2023] DLA-3366-1 tzdata - new timezone database\n"
                                "\t[buster] - tzdata 2021a-0+deb10u10\n",
                                "DLA-3366-1",
                                "debian-dla",
                                "tzdata - new timezone database",
                                {},
                                1},
                      ShapeCase{"IdWithoutRevision",
                                "[04 Aug 2004] DSA-536 libpng - several vulnerabilities\n"
                                "\t[woody] - libpng 1.0.12-3.woody.7\n"
                                "\t[woody] - libpng3 1.2.1-1.1.woody.7\n",
                                "DSA-536",
                                "debian-dsa",
                                "libpng - several vulnerabilities",
                                {},
                                2},
                      ShapeCase{"HeaderWithoutPackage",
                                "[13 Feb 2009] DSA-1724-1  - several vulnerabilities\n"
                                "\t[etch] - moodle 1.6.3-2+etch2\n",
                                "DSA-1724-1",
                                "debian-dsa",
                                "several vulnerabilities",
                                {},
                                1},
                      ShapeCase{"HeaderWithoutDash",
                                "[18 Apr 2018] DSA-4205-1 jessie end-of-life\n",
                                "DSA-4205-1",
                                "debian-dsa",
                                "jessie end-of-life",
                                {},
                                0},
                      ShapeCase{"SpaceIndentedNotes",
                                "[08 Jul 2008] DSA-1605-1 glibc - DNS cache poisoning\n"
                                "        {CVE-2008-1447}\n"
                                "        NOTE: <unfixed> (backport too complicated)\n",
                                "DSA-1605-1",
                                "debian-dsa",
                                "glibc - DNS cache poisoning",
                                {"CVE-2008-1447"},
                                0},
                      ShapeCase{"BlanksInsideBraces",
                                "[01 Jan 2006] DSA-999-1 foo - x\n"
                                "\t{ CVE-2005-0001  CVE-2005-0002 CVE-2005-0001 }\n",
                                "DSA-999-1",
                                "debian-dsa",
                                "foo - x",
                                {"CVE-2005-0001", "CVE-2005-0002"},
                                0},
                      ShapeCase{"NotAffectedRelease",
                                "[01 Jan 2006] DSA-998-1 mantis - x\n"
                                "\t[woody] - mantis <not-affected> (Vulnerable code not present)\n"
                                "\t[sarge] - mantis 0.19.2-5sarge1\n",
                                "DSA-998-1",
                                "debian-dsa",
                                "mantis - x",
                                {},
                                1},
                      ShapeCase{"CarriageReturns",
                                "[29 Mar 2023] DSA-5380-1 xorg-server - security update\r\n"
                                "\t{CVE-2023-1393}\r\n"
                                "\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6\r\n",
                                "DSA-5380-1",
                                "debian-dsa",
                                "xorg-server - security update",
                                {"CVE-2023-1393"},
                                1}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(DebianList, MarkersAndRemarks) {
  Loaded loaded = parseList(
      "[02 Nov 2005] DSA-880-1 phpmyadmin - several\n"
      "\t[woody] - phpmyadmin <unfixed> (high)\n"
      "\t[sarge] - phpmyadmin 4:2.6.2-3sarge1 (bug #339437; medium)\n"
      "\t[sarge] - other 1.0-1 (bug #1)\n"
      "[18 Dec 2015] DLA-372-1 virtualbox-ose - end of support\n"
      "\t[squeeze] - virtualbox-ose <end-of-life>\n");

  EXPECT_EQ(loaded.report.records_skipped, 0u);
  ASSERT_EQ(loaded.advisories.size(), 2u);
  const auto& dsa = loaded.advisories[0].affected;
  ASSERT_EQ(dsa.size(), 3u);
  EXPECT_EQ(dsa[0].ecosystem, "Debian:3.0");
  ASSERT_EQ(dsa[0].ranges.size(), 1u);
  expectEvents(dsa[0].ranges[0], {RangeEvent{Type::kIntroduced, "0"}});
  EXPECT_EQ(dsa[0].severity, Severity::kHigh);
  EXPECT_EQ(dsa[1].ecosystem, "Debian:3.1");
  expectEvents(dsa[1].ranges[0], fixedRange("4:2.6.2-3sarge1"));
  EXPECT_EQ(dsa[1].severity, Severity::kMedium);
  EXPECT_FALSE(dsa[2].severity.has_value());

  const auto& dla = loaded.advisories[1].affected;
  ASSERT_EQ(dla.size(), 1u);
  EXPECT_EQ(dla[0].ecosystem, "Debian:6.0");
  expectEvents(dla[0].ranges[0], {RangeEvent{Type::kIntroduced, "0"}});
}

// Each malformed input contains a good entry after the bad line, which must
// still load; `expected_ids` lists every advisory that loads.
struct MalformedCase {
  std::string_view name;
  std::string_view text;
  std::string_view field;
  std::string_view record_id;
  std::string_view line_prefix;
  std::vector<std::string> expected_ids;
  std::size_t expected_affected_of_first;
};

class DebianListMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(DebianListMalformed, ReportsAndContinues) {
  const MalformedCase& bad = GetParam();
  Loaded loaded = parseList(bad.text);

  ASSERT_EQ(loaded.report.issues.size(), 1u);
  const LoadIssue& issue = loaded.report.issues[0];
  EXPECT_EQ(issue.file, "test/list");
  EXPECT_EQ(issue.field, bad.field);
  EXPECT_EQ(issue.record_id, bad.record_id);
  EXPECT_EQ(issue.message.substr(0, bad.line_prefix.size()), bad.line_prefix) << issue.message;
  EXPECT_EQ(loaded.report.records_skipped, 1u);

  std::vector<std::string> ids;
  for (const auto& advisory : loaded.advisories) ids.push_back(advisory.id);
  EXPECT_EQ(ids, bad.expected_ids);
  EXPECT_EQ(loaded.report.records_loaded, bad.expected_ids.size());
  ASSERT_FALSE(loaded.advisories.empty());
  EXPECT_EQ(loaded.advisories[0].affected.size(), bad.expected_affected_of_first);
}

constexpr std::string_view kGoodEntry =
    "[20 Mar 2023] DSA-5376-1 apache2 - security update\n"
    "\t{CVE-2023-25690}\n"
    "\t[bullseye] - apache2 2.4.56-1~deb11u1\n";

std::string withGoodEntry(std::string_view bad) {
  return std::string(bad) + std::string(kGoodEntry);
}

INSTANTIATE_TEST_SUITE_P(
    Debian, DebianListMalformed,
    ::testing::Values(
        MalformedCase{"DayPastMonthEnd",
                      "[31 Apr 2023] DSA-5390-1 foo - x\n\t[bullseye] - foo 1.0-1\n"
                      "[20 Mar 2023] DSA-5376-1 apache2 - security update\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "date",
                      "DSA-5390-1",
                      "line 1: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"UnknownMonth",
                      "[01 Foo 2023] DSA-5390-1 foo - x\n"
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n\t[bullseye] - apache2 2.4.56-1\n",
                      "date",
                      "DSA-5390-1",
                      "line 1: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"NoClosingBracket",
                      "[01 Apr 2023 DSA-5390-1 foo - x\n\t{CVE-2023-0001}\n"
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n",
                      "date",
                      "",
                      "line 1: ",
                      {"DSA-5376-1"},
                      0},
        MalformedCase{"UnknownIdPrefix",
                      "[01 Apr 2023] DTSA-1-1 foo - x\n"
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n\t[bullseye] - apache2 2.4.56-1\n",
                      "id",
                      "DTSA-1-1",
                      "line 1: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"FixedVersionDpkgRejects",
                      "[20 Mar 2023] DSA-5376-1 apache2 - security update\n"
                      "\t{CVE-2023-25690}\n"
                      "\t[buster] - apache2 apache2-1\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "fixed_version",
                      "DSA-5376-1",
                      "line 3: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"UnknownRelease",
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n"
                      "\t[hamm] - apache2 1.3-1\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "release",
                      "DSA-5376-1",
                      "line 2: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"UnknownMarker",
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n"
                      "\t[buster] - apache2 <removed>\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "fixed_version",
                      "DSA-5376-1",
                      "line 2: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"MissingVersion",
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n"
                      "\t[buster] - apache2\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "fixed_version",
                      "DSA-5376-1",
                      "line 2: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"TextAfterVersion",
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n"
                      "\t[buster] - apache2 2.4-1 and more\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "line",
                      "DSA-5376-1",
                      "line 2: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"InvalidPackageName",
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n"
                      "\t[buster] - Apache2 2.4-1\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "package",
                      "DSA-5376-1",
                      "line 2: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"InvalidCveId",
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n"
                      "\t{CVE-2023-25690 CVE-23-1}\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "cve_ids",
                      "DSA-5376-1",
                      "line 2: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"UnclosedCveList",
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n"
                      "\t{CVE-2023-25690\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "cve_ids",
                      "DSA-5376-1",
                      "line 2: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"UnindentedText",
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n"
                      "stray text\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "line",
                      "",
                      "line 2: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"IndentedBeforeFirstHeader",
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n"
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "line",
                      "",
                      "line 1: ",
                      {"DSA-5376-1"},
                      1},
        MalformedCase{"UnrecognisedIndentedLine",
                      "[20 Mar 2023] DSA-5376-1 apache2 - x\n"
                      "\tsomething else\n"
                      "\t[bullseye] - apache2 2.4.56-1~deb11u1\n",
                      "line",
                      "DSA-5376-1",
                      "line 2: ",
                      {"DSA-5376-1"},
                      1}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(DebianList, EmptyTextLoadsNothing) {
  Loaded loaded = parseList("");
  EXPECT_TRUE(loaded.advisories.empty());
  EXPECT_EQ(loaded.report.records_loaded, 0u);
  EXPECT_TRUE(loaded.report.issues.empty());
}

TEST(DebianList, BadEntryBeforeGoodOne) {
  Loaded loaded = parseList(withGoodEntry("[99 Mar 2023] DSA-1-1 foo - x\n\t{CVE-2023-0001}\n"));
  ASSERT_EQ(loaded.advisories.size(), 1u);
  EXPECT_EQ(loaded.advisories[0].aliases, (std::vector<std::string>{"CVE-2023-25690"}));
  EXPECT_EQ(loaded.report.records_skipped, 1u);
}

// Tests over the tracker's real lists (security-tracker data, April 2023).
// The expected numbers were counted with grep and awk, independently of this
// parser: `grep -c '^\['` gives the entries, and `dpkg --validate-version`
// over every fixed version finds exactly one it rejects.
const std::filesystem::path kTrackerData =
    std::filesystem::path(PK_SHARED_DATA_DIR) / "debian/security-tracker-2023/data";

Loaded readList(const std::filesystem::path& path) {
  Loaded loaded;
  auto result = readDebianSecurityList(
      path, [&](Advisory&& advisory) { loaded.advisories.push_back(std::move(advisory)); },
      loaded.report);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  return loaded;
}

std::size_t countAffected(const std::vector<Advisory>& advisories) {
  std::size_t total = 0;
  for (const auto& advisory : advisories) total += advisory.affected.size();
  return total;
}

std::size_t countAliases(const std::vector<Advisory>& advisories) {
  std::size_t total = 0;
  for (const auto& advisory : advisories) total += advisory.aliases.size();
  return total;
}

TEST(DebianListRealData, DsaListCounts) {
  Loaded loaded = readList(kTrackerData / "DSA/list");

  EXPECT_EQ(loaded.advisories.size(), 5406u);
  EXPECT_EQ(loaded.report.records_loaded, 5406u);
  // 6926 release lines with a version, less the one dpkg rejects, plus 7
  // <unfixed> and <end-of-life> lines; the 55 <not-affected> lines add none.
  EXPECT_EQ(countAffected(loaded.advisories), 6932u);
  EXPECT_EQ(countAliases(loaded.advisories), 18128u);
  for (const auto& advisory : loaded.advisories) EXPECT_EQ(advisory.source, "debian-dsa");

  ASSERT_EQ(loaded.report.issues.size(), 1u);
  const LoadIssue& issue = loaded.report.issues[0];
  EXPECT_EQ(issue.record_id, "DSA-423");
  EXPECT_EQ(issue.field, "fixed_version");
  EXPECT_EQ(issue.message.substr(0, 12), "line 17244: ");
  EXPECT_NE(issue.message.find("kernel-image-2.4.17-ia64"), std::string::npos) << issue.message;
}

TEST(DebianListRealData, DlaListCounts) {
  Loaded loaded = readList(kTrackerData / "DLA/list");

  EXPECT_EQ(loaded.advisories.size(), 3534u);
  EXPECT_EQ(countAffected(loaded.advisories), 3535u);
  EXPECT_EQ(countAliases(loaded.advisories), 11002u);
  EXPECT_TRUE(loaded.report.issues.empty());
  for (const auto& advisory : loaded.advisories) EXPECT_EQ(advisory.source, "debian-dla");
  EXPECT_EQ(loaded.advisories.front().id, "DLA-3380-1");
}

TEST(DebianListRealData, MultiReleaseEntry) {
  Loaded loaded = readList(kTrackerData / "DSA/list");
  const Advisory* expat = findById(loaded.advisories, "DSA-5073-1");
  ASSERT_NE(expat, nullptr);

  EXPECT_EQ(expat->summary, "expat - security update");
  EXPECT_EQ(expat->published, "2022-02-12");
  EXPECT_EQ(expat->aliases,
            (std::vector<std::string>{"CVE-2021-45960", "CVE-2021-46143", "CVE-2022-22822",
                                      "CVE-2022-22823", "CVE-2022-22824", "CVE-2022-22825",
                                      "CVE-2022-22826", "CVE-2022-22827", "CVE-2022-23852",
                                      "CVE-2022-23990"}));
  ASSERT_EQ(expat->affected.size(), 2u);
  EXPECT_EQ(expat->affected[0].ecosystem, "Debian:10");
  EXPECT_EQ(expat->affected[0].name, "expat");
  expectEvents(expat->affected[0].ranges.at(0), fixedRange("2.2.6-2+deb10u2"));
  EXPECT_EQ(expat->affected[1].ecosystem, "Debian:11");
  expectEvents(expat->affected[1].ranges.at(0), fixedRange("2.2.10-2+deb11u1"));
}

TEST(DebianListRealData, MultiPackageEntry) {
  Loaded loaded = readList(kTrackerData / "DLA/list");
  const Advisory* ia32 = findById(loaded.advisories, "DLA-196-1");
  ASSERT_NE(ia32, nullptr);

  EXPECT_EQ(ia32->published, "2015-04-13");
  EXPECT_TRUE(ia32->aliases.empty());
  ASSERT_EQ(ia32->affected.size(), 2u);
  EXPECT_EQ(ia32->affected[0].name, "ia32-libs");
  EXPECT_EQ(ia32->affected[1].name, "ia32-libs-gtk");
  for (const auto& affected : ia32->affected) {
    EXPECT_EQ(affected.ecosystem, "Debian:6.0");
    EXPECT_EQ(affected.name_kind, PackageNameKind::kSource);
    expectEvents(affected.ranges.at(0), fixedRange("20150413"));
  }
}

TEST(DebianListRealData, OldestEntryShapes) {
  Loaded loaded = readList(kTrackerData / "DSA/list");

  const Advisory* libpng = findById(loaded.advisories, "DSA-536");
  ASSERT_NE(libpng, nullptr);
  EXPECT_EQ(libpng->published, "2004-08-04");
  EXPECT_EQ(libpng->aliases.size(), 4u);
  ASSERT_EQ(libpng->affected.size(), 2u);
  EXPECT_EQ(libpng->affected[1].name, "libpng3");
  EXPECT_EQ(libpng->affected[1].ecosystem, "Debian:3.0");

  const Advisory* glibc = findById(loaded.advisories, "DSA-1605-1");
  ASSERT_NE(glibc, nullptr);
  EXPECT_EQ(glibc->aliases, (std::vector<std::string>{"CVE-2008-1447"}));
  EXPECT_TRUE(glibc->affected.empty());

  const Advisory* bad_line = findById(loaded.advisories, "DSA-423");
  ASSERT_NE(bad_line, nullptr);
  EXPECT_EQ(bad_line->aliases.size(), 12u);
  EXPECT_TRUE(bad_line->affected.empty());
}

// A directory of its own for one test, removed when the test ends.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            (std::string("pk-") + test->test_suite_name() + "-" + test->name() + "-" +
             std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(DebianListFiles, MissingFileNamesPath) {
  ScopedTempDir dir;
  std::filesystem::path missing = dir.path() / "no-such-list";
  LoadReport report;
  auto result = readDebianSecurityList(
      missing, [](Advisory&&) {}, report);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_NE(result.error().message.find(missing.string()), std::string::npos);
}

TEST(DebianListFiles, ReadsFileWithPathAsOrigin) {
  ScopedTempDir dir;
  std::filesystem::path file = dir.path() / "list";
  {
    std::ofstream out(file, std::ios::binary);
    out << withGoodEntry("[01 Apr 2023] DSA-5390-1 foo - x\n\t[bullseye] - foo bad!\n");
  }
  Loaded loaded = readList(file);

  EXPECT_EQ(loaded.advisories.size(), 2u);
  ASSERT_EQ(loaded.report.issues.size(), 1u);
  EXPECT_EQ(loaded.report.issues[0].file, file.string());
}

}  // namespace
}  // namespace pk::advisory
