#pragma once

// The Windows inventory document: what a Windows host reports about its
// operating system, its updates and its programs, as one JSON object. The
// Windows agent sends it in its reports (protocol/messages.h, field
// "windows"), and `patchkeeper scan --windows-inventory FILE` reads it from a
// file, so a host can be checked before an agent runs on it.
// docs/WINDOWS-INVENTORY.md shows how to produce it with PowerShell.
//
//   {"format": "patchkeeper-windows-inventory", "format_version": 1,
//    "hostname": "WS-0042", "collected_at": "2026-06-10T09:12:00Z",
//    "os": {"edition": "Windows 11 Enterprise", "release": "24H2",
//           "build": "10.0.26100.4061", "installation_type": "Client",
//           "architecture": "x64"},
//    "installed_kbs": ["KB5058411", "KB5055523"],
//    "pending_updates": [{"kb": "KB5060842", "title": "2025-06 Cumulative Update ...",
//                         "classification": "Security Updates", "severity": "Critical",
//                         "cve_ids": ["CVE-2025-33073"], "supersedes": ["KB5058411"],
//                         "restart_required": true}],
//    "programs": [{"name": "7-Zip 24.09 (x64)", "version": "24.09", "publisher": "Igor Pavlov"}],
//    "restart": {"pending": true, "reasons": ["Windows Update"]}}
//
// Required: format, format_version (1), hostname and os with edition, build
// (parsed by version::windows::parse, at least major.minor.build) and
// installation_type. Everything else may be absent or null and reads as
// empty; unknown fields are ignored, for newer agents.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "inventory/inventory.h"

namespace pk::inventory {

inline constexpr std::string_view kWindowsInventoryFormat = "patchkeeper-windows-inventory";
inline constexpr int kWindowsInventoryFormatVersion = 1;

// Bounds that keep a hostile document from making the reader allocate
// without limit; a document beyond them fails with kMalformedInput.
inline constexpr std::size_t kMaxWindowsInventoryBytes = 16u << 20;
inline constexpr std::size_t kMaxWindowsItems = 50'000;  // per list

struct WindowsProgram {
  std::string name;
  std::string version;  // the publisher's own text; may be empty
  std::string publisher;

  bool operator==(const WindowsProgram&) const = default;
};

struct WindowsInventory {
  std::string hostname;
  std::optional<SystemTime> collected_at;
  WindowsFacts facts;
  std::vector<WindowsProgram> programs;
  RestartState restart;

  bool operator==(const WindowsInventory&) const = default;
};

// An element of the document that was wrong and was left out.
struct WindowsInventoryIssue {
  std::string file;     // the origin the caller gave
  std::string element;  // JSON pointer: "/pending_updates/3/kb"
  std::string message;  // a sentence, naming the value when short
};

// Formats `issue` as "FILE: ELEMENT: MESSAGE".
std::string describe(const WindowsInventoryIssue& issue);

// Parses a Windows inventory document. `origin` names it in issues and
// errors.
//
// An element that is wrong but can be left out is appended to `issues` and
// skipped, and the rest still loads. Such elements are:
//   - an installed or superseded KB that is not "KB" followed by 1 to 10
//     digits (or the digits alone);
//   - a pending update that is not an object or whose kb is missing or invalid;
//   - a CVE id that is not "CVE-YYYY-NNNN" (four or more digits at the end);
//   - a program that is not an object or has no name. A field of the wrong type inside an update,
//   program or
// restart is reported too and reads as empty or false.
//
// KB numbers are stored as digits without leading zeros, and CVE ids in
// upper case. installed_kbs is sorted by number and each KB appears once. restart.required is
// restart.pending, and when it is true restart.reason joins the reasons
// with "; ".
//
// Fails with kMalformedInput, naming the file and the element, when the
// text is not JSON, is larger than kMaxWindowsInventoryBytes, nests deeper
// than 32 levels, is not an object, has another format or format_version,
// lacks hostname or os, when os lacks edition, build or installation_type
// (an empty string counts as missing), when the build is not a Windows
// build, when installation_type is not "Client", "Server" or "Server Core",
// when collected_at is not RFC 3339 or falls outside the years 0000 to 9999
// in UTC, when a field outside the updates, programs and restart has the
// wrong type, or when a list has more than kMaxWindowsItems elements. On
// failure `issues` is left unchanged.
Result<WindowsInventory> parseWindowsInventory(std::string_view text, std::string_view origin,
                                               std::vector<WindowsInventoryIssue>& issues);

// Writes `inventory` as an indented document that parseWindowsInventory
// reads back unchanged when `inventory` is one that it returned and the text
// stays within kMaxWindowsInventoryBytes. KBs are written as "KB" followed by
// the digits, collected_at with microseconds when it has a fraction of a
// second, and the restart reason as a single reason. Invalid UTF-8 in a
// string is written as U+FFFD.
std::string toJsonText(const WindowsInventory& inventory);

// Returns the host inventory the server and the matcher work on. Its scheme
// is kWindows, os.id "windows", os.pretty_name the edition and
// os.version_id the release. os.ecosystem is empty, because programs are
// not matched against feeds. packages are the programs (name and version),
// restart is as reported, and windows is the facts.
HostInventory toHostInventory(const WindowsInventory& inventory);

// The Windows product a host runs, in the form the Windows advisories name
// it (advisory/windows_fixes.h, windowsProductOfMsrcName): the family and
// its release, such as "Windows 10 22H2", "Windows 11 24H2", "Windows
// Server 2019", "Windows Server 2022 23H2" or "Windows Server 2008 R2 SP1".
// Found from the build number (19045 is Windows 10 22H2 on a client, 17763
// is Windows Server 2019 on a server) and, for client builds the table does
// not know, from the edition's family and the reported release, upper-cased
// ("Windows 11 26H1"). Because Windows 11 reports "Windows 10" in its
// registry ProductName, an edition starting with "Windows 10" on a build
// from 22000 on counts as Windows 11. nullopt when neither gives a product,
// and when the build does not parse or installation_type is not one of the
// three the reader accepts.
std::optional<std::string> windowsProduct(const WindowsFacts& facts);

}  // namespace pk::inventory
