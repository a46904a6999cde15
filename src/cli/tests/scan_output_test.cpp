#include "cli/scan_output.h"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace pk::cli {
namespace {

ScanReport sampleReport() {
  ScanReport report;
  report.root = "/srv/sandbox";
  report.host.os.pretty_name = "Debian GNU/Linux 12 (bookworm)";
  report.host.os.ecosystem = "Debian:12";
  report.host.packages.resize(3);
  report.advisories_loaded = 7;

  matching::Finding critical;
  critical.package = "libssl3";
  critical.source_package = "openssl";
  critical.installed_version = "3.0.11-1~deb12u1";
  critical.compared_version = "3.0.11-1~deb12u1";
  critical.fixed_version = "3.0.11-1~deb12u2";
  critical.advisory_id = "DSA-5532-1";
  critical.advisory_source = "debian-dsa";
  critical.aliases = {"GHSA-xxxx", "CVE-2023-5363"};
  critical.ecosystem = "Debian:12";
  critical.severity = advisory::Severity::kCritical;
  critical.known_exploited = true;
  critical.kev_due_date = "2024-01-01";

  matching::Finding unfixed;
  unfixed.package = "tar";
  unfixed.source_package = "tar";
  unfixed.installed_version = "1.34+dfsg-1.2";
  unfixed.compared_version = "1.34+dfsg-1.2";
  unfixed.advisory_id = "CVE-2005-2541";
  unfixed.advisory_source = "debian-tracker";
  unfixed.ecosystem = "Debian:12";
  unfixed.severity = advisory::Severity::kLow;

  report.findings = {critical, unfixed};
  return report;
}

TEST(ScanOutput, JsonHasDocumentedShape) {
  std::ostringstream out;
  writeScanReport(sampleReport(), OutputFormat::kJson, out);
  auto document = nlohmann::json::parse(out.str());

  EXPECT_EQ(document["host"]["ecosystem"], "Debian:12");
  EXPECT_EQ(document["host"]["packages"], 3);
  ASSERT_EQ(document["findings"].size(), 2U);
  const auto& first = document["findings"][0];
  EXPECT_EQ(first["package"], "libssl3");
  EXPECT_EQ(first["source_package"], "openssl");
  EXPECT_EQ(first["installed_version"], "3.0.11-1~deb12u1");
  EXPECT_EQ(first["fixed_version"], "3.0.11-1~deb12u2");
  EXPECT_EQ(first["advisory_id"], "DSA-5532-1");
  EXPECT_EQ(first["aliases"], nlohmann::json({"GHSA-xxxx", "CVE-2023-5363"}));
  EXPECT_EQ(first["severity"], "critical");
  EXPECT_EQ(first["kev"], true);
  EXPECT_EQ(first["kev_due_date"], "2024-01-01");
  EXPECT_TRUE(document["findings"][1]["fixed_version"].is_null());
  EXPECT_EQ(document["summary"]["findings"], 2);
  EXPECT_EQ(document["summary"]["known_exploited"], 1);
  EXPECT_EQ(document["summary"]["without_fix"], 1);
  EXPECT_EQ(document["summary"]["by_severity"]["critical"], 1);
  EXPECT_EQ(document["summary"]["by_severity"]["low"], 1);
}

TEST(ScanOutput, CsvQuotesAndOrdersIds) {
  auto report = sampleReport();
  report.findings[1].package = "tar,odd\"name";
  std::ostringstream out;
  writeScanReport(report, OutputFormat::kCsv, out);
  std::istringstream lines(out.str());
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(header,
            "severity,package,source_package,installed_version,fixed_version,advisory_id,aliases,"
            "kev,kev_due_date,epss,ecosystem,fix_kb");
  EXPECT_EQ(first,
            "critical,libssl3,openssl,3.0.11-1~deb12u1,3.0.11-1~deb12u2,DSA-5532-1,"
            "CVE-2023-5363 GHSA-xxxx,yes,2024-01-01,,Debian:12,");
  EXPECT_EQ(second, "low,\"tar,odd\"\"name\",tar,1.34+dfsg-1.2,,CVE-2005-2541,,no,,,Debian:12,");
}

TEST(ScanOutput, TableEndsWithSummary) {
  std::ostringstream out;
  writeScanReport(sampleReport(), OutputFormat::kTable, out);
  std::string text = out.str();
  EXPECT_NE(text.find("SEVERITY"), std::string::npos);
  EXPECT_NE(text.find("critical KEV"), std::string::npos);
  EXPECT_NE(text.find("(no fix)"), std::string::npos);
  EXPECT_NE(text.find("2 findings (1 critical, 1 low; 1 known exploited) in 3 packages on "
                      "Debian GNU/Linux 12 (bookworm)\n"),
            std::string::npos)
      << text;
}

TEST(ScanOutput, NothingFoundPrintsOnlySummary) {
  auto report = sampleReport();
  report.findings.clear();
  report.host.restart.required = true;
  std::ostringstream out;
  writeScanReport(report, OutputFormat::kTable, out);
  EXPECT_EQ(out.str(),
            "0 findings in 3 packages on Debian GNU/Linux 12 (bookworm); restart required\n");
}

}  // namespace
}  // namespace pk::cli
