#include "advisory/kb_mapping.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace pk::advisory {
namespace {

const std::filesystem::path kFeedFolder =
    std::filesystem::path(PK_SHARED_DATA_DIR) / "windows" / "kb-cve-feed";

std::vector<std::string> kbsOf(const std::vector<KbMapping>& rows) {
  std::vector<std::string> kbs;
  for (const auto& row : rows) kbs.push_back(row.kb);
  return kbs;
}

// The row counts below were taken from an independent reading of each file.
TEST(KbMappingRealData, June2025JsonMatchesCvrf) {
  LoadReport report;
  auto rows = readKbMapping(kFeedFolder / "CVE_KB_Mapping_2025-Jun.json", report);
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_TRUE(report.issues.empty()) << report.issues.front().message;
  EXPECT_EQ(rows->size(), 305u);
  EXPECT_EQ(report.records_loaded, 305u);

  // The first entry; MSRC's June 2025 CVRF names the same KB and build.
  const KbMapping* server = nullptr;
  for (const auto& row : *rows) {
    if (row.cve == "CVE-2025-29828" && row.product == "Windows Server 2022") server = &row;
  }
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->kb, "5060526");
  EXPECT_EQ(server->release, "2022");
  EXPECT_EQ(server->fixed_build, "20348.3807");
  ASSERT_TRUE(server->cvss_score.has_value());
  EXPECT_DOUBLE_EQ(*server->cvss_score, 8.1);
  EXPECT_EQ(server->exploit_status,
            "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation Less "
            "Likely;DOS:N/A");
  EXPECT_EQ(server->product_id, "");
  EXPECT_EQ(server->published, "");
}

TEST(KbMappingRealData, May2026JsonNullSeverity) {
  LoadReport report;
  auto rows = readKbMapping(kFeedFolder / "CVE_KB_Mapping_2026-May.json", report);
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_TRUE(report.issues.empty()) << report.issues.front().message;
  EXPECT_EQ(rows->size(), 399u);

  // All seven patches of this CVE carry "severity": null.
  std::vector<std::string> kbs;
  for (const auto& row : *rows) {
    if (row.cve != "CVE-2025-54518") continue;
    kbs.push_back(row.kb);
    EXPECT_FALSE(row.cvss_score.has_value()) << row.product;
  }
  ASSERT_EQ(kbs.size(), 7u);
  EXPECT_EQ(kbs.front(), "5087544");
}

TEST(KbMappingRealData, EveryJsonMonthLoads) {
  const std::pair<std::string_view, std::size_t> files[] = {{"CVE_KB_Mapping_2025-Jul.json", 664},
                                                            {"CVE_KB_Mapping_2025-Oct.json", 814},
                                                            {"CVE_KB_Mapping_2026-Jul.json", 2094},
                                                            {"CVE_KB_Mapping_current.json", 1286}};
  for (const auto& [name, expected] : files) {
    LoadReport report;
    auto rows = readKbMapping(kFeedFolder / std::string(name), report);
    ASSERT_TRUE(rows.has_value()) << rows.error().message;
    EXPECT_EQ(rows->size(), expected) << name;
    EXPECT_TRUE(report.issues.empty()) << name << ": " << report.issues.front().message;
  }
}

TEST(KbMappingRealData, CsvFirstRowAndCount) {
  LoadReport report;
  auto rows = readKbMapping(kFeedFolder / "kb_cve_data.csv", report);
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_TRUE(report.issues.empty()) << report.issues.front().message;
  ASSERT_EQ(rows->size(), 3683u);

  const KbMapping& first = rows->front();
  EXPECT_EQ(first.cve, "CVE-2026-42976");
  EXPECT_EQ(first.kb, "5120238");
  EXPECT_EQ(first.product_id, "11572");
  EXPECT_EQ(first.product, "Windows Server 2019 (Server Core installation)");
  EXPECT_EQ(first.fixed_build, "10.0.17763.9121");
  ASSERT_TRUE(first.cvss_score.has_value());
  EXPECT_DOUBLE_EQ(*first.cvss_score, 7.8);
  EXPECT_EQ(first.exploit_status,
            "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation Less Likely");
  EXPECT_EQ(first.published, "2026-08-11T07:00:00");
  EXPECT_EQ(first.release, "");
}

TEST(KbMappingRead, RejectsOtherExtensionsAndMissingFiles) {
  LoadReport report;
  auto readme = readKbMapping(kFeedFolder / "README.md", report);
  ASSERT_FALSE(readme.has_value());
  EXPECT_EQ(readme.error().code, ErrorCode::kUnsupported);

  auto missing = readKbMapping(kFeedFolder / "no-such-file.json", report);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

constexpr std::string_view kGoodPatch =
    R"({"os":"Windows 11 Version 24H2","version":"24H2","kb":"KB5060842","fixedBuild":"26100.4349","severity":"7.5","exploitStatus":"Exploited:No"})";

std::string jsonWithPatch(std::string_view patch) {
  return fmt::format(R"([{{"cve":"cve-2025-00001","patches":[{},{}]}},
                         {{"cve":"CVE-2025-00002","patches":[{}]}}])",
                     kGoodPatch, patch, kGoodPatch);
}

TEST(KbMappingJson, ParsesAndNormalizes) {
  LoadReport report;
  auto rows = parseKbMappingJson(jsonWithPatch(R"({"os":"Windows Server 2025","kb":"5060842",
      "fixedBuild":"26100.4349","severity":9.8})"),
                                 "map.json", report);
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_TRUE(report.issues.empty());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].cve, "CVE-2025-00001");
  EXPECT_EQ((*rows)[0].kb, "5060842");
  EXPECT_EQ((*rows)[0].release, "24H2");
  EXPECT_EQ((*rows)[1].product, "Windows Server 2025");
  ASSERT_TRUE((*rows)[1].cvss_score.has_value());
  EXPECT_DOUBLE_EQ(*(*rows)[1].cvss_score, 9.8);
  EXPECT_EQ((*rows)[1].release, "");
  EXPECT_EQ((*rows)[2].cve, "CVE-2025-00002");
}

TEST(KbMappingJson, ReportsBadPatchAndLoadsTheRest) {
  struct Case {
    std::string name;
    std::string patch;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"not an object", "[1]", "/0/patches/1", "must be an object"},
      {"missing kb", R"({"os":"Windows 10","fixedBuild":"19045.1"})", "/0/patches/1/kb",
       "is missing"},
      {"kb not a KB", R"({"os":"Windows 10","kb":"KB50a","fixedBuild":"19045.1"})",
       "/0/patches/1/kb", "\"KB50a\" is not a KB number"},
      {"kb a number", R"({"os":"Windows 10","kb":5060842,"fixedBuild":"19045.1"})",
       "/0/patches/1/kb", "must be a string"},
      {"missing fixedBuild", R"({"os":"Windows 10","kb":"KB1"})", "/0/patches/1/fixedBuild",
       "is missing"},
      {"empty os", R"({"os":"","kb":"KB1","fixedBuild":"19045.1"})", "/0/patches/1/os", "is empty"},
      {"score out of range", R"({"os":"Windows 10","kb":"KB1","fixedBuild":"1","severity":"11"})",
       "/0/patches/1/severity", "\"11\" is not a CVSS score from 0 to 10"},
      {"score a word", R"({"os":"Windows 10","kb":"KB1","fixedBuild":"1","severity":"Important"})",
       "/0/patches/1/severity", "\"Important\" is not a CVSS score from 0 to 10"},
      {"version not a string", R"({"os":"Windows 10","kb":"KB1","fixedBuild":"1","version":22})",
       "/0/patches/1/version", "must be a string"},
  };
  for (const auto& c : cases) {
    LoadReport report;
    auto rows = parseKbMappingJson(jsonWithPatch(c.patch), "map.json", report);
    ASSERT_TRUE(rows.has_value()) << c.name;
    EXPECT_EQ(rows->size(), 2u) << c.name;
    ASSERT_EQ(report.issues.size(), 1u) << c.name;
    EXPECT_EQ(report.issues[0].file, "map.json");
    EXPECT_EQ(report.issues[0].record_id, "CVE-2025-00001") << c.name;
    EXPECT_EQ(report.issues[0].field, c.field) << c.name;
    EXPECT_NE(report.issues[0].message.find("KB mapping map.json: " + c.field + ": " + c.message),
              std::string::npos)
        << c.name << ": " << report.issues[0].message;
  }
}

TEST(KbMappingJson, ReportsBadEntryAndLoadsTheRest) {
  const std::pair<std::string, std::string> cases[] = {
      {R"("text")", "/0"},
      {R"({"cve":"GHSA-1","patches":[]})", "/0/cve"},
      {R"({"cve":"CVE-2025-1234","patches":{}})", "/0/patches"},
      {R"({"patches":[]})", "/0/cve"},
  };
  for (const auto& [entry, field] : cases) {
    LoadReport report;
    auto rows = parseKbMappingJson(
        fmt::format(R"([{},{{"cve":"CVE-2025-00002","patches":[{}]}}])", entry, kGoodPatch),
        "map.json", report);
    ASSERT_TRUE(rows.has_value()) << entry;
    EXPECT_EQ(kbsOf(*rows), std::vector<std::string>{"5060842"}) << entry;
    ASSERT_EQ(report.issues.size(), 1u) << entry;
    EXPECT_EQ(report.issues[0].field, field) << entry;
  }
}

TEST(KbMappingJson, RejectsWhatIsNotAnArray) {
  for (std::string_view text : {"", "[", "{\"cve\":\"CVE-2025-1234\"}", "42"}) {
    LoadReport report;
    auto rows = parseKbMappingJson(text, "map.json", report);
    ASSERT_FALSE(rows.has_value()) << text;
    EXPECT_EQ(rows.error().code, ErrorCode::kMalformedInput);
    EXPECT_NE(rows.error().message.find("KB mapping map.json"), std::string::npos);
  }
}

constexpr std::string_view kCsvHeader =
    "\"CVE\",\"KB\",\"ProductID\",\"ProductName\",\"FixedBuild\",\"Severity\",\"ExploitStatus\","
    "\"PublishedDate\"\r\n";
constexpr std::string_view kCsvGoodRow =
    "\"CVE-2025-00001\",\"5001001\",\"100\",\"Windows 10, Version 22H2\",\"10.0.19045.1001\","
    "\"7.8\",\"Exploited:No\",\"2099-01-13T08:00:00\"\r\n";

TEST(KbMappingCsv, ParsesQuotedFields) {
  std::string csv = std::string(kCsvHeader) + std::string(kCsvGoodRow) +
                    "\"CVE-2025-00002\",\"KB5002002\",\"\",\"Say \"\"hello\"\"\","
                    "\"10.0.20348.2002\",\"\",\"\",\"\"";
  LoadReport report;
  auto rows = parseKbMappingCsv(csv, "map.csv", report);
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_TRUE(report.issues.empty());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].product, "Windows 10, Version 22H2");
  EXPECT_EQ((*rows)[0].product_id, "100");
  ASSERT_TRUE((*rows)[0].cvss_score.has_value());
  EXPECT_DOUBLE_EQ(*(*rows)[0].cvss_score, 7.8);
  EXPECT_EQ((*rows)[1].kb, "5002002");
  EXPECT_EQ((*rows)[1].product, "Say \"hello\"");
  EXPECT_FALSE((*rows)[1].cvss_score.has_value());
}

TEST(KbMappingCsv, ReportsBadRowAndLoadsTheRest) {
  struct Case {
    std::string name;
    std::string row;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"too few fields", "\"CVE-2025-00009\",\"5009\"\n", "line 3",
       "has 2 fields, but the header has 8"},
      {"bad CVE", "\"CVE-25-9\",\"5009\",\"1\",\"Windows\",\"10.0.1.1\",\"\",\"\",\"\"\n",
       "line 3/CVE", "\"CVE-25-9\" is not a CVE id"},
      {"bad KB", "\"CVE-2025-00009\",\"none\",\"1\",\"Windows\",\"10.0.1.1\",\"\",\"\",\"\"\n",
       "line 3/KB", "\"none\" is not a KB number"},
      {"missing FixedBuild", "\"CVE-2025-00009\",\"5009\",\"1\",\"Windows\",\"\",\"\",\"\",\"\"\n",
       "line 3/FixedBuild", "missing FixedBuild"},
      {"missing ProductName",
       "\"CVE-2025-00009\",\"5009\",\"1\",\"\",\"10.0.1.1\",\"\",\"\",\"\"\n", "line 3/ProductName",
       "missing ProductName"},
      {"bad Severity",
       "\"CVE-2025-00009\",\"5009\",\"1\",\"Windows\",\"10.0.1.1\",\"high\",\"\",\"\"\n",
       "line 3/Severity", "\"high\" is not a CVSS score"},
  };
  for (const auto& c : cases) {
    std::string csv =
        std::string(kCsvHeader) + std::string(kCsvGoodRow) + c.row + std::string(kCsvGoodRow);
    LoadReport report;
    auto rows = parseKbMappingCsv(csv, "map.csv", report);
    ASSERT_TRUE(rows.has_value()) << c.name;
    EXPECT_EQ(rows->size(), 2u) << c.name;
    ASSERT_EQ(report.issues.size(), 1u) << c.name;
    EXPECT_EQ(report.issues[0].file, "map.csv");
    EXPECT_EQ(report.issues[0].field, c.field) << c.name;
    EXPECT_NE(report.issues[0].message.find("KB mapping map.csv: " + c.field + ": " + c.message),
              std::string::npos)
        << c.name << ": " << report.issues[0].message;
  }
}

TEST(KbMappingCsv, UnclosedQuoteKeepsEarlierRows) {
  std::string csv = std::string(kCsvHeader) + std::string(kCsvGoodRow) +
                    "\"CVE-2025-00009\",\"5009\",\"1\",\"Windows\n10.0.1.1,,,\n";
  LoadReport report;
  auto rows = parseKbMappingCsv(csv, "map.csv", report);
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_EQ(rows->size(), 1u);
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_NE(
      report.issues[0].message.find("KB mapping map.csv: line 3: a quoted field never closes"),
      std::string::npos)
      << report.issues[0].message;
}

TEST(KbMappingCsv, RejectsHeaderWithoutRequiredColumns) {
  for (std::string_view csv : {"", "\"CVE\",\"ProductName\",\"FixedBuild\"\n", "not,a,table\n"}) {
    LoadReport report;
    auto rows = parseKbMappingCsv(csv, "map.csv", report);
    ASSERT_FALSE(rows.has_value()) << csv;
    EXPECT_EQ(rows.error().code, ErrorCode::kMalformedInput);
    EXPECT_NE(rows.error().message.find("KB mapping map.csv: the header has no"), std::string::npos)
        << rows.error().message;
  }
}

}  // namespace
}  // namespace pk::advisory
