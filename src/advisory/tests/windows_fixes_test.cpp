#include "advisory/windows_fixes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pk::advisory {
namespace {

TEST(WindowsProductOfMsrcName, NamesFamilyAndRelease) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Windows 10 Version 22H2 for x64-based Systems", "Windows 10 22H2"},
      {"Windows 10 Version 22H2 for 32-bit Systems", "Windows 10 22H2"},
      {"Windows 10 Version 22H2", "Windows 10 22H2"},
      {"Windows 10 Version 1809 for ARM64-based Systems", "Windows 10 1809"},
      {"Windows 10 for x64-based Systems", "Windows 10 1507"},
      {"Windows 11 version 21H2 for x64-based Systems", "Windows 11 21H2"},
      {"Windows 11 Version 24H2 for ARM64-based Systems", "Windows 11 24H2"},
      {"Windows Server 2019", "Windows Server 2019"},
      {"Windows Server 2019 (Server Core installation)", "Windows Server 2019"},
      {"Windows Server 2012 R2 (Server Core installation)", "Windows Server 2012 R2"},
      {"Windows Server 2022, 23H2 Edition (Server Core installation)", "Windows Server 2022 23H2"},
      {"Windows Server 2008 R2 for x64-based Systems Service Pack 1", "Windows Server 2008 R2 SP1"},
      {"Windows Server 2008 for 32-bit Systems Service Pack 2 (Server Core installation)",
       "Windows Server 2008 SP2"},
      {"Windows Server, version 2004 (Server Core installation)", "Windows Server 2004"},
      {"  windows server 2025  ", "Windows Server 2025"},
  };
  for (const auto& [name, product] : cases) {
    EXPECT_EQ(windowsProductOfMsrcName(name), product) << name;
  }
}

TEST(WindowsProductOfMsrcName, OtherProductsHaveNone) {
  for (std::string name :
       {"Microsoft .NET Framework 4.8 on Windows Server 2012", "Windows Admin Center",
        "Windows App Client for Windows Desktop", "Microsoft Office 2019", "Windows 11",
        "Windows 10 Version 22H2 on Mars", "Windows Server 2019 Datacenter", ""}) {
    EXPECT_FALSE(windowsProductOfMsrcName(name).has_value()) << name;
  }
}

WindowsFix cvrfFix(std::string cve, std::string product, std::string kb, std::string build,
                   std::string severity) {
  WindowsFix fix;
  fix.cve = std::move(cve);
  fix.product_name = std::move(product);
  fix.kb = std::move(kb);
  fix.fixed_build = std::move(build);
  fix.update_type = "Security Update";
  fix.supersedes = {"5058392"};
  fix.restart_required = RestartRequired::kYes;
  fix.severity = std::move(severity);
  return fix;
}

TEST(WindowsAdvisoriesFromCvrf, GroupsFixesByCveAndProduct) {
  CvrfDocument document;
  document.title = "June 2025 Security Updates";
  document.initial_release_date = "2025-06-10T07:00:00";
  document.fixes = {
      cvrfFix("CVE-2025-2", "Windows Server 2019", "5060531", "10.0.17763.7434", "Important"),
      cvrfFix("CVE-2025-2", "Windows Server 2019 (Server Core installation)", "5060531",
              "10.0.17763.7434", "Important"),
      cvrfFix("CVE-2025-2", "Windows 10 Version 22H2 for x64-based Systems", "5060533",
              "10.0.19045.5965", "Critical"),
      cvrfFix("CVE-2025-1", "Microsoft Office 2019", "5002700", "16.0.1", "Important"),
      cvrfFix("CVE-2025-1", "Windows Server 2019", "5060531", "10.0.17763.7434", ""),
  };
  std::vector<Advisory> advisories;
  LoadReport report;
  windowsAdvisoriesFromCvrf(
      document, [&](Advisory&& advisory) { advisories.push_back(std::move(advisory)); }, report);

  ASSERT_EQ(advisories.size(), 2u);
  EXPECT_EQ(report.records_withdrawn, 1u);  // the Office fix
  EXPECT_EQ(advisories[0].id, "CVE-2025-1");
  EXPECT_EQ(advisories[0].severity, Severity::kUnknown);
  const Advisory& second = advisories[1];
  EXPECT_EQ(second.id, "CVE-2025-2");
  EXPECT_EQ(second.source, "msrc-cvrf");
  EXPECT_EQ(second.summary, "June 2025 Security Updates");
  EXPECT_EQ(second.published, "2025-06-10T07:00:00");
  EXPECT_EQ(second.severity, Severity::kCritical);
  ASSERT_EQ(second.affected.size(), 2u);
  const AffectedPackage& server = second.affected[0];
  EXPECT_EQ(server.ecosystem, "Windows");
  EXPECT_EQ(server.name, "Windows Server 2019");
  EXPECT_EQ(server.severity, Severity::kHigh);  // "Important"
  // The full and the Server Core installation share one KB fix.
  ASSERT_EQ(server.kb_fixes.size(), 1u);
  EXPECT_EQ(server.kb_fixes[0].kb, "5060531");
  EXPECT_EQ(server.kb_fixes[0].fixed_build, "10.0.17763.7434");
  EXPECT_EQ(server.kb_fixes[0].supersedes, std::vector<std::string>{"5058392"});
  EXPECT_EQ(server.kb_fixes[0].restart_required, "yes");
  EXPECT_EQ(second.affected[1].name, "Windows 10 22H2");
}

KbMapping row(std::string cve, std::string product, std::string kb, std::string build,
              std::optional<double> cvss) {
  KbMapping mapping;
  mapping.cve = std::move(cve);
  mapping.product = std::move(product);
  mapping.kb = std::move(kb);
  mapping.fixed_build = std::move(build);
  mapping.cvss_score = cvss;
  return mapping;
}

TEST(WindowsAdvisoriesFromKbMapping, CompletesShortBuilds) {
  std::vector<KbMapping> rows = {
      row("CVE-2025-1", "Windows Server 2022", "5060526", "20348.3807", 8.1),
      row("CVE-2025-1", "Windows Server 2012 R2", "5061018", "9600.22620", 9.8),
      row("CVE-2025-1", "Windows 10 Version 22H2", "5060533", "10.0.19045.5965", std::nullopt),
      row("CVE-2025-2", "Windows Server 2019", "5060531", "17763.7434 & 17763.7435", 5.0),
      row("CVE-2025-3", "Microsoft .NET Framework 3.5 on Windows Server 2012", "5060000",
          "2.0.50727.8984 & 3.0.30729.8980", 5.0),
  };
  std::vector<Advisory> advisories;
  LoadReport report;
  windowsAdvisoriesFromKbMapping(
      rows, "CVE_KB_Mapping_2025-Jun.json",
      [&](Advisory&& advisory) { advisories.push_back(std::move(advisory)); }, report);

  ASSERT_EQ(advisories.size(), 1u);
  const Advisory& advisory = advisories[0];
  EXPECT_EQ(advisory.source, "kb-mapping");
  EXPECT_EQ(advisory.cvss_score, 9.8);
  EXPECT_EQ(advisory.severity, Severity::kCritical);
  ASSERT_EQ(advisory.affected.size(), 3u);
  EXPECT_EQ(advisory.affected[0].kb_fixes[0].fixed_build, "10.0.20348.3807");
  EXPECT_EQ(advisory.affected[1].name, "Windows Server 2012 R2");
  EXPECT_EQ(advisory.affected[1].kb_fixes[0].fixed_build, "6.3.9600.22620");
  EXPECT_EQ(advisory.affected[2].kb_fixes[0].fixed_build, "10.0.19045.5965");

  // The row with two builds is reported with the file and the CVE; the
  // .NET row is outside Windows and only counted.
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.issues[0].file, "CVE_KB_Mapping_2025-Jun.json");
  EXPECT_EQ(report.issues[0].record_id, "CVE-2025-2");
  EXPECT_NE(report.issues[0].message.find("is not one Windows build"), std::string::npos)
      << report.issues[0].message;
  EXPECT_EQ(report.records_withdrawn, 1u);
}

}  // namespace
}  // namespace pk::advisory
