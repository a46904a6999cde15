#include "advisory/msrc_cvrf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace pk::advisory {
namespace {

const std::filesystem::path kCvrfFolder =
    std::filesystem::path(PK_SHARED_DATA_DIR) / "windows" / "msrc-cvrf";

std::filesystem::path monthlyDocument(std::string_view year, std::string_view month) {
  return kCvrfFolder / std::string(year) / "xml-cvrf-document" /
         fmt::format("cvrfDocument-{}-{}.xml", year, month);
}

std::vector<WindowsFix> fixesFor(const CvrfDocument& document, std::string_view cve,
                                 std::string_view product_id) {
  std::vector<WindowsFix> found;
  for (const auto& fix : document.fixes) {
    if (fix.cve == cve && fix.product_id == product_id) found.push_back(fix);
  }
  return found;
}

// The fix counts below were taken from an independent reading of each file:
// the ProductIDs of every Vendor Fix remediation whose Description is a KB
// number.
TEST(MsrcCvrfRealData, June2025SmbClientFix) {
  LoadReport report;
  auto document = readMsrcCvrf(monthlyDocument("2025", "Jun"), report);
  ASSERT_TRUE(document.has_value()) << document.error().message;
  EXPECT_TRUE(report.issues.empty()) << report.issues.front().message;
  EXPECT_EQ(document->id, "2025-Jun");
  EXPECT_EQ(document->title, "June 2025 Security Updates");
  EXPECT_EQ(document->initial_release_date, "2025-06-10T07:00:00");
  EXPECT_EQ(document->current_release_date, "2025-06-23T00:00:00");
  EXPECT_EQ(document->fixes.size(), 1546u);
  EXPECT_EQ(report.records_loaded, 1546u);

  auto fixes = fixesFor(*document, "CVE-2025-33073", "11929");
  ASSERT_EQ(fixes.size(), 1u);
  const WindowsFix& fix = fixes[0];
  EXPECT_EQ(fix.product_name, "Windows 10 Version 21H2 for 32-bit Systems");
  EXPECT_EQ(fix.product_family, "Windows");
  EXPECT_EQ(fix.kb, "5060533");
  EXPECT_EQ(fix.url, "https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB5060533");
  EXPECT_EQ(fix.supersedes, std::vector<std::string>{"5058379"});
  EXPECT_EQ(fix.fixed_build, "10.0.19044.5965");
  EXPECT_EQ(fix.update_type, "Security Update");
  EXPECT_EQ(fix.restart_required, RestartRequired::kYes);
  EXPECT_EQ(fix.severity, "Important");
}

TEST(MsrcCvrfRealData, June2025ServerHasHotpatchToo) {
  LoadReport report;
  auto document = readMsrcCvrf(monthlyDocument("2025", "Jun"), report);
  ASSERT_TRUE(document.has_value()) << document.error().message;

  auto fixes = fixesFor(*document, "CVE-2025-33073", "11923");
  ASSERT_EQ(fixes.size(), 2u);
  EXPECT_EQ(fixes[0].product_name, "Windows Server 2022");
  EXPECT_EQ(fixes[0].kb, "5060526");
  EXPECT_EQ(fixes[0].supersedes, std::vector<std::string>{"5058385"});
  EXPECT_EQ(fixes[0].fixed_build, "10.0.20348.3807");
  EXPECT_EQ(fixes[0].update_type, "Security Update");
  EXPECT_EQ(fixes[1].kb, "5060525");
  EXPECT_EQ(fixes[1].supersedes, std::vector<std::string>{"5058500"});
  EXPECT_EQ(fixes[1].fixed_build, "10.0.20348.3745");
  EXPECT_EQ(fixes[1].update_type, "SecurityHotpatchUpdate");
}

TEST(MsrcCvrfRealData, June2024CriticalMsmqFix) {
  LoadReport report;
  auto document = readMsrcCvrf(monthlyDocument("2024", "Jun"), report);
  ASSERT_TRUE(document.has_value()) << document.error().message;
  EXPECT_TRUE(report.issues.empty()) << report.issues.front().message;
  EXPECT_EQ(document->id, "2024-Jun");
  EXPECT_EQ(document->title, "June 2024 Security Updates");
  EXPECT_EQ(document->current_release_date, "2024-06-13T00:00:00");
  EXPECT_EQ(document->fixes.size(), 1040u);

  auto fixes = fixesFor(*document, "CVE-2024-30080", "11923");
  ASSERT_EQ(fixes.size(), 2u);
  EXPECT_EQ(fixes[0].kb, "5039227");
  EXPECT_EQ(fixes[0].supersedes, std::vector<std::string>{"5037782"});
  EXPECT_EQ(fixes[0].fixed_build, "10.0.20348.2527");
  EXPECT_EQ(fixes[0].severity, "Critical");
  EXPECT_EQ(fixes[1].kb, "5039330");
  EXPECT_EQ(fixes[1].update_type, "Security Hotpatch Update");
  EXPECT_EQ(fixes[1].fixed_build, "10.0.20348.2522");
}

TEST(MsrcCvrfRealData, January2026SqlServerMayRestart) {
  LoadReport report;
  auto document = readMsrcCvrf(monthlyDocument("2026", "Jan"), report);
  ASSERT_TRUE(document.has_value()) << document.error().message;
  EXPECT_TRUE(report.issues.empty()) << report.issues.front().message;
  EXPECT_EQ(document->title, "January 2026 Security Updates");
  EXPECT_EQ(document->current_release_date, "2026-01-30T03:20:43");
  EXPECT_EQ(document->fixes.size(), 2319u);

  auto fixes = fixesFor(*document, "CVE-2026-20803", "12147");
  ASSERT_EQ(fixes.size(), 1u);
  EXPECT_EQ(fixes[0].product_name, "Microsoft SQL Server 2022 for x64-based Systems (GDR)");
  EXPECT_EQ(fixes[0].product_family, "SQL Server");
  EXPECT_EQ(fixes[0].kb, "5073031");
  EXPECT_EQ(fixes[0].url, "https://www.microsoft.com/en-us/download/details.aspx?id=108527");
  EXPECT_EQ(fixes[0].supersedes, std::vector<std::string>{"5068407"});
  EXPECT_EQ(fixes[0].restart_required, RestartRequired::kMaybe);
  EXPECT_EQ(fixes[0].fixed_build, "16.0.1165.1");
  EXPECT_EQ(fixes[0].severity, "Important");
}

TEST(MsrcCvrfRealData, OtherMonthsLoadWithoutIssues) {
  const std::pair<std::string_view, std::size_t> months[] = {{"2025-Sep", 2077},
                                                             {"2025-Nov", 1331},
                                                             {"2025-Dec", 1239},
                                                             {"2026-Feb", 951},
                                                             {"2026-Mar", 1591}};
  for (const auto& [month, expected] : months) {
    LoadReport report;
    auto document = readMsrcCvrf(monthlyDocument(month.substr(0, 4), month.substr(5)), report);
    ASSERT_TRUE(document.has_value()) << document.error().message;
    EXPECT_EQ(document->id, month);
    EXPECT_EQ(document->fixes.size(), expected) << month;
    EXPECT_TRUE(report.issues.empty()) << month << ": " << report.issues.front().message;
  }
}

TEST(MsrcCvrfRead, MissingFileIsNotFound) {
  LoadReport report;
  auto document = readMsrcCvrf(kCvrfFolder / "no-such-file.xml", report);
  ASSERT_FALSE(document.has_value());
  EXPECT_EQ(document.error().code, ErrorCode::kNotFound);
}

// A small document written for these tests. Vulnerability 1 has a good KB fix
// as Remediation 1; `bad_remediation` is inserted into Vulnerability 2 after
// a good Remediation 1, so it is Remediation 2 there.
std::string smallDocument(std::string_view bad_remediation,
                          std::string_view second_cve = "CVE-2025-21298") {
  return fmt::format(R"(<?xml version="1.0" encoding="utf-8"?>
<cvrf:cvrfdoc xmlns:cvrf="http://www.icasi.org/CVRF/schema/cvrf/1.1"
              xmlns:prod="http://www.icasi.org/CVRF/schema/prod/1.1"
              xmlns:vuln="http://www.icasi.org/CVRF/schema/vuln/1.1">
  <cvrf:DocumentTitle>Test Security Updates</cvrf:DocumentTitle>
  <cvrf:DocumentTracking>
    <cvrf:Identification><cvrf:ID>2099-Jan</cvrf:ID></cvrf:Identification>
    <cvrf:InitialReleaseDate>2099-01-13T08:00:00</cvrf:InitialReleaseDate>
    <cvrf:CurrentReleaseDate>2099-01-14T00:00:00</cvrf:CurrentReleaseDate>
  </cvrf:DocumentTracking>
  <prod:ProductTree>
    <prod:Branch Type="Vendor" Name="Microsoft">
      <prod:Branch Type="Product Family" Name="Windows">
        <prod:FullProductName ProductID="100">Windows 10 Version 22H2 for x64-based Systems</prod:FullProductName>
        <prod:FullProductName ProductID="200">Windows Server 2022</prod:FullProductName>
      </prod:Branch>
    </prod:Branch>
  </prod:ProductTree>
  <vuln:Vulnerability Ordinal="1">
    <vuln:CVE>CVE-2025-00001</vuln:CVE>
    <vuln:Threats>
      <vuln:Threat Type="Severity"><vuln:Description>Critical</vuln:Description><vuln:ProductID>100</vuln:ProductID></vuln:Threat>
    </vuln:Threats>
    <vuln:Remediations>
      <vuln:Remediation Type="Vendor Fix">
        <vuln:Description>KB5001001</vuln:Description>
        <vuln:Supercedence>5000001, 5000002</vuln:Supercedence>
        <vuln:ProductID>100</vuln:ProductID>
        <vuln:RestartRequired>No</vuln:RestartRequired>
        <vuln:FixedBuild>10.0.19045.1001</vuln:FixedBuild>
      </vuln:Remediation>
    </vuln:Remediations>
  </vuln:Vulnerability>
  <vuln:Vulnerability Ordinal="2">
    <vuln:CVE>{}</vuln:CVE>
    <vuln:Remediations>
      <vuln:Remediation Type="Vendor Fix">
        <vuln:Description>5002002</vuln:Description>
        <vuln:ProductID>200</vuln:ProductID>
        <vuln:RestartRequired>Yes</vuln:RestartRequired>
        <vuln:FixedBuild>10.0.20348.2002</vuln:FixedBuild>
      </vuln:Remediation>
      {}
    </vuln:Remediations>
  </vuln:Vulnerability>
  <vuln:Vulnerability Ordinal="3">
    <vuln:CVE>CVE-2025-00003</vuln:CVE>
    <vuln:Remediations>
      <vuln:Remediation Type="Vendor Fix">
        <vuln:Description>5003003</vuln:Description>
        <vuln:ProductID>100</vuln:ProductID>
        <vuln:FixedBuild>10.0.19045.3003</vuln:FixedBuild>
      </vuln:Remediation>
    </vuln:Remediations>
  </vuln:Vulnerability>
</cvrf:cvrfdoc>
)",
                     second_cve, bad_remediation);
}

std::vector<std::string> kbsOf(const CvrfDocument& document) {
  std::vector<std::string> kbs;
  for (const auto& fix : document.fixes) kbs.push_back(fix.kb);
  return kbs;
}

TEST(MsrcCvrfParse, ReadsSmallDocument) {
  LoadReport report;
  auto document = parseMsrcCvrf(smallDocument(""), "2099-Jan.xml", report);
  ASSERT_TRUE(document.has_value()) << document.error().message;
  EXPECT_TRUE(report.issues.empty());
  EXPECT_EQ(document->id, "2099-Jan");
  EXPECT_EQ(document->title, "Test Security Updates");
  EXPECT_EQ(document->initial_release_date, "2099-01-13T08:00:00");
  ASSERT_EQ(kbsOf(*document), (std::vector<std::string>{"5001001", "5002002", "5003003"}));

  const WindowsFix& first = document->fixes[0];
  EXPECT_EQ(first.cve, "CVE-2025-00001");
  EXPECT_EQ(first.product_name, "Windows 10 Version 22H2 for x64-based Systems");
  EXPECT_EQ(first.supersedes, (std::vector<std::string>{"5000001", "5000002"}));
  EXPECT_EQ(first.restart_required, RestartRequired::kNo);
  EXPECT_EQ(first.severity, "Critical");
  EXPECT_EQ(document->fixes[1].severity, "");
  EXPECT_EQ(document->fixes[2].restart_required, RestartRequired::kUnknown);
}

TEST(MsrcCvrfParse, SkipsRemediationsThatAreNotKbUpdates) {
  LoadReport report;
  auto document = parseMsrcCvrf(smallDocument(R"(
      <vuln:Remediation Type="Release Notes"><vuln:Description>5002002</vuln:Description><vuln:ProductID>200</vuln:ProductID></vuln:Remediation>
      <vuln:Remediation Type="Vendor Fix"><vuln:Description>Release Notes</vuln:Description><vuln:ProductID>200</vuln:ProductID></vuln:Remediation>)"),
                                "2099-Jan.xml", report);
  ASSERT_TRUE(document.has_value()) << document.error().message;
  EXPECT_TRUE(report.issues.empty());
  EXPECT_EQ(document->fixes.size(), 3u);
}

TEST(MsrcCvrfParse, ReportsBadRemediationAndLoadsTheRest) {
  struct Case {
    std::string name;
    std::string remediation;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"missing FixedBuild",
       R"(<vuln:Remediation Type="Vendor Fix"><vuln:Description>5009999</vuln:Description><vuln:ProductID>200</vuln:ProductID></vuln:Remediation>)",
       "Remediation 2/FixedBuild",
       "CVRF 2099-Jan.xml: Vulnerability CVE-2025-21298: Remediation 2: missing FixedBuild"},
      {"empty FixedBuild",
       R"(<vuln:Remediation Type="Vendor Fix"><vuln:Description>5009999</vuln:Description><vuln:ProductID>200</vuln:ProductID><vuln:FixedBuild/></vuln:Remediation>)",
       "Remediation 2/FixedBuild", "missing FixedBuild (KB5009999)"},
      {"missing ProductID",
       R"(<vuln:Remediation Type="Vendor Fix"><vuln:Description>5009999</vuln:Description><vuln:FixedBuild>1.2.3.4</vuln:FixedBuild></vuln:Remediation>)",
       "Remediation 2/ProductID", "missing ProductID"},
      {"restart not a word",
       R"(<vuln:Remediation Type="Vendor Fix"><vuln:Description>5009999</vuln:Description><vuln:ProductID>200</vuln:ProductID><vuln:RestartRequired>1</vuln:RestartRequired><vuln:FixedBuild>1.2.3.4</vuln:FixedBuild></vuln:Remediation>)",
       "Remediation 2/RestartRequired", "RestartRequired \"1\" is not Yes, No, Maybe or empty"},
      {"supersedence not KBs",
       R"(<vuln:Remediation Type="Vendor Fix"><vuln:Description>5009999</vuln:Description><vuln:Supercedence>5000001;May update</vuln:Supercedence><vuln:ProductID>200</vuln:ProductID><vuln:FixedBuild>1.2.3.4</vuln:FixedBuild></vuln:Remediation>)",
       "Remediation 2/Supercedence", "is not a list of KB numbers"},
      {"unknown product",
       R"(<vuln:Remediation Type="Vendor Fix"><vuln:Description>5009999</vuln:Description><vuln:ProductID>999</vuln:ProductID><vuln:FixedBuild>1.2.3.4</vuln:FixedBuild></vuln:Remediation>)",
       "Remediation 2/ProductID", "ProductID \"999\" is not in the ProductTree"},
  };
  for (const auto& c : cases) {
    LoadReport report;
    auto document = parseMsrcCvrf(smallDocument(c.remediation), "2099-Jan.xml", report);
    ASSERT_TRUE(document.has_value()) << c.name << ": " << document.error().message;
    EXPECT_EQ(kbsOf(*document), (std::vector<std::string>{"5001001", "5002002", "5003003"}))
        << c.name;
    ASSERT_EQ(report.issues.size(), 1u) << c.name;
    const LoadIssue& issue = report.issues[0];
    EXPECT_EQ(issue.file, "2099-Jan.xml") << c.name;
    EXPECT_EQ(issue.record_id, "CVE-2025-21298") << c.name;
    EXPECT_EQ(issue.field, c.field) << c.name;
    EXPECT_NE(issue.message.find(c.message), std::string::npos) << c.name << ": " << issue.message;
    EXPECT_NE(
        issue.message.find("CVRF 2099-Jan.xml: Vulnerability CVE-2025-21298: Remediation 2: "),
        std::string::npos)
        << issue.message;
    EXPECT_EQ(report.records_skipped, 1u) << c.name;
    EXPECT_EQ(report.records_loaded, 3u) << c.name;
  }
}

TEST(MsrcCvrfParse, SkipsVulnerabilityWithoutCveId) {
  LoadReport report;
  auto document = parseMsrcCvrf(smallDocument("", "not-a-cve"), "2099-Jan.xml", report);
  ASSERT_TRUE(document.has_value()) << document.error().message;
  EXPECT_EQ(kbsOf(*document), (std::vector<std::string>{"5001001", "5003003"}));
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.issues[0].record_id, "Ordinal 2");
  EXPECT_EQ(report.issues[0].field, "CVE");
  EXPECT_NE(report.issues[0].message.find("Vulnerability Ordinal 2: CVE: CVE \"not-a-cve\" is not "
                                          "a CVE or ADV id"),
            std::string::npos)
      << report.issues[0].message;
}

TEST(MsrcCvrfParse, TruncatedXmlKeepsCompletedVulnerabilities) {
  std::string full = smallDocument("");
  // Cut inside Vulnerability 3, after Vulnerability 2 has ended.
  std::string truncated = full.substr(0, full.find("<vuln:CVE>CVE-2025-00003"));
  LoadReport report;
  auto document = parseMsrcCvrf(truncated, "2099-Jan.xml", report);
  ASSERT_TRUE(document.has_value()) << document.error().message;
  EXPECT_EQ(kbsOf(*document), (std::vector<std::string>{"5001001", "5002002"}));
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.issues[0].file, "2099-Jan.xml");
  EXPECT_NE(report.issues[0].message.find("CVRF 2099-Jan.xml: XML is not well-formed at line"),
            std::string::npos)
      << report.issues[0].message;
  EXPECT_NE(report.issues[0].message.find("the fixes of the 2 Vulnerability elements before it "
                                          "are kept"),
            std::string::npos)
      << report.issues[0].message;
}

TEST(MsrcCvrfParse, RejectsDocumentsThatAreNotCvrf) {
  struct Case {
    std::string name;
    std::string xml;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"empty", "", "not well-formed"},
      {"not XML", "{\"value\": []}", "not well-formed"},
      {"other root", "<rss><channel/></rss>", "root element is rss, not cvrfdoc"},
      {"entity declaration", "<!DOCTYPE cvrfdoc [<!ENTITY a \"aaaa\">]><cvrfdoc>&a;</cvrfdoc>",
       "declares an XML entity"},
  };
  for (const auto& c : cases) {
    LoadReport report;
    auto document = parseMsrcCvrf(c.xml, "bad.xml", report);
    ASSERT_FALSE(document.has_value()) << c.name;
    EXPECT_EQ(document.error().code, ErrorCode::kMalformedInput) << c.name;
    EXPECT_NE(document.error().message.find("CVRF bad.xml: "), std::string::npos)
        << document.error().message;
    EXPECT_NE(document.error().message.find(c.message), std::string::npos)
        << c.name << ": " << document.error().message;
  }
}

// Regression: a Vulnerability nested in a Remediation used to close the outer
// Vulnerability, so the Remediation's end wrote into a closed one.
TEST(MsrcCvrfParse, NestedVulnerabilityIsAChild) {
  LoadReport report;
  auto document = parseMsrcCvrf(smallDocument(R"(
      <vuln:Remediation Type="Vendor Fix"><vuln:Vulnerability><vuln:CVE>CVE-2025-09999</vuln:CVE></vuln:Vulnerability>
        <vuln:Description>5009999</vuln:Description><vuln:ProductID>200</vuln:ProductID><vuln:FixedBuild>10.0.20348.9999</vuln:FixedBuild></vuln:Remediation>)"),
                                "2099-Jan.xml", report);
  ASSERT_TRUE(document.has_value()) << document.error().message;
  EXPECT_TRUE(report.issues.empty());
  EXPECT_EQ(kbsOf(*document),
            (std::vector<std::string>{"5001001", "5002002", "5009999", "5003003"}));
  EXPECT_EQ(document->fixes[2].cve, "CVE-2025-21298");
}

TEST(RestartRequiredName, NamesEachValue) {
  EXPECT_EQ(restartRequiredName(RestartRequired::kYes), "yes");
  EXPECT_EQ(restartRequiredName(RestartRequired::kNo), "no");
  EXPECT_EQ(restartRequiredName(RestartRequired::kMaybe), "maybe");
  EXPECT_EQ(restartRequiredName(RestartRequired::kUnknown), "unknown");
}

}  // namespace
}  // namespace pk::advisory
