#pragma once

// Installs the updates a job approved, and only those, through the Windows
// Update Agent: one search for updates not installed, then
// IUpdateDownloader and IUpdateInstaller with a collection of the approved
// updates.

#include <functional>
#include <string>
#include <vector>

#include <wuapi.h>

#include "common/error.h"
#include "winagent/com.h"

namespace pk::winagent {

// One approved update's result.
struct UpdateInstallResult {
  std::string kb;
  std::string title;
  OperationResultCode download_code = orcNotStarted;
  OperationResultCode install_code = orcNotStarted;  // orcNotStarted when its download failed
  HRESULT hresult = S_OK;  // of the step that failed, or of the installation
  bool restart_required = false;

  bool succeeded() const { return install_code == orcSucceeded; }
};

struct InstallOutcome {
  std::vector<UpdateInstallResult> updates;  // in the order of the approved KBs found
  std::vector<std::string> not_offered;      // approved KBs the search did not return
  bool restart_required = false;             // any update needs a restart

  // Whether every approved KB was offered and installed.
  bool succeeded() const;
  // One line per update: "KB5060842: installed, restart required" or
  // "KB5060843: failed (0x80240022)", then one line per KB not offered.
  std::string summary() const;
};

// Makes an empty, writable IUpdateCollection. The agent creates the
// Windows Update Agent's own (ProgID Microsoft.Update.UpdateColl); tests
// pass their implementation.
using UpdateCollectionFactory = std::function<Result<ComPtr<IUpdateCollection>>()>;

// The factory that calls CoCreateInstance for Microsoft.Update.UpdateColl.
UpdateCollectionFactory windowsUpdateCollectionFactory();

// Returns the name of an OperationResultCode: "not started", "in
// progress", "succeeded", "succeeded with errors", "failed", "aborted".
std::string_view resultCodeName(OperationResultCode code);

// Installs the updates whose KB is in `approved_kbs` (digits only) among
// those a search for kPendingCriteria returns, accepting their licence
// terms first where needed. Updates that fail to download are not
// installed. Fails with kIoError when the search, the collection or the
// download or install call itself fails; an update that fails is a result,
// not an error.
Result<InstallOutcome> installApprovedUpdates(IUpdateSession& session,
                                              const UpdateCollectionFactory& make_collection,
                                              const std::vector<std::string>& approved_kbs);

}  // namespace pk::winagent
