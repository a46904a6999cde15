#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "advisory/csaf.h"
#include "advisory/csaf_files.h"
#include "advisory/tests/affected_lookup.h"

namespace pk::advisory {
namespace {

namespace fs = std::filesystem;
using lookup::findAffected;
using lookup::fixedOf;

// A Rocky Linux 9 advisory written for these tests: openssl for x86_64 and
// aarch64 with its epoch in the purl, openssl-libs named only in N-E:V-R.A
// form, the source rpm, and one fixed reference to a product that does not
// exist.
const char* const kRockyDocument = R"json({
  "document": {
    "aggregate_severity": {"text": "Important"},
    "category": "csaf_security_advisory",
    "csaf_version": "2.0",
    "title": "Important: openssl security update",
    "tracking": {
      "id": "RLSA-2024:0001",
      "initial_release_date": "2024-01-02T03:04:05+00:00",
      "current_release_date": "2024-02-01T00:00:00+00:00"
    }
  },
  "product_tree": {
    "branches": [{
      "category": "vendor", "name": "Rocky Enterprise Software Foundation",
      "branches": [
        {"category": "product_name", "name": "Rocky Linux 9",
         "product": {"name": "Rocky Linux 9", "product_id": "rocky9",
                     "product_identification_helper": {"cpe": "cpe:/o:rocky:rocky:9::baseos"}}},
        {"category": "architecture", "name": "x86_64", "branches": [
          {"category": "product_version", "name": "openssl-1:3.0.7-27.el9.x86_64",
           "product": {"name": "openssl-1:3.0.7-27.el9.x86_64",
                       "product_id": "openssl-1:3.0.7-27.el9.x86_64",
                       "product_identification_helper":
                         {"purl": "pkg:rpm/rocky/openssl@3.0.7-27.el9?arch=x86_64&epoch=1"}}},
          {"category": "product_version", "name": "openssl-libs-1:3.0.7-27.el9.x86_64",
           "product": {"name": "openssl-libs-1:3.0.7-27.el9.x86_64",
                       "product_id": "openssl-libs-1:3.0.7-27.el9.x86_64"}}]},
        {"category": "architecture", "name": "aarch64", "branches": [
          {"category": "product_version", "name": "openssl-1:3.0.7-27.el9.aarch64",
           "product": {"name": "openssl-1:3.0.7-27.el9.aarch64",
                       "product_id": "openssl-1:3.0.7-27.el9.aarch64",
                       "product_identification_helper":
                         {"purl": "pkg:rpm/rocky/openssl@3.0.7-27.el9?arch=aarch64&epoch=1"}}}]},
        {"category": "architecture", "name": "src", "branches": [
          {"category": "product_version", "name": "openssl-1:3.0.7-27.el9.src",
           "product": {"name": "openssl-1:3.0.7-27.el9.src",
                       "product_id": "openssl-1:3.0.7-27.el9.src",
                       "product_identification_helper":
                         {"purl": "pkg:rpm/rocky/openssl@3.0.7-27.el9?arch=src"}}}]}
      ]
    }],
    "relationships": [
      {"category": "default_component_of",
       "full_product_name": {"name": "x", "product_id": "rocky9:openssl-1:3.0.7-27.el9.x86_64"},
       "product_reference": "openssl-1:3.0.7-27.el9.x86_64",
       "relates_to_product_reference": "rocky9"},
      {"category": "default_component_of",
       "full_product_name": {"name": "x", "product_id": "rocky9:openssl-1:3.0.7-27.el9.aarch64"},
       "product_reference": "openssl-1:3.0.7-27.el9.aarch64",
       "relates_to_product_reference": "rocky9"},
      {"category": "default_component_of",
       "full_product_name": {"name": "x", "product_id": "rocky9:openssl-libs-1:3.0.7-27.el9.x86_64"},
       "product_reference": "openssl-libs-1:3.0.7-27.el9.x86_64",
       "relates_to_product_reference": "rocky9"},
      {"category": "default_component_of",
       "full_product_name": {"name": "x", "product_id": "rocky9:openssl-1:3.0.7-27.el9.src"},
       "product_reference": "openssl-1:3.0.7-27.el9.src",
       "relates_to_product_reference": "rocky9"}
    ]
  },
  "vulnerabilities": [
    {"cve": "CVE-2024-0001",
     "product_status": {"fixed": ["rocky9:openssl-1:3.0.7-27.el9.x86_64",
                                  "rocky9:openssl-1:3.0.7-27.el9.aarch64",
                                  "rocky9:openssl-libs-1:3.0.7-27.el9.x86_64",
                                  "rocky9:openssl-1:3.0.7-27.el9.src"]},
     "scores": [{"cvss_v3": {"baseScore": 5.3, "baseSeverity": "MEDIUM",
                             "vectorString": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"}}]},
    {"cve": "CVE-2024-0002",
     "product_status": {"fixed": ["rocky9:openssl-1:3.0.7-27.el9.x86_64",
                                  "rocky9:missing-1.0-1.el9.x86_64"],
                        "known_affected": ["rocky9:openssl-1:3.0.7-27.el9.x86_64"]},
     "scores": [{"cvss_v3": {"baseScore": 7.5, "baseSeverity": "HIGH",
                             "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}}]},
    {"cve": "CVE-2024-0001"}
  ]
})json";

std::vector<Advisory> parseAll(const std::string& json, LoadReport& report) {
  std::vector<Advisory> advisories;
  auto parsed = parseCsafDocument(
      json, "doc.json",
      [&advisories](Advisory&& advisory) { advisories.push_back(std::move(advisory)); }, report);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().message);
  return advisories;
}

TEST(Csaf, ReadsDocumentFields) {
  LoadReport report;
  auto advisories = parseAll(kRockyDocument, report);

  ASSERT_EQ(advisories.size(), 1u);
  const Advisory& advisory = advisories[0];
  EXPECT_EQ(advisory.id, "RLSA-2024:0001");
  EXPECT_EQ(advisory.source, "csaf");
  EXPECT_EQ(advisory.summary, "Important: openssl security update");
  EXPECT_EQ(advisory.aliases, (std::vector<std::string>{"CVE-2024-0001", "CVE-2024-0002"}));
  EXPECT_EQ(advisory.severity, Severity::kHigh);
  ASSERT_TRUE(advisory.cvss_score.has_value());
  EXPECT_DOUBLE_EQ(*advisory.cvss_score, 7.5);
  EXPECT_EQ(advisory.cvss_vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
  EXPECT_EQ(advisory.published, "2024-01-02T03:04:05+00:00");
  EXPECT_EQ(advisory.modified, "2024-02-01T00:00:00+00:00");
  EXPECT_EQ(report.records_loaded, 1u);
}

TEST(Csaf, KeepsBinariesAndSourceDeduplicated) {
  LoadReport report;
  auto advisories = parseAll(kRockyDocument, report);
  ASSERT_EQ(advisories.size(), 1u);
  const Advisory& advisory = advisories[0];

  // openssl x86_64 + aarch64 (twice across CVEs) collapse into one binary entry.
  ASSERT_EQ(advisory.affected.size(), 3u);
  const AffectedPackage* binary = findAffected(advisory, "openssl", PackageNameKind::kBinary);
  ASSERT_NE(binary, nullptr);
  EXPECT_EQ(binary->ecosystem, "Rocky Linux:9");
  EXPECT_EQ(fixedOf(*binary), "1:3.0.7-27.el9");
  ASSERT_EQ(binary->ranges.size(), 1u);
  EXPECT_EQ(binary->ranges[0].at(0).type, RangeEvent::Type::kIntroduced);
  EXPECT_EQ(binary->ranges[0].at(0).version, "0");

  // No purl: name, epoch and arch come from the N-E:V-R.A product name.
  const AffectedPackage* libs = findAffected(advisory, "openssl-libs", PackageNameKind::kBinary);
  ASSERT_NE(libs, nullptr);
  EXPECT_EQ(fixedOf(*libs), "1:3.0.7-27.el9");

  // The source purl has no epoch qualifier, but its name does: the source
  // entry keeps epoch 1, which an installed rpm's SOURCERPM would not show.
  const AffectedPackage* source = findAffected(advisory, "openssl", PackageNameKind::kSource);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->ecosystem, "Rocky Linux:9");
  EXPECT_EQ(fixedOf(*source), "1:3.0.7-27.el9");
}

TEST(Csaf, ReportsUnknownProductReference) {
  LoadReport report;
  auto advisories = parseAll(kRockyDocument, report);

  ASSERT_EQ(advisories.size(), 1u);
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.records_skipped, 1u);
  const LoadIssue& issue = report.issues[0];
  EXPECT_EQ(issue.file, "doc.json");
  EXPECT_EQ(issue.record_id, "RLSA-2024:0001");
  EXPECT_EQ(issue.field, "/vulnerabilities/1/product_status/fixed/1");
  EXPECT_NE(issue.message.find("rocky9:missing-1.0-1.el9.x86_64"), std::string::npos);
}

// A document with one product `product` (name and CPE) and one package
// `package` (name and purl) fixed in it.
std::string oneProductDocument(const std::string& product_name, const std::string& cpe,
                               const std::string& package_name, const std::string& purl) {
  const std::string cpe_helper =
      cpe.empty() ? "" : R"(, "product_identification_helper": {"cpe": ")" + cpe + R"("})";
  const std::string purl_helper =
      purl.empty() ? "" : R"(, "product_identification_helper": {"purl": ")" + purl + R"("})";
  return R"({"document": {"title": "t", "tracking": {"id": "DOC-1"}},
    "product_tree": {"branches": [
      {"category": "product_name", "name": "p",
       "product": {"name": ")" +
         product_name + R"(", "product_id": "P")" + cpe_helper + R"(}},
      {"category": "product_version", "name": ")" +
         package_name + R"(",
       "product": {"name": ")" +
         package_name + R"(", "product_id": "K")" + purl_helper + R"(}}],
     "relationships": [{"category": "default_component_of",
       "full_product_name": {"name": "K in P", "product_id": "P:K"},
       "product_reference": "K", "relates_to_product_reference": "P"}]},
    "vulnerabilities": [{"cve": "CVE-2024-0001", "product_status": {"fixed": ["P:K"]}}]})";
}

struct ProductCase {
  std::string product_name;
  std::string cpe;
  std::string package_name;
  std::string purl;
  // Expected entry; an empty ecosystem means one issue and no entry.
  std::string ecosystem;
  std::string name;
  PackageNameKind kind;
  std::string fixed;
};

class CsafProduct : public testing::TestWithParam<ProductCase> {};

TEST_P(CsafProduct, MapsProductAndPackage) {
  const ProductCase& c = GetParam();
  LoadReport report;
  auto advisories =
      parseAll(oneProductDocument(c.product_name, c.cpe, c.package_name, c.purl), report);
  ASSERT_EQ(advisories.size(), 1u);

  if (c.ecosystem.empty()) {
    EXPECT_TRUE(advisories[0].affected.empty());
    EXPECT_EQ(report.issues.size(), 1u);
    return;
  }
  ASSERT_EQ(advisories[0].affected.size(), 1u)
      << (report.issues.empty() ? "" : report.issues[0].message);
  const AffectedPackage& affected = advisories[0].affected[0];
  EXPECT_EQ(affected.ecosystem, c.ecosystem);
  EXPECT_EQ(affected.name, c.name);
  EXPECT_EQ(affected.name_kind, c.kind);
  EXPECT_EQ(fixedOf(affected), c.fixed);
  EXPECT_TRUE(report.issues.empty());
}

constexpr auto kBin = PackageNameKind::kBinary;
constexpr auto kSrc = PackageNameKind::kSource;

INSTANTIATE_TEST_SUITE_P(
    CsafProducts, CsafProduct,
    testing::Values(
        // CIQ's CSAF names, with and without a CPE.
        ProductCase{
            "Rocky Linux from CIQ 9.5", "cpe:2.3:o:ciq:rocky_linux_from_ciq:9.5:*:*:*:*:*:*:*",
            "dpdk-2:23.11-2.el9_5.src", "", "Rocky Linux:9", "dpdk", kSrc, "2:23.11-2.el9_5"},
        ProductCase{"Rocky Linux 10.2 from CIQ", "", "curl-0:8.12.1-2.el10_2.x86_64", "",
                    "Rocky Linux:10", "curl", kBin, "8.12.1-2.el10_2"},
        // No release in the product: the el8 tag of the rpm gives it.
        ProductCase{"Rocky Linux from CIQ", "", "pgaudit-0:1.4.0-6.module+el8.9.0+1234+abcd.noarch",
                    "", "Rocky Linux:8", "pgaudit", kBin, "1.4.0-6.module+el8.9.0+1234+abcd"},
        ProductCase{"AlmaLinux 9", "cpe:/o:almalinux:almalinux:9::baseos",
                    "bash-5.1.8-9.el9.x86_64", "", "AlmaLinux:9", "bash", kBin, "5.1.8-9.el9"},
        // Red Hat keeps its CPE as the ecosystem, as OSV does.
        ProductCase{"Red Hat Enterprise Linux AppStream (v. 9)",
                    "cpe:/a:redhat:enterprise_linux:9::appstream", "nodejs-1:20.11.1-1.el9.x86_64",
                    "pkg:rpm/redhat/nodejs@20.11.1-1.el9?arch=x86_64&epoch=1",
                    "Red Hat:enterprise_linux:9::appstream", "nodejs", kBin, "1:20.11.1-1.el9"},
        ProductCase{"Red Hat Enterprise Linux 8", "", "glibc-2.28-251.el8.src",
                    "pkg:rpm/redhat/glibc@2.28-251.el8?arch=src",
                    "Red Hat:Red Hat Enterprise Linux 8", "glibc", kSrc, "2.28-251.el8"},
        // Percent-encoded purl name.
        ProductCase{"Rocky Linux 8", "", "x", "pkg:rpm/rocky/libstdc%2B%2B@8.5.0-22.el8?arch=i686",
                    "Rocky Linux:8", "libstdc++", kBin, "8.5.0-22.el8"},
        // Not a distribution patchkeeper matches.
        ProductCase{"Rocky Linux from CIQ - LTS 9.2", "", "openssl-1:3.0.7-18.el9_2.x86_64", "", "",
                    "", kBin, ""},
        // No release and no el tag.
        ProductCase{"Rocky Linux", "", "foo-1.0-1.x86_64", "", "", "", kBin, ""},
        // Unreadable package name.
        ProductCase{"Rocky Linux 9", "", "not-an-rpm", "", "", "", kBin, ""},
        // An epoch that is not a number is an invalid EVR for rpm.
        ProductCase{"Rocky Linux 9", "", "x", "pkg:rpm/rocky/foo@1.0-1.el9?arch=x86_64&epoch=a", "",
                    "", kBin, ""}));

TEST(Csaf, SkipsModuleAndContainerPurlsSilently) {
  LoadReport report;
  auto advisories =
      parseAll(oneProductDocument(
                   "Red Hat Enterprise Linux 9", "cpe:/a:redhat:enterprise_linux:9::appstream",
                   "nodejs:20:9040020240101:abc", "pkg:rpmmod/redhat/nodejs@20:9040020240101:abc"),
               report);
  ASSERT_EQ(advisories.size(), 1u);
  EXPECT_TRUE(advisories[0].affected.empty());
  EXPECT_TRUE(report.issues.empty());
}

TEST(Csaf, ReportsPackageWithoutProduct) {
  std::string json = oneProductDocument("Rocky Linux 9", "", "bash-5.1.8-9.el9.x86_64", "");
  json.replace(json.find(R"("fixed": ["P:K"])"), 16, R"("fixed": ["K"] )");
  LoadReport report;
  auto advisories = parseAll(json, report);
  ASSERT_EQ(advisories.size(), 1u);
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_NE(report.issues[0].message.find("not joined to a product"), std::string::npos);
}

TEST(Csaf, SeverityFallsBackToThreatThenCvss) {
  const std::string with_threat = R"({"document": {"tracking": {"id": "A"}},
    "vulnerabilities": [{"cve": "CVE-1", "threats": [{"category": "impact", "details": "Moderate"}],
                         "scores": [{"cvss_v3": {"baseScore": 9.8, "baseSeverity": "CRITICAL"}}]}]})";
  const std::string cvss_only = R"({"document": {"tracking": {"id": "B"}},
    "vulnerabilities": [{"scores": [{"cvss_v3": {"baseScore": 3.1, "baseSeverity": "LOW"}},
                                    {"cvss_v3": {"baseScore": "high"}}]}]})";
  LoadReport report;
  auto first = parseAll(with_threat, report);
  auto second = parseAll(cvss_only, report);

  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].severity, Severity::kMedium);
  EXPECT_DOUBLE_EQ(first[0].cvss_score.value_or(0), 9.8);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].severity, Severity::kLow);
  EXPECT_DOUBLE_EQ(second[0].cvss_score.value_or(0), 3.1);
  EXPECT_TRUE(second[0].aliases.empty());
}

TEST(Csaf, RejectsWhatIsNotCsaf) {
  for (const std::string json :
       {"", "{", "[]", R"({"mappings": {}})", R"({"document": []})",
        R"({"document": {"tracking": {}}})", R"({"document": {"tracking": {"id": 7}}})"}) {
    LoadReport report;
    bool called = false;
    auto parsed = parseCsafDocument(
        json, "x.json", [&called](Advisory&&) { called = true; }, report);
    ASSERT_FALSE(parsed.has_value()) << json;
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedInput);
    EXPECT_FALSE(called);
    EXPECT_EQ(report.records_loaded, 0u);
  }
}

class CsafFiles : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("pk-csaf-" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()) +
         "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "tree" / "2024");
    std::ofstream(dir_ / "tree" / "2024" / "rlsa-2024-0001.json") << kRockyDocument;
    std::ofstream(dir_ / "tree" / "2024" / "broken.json") << "{";
    std::ofstream(dir_ / "tree" / "README.md") << "not read";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(CsafFiles, ReadsFolderTree) {
  LoadReport report;
  std::vector<std::string> ids;
  auto read = readCsaf(
      dir_ / "tree", [&ids](Advisory&& a) { ids.push_back(a.id); }, report);

  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(ids, std::vector<std::string>{"RLSA-2024:0001"});
  // One issue for the unknown product reference, one for broken.json.
  ASSERT_EQ(report.issues.size(), 2u);
  EXPECT_EQ(report.issues[0].file, (dir_ / "tree" / "2024" / "broken.json").string());
}

TEST_F(CsafFiles, ReadsSingleFile) {
  LoadReport report;
  std::size_t count = 0;
  auto read = readCsaf(
      dir_ / "tree" / "2024" / "rlsa-2024-0001.json", [&count](Advisory&&) { ++count; }, report);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(count, 1u);
}

TEST_F(CsafFiles, ReadsTarGz) {
  const std::string command =
      "tar -czf '" + (dir_ / "docs.tar.gz").string() + "' -C '" + (dir_ / "tree").string() + "' .";
  ASSERT_EQ(std::system(command.c_str()), 0);

  LoadReport report;
  std::vector<std::string> ids;
  auto read = readCsaf(
      dir_ / "docs.tar.gz", [&ids](Advisory&& a) { ids.push_back(a.id); }, report);

  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(ids, std::vector<std::string>{"RLSA-2024:0001"});
  ASSERT_EQ(report.issues.size(), 2u);
  const auto broken = std::find_if(report.issues.begin(), report.issues.end(),
                                   [](const LoadIssue& issue) { return issue.record_id.empty(); });
  ASSERT_NE(broken, report.issues.end());
  EXPECT_EQ(broken->file, (dir_ / "docs.tar.gz").string() + ":./2024/broken.json");
}

TEST_F(CsafFiles, TruncatedArchiveFails) {
  std::ofstream(dir_ / "bad.tar.xz") << "\xFD"
                                        "7zXZ garbage that is not xz";
  LoadReport report;
  auto read = readCsaf(
      dir_ / "bad.tar.xz", [](Advisory&&) {}, report);
  ASSERT_FALSE(read.has_value());
}

TEST_F(CsafFiles, MissingPathIsNotFound) {
  LoadReport report;
  auto read = readCsaf(
      dir_ / "absent.json", [](Advisory&&) {}, report);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace pk::advisory
