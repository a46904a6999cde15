#include "winagent/wua.h"

#include <algorithm>

#include <fmt/format.h>

#include "winagent/transport.h"
#include "winagent/wua_update2.h"

namespace pk::winagent {
namespace {

Error comError(std::string_view call, HRESULT result) {
  return Error{ErrorCode::kIoError, fmt::format("The Windows Update Agent call {} failed with {}.",
                                                call, hresultText(result))};
}

std::string readBstr(HRESULT result, const Bstr& value) {
  return SUCCEEDED(result) ? toUtf8(value.view()) : std::string();
}

// Returns the name of the update's category of type "UpdateClassification".
Result<std::string> readClassification(IUpdate& update) {
  ComPtr<ICategoryCollection> categories;
  HRESULT result = update.get_Categories(categories.put());
  if (FAILED(result)) return tl::unexpected(comError("IUpdate::get_Categories", result));
  if (!categories) return std::string();
  LONG count = 0;
  result = categories->get_Count(&count);
  if (FAILED(result)) return tl::unexpected(comError("ICategoryCollection::get_Count", result));
  for (LONG i = 0; i < count; ++i) {
    ComPtr<ICategory> category;
    result = categories->get_Item(i, category.put());
    if (FAILED(result)) return tl::unexpected(comError("ICategoryCollection::get_Item", result));
    Bstr type;
    if (FAILED(category->get_Type(type.put())) || type.view() != L"UpdateClassification") continue;
    Bstr name;
    result = category->get_Name(name.put());
    if (FAILED(result)) return tl::unexpected(comError("ICategory::get_Name", result));
    return toUtf8(name.view());
  }
  return std::string();
}

Result<bool> readRestartRequired(IUpdate& update, IUpdate2* update2) {
  if (update2 != nullptr) {
    VARIANT_BOOL reboot_required = VARIANT_FALSE;
    HRESULT result = update2->get_RebootRequired(&reboot_required);
    if (FAILED(result)) return tl::unexpected(comError("IUpdate2::get_RebootRequired", result));
    if (reboot_required != VARIANT_FALSE) return true;
  }

  ComPtr<IInstallationBehavior> behavior;
  HRESULT result = update.get_InstallationBehavior(behavior.put());
  if (FAILED(result) || !behavior) return false;
  InstallationRebootBehavior reboot = irbNeverReboots;
  if (FAILED(behavior->get_RebootBehavior(&reboot))) return false;
  return reboot != irbNeverReboots;
}

}  // namespace

std::string hresultText(HRESULT result) {
  return fmt::format("0x{:08X}", static_cast<std::uint32_t>(result));
}

std::string kbDigits(std::string_view text) {
  if (text.size() >= 2 && (text[0] == 'K' || text[0] == 'k') &&
      (text[1] == 'B' || text[1] == 'b')) {
    text.remove_prefix(2);
  }
  if (text.empty() || text.size() > 10) return {};
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return {};
  }
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  return std::string(text);
}

Result<std::vector<std::string>> readStrings(IStringCollection* strings) {
  std::vector<std::string> values;
  if (strings == nullptr) return values;
  LONG count = 0;
  HRESULT result = strings->get_Count(&count);
  if (FAILED(result)) return tl::unexpected(comError("IStringCollection::get_Count", result));
  for (LONG i = 0; i < count; ++i) {
    Bstr value;
    result = strings->get_Item(i, value.put());
    if (FAILED(result)) return tl::unexpected(comError("IStringCollection::get_Item", result));
    values.push_back(toUtf8(value.view()));
  }
  return values;
}

Result<WuaUpdate> readUpdate(IUpdate& update) {
  WuaUpdate read;

  ComPtr<IUpdateIdentity> identity;
  HRESULT result = update.get_Identity(identity.put());
  if (FAILED(result) || !identity) return tl::unexpected(comError("IUpdate::get_Identity", result));
  Bstr update_id;
  result = identity->get_UpdateID(update_id.put());
  if (FAILED(result)) return tl::unexpected(comError("IUpdateIdentity::get_UpdateID", result));
  read.update_id = toUtf8(update_id.view());

  Bstr title;
  read.title = readBstr(update.get_Title(title.put()), title);
  Bstr severity;
  read.severity = readBstr(update.get_MsrcSeverity(severity.put()), severity);

  ComPtr<IStringCollection> kbs;
  result = update.get_KBArticleIDs(kbs.put());
  if (FAILED(result)) return tl::unexpected(comError("IUpdate::get_KBArticleIDs", result));
  auto kb_texts = readStrings(kbs.get());
  if (!kb_texts) return tl::unexpected(kb_texts.error());
  for (const auto& text : *kb_texts) {
    read.kb = kbDigits(text);
    if (!read.kb.empty()) break;
  }

  // CveIDs and RebootRequired belong to IUpdate2, which every Windows
  // Update Agent since Windows 7 implements.
  ComPtr<IUpdate2> update2;
  if (SUCCEEDED(
          update.QueryInterface(__uuidof(IUpdate2), reinterpret_cast<void**>(update2.put())))) {
    ComPtr<IStringCollection> cves;
    result = update2->get_CveIDs(cves.put());
    if (FAILED(result)) return tl::unexpected(comError("IUpdate2::get_CveIDs", result));
    auto cve_ids = readStrings(cves.get());
    if (!cve_ids) return tl::unexpected(cve_ids.error());
    read.cve_ids = std::move(*cve_ids);
  }

  ComPtr<IStringCollection> superseded;
  result = update.get_SupersededUpdateIDs(superseded.put());
  if (FAILED(result)) {
    return tl::unexpected(comError("IUpdate::get_SupersededUpdateIDs", result));
  }
  auto superseded_ids = readStrings(superseded.get());
  if (!superseded_ids) return tl::unexpected(superseded_ids.error());
  read.superseded_update_ids = std::move(*superseded_ids);

  auto classification = readClassification(update);
  if (!classification) return tl::unexpected(classification.error());
  read.classification = std::move(*classification);

  auto restart = readRestartRequired(update, update2.get());
  if (!restart) return tl::unexpected(restart.error());
  read.restart_required = *restart;
  return read;
}

Result<std::vector<WuaUpdate>> searchUpdates(IUpdateSession& session, std::wstring_view criteria) {
  ComPtr<IUpdateSearcher> searcher;
  HRESULT result = session.CreateUpdateSearcher(searcher.put());
  if (FAILED(result) || !searcher) {
    return tl::unexpected(comError("IUpdateSession::CreateUpdateSearcher", result));
  }
  ComPtr<ISearchResult> search;
  Bstr criteria_text(criteria);
  result = searcher->Search(criteria_text.get(), search.put());
  if (FAILED(result) || !search) return tl::unexpected(comError("IUpdateSearcher::Search", result));
  OperationResultCode code = orcFailed;
  result = search->get_ResultCode(&code);
  if (FAILED(result)) return tl::unexpected(comError("ISearchResult::get_ResultCode", result));
  if (code != orcSucceeded && code != orcSucceededWithErrors) {
    return fail(ErrorCode::kIoError,
                fmt::format("The Windows Update search \"{}\" ended with result code {}, so its "
                            "list of updates is incomplete.",
                            toUtf8(criteria), static_cast<int>(code)));
  }

  ComPtr<IUpdateCollection> updates;
  result = search->get_Updates(updates.put());
  if (FAILED(result) || !updates) {
    return tl::unexpected(comError("ISearchResult::get_Updates", result));
  }
  LONG count = 0;
  result = updates->get_Count(&count);
  if (FAILED(result)) return tl::unexpected(comError("IUpdateCollection::get_Count", result));

  std::vector<WuaUpdate> found;
  for (LONG i = 0; i < count; ++i) {
    ComPtr<IUpdate> update;
    result = updates->get_Item(i, update.put());
    if (FAILED(result) || !update) {
      return tl::unexpected(comError("IUpdateCollection::get_Item", result));
    }
    auto read = readUpdate(*update.get());
    if (!read) return tl::unexpected(read.error());
    found.push_back(std::move(*read));
  }
  return found;
}

}  // namespace pk::winagent
