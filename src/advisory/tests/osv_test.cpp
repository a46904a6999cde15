#include "advisory/osv.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "advisory/osv_files.h"

namespace pk::advisory {
namespace {

namespace fs = std::filesystem;
using Type = RangeEvent::Type;

const fs::path kUbuntuSamples = fs::path(PK_SHARED_DATA_DIR) / "osv" / "ubuntu-samples" / "osv";

// A record with one affected package whose fields are given as JSON text.
std::string record(std::string_view id, std::string_view ecosystem, std::string_view name,
                   std::string_view affected_fields, std::string_view top_fields = "") {
  return fmt::format(
      R"({{"id":"{}",{}"affected":[{{"package":{{"ecosystem":"{}","name":"{}"}}{}{}}}]}})", id,
      top_fields.empty() ? "" : fmt::format("{},", top_fields), ecosystem, name,
      affected_fields.empty() ? "" : ",", affected_fields);
}

std::vector<Advisory> parseAll(std::string_view json, LoadReport& report) {
  std::vector<Advisory> advisories;
  parseOsvDocument(
      json, "test.json", [&](Advisory&& a) { advisories.push_back(std::move(a)); }, report);
  return advisories;
}

std::vector<std::string> ids(const std::vector<Advisory>& advisories) {
  std::vector<std::string> result;
  for (const auto& a : advisories) result.push_back(a.id);
  return result;
}

TEST(OsvRecord, KeepsEventsInGivenOrder) {
  LoadReport report;
  auto advisory =
      parseOsvRecord(record("OSV-1", "Debian:12", "openssl",
                            R"("ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"3.0.11-1~deb12u2"},
                 {"introduced":"0"},{"last_affected":"3.0.9-1"},{"limit":"3.1.0-1"}]}])"),
                     "test.json", report);
  ASSERT_TRUE(advisory.has_value()) << (report.issues.empty() ? "" : report.issues[0].message);
  ASSERT_EQ(advisory->affected.size(), 1u);
  const auto& ranges = advisory->affected[0].ranges;
  ASSERT_EQ(ranges.size(), 1u);
  ASSERT_EQ(ranges[0].size(), 4u);
  EXPECT_EQ(ranges[0][0].type, Type::kFixed);
  EXPECT_EQ(ranges[0][0].version, "3.0.11-1~deb12u2");
  EXPECT_EQ(ranges[0][1].type, Type::kIntroduced);
  EXPECT_EQ(ranges[0][1].version, "0");
  EXPECT_EQ(ranges[0][2].type, Type::kLastAffected);
  EXPECT_EQ(ranges[0][2].version, "3.0.9-1");
  EXPECT_EQ(ranges[0][3].type, Type::kLimit);
  EXPECT_EQ(advisory->source, "osv");
  EXPECT_EQ(report.records_loaded, 1u);
  EXPECT_TRUE(report.issues.empty());
}

TEST(OsvRecord, ReadsVersionsListAndRpmEpochs) {
  LoadReport report;
  auto advisory = parseOsvRecord(
      record(
          "ALSA-2024:0071", "AlmaLinux:9", "squid",
          R"("ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7:5.5-6.el9_3.5"}]}],
                "versions":["7:5.5-6.el9","7:5.5-6.el9_3.1"])"),
      "test.json", report);
  ASSERT_TRUE(advisory.has_value());
  const auto& package = advisory->affected[0];
  EXPECT_EQ(package.versions, (std::vector<std::string>{"7:5.5-6.el9", "7:5.5-6.el9_3.1"}));
  EXPECT_EQ(package.ranges[0][1].version, "7:5.5-6.el9_3.5");
  EXPECT_EQ(package.name_kind, PackageNameKind::kBinary);
}

TEST(OsvRecord, DropsWithdrawnAndNonSecurityErrata) {
  struct Case {
    std::string json;
  };
  const std::vector<Case> cases = {
      {record("GHSA-xxxx", "crates.io", "foo", R"("versions":["1.0.0"])",
              R"("withdrawn":"2024-01-01T00:00:00Z")")},
      {record("ALBA-2019:0973", "AlmaLinux:8", "foo",
              R"("ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1-1"}]}])")},
      {record("ALEA-2020:1", "AlmaLinux:8", "foo", R"("versions":["1-1"])")},
      {record("RHBA-2020:1", "Red Hat:9", "foo", R"("versions":["1-1"])")},
  };
  for (const auto& c : cases) {
    LoadReport report;
    EXPECT_FALSE(parseOsvRecord(c.json, "test.json", report).has_value()) << c.json;
    EXPECT_EQ(report.records_withdrawn, 1u) << c.json;
    EXPECT_EQ(report.records_loaded, 0u);
    EXPECT_TRUE(report.issues.empty());
  }
}

TEST(OsvRecord, CollectsAliasesWithoutDuplicates) {
  LoadReport report;
  auto advisory =
      parseOsvRecord(record("USN-1", "Ubuntu:24.04:LTS", "glibc", R"("versions":["2.39-0ubuntu8"])",
                            R"("aliases":["CVE-1","CVE-2"],"related":["CVE-2","USN-1","CVE-3"],
                "upstream":["CVE-1","UBUNTU-CVE-4"])"),
                     "test.json", report);
  ASSERT_TRUE(advisory.has_value());
  EXPECT_EQ(advisory->aliases,
            (std::vector<std::string>{"CVE-1", "CVE-2", "CVE-3", "UBUNTU-CVE-4"}));
}

TEST(OsvRecord, NamesSourcePackagesForDebianFamily) {
  struct Case {
    std::string ecosystem;
    PackageNameKind kind;
  };
  const std::vector<Case> cases = {
      {"Debian:12", PackageNameKind::kSource},   {"Ubuntu:Pro:18.04:LTS", PackageNameKind::kSource},
      {"AlmaLinux:8", PackageNameKind::kBinary}, {"Alpine:v3.20", PackageNameKind::kBinary},
      {"npm", PackageNameKind::kBinary},
  };
  for (const auto& c : cases) {
    LoadReport report;
    auto advisory = parseOsvRecord(record("X-1", c.ecosystem, "pkg", R"("versions":["1.0"])"),
                                   "test.json", report);
    ASSERT_TRUE(advisory.has_value()) << c.ecosystem;
    EXPECT_EQ(advisory->affected[0].name_kind, c.kind) << c.ecosystem;
    EXPECT_EQ(advisory->affected[0].ecosystem, c.ecosystem);
  }
}

TEST(OsvRecord, KeepsUnknownEcosystemsUnvalidated) {
  LoadReport report;
  auto advisory = parseOsvRecord(
      record(
          "PYSEC-1", "PyPI", "django",
          R"("ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.2.post1 !"}]}])"),
      "test.json", report);
  ASSERT_TRUE(advisory.has_value());
  EXPECT_EQ(advisory->affected[0].ranges[0][1].version, "4.2.post1 !");
}

TEST(OsvRecord, KeepsSemverDropsGitRanges) {
  LoadReport report;
  auto advisory = parseOsvRecord(
      R"({"id":"GHSA-1","affected":[
          {"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[
            {"type":"GIT","repo":"https://example.org/r","events":[{"introduced":"abc123"}]},
            {"type":"SEMVER","events":[{"introduced":"1.2.0"},{"fixed":"1.3.0"}]}]},
          {"package":{"ecosystem":"npm","name":"only-git"},"ranges":[
            {"type":"GIT","repo":"https://example.org/r","events":[{"fixed":"def456"}]}]},
          {"ranges":[{"type":"GIT","repo":"https://example.org/r","events":[{"fixed":"def456"}]}]}]})",
      "test.json", report);
  ASSERT_TRUE(advisory.has_value());
  ASSERT_EQ(advisory->affected.size(), 1u);
  ASSERT_EQ(advisory->affected[0].ranges.size(), 1u);
  EXPECT_EQ(advisory->affected[0].ranges[0][1].version, "1.3.0");
}

TEST(OsvRecord, ReportsMalformedFields) {
  struct Case {
    std::string name;
    std::string json;
    std::string record_id;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"not an object", R"(["x"])", "", ""},
      {"not JSON", R"({"id": )", "", ""},
      {"missing id", R"({"summary":"x"})", "", "/id"},
      {"empty id", R"({"id":""})", "", "/id"},
      {"id not a string", R"({"id":5})", "", "/id"},
      {"summary not a string", R"({"id":"A-1","summary":7})", "A-1", "/summary"},
      {"aliases not an array", R"({"id":"A-1","aliases":"CVE-1"})", "A-1", "/aliases"},
      {"missing ecosystem",
       R"({"id":"A-1","affected":[{"package":{"name":"x"},"versions":["1"]}]})", "A-1",
       "/affected/0/package/ecosystem"},
      {"missing name", R"({"id":"A-1","affected":[{"package":{"ecosystem":"npm"}}]})", "A-1",
       "/affected/0/package/name"},
      {"two keys in one event",
       record("A-1", "Debian:12", "x",
              R"("ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1.0-1"}]}])"),
       "A-1", "/affected/0/ranges/0/events/0"},
      {"unknown event",
       record("A-1", "Debian:12", "x",
              R"("ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"patched":"1"}]}])"),
       "A-1", "/affected/0/ranges/0/events/1/patched"},
      {"empty version",
       record("A-1", "Debian:12", "x",
              R"("ranges":[{"type":"ECOSYSTEM","events":[{"introduced":""}]}])"),
       "A-1", "/affected/0/ranges/0/events/0/introduced"},
      {"range without type",
       record("A-1", "Debian:12", "x", R"("ranges":[{"events":[{"introduced":"0"}]}])"), "A-1",
       "/affected/0/ranges/0/type"},
      {"invalid dpkg version",
       record(
           "A-1", "Debian:12", "x",
           R"("ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0 beta"}]}])"),
       "A-1", "/affected/0/ranges/0/events/1/fixed"},
      {"invalid rpm epoch",
       record("A-1", "AlmaLinux:9", "x",
              R"("ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"x:1-1"}]}])"),
       "A-1", "/affected/0/ranges/0/events/1/fixed"},
      {"invalid listed version", record("A-1", "Alpine:v3.20", "x", R"("versions":["1.0","-"])"),
       "A-1", "/affected/0/versions/1"},
      {"invalid semver in SEMVER range",
       record("A-1", "npm", "x",
              R"("ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2"}]}])"),
       "A-1", "/affected/0/ranges/0/events/1/fixed"},
      {"range without introduced",
       record("A-1", "Debian:12", "x",
              R"("ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1.0-1"}]}])"),
       "A-1", "/affected/0/ranges/0/events"},
      {"text after the record", R"({"id":"A-1"} {"id":"A-2"})", "A-1", ""},
  };
  for (const auto& c : cases) {
    LoadReport report;
    EXPECT_FALSE(parseOsvRecord(c.json, "feed/a.json", report).has_value()) << c.name;
    ASSERT_EQ(report.issues.size(), 1u) << c.name;
    EXPECT_EQ(report.records_skipped, 1u) << c.name;
    EXPECT_EQ(report.records_loaded, 0u) << c.name;
    EXPECT_EQ(report.issues[0].file, "feed/a.json") << c.name;
    EXPECT_EQ(report.issues[0].record_id, c.record_id) << c.name;
    EXPECT_EQ(report.issues[0].field, c.field) << c.name << ": " << report.issues[0].message;
    EXPECT_FALSE(report.issues[0].message.empty()) << c.name;
  }
}

TEST(OsvRecord, InvalidVersionMessageNamesIt) {
  LoadReport report;
  parseOsvRecord(record("A-1", "Debian:12", "x",
                        R"("ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1.0 beta"}]}])"),
                 "a.json", report);
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_NE(report.issues[0].message.find("1.0 beta"), std::string::npos)
      << report.issues[0].message;
}

TEST(OsvCvss, BaseScoresOfKnownVectors) {
  struct Case {
    std::string vector;
    double score;
  };
  const std::vector<Case> cases = {
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
      {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9},
      {"CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 6.2},
      {"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9},
      {"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0},
      {"CVSS:3.1/AC:L/AV:N/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O", 9.8},
  };
  for (const auto& c : cases) {
    auto score = cvssV3BaseScore(c.vector);
    ASSERT_TRUE(score.has_value()) << c.vector;
    EXPECT_DOUBLE_EQ(*score, c.score) << c.vector;
  }
}

TEST(OsvCvss, RejectsInvalidVectors) {
  for (std::string_view vector : {
           "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
           "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
           "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
           "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
           "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
           "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
           "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:HH",
           "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A",
       }) {
    EXPECT_FALSE(cvssV3BaseScore(vector).has_value()) << vector;
  }
}

TEST(OsvCvss, QualitativeRatings) {
  EXPECT_EQ(severityForCvssScore(0.0), Severity::kNone);
  EXPECT_EQ(severityForCvssScore(0.1), Severity::kLow);
  EXPECT_EQ(severityForCvssScore(3.9), Severity::kLow);
  EXPECT_EQ(severityForCvssScore(4.0), Severity::kMedium);
  EXPECT_EQ(severityForCvssScore(6.9), Severity::kMedium);
  EXPECT_EQ(severityForCvssScore(7.0), Severity::kHigh);
  EXPECT_EQ(severityForCvssScore(8.9), Severity::kHigh);
  EXPECT_EQ(severityForCvssScore(9.0), Severity::kCritical);
  EXPECT_EQ(severityForCvssScore(10.0), Severity::kCritical);
  EXPECT_EQ(severityForCvssScore(10.1), Severity::kUnknown);
  EXPECT_EQ(severityForCvssScore(NAN), Severity::kUnknown);
}

TEST(OsvRecord, SeveritySources) {
  constexpr std::string_view kCritical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
  constexpr std::string_view kV4 =
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
  struct Case {
    std::string name;
    std::string top_fields;
    std::string affected_fields;
    Severity severity;
    std::optional<double> score;
    std::string vector;
    std::optional<Severity> package_severity;
  };
  const std::vector<Case> cases = {
      {"CVSS v3 vector",
       fmt::format(R"("severity":[{{"type":"CVSS_V3","score":"{}"}}])", kCritical), "",
       Severity::kCritical, 9.8, std::string(kCritical), std::nullopt},
      {"vendor word wins over CVSS",
       fmt::format(R"("severity":[{{"type":"CVSS_V3","score":"{}"}}],
                      "database_specific":{{"severity":"MODERATE"}})",
                   kCritical),
       "", Severity::kMedium, 9.8, std::string(kCritical), std::nullopt},
      {"Ubuntu priority",
       fmt::format(
           R"("severity":[{{"type":"CVSS_V3","score":"{}"}},{{"type":"Ubuntu","score":"low"}}])",
           kCritical),
       "", Severity::kLow, 9.8, std::string(kCritical), std::nullopt},
      {"CVSS v4 kept without score",
       fmt::format(R"("severity":[{{"type":"CVSS_V4","score":"{}"}}])", kV4), "",
       Severity::kUnknown, std::nullopt, std::string(kV4), std::nullopt},
      {"invalid CVSS keeps the record",
       R"("severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:Q"}])", "", Severity::kUnknown,
       std::nullopt, "CVSS:3.1/AV:Q", std::nullopt},
      {"summary prefix", R"("summary":"Important: kernel security update")", "", Severity::kHigh,
       std::nullopt, "", std::nullopt},
      {"summary suffix",
       R"json("summary":"ALSA-2022:5468: php:8.0 security update (Moderate)")json", "",
       Severity::kMedium, std::nullopt, "", std::nullopt},
      {"summary without rating", R"("summary":"glibc vulnerability")", "", Severity::kUnknown,
       std::nullopt, "", std::nullopt},
      {"package ecosystem_specific", "", R"("ecosystem_specific":{"severity":"high"})",
       Severity::kHigh, std::nullopt, "", Severity::kHigh},
      {"package database_specific", "", R"("database_specific":{"severity":"Low"})", Severity::kLow,
       std::nullopt, "", Severity::kLow},
      {"package severity list", "",
       fmt::format(R"("severity":[{{"type":"CVSS_V3","score":"{}"}}])", kCritical),
       Severity::kCritical, std::nullopt, "", Severity::kCritical},
      {"package rating does not override the record's", R"("summary":"Low: foo update")",
       R"("ecosystem_specific":{"severity":"critical"})", Severity::kLow, std::nullopt, "",
       Severity::kCritical},
      {"non-string database_specific severity is ignored",
       R"("database_specific":{"severity":{"level":3}})", "", Severity::kUnknown, std::nullopt, "",
       std::nullopt},
  };
  for (const auto& c : cases) {
    std::string affected = R"("versions":["1.0-1"])";
    if (!c.affected_fields.empty()) affected += "," + c.affected_fields;
    LoadReport report;
    auto advisory =
        parseOsvRecord(record("S-1", "Debian:12", "x", affected, c.top_fields), "s.json", report);
    ASSERT_TRUE(advisory.has_value())
        << c.name << ": " << (report.issues.empty() ? "" : report.issues[0].message);
    EXPECT_EQ(advisory->severity, c.severity) << c.name;
    EXPECT_EQ(advisory->cvss_score, c.score) << c.name;
    EXPECT_EQ(advisory->cvss_vector, c.vector) << c.name;
    EXPECT_EQ(advisory->affected[0].severity, c.package_severity) << c.name;
  }
}

TEST(OsvDocument, ArrayWithMalformedRecordLoadsTheRest) {
  LoadReport report;
  auto advisories =
      parseAll(std::string("[") + record("A-1", "Debian:12", "x", R"("versions":["1.0-1"])") + "," +
                   record("A-2", "Debian:12", "x", R"("versions":["1.0 beta"])") + "," +
                   record("A-3", "Debian:12", "y", R"("versions":["2.0-1"])") + "]",
               report);
  ASSERT_EQ(advisories.size(), 2u);
  EXPECT_EQ(advisories[0].id, "A-1");
  EXPECT_EQ(advisories[1].id, "A-3");
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.issues[0].record_id, "A-2");
  EXPECT_EQ(report.issues[0].field, "/1/affected/0/versions/0");
  EXPECT_EQ(report.records_loaded, 2u);
  EXPECT_EQ(report.records_skipped, 1u);
}

TEST(OsvDocument, ArrayResumesAfterRecordAbandonedMidway) {
  LoadReport report;
  auto advisories = parseAll(
      R"([{"id":"A-1","upstream":[{"id":"nested"}],"affected":[]},
          7,
          {"id":"A-2","affected":[]}])",
      report);
  EXPECT_EQ(ids(advisories), (std::vector<std::string>{"A-2"}));
  // Elements that are not objects are found while the array is split, before
  // any record is parsed.
  ASSERT_EQ(report.issues.size(), 2u);
  EXPECT_EQ(report.issues[0].field, "/1");
  EXPECT_EQ(report.issues[1].field, "/0/upstream/0");
  EXPECT_EQ(report.issues[1].record_id, "A-1");
}

TEST(OsvDocument, ScalarIsOneIssue) {
  LoadReport report;
  EXPECT_TRUE(parseAll("42", report).empty());
  EXPECT_EQ(report.records_skipped, 1u);
}

// A fresh folder per test, removed afterwards.
class OsvFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           fmt::format("pk-osv-{}-{}-{}", info->test_suite_name(), info->name(), ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const fs::path& relative, std::string_view text) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative, std::ios::binary) << text;
  }

  // Builds a zip of (member name, contents) pairs with libzip.
  fs::path makeZip(const std::vector<std::pair<std::string, std::string>>& members) {
    fs::path path = dir_ / "all.zip";
    int error = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    EXPECT_NE(archive, nullptr);
    for (const auto& [name, text] : members) {
      zip_source_t* source = zip_source_buffer(archive, text.data(), text.size(), 0);
      EXPECT_GE(zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8), 0);
    }
    EXPECT_EQ(zip_close(archive), 0);
    return path;
  }

  fs::path dir_;
};

TEST_F(OsvFiles, FolderLoadsGoodRecordsAroundBadOne) {
  write("a/A-1.json", record("A-1", "Debian:12", "x", R"("versions":["1.0-1"])"));
  write("a/b/A-2.json",
        record("A-2", "Debian:12", "x",
               R"("ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1.0 beta"}]}])"));
  write("c/A-3.json", record("A-3", "Debian:12", "y", R"("versions":["2.0-1"])"));
  write("c/README.md", "not a record");

  std::vector<Advisory> advisories;
  std::vector<LoadProgress> progress;
  ProgressCallback callback = [&](const LoadProgress& p) { progress.push_back(p); };
  LoadReport report;
  auto result = readOsv(
      dir_, [&](Advisory&& a) { advisories.push_back(std::move(a)); }, report, &callback);

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(ids(advisories), (std::vector<std::string>{"A-1", "A-3"}));
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.issues[0].file, (dir_ / "a/b/A-2.json").string());
  EXPECT_EQ(report.issues[0].record_id, "A-2");
  EXPECT_EQ(report.issues[0].field, "/affected/0/ranges/0/events/0/fixed");
  ASSERT_EQ(progress.size(), 3u);
  EXPECT_EQ(progress.back().files_done, 3u);
  EXPECT_EQ(progress.back().files_total, 3u);
  EXPECT_EQ(progress.back().records_done, 3u);
  EXPECT_EQ(progress.back().bytes_done, progress.back().bytes_total);
}

TEST_F(OsvFiles, SingleFileWithArray) {
  write("feed.json", "[" + record("A-1", "npm", "x", R"("versions":["1.0.0"])") + "," +
                         record("A-2", "npm", "y", R"("versions":["2.0.0"])") + "]");
  std::vector<Advisory> advisories;
  LoadReport report;
  auto result = readOsv(
      dir_ / "feed.json", [&](Advisory&& a) { advisories.push_back(std::move(a)); }, report);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(ids(advisories), (std::vector<std::string>{"A-1", "A-2"}));
}

TEST_F(OsvFiles, ZipBuiltAtTestTime) {
  fs::path zip = makeZip({
      {"A-1.json", record("A-1", "Alpine:v3.20", "musl", R"("versions":["1.2.4-r2"])")},
      {"notes.txt", "ignored"},
      {"A-2.json", "{\"id\":\"A-2\",\"affected\":7}"},
      {"sub/A-3.json", record("A-3", "Alpine:v3.20", "busybox", R"("versions":["1.36.1-r5"])")},
  });
  std::vector<Advisory> advisories;
  LoadReport report;
  auto result = readOsv(
      zip, [&](Advisory&& a) { advisories.push_back(std::move(a)); }, report);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(ids(advisories), (std::vector<std::string>{"A-1", "A-3"}));
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.issues[0].file, zip.string() + ":A-2.json");
  EXPECT_EQ(report.issues[0].field, "/affected");
  EXPECT_EQ(advisories[1].affected[0].name, "busybox");
}

TEST_F(OsvFiles, MissingPathIsNotFound) {
  LoadReport report;
  auto result = readOsv(
      dir_ / "absent", [](Advisory&&) {}, report);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
}

TEST_F(OsvFiles, CorruptZipIsAnError) {
  write("broken.zip", "PK\x03\x04 this is not a zip archive");
  LoadReport report;
  auto result = readOsv(
      dir_ / "broken.zip", [](Advisory&&) {}, report);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kIoError);
  EXPECT_NE(result.error().message.find("broken.zip"), std::string::npos);
}

std::optional<Advisory> loadSample(const fs::path& path) {
  std::vector<Advisory> advisories;
  LoadReport report;
  auto result = readOsv(
      path, [&](Advisory&& a) { advisories.push_back(std::move(a)); }, report);
  EXPECT_TRUE(result.has_value());
  EXPECT_TRUE(report.issues.empty()) << report.issues[0].field << ": " << report.issues[0].message;
  if (advisories.size() != 1) return std::nullopt;
  return advisories[0];
}

TEST(OsvUbuntuSamples, UsnRecord) {
  auto usn = loadSample(kUbuntuSamples / "usn" / "USN-7259-1.json");
  ASSERT_TRUE(usn.has_value());
  EXPECT_EQ(usn->id, "USN-7259-1");
  EXPECT_EQ(usn->summary, "glibc vulnerability");
  EXPECT_EQ(usn->aliases, (std::vector<std::string>{"UBUNTU-CVE-2025-0395"}));
  EXPECT_EQ(usn->published, "2025-02-06T13:12:05Z");
  EXPECT_EQ(usn->modified, "2026-04-27T14:11:39Z");
  // No rating of its own: the highest of its CVE's per-release priorities.
  EXPECT_EQ(usn->severity, Severity::kMedium);
  EXPECT_FALSE(usn->cvss_score.has_value());
  ASSERT_EQ(usn->affected.size(), 4u);
  const auto& bionic = usn->affected[0];
  EXPECT_EQ(bionic.ecosystem, "Ubuntu:Pro:18.04:LTS");
  EXPECT_EQ(bionic.name, "glibc");
  EXPECT_EQ(bionic.name_kind, PackageNameKind::kSource);
  EXPECT_EQ(bionic.severity, Severity::kMedium);
  ASSERT_EQ(bionic.ranges.size(), 1u);
  ASSERT_EQ(bionic.ranges[0].size(), 2u);
  EXPECT_EQ(bionic.ranges[0][0].version, "0");
  EXPECT_EQ(bionic.ranges[0][1].type, RangeEvent::Type::kFixed);
  EXPECT_EQ(bionic.ranges[0][1].version, "2.27-3ubuntu1.6+esm4");
  EXPECT_EQ(bionic.versions.size(), 13u);
  EXPECT_EQ(bionic.versions.back(), "2.27-3ubuntu1.6+esm3");
  EXPECT_EQ(usn->affected[3].ecosystem, "Ubuntu:24.04:LTS");
  EXPECT_EQ(usn->affected[3].ranges[0][1].version, "2.39-0ubuntu8.4");
  EXPECT_EQ(usn->affected[3].versions.size(), 9u);

  // Each affected entry lists the binaries the fixed source builds.
  ASSERT_EQ(bionic.binaries.size(), 20u);
  EXPECT_EQ(bionic.binaries.front().name, "glibc-source");
  EXPECT_EQ(bionic.binaries.front().version, "2.27-3ubuntu1.6+esm4");
  EXPECT_EQ(bionic.binaries.back().name, "nscd");
}

TEST(OsvUbuntuSamples, UbuntuCveRecord) {
  auto cve = loadSample(kUbuntuSamples / "cve" / "2025" / "UBUNTU-CVE-2025-0395.json");
  ASSERT_TRUE(cve.has_value());
  EXPECT_EQ(cve->id, "UBUNTU-CVE-2025-0395");
  // The record lists `upstream` before `related`.
  EXPECT_EQ(cve->aliases,
            (std::vector<std::string>{"CVE-2025-0395", "USN-7259-1", "USN-7259-2", "USN-7259-3"}));
  EXPECT_EQ(cve->severity, Severity::kMedium);
  ASSERT_TRUE(cve->cvss_score.has_value());
  EXPECT_DOUBLE_EQ(*cve->cvss_score, 6.2);
  EXPECT_EQ(cve->cvss_vector, "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
  ASSERT_EQ(cve->affected.size(), 6u);
  EXPECT_EQ(cve->affected[0].ecosystem, "Ubuntu:Pro:14.04:LTS");
  EXPECT_EQ(cve->affected[0].name, "eglibc");
  EXPECT_EQ(cve->affected[0].ranges[0][1].version, "2.19-0ubuntu6.15+esm4");
  EXPECT_EQ(cve->affected[0].versions.size(), 28u);
  EXPECT_FALSE(cve->affected[0].severity.has_value());
  for (const auto& affected : cve->affected) {
    EXPECT_EQ(affected.name_kind, PackageNameKind::kSource) << affected.ecosystem;
  }
}

}  // namespace
}  // namespace pk::advisory
