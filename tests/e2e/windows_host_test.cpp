// A Windows host end to end. Its inventory document reaches the real
// server through the agent API, as the Windows agent will send it. Its
// findings from MSRC's monthly documents then appear beside a Linux host's
// findings from the DSA list.

#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "inventory/windows_inventory.h"
#include "protocol/messages.h"
#include "tests/e2e/fleet_fixture.h"
#include "tests/support/dpkg_sandbox.h"

namespace pk::e2e {
namespace {

const std::string kData = PK_SHARED_DATA_DIR;

std::string feeds() {
  return "\n[[feeds]]\nname = \"debian-dsa\"\npath = \"" + kData +
         "/debian/security-tracker-2023/data/DSA/list\"\n"
         "\n[[feeds]]\nname = \"msrc\"\nkind = \"msrc-cvrf\"\npath = \"" +
         kData + "/windows/msrc-cvrf/2026\"\n";
}

// A Windows 10 22H2 workstation on February 2026's cumulative update
// (KB5075912, build 19045.6937), offered March's (KB5078885).
inventory::WindowsInventory workstation(std::string build, std::string installed_kb) {
  inventory::WindowsInventory document;
  document.hostname = "WS-0042";
  document.facts.edition = "Windows 10 Enterprise";
  document.facts.release = "22H2";
  document.facts.build = std::move(build);
  document.facts.installation_type = "Client";
  document.facts.architecture = "x64";
  document.facts.installed_kbs = {std::move(installed_kb)};
  document.programs = {{"7-Zip 24.09 (x64)", "24.09", "Igor Pavlov"}};
  return document;
}

nlohmann::json reportOf(const inventory::WindowsInventory& document, const std::string& id) {
  protocol::Report report;
  report.report_id = id;
  report.collected_at =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  report.hostname = document.hostname;
  report.os.id = "windows";
  report.os.version_id = document.facts.release;
  report.os.pretty_name = document.facts.edition;
  report.windows = document;
  report.inventory = protocol::windowsPayload(document);
  report.inventory_hash = protocol::inventoryHash(*report.inventory);
  return protocol::toJson(report);
}

const nlohmann::json* findingOf(const nlohmann::json& body, const std::string& host,
                                const std::string& advisory) {
  for (const auto& finding : body["items"]) {
    if (finding["host_id"] == host && finding["advisory_id"] == advisory) return &finding;
  }
  return nullptr;
}

TEST(WindowsHost, FindingsListedBesideLinux) {
  auto fleet = Fleet::create("e2e-windows", feeds());
  ASSERT_TRUE(fleet) << fleet.error().message;
  ASSERT_TRUE(fleet->startServer()) << fleet->serverLog();
  auto secret = fleet->createEnrolmentSecret("e2e-windows");
  ASSERT_TRUE(secret) << secret.error().message;

  // The Linux host: a sandbox with DSA-5380-1's vulnerable xorg-server.
  const auto sandbox = fleet->folder() / "sandbox-root";
  std::filesystem::create_directories(sandbox / "etc");
  std::ofstream(sandbox / "etc/machine-id") << "0b1c2d3e4f5a69788796a5b4c3d2e1f0\n";
  ASSERT_TRUE(
      test_support::writeDebianRoot(sandbox, "11",
                                    {test_support::DpkgStanza{.package = "xserver-xorg-core",
                                                              .version = "2:1.20.11-1+deb11u5",
                                                              .source = "xorg-server"}}));
  auto config = fleet->writeAgentConfig("linux", sandbox, *secret);
  ASSERT_TRUE(config);
  ASSERT_EQ(fleet->runAgentOnce(*config), 0);

  // The Windows host enrols and reports through the agent API.
  auto client =
      protocol::ApiClient::create({.base_url = fleet->baseUrl(), .server_pin = fleet->pin()});
  ASSERT_TRUE(client) << client.error().message;
  protocol::EnrolRequest enrol{*secret, "WS-0042", "windows-machine-guid-0042"};
  auto enrolled = client->post("/api/v1/enrol", protocol::toJson(enrol).dump());
  ASSERT_TRUE(enrolled) << enrolled.error().message;
  ASSERT_EQ(enrolled->status, 201) << enrolled->body;
  auto identity = protocol::parseEnrolResponse(enrolled->body);
  ASSERT_TRUE(identity) << identity.error().message;
  client->setBearerToken(identity->token);
  const std::string reports = "/api/v1/hosts/" + identity->host_id + "/reports";

  // A document with a malformed element is rejected whole, naming it.
  nlohmann::json broken =
      reportOf(workstation("10.0.19045.6937", "5075912"), "00000000000000000000000000000001");
  broken["windows"]["installed_kbs"].push_back("not-a-kb");
  auto rejected = client->post(reports, broken.dump());
  ASSERT_TRUE(rejected) << rejected.error().message;
  EXPECT_EQ(rejected->status, 400) << rejected->body;
  EXPECT_NE(rejected->body.find("windows/installed_kbs/1"), std::string::npos) << rejected->body;

  auto sent = client->post(reports, reportOf(workstation("10.0.19045.6937", "5075912"),
                                             "00000000000000000000000000000002")
                                        .dump());
  ASSERT_TRUE(sent) << sent.error().message;
  ASSERT_EQ(sent->status, 200) << sent->body;
  EXPECT_FALSE(protocol::parseReportResponse(sent->body)->inventory_needed);

  // Both hosts' findings in the fleet-wide list: the Windows host's March
  // 2026 CVE, fixed by the March cumulative update, and the Linux host's DSA.
  std::string linux_host;
  auto hosts = fleet->adminGet("/api/v1/hosts");
  ASSERT_TRUE(hosts) << hosts.error().message;
  for (const auto& host : (*hosts)["items"]) {
    if (host["id"] != identity->host_id) linux_host = host["id"].get<std::string>();
  }
  ASSERT_FALSE(linux_host.empty()) << hosts->dump(2);
  const std::string windows_host = identity->host_id;
  auto both =
      fleet->waitForAdminGet("/api/v1/findings?limit=5000", [&](const nlohmann::json& body) {
        return findingOf(body, windows_host, "CVE-2026-24289") &&
               findingOf(body, linux_host, "DSA-5380-1");
      });
  const nlohmann::json* windows_finding = findingOf(both, windows_host, "CVE-2026-24289");
  ASSERT_NE(windows_finding, nullptr) << both.dump(2) << fleet->serverLog();
  EXPECT_EQ((*windows_finding)["package"], "Windows 10 22H2");
  EXPECT_EQ((*windows_finding)["ecosystem"], "Windows");
  EXPECT_EQ((*windows_finding)["installed_version"], "10.0.19045.6937");
  EXPECT_EQ((*windows_finding)["fixed_version"], "10.0.19045.7058");
  EXPECT_EQ((*windows_finding)["fix_kb"], "KB5078885");
  EXPECT_EQ((*windows_finding)["status"], "open");
  // February's own CVE is fixed by the installed KB: no finding.
  EXPECT_EQ(findingOf(both, windows_host, "CVE-2026-21510"), nullptr);
  const nlohmann::json* linux_finding = findingOf(both, linux_host, "DSA-5380-1");
  ASSERT_NE(linux_finding, nullptr);
  EXPECT_EQ((*linux_finding)["package"], "xserver-xorg-core");

  // March's update installed: the next report closes the finding.
  auto updated = client->post(reports, reportOf(workstation("10.0.19045.7058", "5078885"),
                                                "00000000000000000000000000000003")
                                           .dump());
  ASSERT_TRUE(updated) << updated.error().message;
  ASSERT_EQ(updated->status, 200) << updated->body;
  const std::string windows_findings =
      "/api/v1/hosts/" + windows_host + "/findings?status=all&limit=5000";
  auto fixed = fleet->waitForAdminGet(windows_findings, [&](const nlohmann::json& body) {
    const nlohmann::json* finding = findingOf(body, windows_host, "CVE-2026-24289");
    return finding && (*finding)["status"] == "fixed";
  });
  const nlohmann::json* closed = findingOf(fixed, windows_host, "CVE-2026-24289");
  ASSERT_NE(closed, nullptr);
  EXPECT_FALSE((*closed)["fixed_at"].is_null());
  for (const auto& finding : fixed["items"]) {
    EXPECT_EQ(finding["status"], "fixed") << finding.dump();
  }
}

}  // namespace
}  // namespace pk::e2e
