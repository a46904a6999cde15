#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "advisory/debian_files.h"
#include "advisory/debian_tracker.h"

namespace pk::advisory {
namespace {

using Type = RangeEvent::Type;

struct Loaded {
  std::vector<Advisory> advisories;
  LoadReport report;
};

Loaded parseTracker(std::string_view json) {
  Loaded loaded;
  auto result = parseDebianTrackerJson(
      json, "test.json", [&](Advisory&& advisory) { loaded.advisories.push_back(advisory); },
      loaded.report);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  return loaded;
}

void expectEvents(const std::vector<RangeEvent>& actual, const std::vector<RangeEvent>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].type, expected[i].type) << "event " << i;
    EXPECT_EQ(actual[i].version, expected[i].version) << "event " << i;
  }
}

// Shaped like the tracker's export: two packages share CVE-2023-0286, each
// release in one of the statuses the tracker writes.
constexpr std::string_view kExport = R"({
  "openssl": {
    "CVE-2023-0286": {
      "description": "X.400 address type confusion in X.509 GeneralName",
      "scope": "remote",
      "debianbug": 1031327,
      "releases": {
        "bullseye": {"status": "resolved", "repositories": {"bullseye": "1.1.1n-0+deb11u5"},
                     "fixed_version": "1.1.1n-0+deb11u4", "urgency": "high*"},
        "bookworm": {"status": "resolved", "repositories": {"bookworm": "3.0.11-1~deb12u2"},
                     "fixed_version": "3.0.8-1", "urgency": "high"},
        "trixie": {"status": "open", "repositories": {"trixie": "3.1.4-2"},
                   "urgency": "not yet assigned"},
        "sid": {"status": "resolved", "repositories": {"sid": "3.1.4-2"},
                "fixed_version": "3.0.8-1", "urgency": "high"}
      }
    }
  },
  "openssl1.0": {
    "CVE-2023-0286": {
      "description": "",
      "scope": "remote",
      "releases": {
        "buster": {"status": "undetermined", "repositories": {"buster": "1.0.2u-1~deb9u7"},
                   "urgency": "low**"},
        "bullseye": {"status": "resolved", "repositories": {"bullseye": "1.0.2u-1"},
                     "fixed_version": "0", "urgency": "unimportant"},
        "hamm": {"status": "open", "urgency": "low"}
      }
    },
    "CVE-2016-2105": {
      "description": "EVP_EncodeUpdate overflow",
      "releases": {
        "buster": {"status": "resolved", "fixed_version": "0", "urgency": "unimportant"}
      }
    }
  }
})";

const Advisory* findById(const std::vector<Advisory>& advisories, std::string_view id) {
  for (const auto& advisory : advisories) {
    if (advisory.id == id) return &advisory;
  }
  return nullptr;
}

const AffectedPackage* findAffected(const Advisory& advisory, std::string_view name,
                                    std::string_view ecosystem) {
  for (const auto& affected : advisory.affected) {
    if (affected.name == name && affected.ecosystem == ecosystem) return &affected;
  }
  return nullptr;
}

TEST(DebianTracker, OneAdvisoryPerCveInIdOrder) {
  Loaded loaded = parseTracker(kExport);

  ASSERT_EQ(loaded.advisories.size(), 2u);
  EXPECT_EQ(loaded.advisories[0].id, "CVE-2016-2105");
  EXPECT_EQ(loaded.advisories[1].id, "CVE-2023-0286");
  EXPECT_EQ(loaded.report.records_loaded, 2u);
  EXPECT_EQ(loaded.report.records_skipped, 0u);
  for (const auto& advisory : loaded.advisories) EXPECT_EQ(advisory.source, "debian-tracker");
}

TEST(DebianTracker, CveAcrossPackages) {
  Loaded loaded = parseTracker(kExport);
  const Advisory* advisory = findById(loaded.advisories, "CVE-2023-0286");
  ASSERT_NE(advisory, nullptr);

  EXPECT_EQ(advisory->summary, "X.400 address type confusion in X.509 GeneralName");
  EXPECT_EQ(advisory->severity, Severity::kHigh);
  // openssl in bullseye, bookworm and trixie, openssl1.0 in buster; sid,
  // the unknown "hamm" and the not-affected bullseye entry add nothing.
  EXPECT_EQ(advisory->affected.size(), 4u);
  EXPECT_EQ(findAffected(*advisory, "openssl1.0", "Debian:11"), nullptr);
  for (const auto& affected : advisory->affected) {
    EXPECT_EQ(affected.name_kind, PackageNameKind::kSource);
  }
}

// One row per release status: which package and release to look at, and
// the range and severity expected there.
struct StatusCase {
  std::string_view name;
  std::string_view package;
  std::string_view ecosystem;
  std::vector<RangeEvent> range;
  std::optional<Severity> severity;
};

class DebianTrackerStatus : public ::testing::TestWithParam<StatusCase> {};

TEST_P(DebianTrackerStatus, MapsToRange) {
  const StatusCase& status = GetParam();
  Loaded loaded = parseTracker(kExport);
  const Advisory* advisory = findById(loaded.advisories, "CVE-2023-0286");
  ASSERT_NE(advisory, nullptr);

  const AffectedPackage* affected = findAffected(*advisory, status.package, status.ecosystem);
  ASSERT_NE(affected, nullptr);
  ASSERT_EQ(affected->ranges.size(), 1u);
  expectEvents(affected->ranges[0], status.range);
  EXPECT_EQ(affected->severity, status.severity);
  EXPECT_TRUE(affected->versions.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Debian, DebianTrackerStatus,
    ::testing::Values(
        StatusCase{"ResolvedMarkedUrgency",
                   "openssl",
                   "Debian:11",
                   {{Type::kIntroduced, "0"}, {Type::kFixed, "1.1.1n-0+deb11u4"}},
                   Severity::kHigh},
        StatusCase{"Resolved",
                   "openssl",
                   "Debian:12",
                   {{Type::kIntroduced, "0"}, {Type::kFixed, "3.0.8-1"}},
                   Severity::kHigh},
        StatusCase{
            "OpenNotYetAssigned", "openssl", "Debian:13", {{Type::kIntroduced, "0"}}, std::nullopt},
        StatusCase{
            "Undetermined", "openssl1.0", "Debian:10", {{Type::kIntroduced, "0"}}, Severity::kLow}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(DebianTracker, NotAffectedEverywhereStillListed) {
  Loaded loaded = parseTracker(kExport);
  const Advisory* advisory = findById(loaded.advisories, "CVE-2016-2105");
  ASSERT_NE(advisory, nullptr);
  EXPECT_EQ(advisory->summary, "EVP_EncodeUpdate overflow");
  EXPECT_TRUE(advisory->affected.empty());
  EXPECT_EQ(advisory->severity, Severity::kUnknown);
}

TEST(DebianTracker, EcosystemForCodename) {
  EXPECT_EQ(debianEcosystemForCodename("woody"), "Debian:3.0");
  EXPECT_EQ(debianEcosystemForCodename("squeeze"), "Debian:6.0");
  EXPECT_EQ(debianEcosystemForCodename("wheezy"), "Debian:7");
  EXPECT_EQ(debianEcosystemForCodename("buster"), "Debian:10");
  EXPECT_EQ(debianEcosystemForCodename("bookworm"), "Debian:12");
  EXPECT_EQ(debianEcosystemForCodename("forky"), "Debian:14");
  EXPECT_FALSE(debianEcosystemForCodename("sid").has_value());
  EXPECT_FALSE(debianEcosystemForCodename("Bookworm").has_value());
}

TEST(DebianTracker, PackageNames) {
  EXPECT_TRUE(isValidDebianPackageName("openssl1.0"));
  EXPECT_TRUE(isValidDebianPackageName("libxml++2.6"));
  EXPECT_TRUE(isValidDebianPackageName("0ad"));
  EXPECT_FALSE(isValidDebianPackageName("a"));
  EXPECT_FALSE(isValidDebianPackageName("-foo"));
  EXPECT_FALSE(isValidDebianPackageName("Foo"));
  EXPECT_FALSE(isValidDebianPackageName("foo bar"));
  EXPECT_FALSE(isValidDebianPackageName(""));
}

// Each malformed document contains one bad part and one good CVE entry,
// "CVE-2023-9999" for package "good", which must still load.
struct MalformedCase {
  std::string_view name;
  std::string_view bad_package_json;  // a `"package": {...}` member
  std::string_view record_id;
  std::string_view field;
  std::string_view message_part;
};

class DebianTrackerMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(DebianTrackerMalformed, ReportsAndContinues) {
  const MalformedCase& bad = GetParam();
  std::string json = std::string("{") + std::string(bad.bad_package_json) +
                     R"(, "good": {"CVE-2023-9999": {"description": "d", "releases": {
                          "bookworm": {"status": "resolved", "fixed_version": "1.0-1",
                                       "urgency": "medium"}}}}})";
  Loaded loaded = parseTracker(json);

  ASSERT_EQ(loaded.report.issues.size(), 1u);
  const LoadIssue& issue = loaded.report.issues[0];
  EXPECT_EQ(issue.file, "test.json");
  EXPECT_EQ(issue.record_id, bad.record_id);
  EXPECT_EQ(issue.field, bad.field);
  EXPECT_NE(issue.message.find(bad.message_part), std::string::npos) << issue.message;
  EXPECT_EQ(loaded.report.records_skipped, 1u);

  const Advisory* good = findById(loaded.advisories, "CVE-2023-9999");
  ASSERT_NE(good, nullptr);
  ASSERT_EQ(good->affected.size(), 1u);
  EXPECT_EQ(good->affected[0].name, "good");
}

INSTANTIATE_TEST_SUITE_P(
    Debian, DebianTrackerMalformed,
    ::testing::Values(
        MalformedCase{"ReleaseNotObject",
                      R"("pkg": {"CVE-2023-1": {"releases": {"bookworm": "resolved"}}})",
                      "CVE-2023-1", "/pkg/CVE-2023-1/releases/bookworm", "not a JSON object"},
        MalformedCase{"FixedVersionDpkgRejects",
                      R"("pkg": {"CVE-2023-1": {"releases": {"bookworm":
                          {"status": "resolved", "fixed_version": "abc-1"}}}})",
                      "CVE-2023-1", "/pkg/CVE-2023-1/releases/bookworm/fixed_version", "abc-1"},
        MalformedCase{
            "ResolvedWithoutFixedVersion",
            R"("pkg": {"CVE-2023-1": {"releases": {"bookworm": {"status": "resolved"}}}})",
            "CVE-2023-1", "/pkg/CVE-2023-1/releases/bookworm/fixed_version", "fixed_version"},
        MalformedCase{"FixedVersionNotString",
                      R"("pkg": {"CVE-2023-1": {"releases": {"bookworm":
                          {"status": "resolved", "fixed_version": 2}}}})",
                      "CVE-2023-1", "/pkg/CVE-2023-1/releases/bookworm/fixed_version",
                      "fixed_version"},
        MalformedCase{"UnknownStatus",
                      R"("pkg": {"CVE-2023-1": {"releases": {"bookworm": {"status": "fixed"}}}})",
                      "CVE-2023-1", "/pkg/CVE-2023-1/releases/bookworm/status", "'fixed'"},
        MalformedCase{"MissingStatus",
                      R"("pkg": {"CVE-2023-1": {"releases": {"bookworm": {"urgency": "low"}}}})",
                      "CVE-2023-1", "/pkg/CVE-2023-1/releases/bookworm/status", "status"},
        MalformedCase{"UrgencyNotString",
                      R"("pkg": {"CVE-2023-1": {"releases": {"bookworm":
                          {"status": "open", "urgency": ["low"]}}}})",
                      "CVE-2023-1", "/pkg/CVE-2023-1/releases/bookworm/urgency", "urgency"},
        MalformedCase{"ReleasesMissing", R"("pkg": {"CVE-2023-1": {"description": "x"}})",
                      "CVE-2023-1", "/pkg/CVE-2023-1/releases", "releases"},
        MalformedCase{"DescriptionNotString",
                      R"("pkg": {"CVE-2023-1": {"description": 5, "releases": {}}})", "CVE-2023-1",
                      "/pkg/CVE-2023-1/description", "description"},
        MalformedCase{"CveNotObject", R"("pkg": {"CVE-2023-1": []})", "CVE-2023-1",
                      "/pkg/CVE-2023-1", "not a JSON object"},
        MalformedCase{"PackageNotObject", R"("pkg": "openssl")", "pkg", "/pkg",
                      "not a JSON object"},
        MalformedCase{"InvalidPackageName", R"("Bad/Name": {})", "Bad/Name", "/Bad~1Name",
                      "Bad/Name"},
        MalformedCase{"EmptyCveId", R"("pkg": {"": {"releases": {}}})", "pkg", "/pkg/",
                      "empty CVE id"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(DebianTracker, BadReleaseKeepsOtherReleases) {
  Loaded loaded = parseTracker(R"({"pkg": {"CVE-2023-1": {"releases": {
      "bullseye": {"status": "resolved", "fixed_version": "1.0-1+deb11u1"},
      "bookworm": {"status": "resolved", "fixed_version": "1.0_1"}}}}})");

  ASSERT_EQ(loaded.advisories.size(), 1u);
  ASSERT_EQ(loaded.advisories[0].affected.size(), 1u);
  EXPECT_EQ(loaded.advisories[0].affected[0].ecosystem, "Debian:11");
  ASSERT_EQ(loaded.report.issues.size(), 1u);
  EXPECT_EQ(loaded.report.issues[0].field, "/pkg/CVE-2023-1/releases/bookworm/fixed_version");
}

TEST(DebianTracker, EmptyObjectLoadsNothing) {
  Loaded loaded = parseTracker("{}");
  EXPECT_TRUE(loaded.advisories.empty());
  EXPECT_EQ(loaded.report.records_loaded, 0u);
}

struct InvalidDocumentCase {
  std::string_view name;
  std::string_view json;
  std::string_view message_part;
};

class DebianTrackerInvalidDocument : public ::testing::TestWithParam<InvalidDocumentCase> {};

TEST_P(DebianTrackerInvalidDocument, FailsWithoutAdvisories) {
  const InvalidDocumentCase& bad = GetParam();
  std::size_t sent = 0;
  LoadReport report;
  auto result = parseDebianTrackerJson(
      bad.json, "feed.json", [&](Advisory&&) { ++sent; }, report);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(result.error().message.find("feed.json"), std::string::npos);
  EXPECT_NE(result.error().message.find(bad.message_part), std::string::npos)
      << result.error().message;
  EXPECT_EQ(sent, 0u);
  EXPECT_EQ(report.records_loaded, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Debian, DebianTrackerInvalidDocument,
    ::testing::Values(InvalidDocumentCase{"Truncated", R"({"pkg": {"CVE-2023-1": {"releases": {)",
                                          "invalid JSON"},
                      InvalidDocumentCase{"Empty", "", "invalid JSON"},
                      InvalidDocumentCase{"TopLevelArray", "[]", "not a JSON object"},
                      InvalidDocumentCase{"TrailingGarbage", "{} {}", "invalid JSON"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

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

TEST(DebianTrackerFiles, ReadsExportFile) {
  ScopedTempDir dir;
  std::filesystem::path file = dir.path() / "json";
  {
    std::ofstream out(file, std::ios::binary);
    out << kExport;
  }
  std::vector<Advisory> advisories;
  LoadReport report;
  auto result = readDebianTrackerJson(
      file, [&](Advisory&& advisory) { advisories.push_back(std::move(advisory)); }, report);

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(advisories.size(), 2u);
  EXPECT_EQ(report.records_loaded, 2u);
}

TEST(DebianTrackerFiles, IssuesNameThePath) {
  ScopedTempDir dir;
  std::filesystem::path file = dir.path() / "json";
  {
    std::ofstream out(file, std::ios::binary);
    out << R"({"pkg": {"CVE-2023-1": {"releases": {"bookworm": 1}}}})";
  }
  LoadReport report;
  auto result = readDebianTrackerJson(
      file, [](Advisory&&) {}, report);

  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.issues[0].file, file.string());
}

TEST(DebianTrackerFiles, MissingFileNamesPath) {
  ScopedTempDir dir;
  std::filesystem::path missing = dir.path() / "no-such-export.json";
  LoadReport report;
  auto result = readDebianTrackerJson(
      missing, [](Advisory&&) {}, report);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_NE(result.error().message.find(missing.string()), std::string::npos);
}

TEST(DebianTrackerFiles, DirectoryIsRejected) {
  ScopedTempDir dir;
  LoadReport report;
  auto result = readDebianTrackerJson(
      dir.path(), [](Advisory&&) {}, report);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace pk::advisory
