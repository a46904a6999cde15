#pragma once

// A test implementation of the Windows Update Agent's COM interfaces: an
// update session whose searcher returns the updates a test lists, and
// whose downloader and installer report the results a test chooses. Each
// class implements the methods the agent calls; the rest return E_NOTIMPL
// (wua_stubs.h).

#include <map>
#include <string>
#include <vector>

#include "winagent/com.h"
#include "winagent/tests/wua_stubs.h"
#include "winagent/wua_update2.h"

namespace pk::winagent::testing {

class TestStringCollection final : public IStringCollectionStub {
 public:
  explicit TestStringCollection(std::vector<std::wstring> values) : values_(std::move(values)) {}
  HRESULT STDMETHODCALLTYPE get_Count(LONG* count) override {
    *count = static_cast<LONG>(values_.size());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Item(LONG index, BSTR* value) override {
    if (index < 0 || static_cast<std::size_t>(index) >= values_.size()) return E_INVALIDARG;
    const auto& text = values_[static_cast<std::size_t>(index)];
    *value = SysAllocStringLen(text.data(), static_cast<UINT>(text.size()));
    return S_OK;
  }

 private:
  std::vector<std::wstring> values_;
};

class TestCategory final : public ICategoryStub {
 public:
  TestCategory(std::wstring type, std::wstring name)
      : type_(std::move(type)), name_(std::move(name)) {}
  HRESULT STDMETHODCALLTYPE get_Type(BSTR* value) override {
    *value = SysAllocString(type_.c_str());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Name(BSTR* value) override {
    *value = SysAllocString(name_.c_str());
    return S_OK;
  }

 private:
  std::wstring type_;
  std::wstring name_;
};

class TestCategoryCollection final : public ICategoryCollectionStub {
 public:
  void add(std::wstring type, std::wstring name) {
    categories_.push_back(
        ComPtr<ICategory>::adopt(new TestCategory(std::move(type), std::move(name))));
  }
  HRESULT STDMETHODCALLTYPE get_Count(LONG* count) override {
    *count = static_cast<LONG>(categories_.size());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Item(LONG index, ICategory** value) override {
    if (index < 0 || static_cast<std::size_t>(index) >= categories_.size()) return E_INVALIDARG;
    *value = categories_[static_cast<std::size_t>(index)].get();
    (*value)->AddRef();
    return S_OK;
  }

 private:
  std::vector<ComPtr<ICategory>> categories_;
};

class TestIdentity final : public IUpdateIdentityStub {
 public:
  explicit TestIdentity(std::wstring id) : id_(std::move(id)) {}
  HRESULT STDMETHODCALLTYPE get_UpdateID(BSTR* value) override {
    *value = SysAllocString(id_.c_str());
    return S_OK;
  }

 private:
  std::wstring id_;
};

class TestInstallationBehavior final : public IInstallationBehaviorStub {
 public:
  explicit TestInstallationBehavior(InstallationRebootBehavior reboot) : reboot_(reboot) {}
  HRESULT STDMETHODCALLTYPE get_RebootBehavior(InstallationRebootBehavior* value) override {
    *value = reboot_;
    return S_OK;
  }

 private:
  InstallationRebootBehavior reboot_;
};

// What a test update reports.
struct UpdateFields {
  std::wstring id;
  std::vector<std::wstring> kbs;
  std::wstring title;
  std::wstring classification;
  std::wstring severity;
  std::vector<std::wstring> cve_ids;
  std::vector<std::wstring> superseded_ids;
  bool reboot_required = false;
  InstallationRebootBehavior reboot_behavior = irbNeverReboots;
  bool eula_accepted = true;
};

// Implements IUpdate2, and IUpdate through it, as the Windows Update
// Agent's updates do.
class TestUpdate final : public IUpdate2Stub {
 public:
  explicit TestUpdate(UpdateFields fields) : fields_(std::move(fields)) {}

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID id, void** object) override {
    if (object != nullptr && IsEqualIID(id, __uuidof(IUpdate))) {
      *object = static_cast<IUpdate*>(this);
      AddRef();
      return S_OK;
    }
    return IUpdate2Stub::QueryInterface(id, object);
  }

  HRESULT STDMETHODCALLTYPE get_Identity(IUpdateIdentity** value) override {
    *value = new TestIdentity(fields_.id);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Title(BSTR* value) override {
    *value = SysAllocString(fields_.title.c_str());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_MsrcSeverity(BSTR* value) override {
    *value = fields_.severity.empty() ? nullptr : SysAllocString(fields_.severity.c_str());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_KBArticleIDs(IStringCollection** value) override {
    *value = new TestStringCollection(fields_.kbs);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_CveIDs(IStringCollection** value) override {
    *value = new TestStringCollection(fields_.cve_ids);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_SupersededUpdateIDs(IStringCollection** value) override {
    *value = new TestStringCollection(fields_.superseded_ids);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Categories(ICategoryCollection** value) override {
    auto* categories = new TestCategoryCollection();
    categories->add(L"Product", L"Windows 11");
    if (!fields_.classification.empty()) {
      categories->add(L"UpdateClassification", fields_.classification);
    }
    *value = categories;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_RebootRequired(VARIANT_BOOL* value) override {
    *value = fields_.reboot_required ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_InstallationBehavior(IInstallationBehavior** value) override {
    *value = new TestInstallationBehavior(fields_.reboot_behavior);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_EulaAccepted(VARIANT_BOOL* value) override {
    *value = fields_.eula_accepted ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE AcceptEula() override {
    fields_.eula_accepted = true;
    return S_OK;
  }

 private:
  UpdateFields fields_;
};

class TestUpdateCollection final : public IUpdateCollectionStub {
 public:
  HRESULT STDMETHODCALLTYPE get_Count(LONG* count) override {
    *count = static_cast<LONG>(updates_.size());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Item(LONG index, IUpdate** value) override {
    if (index < 0 || static_cast<std::size_t>(index) >= updates_.size()) return E_INVALIDARG;
    *value = updates_[static_cast<std::size_t>(index)].get();
    (*value)->AddRef();
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Add(IUpdate* value, LONG* index) override {
    updates_.push_back(ComPtr<IUpdate>::share(value));
    if (index != nullptr) *index = static_cast<LONG>(updates_.size() - 1);
    return S_OK;
  }

 private:
  std::vector<ComPtr<IUpdate>> updates_;
};

class TestSearchResult final : public ISearchResultStub {
 public:
  TestSearchResult(OperationResultCode code, ComPtr<IUpdateCollection> updates)
      : code_(code), updates_(std::move(updates)) {}
  HRESULT STDMETHODCALLTYPE get_ResultCode(OperationResultCode* value) override {
    *value = code_;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Updates(IUpdateCollection** value) override {
    *value = updates_.get();
    (*value)->AddRef();
    return S_OK;
  }

 private:
  OperationResultCode code_;
  ComPtr<IUpdateCollection> updates_;
};

// The result a test update gets from the downloader or the installer.
struct UpdateOutcome {
  OperationResultCode code = orcSucceeded;
  HRESULT hresult = S_OK;
  bool reboot_required = false;
};

class TestUpdateInstallationResult final : public IUpdateInstallationResultStub {
 public:
  explicit TestUpdateInstallationResult(UpdateOutcome outcome) : outcome_(outcome) {}
  HRESULT STDMETHODCALLTYPE get_HResult(LONG* value) override {
    *value = outcome_.hresult;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_RebootRequired(VARIANT_BOOL* value) override {
    *value = outcome_.reboot_required ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_ResultCode(OperationResultCode* value) override {
    *value = outcome_.code;
    return S_OK;
  }

 private:
  UpdateOutcome outcome_;
};

class TestUpdateDownloadResult final : public IUpdateDownloadResultStub {
 public:
  explicit TestUpdateDownloadResult(UpdateOutcome outcome) : outcome_(outcome) {}
  HRESULT STDMETHODCALLTYPE get_HResult(LONG* value) override {
    *value = outcome_.hresult;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_ResultCode(OperationResultCode* value) override {
    *value = outcome_.code;
    return S_OK;
  }

 private:
  UpdateOutcome outcome_;
};

// Overall results computed from the updates' results, as the Windows Update
// Agent reports them: succeeded when all succeeded, failed when all
// failed, and succeeded with errors otherwise.
inline OperationResultCode overallCode(const std::vector<UpdateOutcome>& outcomes) {
  std::size_t succeeded = 0;
  for (const auto& outcome : outcomes) {
    if (outcome.code == orcSucceeded) ++succeeded;
  }
  if (succeeded == outcomes.size()) return orcSucceeded;
  if (succeeded == 0) return orcFailed;
  return orcSucceededWithErrors;
}

class TestInstallationResult final : public IInstallationResultStub {
 public:
  explicit TestInstallationResult(std::vector<UpdateOutcome> outcomes)
      : outcomes_(std::move(outcomes)) {}
  HRESULT STDMETHODCALLTYPE get_HResult(LONG* value) override {
    *value = S_OK;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_RebootRequired(VARIANT_BOOL* value) override {
    bool any = false;
    for (const auto& outcome : outcomes_) any = any || outcome.reboot_required;
    *value = any ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_ResultCode(OperationResultCode* value) override {
    *value = overallCode(outcomes_);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetUpdateResult(LONG index,
                                            IUpdateInstallationResult** value) override {
    if (index < 0 || static_cast<std::size_t>(index) >= outcomes_.size()) return E_INVALIDARG;
    *value = new TestUpdateInstallationResult(outcomes_[static_cast<std::size_t>(index)]);
    return S_OK;
  }

 private:
  std::vector<UpdateOutcome> outcomes_;
};

class TestDownloadResult final : public IDownloadResultStub {
 public:
  explicit TestDownloadResult(std::vector<UpdateOutcome> outcomes)
      : outcomes_(std::move(outcomes)) {}
  HRESULT STDMETHODCALLTYPE get_HResult(LONG* value) override {
    *value = S_OK;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_ResultCode(OperationResultCode* value) override {
    *value = overallCode(outcomes_);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetUpdateResult(LONG index, IUpdateDownloadResult** value) override {
    if (index < 0 || static_cast<std::size_t>(index) >= outcomes_.size()) return E_INVALIDARG;
    *value = new TestUpdateDownloadResult(outcomes_[static_cast<std::size_t>(index)]);
    return S_OK;
  }

 private:
  std::vector<UpdateOutcome> outcomes_;
};

// Reads the update ids of a collection, in order.
inline std::vector<std::wstring> idsOf(IUpdateCollection* updates) {
  std::vector<std::wstring> ids;
  if (updates == nullptr) return ids;
  LONG count = 0;
  updates->get_Count(&count);
  for (LONG i = 0; i < count; ++i) {
    ComPtr<IUpdate> update;
    updates->get_Item(i, update.put());
    ComPtr<IUpdateIdentity> identity;
    update->get_Identity(identity.put());
    Bstr id;
    identity->get_UpdateID(id.put());
    ids.emplace_back(id.view());
  }
  return ids;
}

// The state the session's searcher, downloader and installer share with
// the test: the updates each search returns, the outcome of each update id,
// and what the agent asked for.
struct UpdateAgentState {
  std::map<std::wstring, std::vector<UpdateFields>> search_results;  // by criteria
  OperationResultCode search_code = orcSucceeded;
  std::map<std::wstring, UpdateOutcome> download_outcomes;  // by update id; default success
  std::map<std::wstring, UpdateOutcome> install_outcomes;
  std::vector<std::wstring> searches;
  std::vector<std::wstring> downloaded_ids;
  std::vector<std::wstring> installed_ids;
};

class TestSearcher final : public IUpdateSearcherStub {
 public:
  explicit TestSearcher(UpdateAgentState& state) : state_(state) {}
  HRESULT STDMETHODCALLTYPE Search(BSTR criteria, ISearchResult** value) override {
    std::wstring text(criteria, SysStringLen(criteria));
    state_.searches.push_back(text);
    auto updates = ComPtr<IUpdateCollection>::adopt(new TestUpdateCollection());
    for (const auto& fields : state_.search_results[text]) {
      auto update = ComPtr<IUpdate>::adopt(new TestUpdate(fields));
      updates->Add(update.get(), nullptr);
    }
    *value = new TestSearchResult(state_.search_code, updates);
    return S_OK;
  }

 private:
  UpdateAgentState& state_;
};

class TestDownloader final : public IUpdateDownloaderStub {
 public:
  explicit TestDownloader(UpdateAgentState& state) : state_(state) {}
  HRESULT STDMETHODCALLTYPE put_Updates(IUpdateCollection* value) override {
    updates_ = ComPtr<IUpdateCollection>::share(value);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Download(IDownloadResult** value) override {
    std::vector<UpdateOutcome> outcomes;
    for (const auto& id : idsOf(updates_.get())) {
      state_.downloaded_ids.push_back(id);
      outcomes.push_back(state_.download_outcomes[id]);
    }
    *value = new TestDownloadResult(std::move(outcomes));
    return S_OK;
  }

 private:
  UpdateAgentState& state_;
  ComPtr<IUpdateCollection> updates_;
};

// The HRESULT the test installer gives an update whose licence terms were
// not accepted.
inline constexpr HRESULT kLicenceNotAccepted = static_cast<HRESULT>(0x80240030);

class TestInstaller final : public IUpdateInstallerStub {
 public:
  explicit TestInstaller(UpdateAgentState& state) : state_(state) {}
  HRESULT STDMETHODCALLTYPE put_Updates(IUpdateCollection* value) override {
    updates_ = ComPtr<IUpdateCollection>::share(value);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Install(IInstallationResult** value) override {
    std::vector<UpdateOutcome> outcomes;
    LONG count = 0;
    updates_->get_Count(&count);
    const std::vector<std::wstring> ids = idsOf(updates_.get());
    for (LONG i = 0; i < count; ++i) {
      const std::wstring& id = ids[static_cast<std::size_t>(i)];
      state_.installed_ids.push_back(id);
      ComPtr<IUpdate> update;
      updates_->get_Item(i, update.put());
      VARIANT_BOOL accepted = VARIANT_FALSE;
      update->get_EulaAccepted(&accepted);
      outcomes.push_back(accepted == VARIANT_FALSE
                             ? UpdateOutcome{.code = orcFailed, .hresult = kLicenceNotAccepted}
                             : state_.install_outcomes[id]);
    }
    *value = new TestInstallationResult(std::move(outcomes));
    return S_OK;
  }

 private:
  UpdateAgentState& state_;
  ComPtr<IUpdateCollection> updates_;
};

class TestSession final : public IUpdateSessionStub {
 public:
  explicit TestSession(UpdateAgentState& state) : state_(state) {}
  HRESULT STDMETHODCALLTYPE CreateUpdateSearcher(IUpdateSearcher** value) override {
    *value = new TestSearcher(state_);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE CreateUpdateDownloader(IUpdateDownloader** value) override {
    *value = new TestDownloader(state_);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE CreateUpdateInstaller(IUpdateInstaller** value) override {
    *value = new TestInstaller(state_);
    return S_OK;
  }

 private:
  UpdateAgentState& state_;
};

}  // namespace pk::winagent::testing
