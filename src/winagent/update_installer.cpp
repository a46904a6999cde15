#include "winagent/update_installer.h"

#include <algorithm>

#include <fmt/format.h>

#include "winagent/wua.h"

namespace pk::winagent {
namespace {

Error comError(std::string_view call, HRESULT result) {
  return Error{ErrorCode::kIoError, fmt::format("The Windows Update Agent call {} failed with {}.",
                                                call, hresultText(result))};
}

// The approved updates found by the search, with their result so far.
struct Selected {
  ComPtr<IUpdate> update;
  UpdateInstallResult result;
};

Result<ComPtr<IUpdateCollection>> collectionOf(const UpdateCollectionFactory& make_collection,
                                               const std::vector<Selected*>& updates) {
  auto collection = make_collection();
  if (!collection) return tl::unexpected(collection.error());
  for (const auto* selected : updates) {
    LONG index = 0;
    HRESULT result = (*collection)->Add(selected->update.get(), &index);
    if (FAILED(result)) return tl::unexpected(comError("IUpdateCollection::Add", result));
  }
  return collection;
}

Result<std::vector<Selected>> selectApproved(IUpdateSession& session,
                                             const std::vector<std::string>& approved_kbs,
                                             std::vector<std::string>& not_offered) {
  ComPtr<IUpdateSearcher> searcher;
  HRESULT result = session.CreateUpdateSearcher(searcher.put());
  if (FAILED(result) || !searcher) {
    return tl::unexpected(comError("IUpdateSession::CreateUpdateSearcher", result));
  }
  ComPtr<ISearchResult> search;
  Bstr criteria(kPendingCriteria);
  result = searcher->Search(criteria.get(), search.put());
  if (FAILED(result) || !search) return tl::unexpected(comError("IUpdateSearcher::Search", result));
  ComPtr<IUpdateCollection> found;
  result = search->get_Updates(found.put());
  if (FAILED(result) || !found)
    return tl::unexpected(comError("ISearchResult::get_Updates", result));
  LONG count = 0;
  result = found->get_Count(&count);
  if (FAILED(result)) return tl::unexpected(comError("IUpdateCollection::get_Count", result));

  std::vector<Selected> selected;
  std::vector<std::string> offered;
  for (LONG i = 0; i < count; ++i) {
    ComPtr<IUpdate> update;
    result = found->get_Item(i, update.put());
    if (FAILED(result) || !update) {
      return tl::unexpected(comError("IUpdateCollection::get_Item", result));
    }
    auto fields = readUpdate(*update.get());
    if (!fields) return tl::unexpected(fields.error());
    if (fields->kb.empty() ||
        std::find(approved_kbs.begin(), approved_kbs.end(), fields->kb) == approved_kbs.end()) {
      continue;
    }
    offered.push_back(fields->kb);
    Selected entry{update, {}};
    entry.result.kb = fields->kb;
    entry.result.title = fields->title;
    selected.push_back(std::move(entry));
  }
  for (const auto& kb : approved_kbs) {
    if (std::find(offered.begin(), offered.end(), kb) == offered.end()) not_offered.push_back(kb);
  }
  return selected;
}

Result<void> acceptLicences(std::vector<Selected>& selected) {
  for (auto& entry : selected) {
    VARIANT_BOOL accepted = VARIANT_FALSE;
    HRESULT result = entry.update->get_EulaAccepted(&accepted);
    if (FAILED(result)) return tl::unexpected(comError("IUpdate::get_EulaAccepted", result));
    if (accepted != VARIANT_FALSE) continue;
    result = entry.update->AcceptEula();
    if (FAILED(result)) return tl::unexpected(comError("IUpdate::AcceptEula", result));
  }
  return {};
}

Result<void> download(IUpdateSession& session, const UpdateCollectionFactory& make_collection,
                      std::vector<Selected>& selected) {
  std::vector<Selected*> all;
  for (auto& entry : selected) all.push_back(&entry);
  auto collection = collectionOf(make_collection, all);
  if (!collection) return tl::unexpected(collection.error());

  ComPtr<IUpdateDownloader> downloader;
  HRESULT result = session.CreateUpdateDownloader(downloader.put());
  if (FAILED(result) || !downloader) {
    return tl::unexpected(comError("IUpdateSession::CreateUpdateDownloader", result));
  }
  result = downloader->put_Updates(collection->get());
  if (FAILED(result)) return tl::unexpected(comError("IUpdateDownloader::put_Updates", result));
  ComPtr<IDownloadResult> outcome;
  result = downloader->Download(outcome.put());
  if (FAILED(result) || !outcome) {
    return tl::unexpected(comError("IUpdateDownloader::Download", result));
  }
  for (std::size_t i = 0; i < selected.size(); ++i) {
    ComPtr<IUpdateDownloadResult> update_result;
    result = outcome->GetUpdateResult(static_cast<LONG>(i), update_result.put());
    if (FAILED(result) || !update_result) {
      return tl::unexpected(comError("IDownloadResult::GetUpdateResult", result));
    }
    update_result->get_ResultCode(&selected[i].result.download_code);
    LONG hresult = S_OK;
    update_result->get_HResult(&hresult);
    selected[i].result.hresult = hresult;
  }
  return {};
}

Result<void> install(IUpdateSession& session, const UpdateCollectionFactory& make_collection,
                     std::vector<Selected>& selected) {
  std::vector<Selected*> downloaded;
  for (auto& entry : selected) {
    if (entry.result.download_code == orcSucceeded) downloaded.push_back(&entry);
  }
  if (downloaded.empty()) return {};
  auto collection = collectionOf(make_collection, downloaded);
  if (!collection) return tl::unexpected(collection.error());

  ComPtr<IUpdateInstaller> installer;
  HRESULT result = session.CreateUpdateInstaller(installer.put());
  if (FAILED(result) || !installer) {
    return tl::unexpected(comError("IUpdateSession::CreateUpdateInstaller", result));
  }
  result = installer->put_Updates(collection->get());
  if (FAILED(result)) return tl::unexpected(comError("IUpdateInstaller::put_Updates", result));
  ComPtr<IInstallationResult> outcome;
  result = installer->Install(outcome.put());
  if (FAILED(result) || !outcome)
    return tl::unexpected(comError("IUpdateInstaller::Install", result));

  for (std::size_t i = 0; i < downloaded.size(); ++i) {
    ComPtr<IUpdateInstallationResult> update_result;
    result = outcome->GetUpdateResult(static_cast<LONG>(i), update_result.put());
    if (FAILED(result) || !update_result) {
      return tl::unexpected(comError("IInstallationResult::GetUpdateResult", result));
    }
    UpdateInstallResult& entry = downloaded[i]->result;
    update_result->get_ResultCode(&entry.install_code);
    LONG hresult = S_OK;
    update_result->get_HResult(&hresult);
    entry.hresult = hresult;
    VARIANT_BOOL restart = VARIANT_FALSE;
    update_result->get_RebootRequired(&restart);
    entry.restart_required = restart != VARIANT_FALSE;
  }
  return {};
}

}  // namespace

bool InstallOutcome::succeeded() const {
  return not_offered.empty() &&
         std::all_of(updates.begin(), updates.end(), [](const auto& u) { return u.succeeded(); });
}

std::string InstallOutcome::summary() const {
  std::string text;
  for (const auto& update : updates) {
    if (update.succeeded()) {
      text += fmt::format("KB{}: installed{}\n", update.kb,
                          update.restart_required ? ", restart required" : "");
    } else if (update.download_code != orcSucceeded) {
      text += fmt::format("KB{}: download {} ({})\n", update.kb,
                          resultCodeName(update.download_code), hresultText(update.hresult));
    } else {
      text += fmt::format("KB{}: installation {} ({})\n", update.kb,
                          resultCodeName(update.install_code), hresultText(update.hresult));
    }
  }
  for (const auto& kb : not_offered) {
    text += fmt::format("KB{}: not offered by Windows Update on this host\n", kb);
  }
  return text;
}

std::string_view resultCodeName(OperationResultCode code) {
  switch (code) {
    case orcNotStarted:
      return "not started";
    case orcInProgress:
      return "in progress";
    case orcSucceeded:
      return "succeeded";
    case orcSucceededWithErrors:
      return "succeeded with errors";
    case orcFailed:
      return "failed";
    case orcAborted:
      return "aborted";
  }
  return "unknown";
}

UpdateCollectionFactory windowsUpdateCollectionFactory() {
  return []() -> Result<ComPtr<IUpdateCollection>> {
    CLSID id{};
    HRESULT result = CLSIDFromProgID(L"Microsoft.Update.UpdateColl", &id);
    if (FAILED(result)) return tl::unexpected(comError("CLSIDFromProgID", result));
    ComPtr<IUpdateCollection> collection;
    result = CoCreateInstance(id, nullptr, CLSCTX_INPROC_SERVER, __uuidof(IUpdateCollection),
                              reinterpret_cast<void**>(collection.put()));
    if (FAILED(result)) return tl::unexpected(comError("CoCreateInstance(UpdateColl)", result));
    return collection;
  };
}

Result<InstallOutcome> installApprovedUpdates(IUpdateSession& session,
                                              const UpdateCollectionFactory& make_collection,
                                              const std::vector<std::string>& approved_kbs) {
  InstallOutcome outcome;
  auto selected = selectApproved(session, approved_kbs, outcome.not_offered);
  if (!selected) return tl::unexpected(selected.error());

  if (!selected->empty()) {
    if (auto accepted = acceptLicences(*selected); !accepted) {
      return tl::unexpected(accepted.error());
    }
    if (auto downloaded = download(session, make_collection, *selected); !downloaded) {
      return tl::unexpected(downloaded.error());
    }
    if (auto installed = install(session, make_collection, *selected); !installed) {
      return tl::unexpected(installed.error());
    }
  }
  for (auto& entry : *selected) {
    outcome.restart_required = outcome.restart_required || entry.result.restart_required;
    outcome.updates.push_back(std::move(entry.result));
  }
  return outcome;
}

}  // namespace pk::winagent
