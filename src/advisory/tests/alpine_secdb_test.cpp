#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "advisory/alpine_secdb.h"
#include "advisory/alpine_secdb_files.h"

namespace pk::advisory {
namespace {

namespace fs = std::filesystem;

const fs::path kSecdbDir = fs::path(PK_SHARED_DATA_DIR) / "alpine-secdb";

std::map<std::string, Advisory> parseToMap(const std::string& json, LoadReport& report) {
  std::map<std::string, Advisory> by_id;
  auto parsed = parseAlpineSecdb(
      json, "test.json",
      [&by_id](Advisory&& advisory) {
        std::string id = advisory.id;
        by_id.emplace(std::move(id), std::move(advisory));
      },
      report);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().message);
  return by_id;
}

// A secdb file with one package whose secfixes object is `secfixes`.
std::string secdbWith(const std::string& package, const std::string& secfixes,
                      const std::string& distroversion = "v3.20") {
  return R"({"distroversion": ")" + distroversion + R"(", "reponame": "main", "packages": [
    {"pkg": {"name": ")" +
         package + R"(", "secfixes": )" + secfixes + "}}]}";
}

std::string fixedOf(const AffectedPackage& affected) {
  for (const auto& range : affected.ranges) {
    for (const auto& event : range) {
      if (event.type == RangeEvent::Type::kFixed) return event.version;
    }
  }
  return "";
}

struct LineCase {
  std::string line;
  std::vector<std::string> advisory_ids;  // sorted, as the parser emits them
  std::vector<std::string> aliases_of_first;
  std::size_t issues;
};

class AlpineSecdbLine : public testing::TestWithParam<LineCase> {};

TEST_P(AlpineSecdbLine, SplitsIdsIntoAdvisories) {
  const LineCase& c = GetParam();
  LoadReport report;
  auto by_id = parseToMap(secdbWith("xen", R"({"4.18.0-r1": [")" + c.line + R"("]})"), report);

  std::vector<std::string> ids;
  for (const auto& [id, advisory] : by_id) ids.push_back(id);
  EXPECT_EQ(ids, c.advisory_ids);
  EXPECT_EQ(report.issues.size(), c.issues);
  EXPECT_EQ(report.records_skipped, c.issues);
  if (!ids.empty()) {
    EXPECT_EQ(by_id.begin()->second.aliases, c.aliases_of_first);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AlpineLines, AlpineSecdbLine,
    testing::Values(
        LineCase{"CVE-2024-1234", {"CVE-2024-1234"}, {}, 0},
        LineCase{"CVE-2016-10013 XSA-204", {"CVE-2016-10013"}, {"XSA-204"}, 0},
        LineCase{
            "CVE-2024-22195 GHSA-h5c8-rqwp-cp95", {"CVE-2024-22195"}, {"GHSA-h5c8-rqwp-cp95"}, 0},
        LineCase{"CVE-2017-5753 CVE-2017-5715 XSA-254 XPTI",
                 {"CVE-2017-5715", "CVE-2017-5753"},
                 {"XSA-254"},
                 0},
        LineCase{"XSA-398", {"XSA-398"}, {}, 0},
        LineCase{
            "GNUTLS-SA-2020-03-31 CVE-2020-11501", {"CVE-2020-11501"}, {"GNUTLS-SA-2020-03-31"}, 0},
        LineCase{"wnpa-sec-2017-18", {"wnpa-sec-2017-18"}, {}, 0},
        LineCase{"CVE N/A ZBX-11023", {"ZBX-11023"}, {}, 0},
        LineCase{"CVE-?\?\?\?-?\?\?\?? TS-2024-005", {"TS-2024-005"}, {}, 0},
        LineCase{"CVE-2017-16808 (AoE)", {"CVE-2017-16808"}, {}, 0},
        LineCase{
            "CVE-2018-10103 (SMB - partially fixed, CVE-2099-0001)", {"CVE-2018-10103"}, {}, 0},
        LineCase{"CVE_2019-2426", {"CVE-2019-2426"}, {}, 0},
        LineCase{"CVE-2018-12126  XSA-297", {"CVE-2018-12126"}, {"XSA-297"}, 0},
        LineCase{"CVE-46838", {}, {}, 1}, LineCase{"CVE-2017-17434-1", {}, {}, 1},
        LineCase{"CVE-2022-?\?\?\??", {}, {}, 1}, LineCase{"", {}, {}, 1}));

TEST(AlpineSecdb, EmitsRangeFromZeroToFixed) {
  LoadReport report;
  auto by_id = parseToMap(secdbWith("openssl", R"({"3.3.2-r1": ["CVE-2024-9143"]})"), report);

  ASSERT_EQ(by_id.size(), 1u);
  const Advisory& advisory = by_id.at("CVE-2024-9143");
  EXPECT_EQ(advisory.source, "alpine-secdb");
  EXPECT_EQ(advisory.severity, Severity::kUnknown);
  ASSERT_EQ(advisory.affected.size(), 1u);
  const AffectedPackage& affected = advisory.affected[0];
  EXPECT_EQ(affected.ecosystem, "Alpine:v3.20");
  EXPECT_EQ(affected.name, "openssl");
  EXPECT_EQ(affected.name_kind, PackageNameKind::kSource);
  ASSERT_EQ(affected.ranges.size(), 1u);
  ASSERT_EQ(affected.ranges[0].size(), 2u);
  EXPECT_EQ(affected.ranges[0][0].type, RangeEvent::Type::kIntroduced);
  EXPECT_EQ(affected.ranges[0][0].version, "0");
  EXPECT_EQ(affected.ranges[0][1].type, RangeEvent::Type::kFixed);
  EXPECT_EQ(affected.ranges[0][1].version, "3.3.2-r1");
  EXPECT_EQ(report.records_loaded, 1u);
}

TEST(AlpineSecdb, ZeroKeyMeansNotAffected) {
  LoadReport report;
  auto by_id = parseToMap(secdbWith("xen", R"({"0": ["CVE-2023-46840 XSA-450", "CVE-2022-21127"],
                          "4.18.0-r1": ["CVE-2022-21127", "CVE-2024-0001"]})"),
                          report);

  ASSERT_EQ(by_id.size(), 1u);
  EXPECT_EQ(by_id.count("CVE-2024-0001"), 1u);
  EXPECT_EQ(report.records_withdrawn, 2u);
  EXPECT_EQ(report.records_skipped, 0u);
}

TEST(AlpineSecdb, KeepsHighestFixOfRepeatedId) {
  LoadReport report;
  auto by_id = parseToMap(secdbWith("intel-ucode", R"({"20240910-r0": ["CVE-2024-23984"],
                                  "20240531-r0": ["CVE-2024-23984"]})"),
                          report);

  ASSERT_EQ(by_id.size(), 1u);
  ASSERT_EQ(by_id.at("CVE-2024-23984").affected.size(), 1u);
  EXPECT_EQ(fixedOf(by_id.at("CVE-2024-23984").affected[0]), "20240910-r0");
}

TEST(AlpineSecdb, GroupsPackagesOfOneId) {
  LoadReport report;
  const std::string json = R"({"distroversion": "v3.19", "packages": [
    {"pkg": {"name": "openssl", "secfixes": {"3.1.4-r5": ["CVE-2024-0727"]}}},
    {"pkg": {"name": "openssl1.1-compat", "secfixes": {"1.1.1w-r1": ["CVE-2024-0727"]}}}]})";
  auto by_id = parseToMap(json, report);

  ASSERT_EQ(by_id.size(), 1u);
  const auto& affected = by_id.at("CVE-2024-0727").affected;
  ASSERT_EQ(affected.size(), 2u);
  EXPECT_EQ(affected[0].name, "openssl");
  EXPECT_EQ(fixedOf(affected[0]), "3.1.4-r5");
  EXPECT_EQ(affected[1].name, "openssl1.1-compat");
  EXPECT_EQ(fixedOf(affected[1]), "1.1.1w-r1");
}

struct VersionCase {
  std::string version;
  bool valid;
};

class AlpineSecdbVersion : public testing::TestWithParam<VersionCase> {};

TEST_P(AlpineSecdbVersion, ValidatesWithApkRules) {
  const VersionCase& c = GetParam();
  LoadReport report;
  auto by_id =
      parseToMap(secdbWith("pkg", R"({")" + c.version + R"(": ["CVE-2024-0001"]})"), report);

  EXPECT_EQ(by_id.size(), c.valid ? 1u : 0u);
  ASSERT_EQ(report.issues.size(), c.valid ? 0u : 1u);
  if (!c.valid) {
    EXPECT_EQ(report.issues[0].file, "test.json");
    EXPECT_EQ(report.issues[0].record_id, "pkg");
    EXPECT_EQ(report.issues[0].field, "/packages/0/pkg/secfixes/" + c.version);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AlpineVersions, AlpineSecdbVersion,
    testing::Values(VersionCase{"13.2.1_git20231014-r0", true}, VersionCase{"1.1.1k-r0", true},
                    VersionCase{"2.0_rc1-r3", true}, VersionCase{"20240910-r0", true},
                    VersionCase{"2021-03-27-r5", false}, VersionCase{"10.0.11-0", false},
                    VersionCase{"4.10-1-r1", false}, VersionCase{"abc", false}));

struct EcosystemCase {
  std::string distroversion;
  std::string ecosystem;
};

class AlpineSecdbEcosystem : public testing::TestWithParam<EcosystemCase> {};

TEST_P(AlpineSecdbEcosystem, NamesReleaseAsOsvDoes) {
  LoadReport report;
  auto by_id = parseToMap(
      secdbWith("zlib", R"({"1.3.1-r0": ["CVE-2023-45853"]})", GetParam().distroversion), report);
  ASSERT_EQ(by_id.size(), 1u);
  EXPECT_EQ(by_id.begin()->second.affected.at(0).ecosystem, GetParam().ecosystem);
}

INSTANTIATE_TEST_SUITE_P(AlpineReleases, AlpineSecdbEcosystem,
                         testing::Values(EcosystemCase{"v3.20", "Alpine:v3.20"},
                                         EcosystemCase{"edge", "Alpine:edge"},
                                         EcosystemCase{"3.2", "Alpine:v3.2"}));

TEST(AlpineSecdb, ReportsMalformedPackagesAndGoesOn) {
  LoadReport report;
  const std::string json = R"({"distroversion": "v3.20", "packages": [
    {"pkg": {"secfixes": {"1.0-r0": ["CVE-2024-0001"]}}},
    {"nopkg": true},
    {"pkg": {"name": "a", "secfixes": ["1.0-r0"]}},
    {"pkg": {"name": "b", "secfixes": {"1.0-r0": "CVE-2024-0002"}}},
    {"pkg": {"name": "c", "secfixes": {"1.0-r0": [42, "CVE-2024-0003"]}}},
    {"pkg": {"name": "d"}}]})";
  auto by_id = parseToMap(json, report);

  ASSERT_EQ(by_id.size(), 1u);
  EXPECT_EQ(by_id.count("CVE-2024-0003"), 1u);
  ASSERT_EQ(report.issues.size(), 5u);
  EXPECT_EQ(report.issues[0].field, "/packages/0/pkg/name");
  EXPECT_EQ(report.issues[1].field, "/packages/1/pkg");
  EXPECT_EQ(report.issues[2].field, "/packages/2/pkg/secfixes");
  EXPECT_EQ(report.issues[3].field, "/packages/3/pkg/secfixes/1.0-r0");
  EXPECT_EQ(report.issues[4].field, "/packages/4/pkg/secfixes/1.0-r0/0");
  EXPECT_EQ(report.issues[4].record_id, "c");
}

TEST(AlpineSecdb, RejectsFilesThatAreNotSecdb) {
  for (const std::string json : {"", "[]", "{\"packages\": []}", "{\"distroversion\": \"v3.20\"}",
                                 "{\"distroversion\": 3, \"packages\": []}", "{not json"}) {
    LoadReport report;
    bool called = false;
    auto parsed = parseAlpineSecdb(
        json, "x.json", [&called](Advisory&&) { called = true; }, report);
    ASSERT_FALSE(parsed.has_value()) << json;
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedInput);
    EXPECT_NE(parsed.error().message.find("x.json"), std::string::npos);
    EXPECT_FALSE(called);
  }
}

class AlpineSecdbFiles : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("pk-alpine-" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()) +
         "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const fs::path& relative, const std::string& text) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative) << text;
  }

  fs::path dir_;
};

TEST_F(AlpineSecdbFiles, MergesSameIdAcrossReleases) {
  write("3.19/main.json",
        secdbWith("curl", R"({"8.5.0-r0": ["CVE-2023-46218 GHSA-h5c8-rqwp-cp95"]})", "v3.19"));
  write("3.20/main.json", secdbWith("curl", R"({"8.5.0-r0": ["CVE-2023-46218"]})", "v3.20"));
  write("3.20/community.json",
        secdbWith("curl-static", R"({"8.6.0-r0": ["CVE-2023-46218 HYPOTHETICAL-1"]})", "v3.20"));
  write("3.20/notes.txt", "not read");

  LoadReport report;
  std::vector<Advisory> advisories;
  auto read = readAlpineSecdb(
      dir_, [&](Advisory&& a) { advisories.push_back(std::move(a)); }, report);

  ASSERT_TRUE(read.has_value()) << read.error().message;
  ASSERT_EQ(advisories.size(), 1u);
  EXPECT_EQ(report.records_loaded, 1u);
  const Advisory& advisory = advisories[0];
  EXPECT_EQ(advisory.id, "CVE-2023-46218");
  EXPECT_EQ(advisory.aliases, (std::vector<std::string>{"GHSA-h5c8-rqwp-cp95", "HYPOTHETICAL-1"}));
  ASSERT_EQ(advisory.affected.size(), 3u);
  EXPECT_EQ(advisory.affected[0].ecosystem, "Alpine:v3.19");
  EXPECT_EQ(advisory.affected[1].ecosystem, "Alpine:v3.20");
  EXPECT_EQ(advisory.affected[1].name, "curl-static");
  EXPECT_EQ(advisory.affected[2].name, "curl");
}

TEST_F(AlpineSecdbFiles, ReportsBrokenFileAndReadsOthers) {
  write("a.json", "{broken");
  write("b.json", secdbWith("zlib", R"({"1.3.1-r0": ["CVE-2023-45853"]})"));

  LoadReport report;
  std::size_t count = 0;
  auto read = readAlpineSecdb(
      dir_, [&count](Advisory&&) { ++count; }, report);

  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(count, 1u);
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.issues[0].file, (dir_ / "a.json").string());
}

TEST_F(AlpineSecdbFiles, MissingPathIsNotFound) {
  LoadReport report;
  auto read = readAlpineSecdb(
      dir_ / "absent", [](Advisory&&) {}, report);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, ErrorCode::kNotFound);
}

// Expected numbers were counted from the file with a separate script:
// 2,520 (package, id) pairs over 2,452 distinct ids, 50 (package, id) pairs
// under "0", and one line with the malformed id "CVE-46838".
TEST(AlpineSecdbRealData, V320MainCounts) {
  LoadReport report;
  std::size_t affected = 0;
  std::map<std::string, Advisory> by_id;
  auto read = readAlpineSecdb(
      kSecdbDir / "3.20" / "main.json",
      [&](Advisory&& advisory) {
        affected += advisory.affected.size();
        std::string id = advisory.id;
        by_id.emplace(std::move(id), std::move(advisory));
      },
      report);

  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(by_id.size(), 2452u);
  EXPECT_EQ(report.records_loaded, 2452u);
  EXPECT_EQ(affected, 2520u);
  EXPECT_EQ(report.records_withdrawn, 50u);
  EXPECT_EQ(report.records_skipped, 1u);
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.issues[0].record_id, "linux-lts");
  EXPECT_EQ(report.issues[0].field, "/packages/131/pkg/secfixes/6.6.13-r1/0");

  const Advisory& openssl = by_id.at("CVE-2024-9143");
  ASSERT_EQ(openssl.affected.size(), 1u);
  EXPECT_EQ(openssl.affected[0].name, "openssl");
  EXPECT_EQ(openssl.affected[0].ecosystem, "Alpine:v3.20");
  EXPECT_EQ(fixedOf(openssl.affected[0]), "3.3.2-r1");

  const Advisory& gcc = by_id.at("CVE-2023-4039");
  ASSERT_EQ(gcc.affected.size(), 1u);
  EXPECT_EQ(gcc.affected[0].name, "gcc");
  EXPECT_EQ(fixedOf(gcc.affected[0]), "13.2.1_git20231014-r0");

  const Advisory& xen = by_id.at("CVE-2022-26358");
  EXPECT_EQ(xen.aliases, std::vector<std::string>{"XSA-400"});
  ASSERT_EQ(xen.affected.size(), 1u);
  EXPECT_EQ(fixedOf(xen.affected[0]), "4.16.1-r0");
  EXPECT_EQ(fixedOf(by_id.at("XSA-398").affected.at(0)), "4.16.1-r0");

  // Listed under "0" for xen: never affected in this release.
  EXPECT_EQ(by_id.count("CVE-2023-46840"), 0u);
}

// Numbers recorded from this reader's run over the whole feed, after each of
// the 78 issues was checked by hand: versions apk rejects ("1.9.5p2-r0",
// "4.8.0.-r1", "2021-03-27-r5") and malformed ids ("CVE-2017-17434-1").
TEST(AlpineSecdbRealData, AllReleasesLoad) {
  LoadReport report;
  std::size_t count = 0;
  auto read = readAlpineSecdb(
      kSecdbDir, [&count](Advisory&&) { ++count; }, report);

  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(count, 7636u);
  EXPECT_EQ(report.records_loaded, 7636u);
  EXPECT_EQ(report.records_skipped, 78u);
  EXPECT_EQ(report.records_withdrawn, 553u);
  for (const auto& issue : report.issues) {
    EXPECT_FALSE(issue.record_id.empty()) << issue.file << " " << issue.message;
  }
}

}  // namespace
}  // namespace pk::advisory
