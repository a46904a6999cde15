#include "server/advisory_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "advisory/feed.h"

namespace pk::server {
namespace {

using advisory::Advisory;
using advisory::AffectedPackage;
using advisory::RangeEvent;
using advisory::Severity;

std::filesystem::path sharedData(const std::string& relative) {
  return std::filesystem::path(PK_SHARED_DATA_DIR) / relative;
}

// Compares every field of two advisories, reporting the first difference
// with the advisory's id.
void expectSameAdvisory(const Advisory& expected, const Advisory& actual) {
  SCOPED_TRACE(expected.id);
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.source, expected.source);
  EXPECT_EQ(actual.summary, expected.summary);
  EXPECT_EQ(actual.aliases, expected.aliases);
  EXPECT_EQ(actual.severity, expected.severity);
  EXPECT_EQ(actual.cvss_score, expected.cvss_score);
  EXPECT_EQ(actual.cvss_vector, expected.cvss_vector);
  EXPECT_EQ(actual.published, expected.published);
  EXPECT_EQ(actual.modified, expected.modified);
  ASSERT_EQ(actual.affected.size(), expected.affected.size());
  for (std::size_t i = 0; i < expected.affected.size(); ++i) {
    const AffectedPackage& a = actual.affected[i];
    const AffectedPackage& e = expected.affected[i];
    EXPECT_EQ(a.ecosystem, e.ecosystem);
    EXPECT_EQ(a.name, e.name);
    EXPECT_EQ(a.name_kind, e.name_kind);
    EXPECT_EQ(a.versions, e.versions);
    EXPECT_EQ(a.severity, e.severity);
    ASSERT_EQ(a.ranges.size(), e.ranges.size());
    for (std::size_t r = 0; r < e.ranges.size(); ++r) {
      ASSERT_EQ(a.ranges[r].size(), e.ranges[r].size());
      for (std::size_t k = 0; k < e.ranges[r].size(); ++k) {
        EXPECT_EQ(a.ranges[r][k].type, e.ranges[r][k].type);
        EXPECT_EQ(a.ranges[r][k].version, e.ranges[r][k].version);
      }
    }
    ASSERT_EQ(a.binaries.size(), e.binaries.size());
    for (std::size_t b = 0; b < e.binaries.size(); ++b) {
      EXPECT_EQ(a.binaries[b].name, e.binaries[b].name);
      EXPECT_EQ(a.binaries[b].version, e.binaries[b].version);
    }
  }
}

// Loads `path` and round-trips every advisory; returns how many there were.
std::size_t roundTripFeed(const std::filesystem::path& path) {
  std::size_t count = 0;
  advisory::Enrichment enrichment;
  advisory::LoadReport report;
  auto loaded = advisory::loadFeed(
      path,
      [&](Advisory&& original) {
        ++count;
        std::string text = encodeAdvisory(original);
        auto decoded = decodeAdvisory(text);
        ASSERT_TRUE(decoded) << original.id << ": " << decoded.error().message;
        expectSameAdvisory(original, *decoded);
        EXPECT_EQ(encodeAdvisory(*decoded), text) << original.id;
      },
      enrichment, report);
  EXPECT_TRUE(loaded) << path << ": " << (loaded ? "" : loaded.error().message);
  return count;
}

Advisory sampleAdvisory() {
  Advisory advisory;
  advisory.id = "DSA-5678-1";
  advisory.source = "debian-tracker";
  advisory.summary = "openssl: \"quoted\" and \xC3\xA9";
  advisory.aliases = {"CVE-2024-1", "CVE-2024-2"};
  advisory.severity = Severity::kHigh;
  advisory.cvss_score = 7.5;
  advisory.cvss_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";
  advisory.published = "2024-01-02T00:00:00Z";
  AffectedPackage package;
  package.ecosystem = "Debian:12";
  package.name = "openssl";
  package.name_kind = advisory::PackageNameKind::kSource;
  package.ranges = {{{RangeEvent::Type::kIntroduced, "0"}, {RangeEvent::Type::kFixed, "3.0.11-1"}},
                    {{RangeEvent::Type::kIntroduced, "3.1.0"},
                     {RangeEvent::Type::kLastAffected, "3.1.4"},
                     {RangeEvent::Type::kLimit, "3.2"}}};
  package.versions = {"3.0.9-1"};
  package.binaries = {{"libssl3", "3.0.11-1"}, {"openssl", "3.0.11-1"}};
  package.severity = Severity::kCritical;
  advisory.affected.push_back(package);
  return advisory;
}

TEST(AdvisoryCodecTest, RoundTripsEveryField) {
  Advisory original = sampleAdvisory();
  auto decoded = decodeAdvisory(encodeAdvisory(original));
  ASSERT_TRUE(decoded) << decoded.error().message;
  expectSameAdvisory(original, *decoded);
}

TEST(AdvisoryCodecTest, AbsentOptionalsStayAbsent) {
  Advisory original = sampleAdvisory();
  original.cvss_score.reset();
  original.affected[0].severity.reset();
  std::string text = encodeAdvisory(original);
  EXPECT_EQ(text.find("cvss_score"), std::string::npos);
  auto decoded = decodeAdvisory(text);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_FALSE(decoded->cvss_score);
  EXPECT_FALSE(decoded->affected[0].severity);
}

TEST(AdvisoryCodecTest, NonFiniteScoreIsLeftOut) {
  Advisory original = sampleAdvisory();
  original.cvss_score = std::numeric_limits<double>::quiet_NaN();
  auto decoded = decodeAdvisory(encodeAdvisory(original));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_FALSE(decoded->cvss_score);
}

TEST(AdvisoryCodecTest, EncodingIsDeterministic) {
  EXPECT_EQ(encodeAdvisory(sampleAdvisory()), encodeAdvisory(sampleAdvisory()));
  EXPECT_EQ(contentHash(encodeAdvisory(sampleAdvisory())),
            contentHash(encodeAdvisory(sampleAdvisory())));
  Advisory changed = sampleAdvisory();
  changed.affected[0].ranges[0][1].version = "3.0.11-2";
  EXPECT_NE(contentHash(encodeAdvisory(changed)), contentHash(encodeAdvisory(sampleAdvisory())));
}

TEST(AdvisoryCodecTest, ContentHashIsSha256Hex) {
  // SHA-256 of the empty string.
  EXPECT_EQ(contentHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(AdvisoryCodecTest, MalformedTextNamesTheField) {
  struct Case {
    std::string text;
    std::string expected_in_message;
  };
  const std::vector<Case> cases = {
      {"{not json", "not valid JSON"},
      {"[]", "not a JSON object"},
      {R"({"id": "X"})", "format"},
      {R"({"format": 2, "id": "X"})", "format"},
      {R"({"format": 1, "source": "osv"})", "/id is missing"},
      {R"({"format": 1, "id": 5})", "/id is not a string"},
      {R"({"format":1,"id":"X","source":"s","summary":"","aliases":[1],"severity":"high",)"
       R"("cvss_vector":"","published":"","modified":"","affected":[]})",
       "/aliases/0 is not a string"},
      {R"({"format":1,"id":"X","source":"s","summary":"","aliases":[],"severity":"severe",)"
       R"("cvss_vector":"","published":"","modified":"","affected":[]})",
       "/severity is not a severity name"},
      {R"({"format":1,"id":"X","source":"s","summary":"","aliases":[],"severity":"high",)"
       R"("cvss_vector":"","published":"","modified":"","cvss_score":"7","affected":[]})",
       "/cvss_score is not a number"},
      {R"({"format":1,"id":"X","source":"s","summary":"","aliases":[],"severity":"high",)"
       R"("cvss_vector":"","published":"","modified":"","affected":[{"ecosystem":"Debian:12",)"
       R"("name":"a","name_kind":"binary","ranges":[[{"type":"fixd","version":"1"}]],)"
       R"("versions":[],"binaries":[]}]})",
       "/affected/0/ranges/0/0/type is not a range event type"},
      {R"({"format":1,"id":"X","source":"s","summary":"","aliases":[],"severity":"high",)"
       R"("cvss_vector":"","published":"","modified":"","affected":[{"ecosystem":"Debian:12",)"
       R"("name":"a","name_kind":"other","ranges":[],"versions":[],"binaries":[]}]})",
       "/affected/0/name_kind"},
  };
  for (const auto& item : cases) {
    auto decoded = decodeAdvisory(item.text);
    ASSERT_FALSE(decoded) << item.text;
    EXPECT_EQ(decoded.error().code, ErrorCode::kMalformedInput) << item.text;
    EXPECT_NE(decoded.error().message.find(item.expected_in_message), std::string::npos)
        << item.text << " gave: " << decoded.error().message;
  }
}

TEST(AdvisoryCodecTest, SeverityNamesRoundTrip) {
  for (auto severity : {Severity::kUnknown, Severity::kNone, Severity::kLow, Severity::kMedium,
                        Severity::kHigh, Severity::kCritical}) {
    EXPECT_EQ(parseSeverityName(advisory::severityName(severity)), severity);
  }
  EXPECT_FALSE(parseSeverityName("Important"));
}

TEST(AdvisoryCodecTest, RoundTripsUbuntuOsvRecords) {
  EXPECT_EQ(roundTripFeed(sharedData("osv/ubuntu-samples/osv")), 2u);
}

TEST(AdvisoryCodecTest, RoundTripsAlpineSecdb) {
  EXPECT_GT(roundTripFeed(sharedData("alpine-secdb/3.20/main.json")), 100u);
}

TEST(AdvisoryCodecTest, RoundTripsDebianSecurityList) {
  EXPECT_GT(roundTripFeed(sharedData("debian/security-tracker-2023/data/DSA/list")), 1000u);
}

TEST(AdvisoryCodecTest, RoundTripsAlmaLinuxAdvisories) {
  // A slice of the folder, sorted so the same files are read every run.
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(sharedData("osv/almalinux/advisories/almalinux9"))) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 300u);
  std::size_t count = 0;
  for (std::size_t i = 0; i < files.size(); i += 6) count += roundTripFeed(files[i]);
  EXPECT_GT(count, 250u);
}

}  // namespace
}  // namespace pk::server
