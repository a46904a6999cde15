#include "server/deployment_services.h"

#include <map>

#include <fmt/format.h>

#include "advisory/ecosystem.h"
#include "server/collection_membership.h"
#include "server/collections.h"
#include "server/patches.h"
#include "store/collection_repository.h"
#include "store/host_repository.h"
#include "store/patch_repository.h"
#include "version/version.h"

namespace pk::server {
namespace {

Result<std::optional<RingSequenceSpec>> ringSequenceOf(store::Session& session,
                                                       const std::string& id) {
  auto sequence = store::loadRingSequence(session, id);
  if (!sequence) return tl::unexpected(sequence.error());
  if (!*sequence) return std::optional<RingSequenceSpec>();
  RingSequenceSpec spec{.id = (*sequence)->id, .name = (*sequence)->name, .rings = {}};
  for (const store::Ring& ring : (*sequence)->rings) {
    auto collection = store::getCollection(session, ring.collection_id);
    if (!collection) return tl::unexpected(collection.error());
    spec.rings.push_back(RingSpec{
        .name = *collection ? (*collection)->name : ring.collection_id,
        .collection = ring.collection_id,
        .gate = {.min_soak = std::chrono::seconds(ring.gate.min_soak_seconds),
                 .min_success_ratio = ring.gate.min_success_ratio,
                 .max_failures = ring.gate.max_failures},
    });
  }
  return std::optional<RingSequenceSpec>(std::move(spec));
}

Result<PatchStatus> patchStatusOf(store::Session& session, const std::string& id) {
  auto patch = store::getPatch(session, id);
  if (!patch) return tl::unexpected(patch.error());
  if (!*patch) return PatchStatus::kUnknown;
  if ((*patch)->decision == store::kPatchDecisionApproved) return PatchStatus::kApproved;
  if ((*patch)->decision == store::kPatchDecisionDeclined) return PatchStatus::kDeclined;
  return PatchStatus::kPending;
}

protocol::JobManager managerFor(std::optional<version::Scheme> scheme) {
  if (scheme == version::Scheme::kRpm) return protocol::JobManager::kDnf;
  if (scheme == version::Scheme::kApk) return protocol::JobManager::kApk;
  if (scheme == version::Scheme::kWindows) return protocol::JobManager::kWindowsUpdate;
  return protocol::JobManager::kApt;
}

// Merges the plans of several patches into one install: each package once,
// at the highest version that any patch names.
Result<HostInstallPlan> installPlanOf(store::Session& session, const std::string& host_id,
                                      const std::vector<std::string>& patch_ids) {
  auto host = store::getHost(session, host_id);
  if (!host) return tl::unexpected(host.error());
  HostInstallPlan plan;
  if (!*host) return plan;
  auto plans = installTargetsForHost(session, host_id, patch_ids);
  if (!plans) return tl::unexpected(plans.error());

  const auto scheme = advisory::schemeForEcosystem((*host)->os_ecosystem);
  plan.manager = managerFor(scheme);
  std::map<std::string, std::string> versions;
  std::vector<std::string> order;
  for (const PatchInstallPlan& patch : *plans) {
    for (const InstallTarget& target : patch.packages) {
      auto [at, added] = versions.try_emplace(target.package, target.version);
      if (added) {
        order.push_back(target.package);
        continue;
      }
      if (!scheme) continue;
      auto newer = version::compare(*scheme, target.version, at->second);
      if (newer && *newer > 0) at->second = target.version;
    }
    for (const std::string& kb : patch.kbs) {
      if (std::find(plan.kbs.begin(), plan.kbs.end(), kb) == plan.kbs.end()) {
        plan.kbs.push_back(kb);
      }
    }
  }
  for (const std::string& name : order) plan.packages.push_back({name, versions[name]});
  if (!plan.kbs.empty() && plan.packages.empty()) {
    plan.manager = protocol::JobManager::kWindowsUpdate;
  }
  return plan;
}

Result<HostJobPolicy> hostPolicyOf(store::Session& session, const std::string& host_id) {
  auto collections = collectionsOfHost(session, host_id);
  if (!collections) return tl::unexpected(collections.error());
  std::vector<store::RestartPolicy> policies;
  std::vector<CollectionHooks> hooks;
  for (const std::string& id : *collections) {
    auto collection = store::getCollection(session, id);
    if (!collection) return tl::unexpected(collection.error());
    if (!*collection) continue;
    policies.push_back((*collection)->restart_policy);
    hooks.push_back({id, (*collection)->pre_hook, (*collection)->post_hook});
  }
  const store::RestartPolicy merged = effectiveRestartPolicy(policies, std::nullopt);
  auto chosen = effectiveHooks(hooks);
  if (!chosen) return tl::unexpected(chosen.error());
  HostJobPolicy policy;
  policy.restart.deadline_seconds = merged.restart_deadline_seconds;
  policy.restart.countdown_seconds = merged.countdown_seconds;
  policy.restart.reminder_seconds = merged.reminder_seconds;
  if (!chosen->pre_hook.empty()) policy.pre_hook = chosen->pre_hook;
  if (!chosen->post_hook.empty()) policy.post_hook = chosen->post_hook;
  return policy;
}

}  // namespace

DeploymentServices storeDeploymentServices(Elapsed default_estimate) {
  DeploymentServices services;
  services.hosts_in_collection = [](store::Session& session, const std::string& id) {
    return hostsInCollection(session, id);
  };
  services.ring_sequence = ringSequenceOf;
  services.patch_status = patchStatusOf;
  services.install_plan = installPlanOf;
  services.host_policy = hostPolicyOf;
  services.default_estimate = default_estimate;
  return services;
}

}  // namespace pk::server
