#include "winagent/inventory_collector.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "winagent/tests/registry_tree.h"
#include "winagent/tests/wua_test_objects.h"

namespace pk::winagent {
namespace {

using testing::RegistryTree;
using testing::TestSession;
using testing::UpdateAgentState;
using testing::UpdateFields;

const std::string kCurrentVersion(kCurrentVersionKey);

const SystemTime kNow = SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 6 / 10));

// A Windows 11 24H2 client as its registry describes it.
void writeWindows11(RegistryTree& tree) {
  tree.setString(kCurrentVersion, "ProductName", "Windows 10 Enterprise");
  tree.setString(kCurrentVersion, "EditionID", "Enterprise");
  tree.setString(kCurrentVersion, "DisplayVersion", "24H2");
  tree.setDword(kCurrentVersion, "CurrentMajorVersionNumber", 10);
  tree.setDword(kCurrentVersion, "CurrentMinorVersionNumber", 0);
  tree.setString(kCurrentVersion, "CurrentBuildNumber", "26100");
  tree.setDword(kCurrentVersion, "UBR", 4061);
  tree.setString(kCurrentVersion, "InstallationType", "Client");
  tree.setString(std::string(kEnvironmentKey), "PROCESSOR_ARCHITECTURE", "AMD64");
  tree.setString(std::string(kComputerNameKey), "ComputerName", "WS-0042");
}

UpdateFields cumulativeUpdate() {
  return UpdateFields{.id = L"6b1b3a4e-0000-4000-8000-000000000001",
                      .kbs = {L"5060842"},
                      .title = L"2025-06 Cumulative Update for Windows 11 Version 24H2 (KB5060842)",
                      .classification = L"Security Updates",
                      .severity = L"Critical",
                      .cve_ids = {L"CVE-2025-33073", L"CVE-2025-33070"},
                      .superseded_ids = {L"6b1b3a4e-0000-4000-8000-0000000000aa"},
                      .reboot_behavior = irbAlwaysRequiresReboot};
}

UpdateFields defenderUpdate() {
  return UpdateFields{.id = L"6b1b3a4e-0000-4000-8000-000000000002",
                      .kbs = {L"KB2267602"},
                      .title = L"Security Intelligence Update for Microsoft Defender (KB2267602)",
                      .classification = L"Definition Updates"};
}

UpdateFields dotnetUpdate() {
  return UpdateFields{.id = L"6b1b3a4e-0000-4000-8000-000000000003",
                      .kbs = {L"5056580"},
                      .title = L"2025-06 Cumulative Update for .NET Framework (KB5056580)",
                      .classification = L"Updates",
                      .reboot_required = true};
}

UpdateFields driverWithoutKb() {
  return UpdateFields{.id = L"6b1b3a4e-0000-4000-8000-000000000004",
                      .title = L"Intel - Display - 31.0.101.5333",
                      .classification = L"Drivers"};
}

// The installed cumulative update that KB5060842 replaces.
UpdateFields installedMayUpdate() {
  return UpdateFields{.id = L"6b1b3a4e-0000-4000-8000-0000000000aa",
                      .kbs = {L"5058411"},
                      .title = L"2025-05 Cumulative Update (KB5058411)",
                      .classification = L"Security Updates"};
}

const inventory::WindowsPendingUpdate* findUpdate(const inventory::WindowsInventory& inventory,
                                                  const std::string& kb) {
  for (const auto& update : inventory.facts.pending_updates) {
    if (update.kb == kb) return &update;
  }
  return nullptr;
}

TEST(OsFacts, ReadsWindows11Client) {
  RegistryTree tree;
  writeWindows11(tree);
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  auto facts = readOsFacts(registry);
  ASSERT_TRUE(facts.has_value()) << facts.error().message;
  EXPECT_EQ(facts->edition, "Windows 11 Enterprise");
  EXPECT_EQ(facts->release, "24H2");
  EXPECT_EQ(facts->build, "10.0.26100.4061");
  EXPECT_EQ(facts->installation_type, "Client");
  EXPECT_EQ(facts->architecture, "x64");
}

TEST(OsFacts, ReadsServer2012R2) {
  RegistryTree tree;
  tree.setString(kCurrentVersion, "ProductName", "Windows Server 2012 R2 Standard");
  tree.setString(kCurrentVersion, "CurrentVersion", "6.3");
  tree.setString(kCurrentVersion, "CurrentBuildNumber", "9600");
  tree.setDword(kCurrentVersion, "UBR", 22568);
  tree.setString(kCurrentVersion, "InstallationType", "Server");
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  auto facts = readOsFacts(registry);
  ASSERT_TRUE(facts.has_value()) << facts.error().message;
  EXPECT_EQ(facts->build, "6.3.9600.22568");
  EXPECT_EQ(facts->release, "");
  EXPECT_EQ(facts->edition, "Windows Server 2012 R2 Standard");
}

TEST(OsFacts, ReleaseIdOnOlderReleases) {
  RegistryTree tree;
  writeWindows11(tree);
  tree.setString(kCurrentVersion, "DisplayVersion", "");
  tree.setString(kCurrentVersion, "ReleaseId", "1809");
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  auto facts = readOsFacts(registry);
  ASSERT_TRUE(facts.has_value());
  EXPECT_EQ(facts->release, "1809");
}

TEST(OsFacts, MissingBuildFails) {
  RegistryTree tree;
  tree.setString(kCurrentVersion, "ProductName", "Windows 11 Pro");
  tree.setString(kCurrentVersion, "InstallationType", "Client");
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  auto facts = readOsFacts(registry);
  ASSERT_FALSE(facts.has_value());
  EXPECT_EQ(facts.error().code, ErrorCode::kNotFound);
  EXPECT_NE(facts.error().message.find("CurrentBuildNumber"), std::string::npos);
}

TEST(CbsPackages, ListsInstalledKbsOnly) {
  RegistryTree tree;
  const std::string packages(kCbsPackagesKey);
  tree.setDword(packages + "\\Package_for_KB5058411~31bf3856ad364e35~amd64~~26100.4061.1.7",
                "CurrentState", kCbsInstalledState);
  tree.setDword(packages + "\\Package_for_KB5055523~31bf3856ad364e35~amd64~~26100.3775.1.2",
                "CurrentState", kCbsInstalledState);
  // Staged, not installed.
  tree.setDword(packages + "\\Package_for_KB5060842~31bf3856ad364e35~amd64~~26100.4349.1.1",
                "CurrentState", 0x20);
  tree.setDword(packages + "\\Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.4061.1.7",
                "CurrentState", kCbsInstalledState);
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  EXPECT_EQ(readCbsInstalledKbs(registry), (std::vector<std::string>{"5055523", "5058411"}));
}

TEST(Programs, ReadsBothViewsOnce) {
  RegistryTree tree;
  const std::string native(kUninstallKey);
  const std::string wow(kUninstall32Key);
  tree.setString(native + "\\7-Zip", "DisplayName", "7-Zip 24.09 (x64)");
  tree.setString(native + "\\7-Zip", "DisplayVersion", "24.09");
  tree.setString(native + "\\7-Zip", "Publisher", "Igor Pavlov");
  tree.createKey(native + "\\NoDisplayName");
  tree.setString(wow + "\\{1D8E6291-B0D5-35EC-8441-6616F567A0F7}", "DisplayName",
                 "Microsoft Visual C++ 2010 x86 Redistributable");
  tree.setString(wow + "\\{1D8E6291-B0D5-35EC-8441-6616F567A0F7}", "DisplayVersion", "10.0.40219");
  tree.setString(wow + "\\7-Zip", "DisplayName", "7-Zip 24.09 (x64)");
  tree.setString(wow + "\\7-Zip", "DisplayVersion", "24.09");
  tree.setString(wow + "\\7-Zip", "Publisher", "Igor Pavlov");
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());

  auto programs = readPrograms(registry);
  ASSERT_EQ(programs.size(), 2u);
  EXPECT_EQ(programs[0], (inventory::WindowsProgram{"7-Zip 24.09 (x64)", "24.09", "Igor Pavlov"}));
  EXPECT_EQ(programs[1].name, "Microsoft Visual C++ 2010 x86 Redistributable");
}

TEST(PendingRestart, NoneWithoutKeys) {
  RegistryTree tree;
  writeWindows11(tree);
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  EXPECT_FALSE(readPendingRestart(registry).required);
}

TEST(PendingRestart, NamesEverySource) {
  RegistryTree tree;
  tree.createKey(std::string(kWindowsUpdateRebootKey));
  tree.createKey(std::string(kCbsRebootKey));
  tree.setMultiString(std::string(kSessionManagerKey), "PendingFileRenameOperations");
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  auto restart = readPendingRestart(registry);
  EXPECT_TRUE(restart.required);
  EXPECT_EQ(restart.reason,
            "Windows Update; Component Based Servicing; Pending file rename operations");
}

TEST(WuaSearch, ReadsSeveralUpdates) {
  UpdateAgentState state;
  state.search_results[std::wstring(kPendingCriteria)] = {cumulativeUpdate(), defenderUpdate(),
                                                          dotnetUpdate(), driverWithoutKb()};
  auto session = ComPtr<IUpdateSession>::adopt(new TestSession(state));

  auto updates = searchUpdates(*session.get(), kPendingCriteria);
  ASSERT_TRUE(updates.has_value()) << updates.error().message;
  ASSERT_EQ(updates->size(), 4u);
  const WuaUpdate& first = (*updates)[0];
  EXPECT_EQ(first.kb, "5060842");
  EXPECT_EQ(first.classification, "Security Updates");
  EXPECT_EQ(first.severity, "Critical");
  EXPECT_EQ(first.cve_ids, (std::vector<std::string>{"CVE-2025-33073", "CVE-2025-33070"}));
  EXPECT_TRUE(first.restart_required);
  EXPECT_EQ((*updates)[1].kb, "2267602");
  EXPECT_FALSE((*updates)[1].restart_required);
  EXPECT_TRUE((*updates)[2].restart_required);
  EXPECT_EQ((*updates)[3].kb, "");
  EXPECT_EQ(state.searches, (std::vector<std::wstring>{std::wstring(kPendingCriteria)}));
}

TEST(WuaSearch, FailedSearchIsError) {
  UpdateAgentState state;
  state.search_code = orcFailed;
  auto session = ComPtr<IUpdateSession>::adopt(new TestSession(state));
  auto updates = searchUpdates(*session.get(), kPendingCriteria);
  ASSERT_FALSE(updates.has_value());
  EXPECT_EQ(updates.error().code, ErrorCode::kIoError);
}

TEST(Collector, BuildsServerDocument) {
  RegistryTree tree;
  writeWindows11(tree);
  tree.setDword(std::string(kCbsPackagesKey) +
                    "\\Package_for_KB5055523~31bf3856ad364e35~amd64~~26100.3775.1.2",
                "CurrentState", kCbsInstalledState);
  tree.createKey(std::string(kWindowsUpdateRebootKey));
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());

  UpdateAgentState state;
  state.search_results[std::wstring(kPendingCriteria)] = {cumulativeUpdate(), defenderUpdate(),
                                                          dotnetUpdate(), driverWithoutKb()};
  state.search_results[std::wstring(kInstalledCriteria)] = {installedMayUpdate()};
  auto session = ComPtr<IUpdateSession>::adopt(new TestSession(state));

  auto collected = collectInventory(registry, session.get(), kNow);
  ASSERT_TRUE(collected.has_value()) << collected.error().message;
  EXPECT_TRUE(collected->issues.empty());
  const inventory::WindowsInventory& document = collected->inventory;
  EXPECT_EQ(document.hostname, "WS-0042");
  EXPECT_EQ(document.collected_at, kNow);
  EXPECT_EQ(document.facts.installed_kbs, (std::vector<std::string>{"5055523", "5058411"}));
  // The driver has no KB and is left out.
  EXPECT_EQ(document.facts.pending_updates.size(), 3u);
  EXPECT_TRUE(document.restart.required);
  EXPECT_EQ(document.restart.reason, "Windows Update");

  // The document is one the server's reader accepts unchanged.
  std::vector<inventory::WindowsInventoryIssue> issues;
  auto reread = inventory::parseWindowsInventory(inventory::toJsonText(document), "sent", issues);
  ASSERT_TRUE(reread.has_value());
  EXPECT_EQ(*reread, document);
}

TEST(Collector, ReportsSupersededKb) {
  RegistryTree tree;
  writeWindows11(tree);
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  UpdateAgentState state;
  state.search_results[std::wstring(kPendingCriteria)] = {cumulativeUpdate()};
  state.search_results[std::wstring(kInstalledCriteria)] = {installedMayUpdate()};
  auto session = ComPtr<IUpdateSession>::adopt(new TestSession(state));

  auto collected = collectInventory(registry, session.get(), kNow);
  ASSERT_TRUE(collected.has_value()) << collected.error().message;
  const auto* update = findUpdate(collected->inventory, "5060842");
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->supersedes, (std::vector<std::string>{"5058411"}));
}

TEST(Collector, UnknownSupersededIdIsLeftOut) {
  WuaUpdate update{.update_id = "id", .kb = "5060842", .superseded_update_ids = {"unknown-id"}};
  UpdateLists lists = mergeUpdates({update}, {});
  ASSERT_EQ(lists.pending.size(), 1u);
  EXPECT_TRUE(lists.pending[0].supersedes.empty());
}

TEST(Collector, WithoutSessionSkipsSearch) {
  RegistryTree tree;
  writeWindows11(tree);
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  auto collected = collectInventory(registry, nullptr, kNow);
  ASSERT_TRUE(collected.has_value()) << collected.error().message;
  EXPECT_TRUE(collected->inventory.facts.pending_updates.empty());
}

TEST(Collector, FailedSearchFailsCollection) {
  RegistryTree tree;
  writeWindows11(tree);
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  UpdateAgentState state;
  state.search_code = orcAborted;
  auto session = ComPtr<IUpdateSession>::adopt(new TestSession(state));
  EXPECT_FALSE(collectInventory(registry, session.get(), kNow).has_value());
}

}  // namespace
}  // namespace pk::winagent
