#pragma once

// Reads the Windows Update Agent through its COM interfaces (wuapi.h):
// IUpdateSession, IUpdateSearcher, ISearchResult, IUpdateCollection and
// IUpdate. The agent passes the real Microsoft.Update.Session object;
// tests pass their own implementation of the same interfaces.

#include <windows.h>
#include <wuapi.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "winagent/com.h"

namespace pk::winagent {

// One update as the search returned it.
struct WuaUpdate {
  std::string update_id;  // IUpdateIdentity::UpdateID, a GUID
  std::string kb;         // the first of KBArticleIDs, digits only; empty when it has none
  std::string title;
  std::string classification;  // the name of its category of type "UpdateClassification"
  std::string severity;        // MsrcSeverity; empty when none
  std::vector<std::string> cve_ids;
  std::vector<std::string> superseded_update_ids;  // SupersededUpdateIDs, GUIDs
  // IUpdate2::RebootRequired, or an InstallationBehavior.RebootBehavior
  // other than irbNeverReboots (it always or may need one).
  bool restart_required = false;
};

// Criteria of the searches, in the Windows Update Agent's search syntax.
inline constexpr std::wstring_view kPendingCriteria = L"IsInstalled=0 and IsHidden=0";
inline constexpr std::wstring_view kInstalledCriteria = L"IsInstalled=1";

// Runs IUpdateSearcher::Search with `criteria` and reads every update it
// returns. Fails with kIoError naming the HRESULT when the searcher cannot
// be created, the search fails or its result code is not orcSucceeded or
// orcSucceededWithErrors, and when an update's fields cannot be read.
Result<std::vector<WuaUpdate>> searchUpdates(IUpdateSession& session, std::wstring_view criteria);

// Reads one update's fields.
Result<WuaUpdate> readUpdate(IUpdate& update);

// Returns the strings of an IStringCollection.
Result<std::vector<std::string>> readStrings(IStringCollection* strings);

// Returns the digits of "KB5060842", "5060842" or "kb5060842", or an empty
// string when `text` is none of these.
std::string kbDigits(std::string_view text);

// Formats an HRESULT as "0x80240024".
std::string hresultText(HRESULT result);

}  // namespace pk::winagent
