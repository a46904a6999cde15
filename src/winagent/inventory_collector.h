#pragma once

// Collects the Windows inventory document (inventory/windows_inventory.h)
// from the registry and the Windows Update Agent. Every value comes from
// the places docs/WINDOWS-INVENTORY.md lists for the PowerShell script, so
// the agent and the script report a host alike.

#include <string>
#include <vector>

#include <wuapi.h>

#include "common/clock.h"
#include "common/error.h"
#include "inventory/windows_inventory.h"
#include "winagent/registry.h"
#include "winagent/wua.h"

namespace pk::winagent {

// Registry keys, relative to HKEY_LOCAL_MACHINE.
inline constexpr std::string_view kCurrentVersionKey =
    "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";
inline constexpr std::string_view kEnvironmentKey =
    "SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment";
inline constexpr std::string_view kComputerNameKey =
    "SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName";
inline constexpr std::string_view kCbsPackagesKey =
    "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages";
inline constexpr std::string_view kUninstallKey =
    "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall";
inline constexpr std::string_view kUninstall32Key =
    "SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall";
inline constexpr std::string_view kWindowsUpdateRebootKey =
    "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired";
inline constexpr std::string_view kCbsRebootKey =
    "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending";
inline constexpr std::string_view kSessionManagerKey =
    "SYSTEM\\CurrentControlSet\\Control\\Session Manager";

// The CurrentState of a component servicing package that is installed.
inline constexpr std::uint32_t kCbsInstalledState = 0x70;

// Reads edition, release, build (with the update build revision),
// installation type and architecture. Fails with kNotFound when
// CurrentBuildNumber, the edition or InstallationType is missing.
Result<inventory::WindowsFacts> readOsFacts(Registry& registry);

// The computer name, from the registry.
std::string readHostname(Registry& registry);

// The KB numbers of the installed component servicing packages
// ("Package_for_KB5058411~31bf3856ad364e35~amd64~~..." whose CurrentState
// is kCbsInstalledState), digits only.
std::vector<std::string> readCbsInstalledKbs(Registry& registry);

// The programs of both Uninstall keys (64-bit and WOW6432Node), skipping
// subkeys without a DisplayName, each name, version and publisher once.
std::vector<inventory::WindowsProgram> readPrograms(Registry& registry);

// Whether Windows Update, component servicing or pending file renames ask
// for a restart, with one reason per source.
inventory::RestartState readPendingRestart(Registry& registry);

// Turns the two searches into the document's lists: every pending update
// with a KB (updates without one, such as most drivers, are left out),
// with `supersedes` holding the KBs of the superseded update ids that
// either search returned; and the installed KBs of the installed search.
struct UpdateLists {
  std::vector<inventory::WindowsPendingUpdate> pending;
  std::vector<std::string> installed_kbs;
};
UpdateLists mergeUpdates(const std::vector<WuaUpdate>& pending,
                         const std::vector<WuaUpdate>& installed);

struct CollectedInventory {
  inventory::WindowsInventory inventory;
  // Elements that parseWindowsInventory left out, such as a malformed CVE
  // id from Windows Update.
  std::vector<inventory::WindowsInventoryIssue> issues;
};

// Collects the whole document. `session` may be null to skip the Windows
// Update searches (then no pending update is listed and the installed KBs
// come from the registry alone). The document is written and read back
// with the server's reader, so what the agent sends is what the server
// accepts. Fails as readOsFacts and searchUpdates do: a failed search is an
// error rather than an empty list, which would read as "nothing pending".
Result<CollectedInventory> collectInventory(Registry& registry, IUpdateSession* session,
                                            SystemTime now);

}  // namespace pk::winagent
