#include "advisory/kev.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace pk::advisory {
namespace {

const std::filesystem::path kKevCatalog =
    std::filesystem::path(PK_SHARED_DATA_DIR) / "kev" / "known_exploited_vulnerabilities.json";

std::string catalog(std::string_view entries) {
  return std::string(R"({"catalogVersion":"1","count":0,"vulnerabilities":[)") +
         std::string(entries) + "]}";
}

constexpr std::string_view kGoodEntry =
    R"({"cveID":"cve-2024-3094","vendorProject":"Tukaani","product":"xz","vulnerabilityName":"xz backdoor",
        "dateAdded":"2024-04-01","dueDate":"2024-04-22","knownRansomwareCampaignUse":"Known"})";

TEST(KevCatalog, ParsesEntryAndNormalizesId) {
  LoadReport report;
  auto entries = parseKevCatalog(catalog(kGoodEntry), "kev.json", report);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  const KevEntry& entry = entries->at("CVE-2024-3094");
  EXPECT_EQ(entry.cve_id, "CVE-2024-3094");
  EXPECT_EQ(entry.vendor, "Tukaani");
  EXPECT_EQ(entry.product, "xz");
  EXPECT_EQ(entry.name, "xz backdoor");
  EXPECT_EQ(entry.date_added, "2024-04-01");
  EXPECT_EQ(entry.due_date, "2024-04-22");
  EXPECT_TRUE(entry.known_ransomware_use);
  EXPECT_EQ(report.records_loaded, 1u);
}

TEST(KevCatalog, ReportsMalformedEntries) {
  struct Case {
    std::string name;
    std::string entry;
    std::string record_id;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"not an object", "42", "", "/vulnerabilities/1"},
      {"missing cveID", R"({"vendorProject":"x"})", "", "/vulnerabilities/1/cveID"},
      {"bad cveID",
       R"({"cveID":"GHSA-1234","vendorProject":"a","product":"b","vulnerabilityName":"c","dateAdded":"2024-01-01","dueDate":"2024-01-02"})",
       "GHSA-1234", "/vulnerabilities/1/cveID"},
      {"product not a string",
       R"({"cveID":"CVE-2024-0001","vendorProject":"a","product":1,"vulnerabilityName":"c","dateAdded":"2024-01-01","dueDate":"2024-01-02"})",
       "CVE-2024-0001", "/vulnerabilities/1/product"},
      {"bad due date",
       R"({"cveID":"CVE-2024-0001","vendorProject":"a","product":"b","vulnerabilityName":"c","dateAdded":"2024-01-01","dueDate":"soon"})",
       "CVE-2024-0001", "/vulnerabilities/1/dueDate"},
      {"bad ransomware flag",
       R"({"cveID":"CVE-2024-0001","vendorProject":"a","product":"b","vulnerabilityName":"c","dateAdded":"2024-01-01","dueDate":"2024-01-02","knownRansomwareCampaignUse":"Yes"})",
       "CVE-2024-0001", "/vulnerabilities/1/knownRansomwareCampaignUse"},
      {"duplicate", std::string(kGoodEntry), "cve-2024-3094", "/vulnerabilities/1/cveID"},
  };
  for (const auto& c : cases) {
    LoadReport report;
    auto entries =
        parseKevCatalog(catalog(std::string(kGoodEntry) + "," + c.entry), "kev.json", report);
    ASSERT_TRUE(entries.has_value()) << c.name;
    EXPECT_EQ(entries->size(), 1u) << c.name;
    ASSERT_EQ(report.issues.size(), 1u) << c.name;
    EXPECT_EQ(report.issues[0].file, "kev.json");
    EXPECT_EQ(report.issues[0].record_id, c.record_id) << c.name;
    EXPECT_EQ(report.issues[0].field, c.field) << c.name;
    EXPECT_EQ(report.records_skipped, 1u) << c.name;
  }
}

TEST(KevCatalog, MissingRansomwareFlagIsFalse) {
  LoadReport report;
  auto entries = parseKevCatalog(
      catalog(
          R"({"cveID":"CVE-2024-0001","vendorProject":"a","product":"b","vulnerabilityName":"c","dateAdded":"2024-01-01","dueDate":"2024-01-02"})"),
      "kev.json", report);
  ASSERT_TRUE(entries.has_value());
  EXPECT_FALSE(entries->at("CVE-2024-0001").known_ransomware_use);
}

TEST(KevCatalog, RejectsDocumentsThatAreNotCatalogs) {
  for (std::string_view json : {"", "{", "[]", R"({"vulnerabilities":{}})", R"({"count":3})"}) {
    LoadReport report;
    auto entries = parseKevCatalog(json, "kev.json", report);
    ASSERT_FALSE(entries.has_value()) << json;
    EXPECT_EQ(entries.error().code, ErrorCode::kMalformedInput);
    EXPECT_NE(entries.error().message.find("kev.json"), std::string::npos);
  }
}

TEST(KevCatalog, MissingFileIsNotFound) {
  LoadReport report;
  auto entries = readKevCatalog("/nonexistent/kev.json", report);
  ASSERT_FALSE(entries.has_value());
  EXPECT_EQ(entries.error().code, ErrorCode::kNotFound);
}

TEST(KevCveId, Normalization) {
  EXPECT_EQ(normalizeCveId("cve-2021-44228"), "CVE-2021-44228");
  EXPECT_EQ(normalizeCveId("CVE-2021-1234567"), "CVE-2021-1234567");
  EXPECT_EQ(normalizeCveId("CVE-2021-123"), "");
  EXPECT_EQ(normalizeCveId("CVE-21-12345"), "");
  EXPECT_EQ(normalizeCveId("CVE-2021-12a45"), "");
  EXPECT_EQ(normalizeCveId("XVE-2021-12345"), "");
}

TEST(KevRealCatalog, CountAndLog4Shell) {
  LoadReport report;
  auto entries = readKevCatalog(kKevCatalog, report);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  EXPECT_EQ(entries->size(), 1404u);
  EXPECT_EQ(report.records_loaded, 1404u);
  EXPECT_TRUE(report.issues.empty());

  std::size_t ransomware = 0;
  for (const auto& [id, entry] : *entries) ransomware += entry.known_ransomware_use ? 1 : 0;
  EXPECT_EQ(ransomware, 293u);

  const KevEntry& log4shell = entries->at("CVE-2021-44228");
  EXPECT_EQ(log4shell.vendor, "Apache");
  EXPECT_EQ(log4shell.product, "Log4j2");
  EXPECT_EQ(log4shell.name, "Apache Log4j2 Remote Code Execution Vulnerability");
  EXPECT_EQ(log4shell.date_added, "2021-12-10");
  EXPECT_EQ(log4shell.due_date, "2021-12-24");
  EXPECT_TRUE(log4shell.known_ransomware_use);
}

}  // namespace
}  // namespace pk::advisory
