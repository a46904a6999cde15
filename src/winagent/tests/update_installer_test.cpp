#include "winagent/update_installer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "winagent/tests/wua_test_objects.h"
#include "winagent/wua.h"

namespace pk::winagent {
namespace {

using testing::TestSession;
using testing::TestUpdateCollection;
using testing::UpdateAgentState;
using testing::UpdateFields;
using testing::UpdateOutcome;

const std::wstring kCumulativeId = L"11111111-0000-4000-8000-000000000001";
const std::wstring kDotnetId = L"11111111-0000-4000-8000-000000000002";
const std::wstring kDefenderId = L"11111111-0000-4000-8000-000000000003";

UpdateAgentState offeredUpdates() {
  UpdateAgentState state;
  state.search_results[std::wstring(kPendingCriteria)] = {
      UpdateFields{.id = kCumulativeId, .kbs = {L"5060842"}, .title = L"Cumulative Update"},
      UpdateFields{.id = kDotnetId, .kbs = {L"5056580"}, .title = L".NET", .eula_accepted = false},
      UpdateFields{.id = kDefenderId, .kbs = {L"2267602"}, .title = L"Defender"},
  };
  return state;
}

UpdateCollectionFactory testCollections() {
  return []() -> Result<ComPtr<IUpdateCollection>> {
    return ComPtr<IUpdateCollection>::adopt(new TestUpdateCollection());
  };
}

Result<InstallOutcome> install(UpdateAgentState& state, const std::vector<std::string>& kbs) {
  auto session = ComPtr<IUpdateSession>::adopt(new TestSession(state));
  return installApprovedUpdates(*session.get(), testCollections(), kbs);
}

TEST(InstallUpdates, InstallsApprovedOnly) {
  UpdateAgentState state = offeredUpdates();
  auto outcome = install(state, {"5060842", "5056580"});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(state.downloaded_ids, (std::vector<std::wstring>{kCumulativeId, kDotnetId}));
  EXPECT_EQ(state.installed_ids, (std::vector<std::wstring>{kCumulativeId, kDotnetId}));
  EXPECT_TRUE(outcome->succeeded());
  EXPECT_FALSE(outcome->restart_required);
}

TEST(InstallUpdates, FailedInstallIsReported) {
  UpdateAgentState state = offeredUpdates();
  // WU_E_INSTALL_NOT_ALLOWED
  state.install_outcomes[kDotnetId] =
      UpdateOutcome{.code = orcFailed, .hresult = static_cast<HRESULT>(0x80240016)};
  auto outcome = install(state, {"5060842", "5056580"});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  ASSERT_EQ(outcome->updates.size(), 2u);
  EXPECT_TRUE(outcome->updates[0].succeeded());
  EXPECT_FALSE(outcome->updates[1].succeeded());
  EXPECT_EQ(outcome->updates[1].install_code, orcFailed);
  EXPECT_EQ(outcome->updates[1].hresult, static_cast<HRESULT>(0x80240016));
  EXPECT_FALSE(outcome->succeeded());
  EXPECT_NE(outcome->summary().find("KB5056580: installation failed (0x80240016)"),
            std::string::npos);
}

TEST(InstallUpdates, RestartIsReported) {
  UpdateAgentState state = offeredUpdates();
  state.install_outcomes[kCumulativeId] = UpdateOutcome{.reboot_required = true};
  auto outcome = install(state, {"5060842"});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  ASSERT_EQ(outcome->updates.size(), 1u);
  EXPECT_TRUE(outcome->updates[0].restart_required);
  EXPECT_TRUE(outcome->restart_required);
  EXPECT_TRUE(outcome->succeeded());
  EXPECT_EQ(outcome->summary(), "KB5060842: installed, restart required\n");
}

TEST(InstallUpdates, FailedDownloadSkipsInstall) {
  UpdateAgentState state = offeredUpdates();
  state.download_outcomes[kCumulativeId] =
      UpdateOutcome{.code = orcFailed, .hresult = static_cast<HRESULT>(0x80244022)};
  auto outcome = install(state, {"5060842", "2267602"});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(state.installed_ids, (std::vector<std::wstring>{kDefenderId}));
  EXPECT_EQ(outcome->updates[0].install_code, orcNotStarted);
  EXPECT_FALSE(outcome->succeeded());
}

TEST(InstallUpdates, AcceptsLicenceTerms) {
  UpdateAgentState state = offeredUpdates();
  auto outcome = install(state, {"5056580"});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(outcome->succeeded());
}

TEST(InstallUpdates, KbNotOfferedIsReported) {
  UpdateAgentState state = offeredUpdates();
  auto outcome = install(state, {"5060842", "5099999"});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->not_offered, (std::vector<std::string>{"5099999"}));
  EXPECT_FALSE(outcome->succeeded());
}

TEST(InstallUpdates, NothingApprovedInstallsNothing) {
  UpdateAgentState state = offeredUpdates();
  auto outcome = install(state, {});
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(state.downloaded_ids.empty());
  EXPECT_TRUE(state.installed_ids.empty());
}

}  // namespace
}  // namespace pk::winagent
