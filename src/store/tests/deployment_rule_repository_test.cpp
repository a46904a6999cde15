#include "store/deployment_rule_repository.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

#include "store/deployment_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::hours;

class DeploymentRuleRepositoryTest : public conformance::StoreTest {
 protected:
  Result<void> write(const std::function<Result<void>(Session&)>& work) {
    return database().write(work);
  }

  template <typename T>
  Result<T> readValue(const std::function<Result<T>(Session&)>& work) {
    std::optional<Result<T>> result;
    auto done = database().read([&](Session& session) -> Result<void> {
      result = work(session);
      return {};
    });
    if (!done) return tl::unexpected(done.error());
    return std::move(*result);
  }

  DeploymentRuleRecord sampleRule(const std::string& name = "Patch Tuesday + 1, Ünïcode") {
    DeploymentRuleRecord rule;
    rule.id = newDeploymentRuleId();
    rule.name = name;
    rule.rrule = "FREQ=MONTHLY;BYDAY=2TU";
    rule.start_local = "2026-01-01T09:00:00";
    rule.zone = "America/New_York";
    rule.offset_days = 1;
    rule.ring_sequence = "default";
    rule.deadline_seconds = 14 * 86400;
    rule.ecosystem = "Debian:12";
    rule.created_by = "user:alice";
    rule.created_at = clock_.now();
    return rule;
  }
};

TEST_P(DeploymentRuleRepositoryTest, RuleRoundTripsExactly) {
  const DeploymentRuleRecord rule = sampleRule();
  ASSERT_TRUE(write([&](Session& session) { return insertDeploymentRule(session, rule); }));
  auto found = readValue<std::optional<DeploymentRuleRecord>>(
      [&](Session& session) { return getDeploymentRule(session, rule.id); });
  ASSERT_TRUE(found) << errorText(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, rule);
}

TEST_P(DeploymentRuleRepositoryTest, DuplicateIdIsInvalid) {
  const DeploymentRuleRecord rule = sampleRule();
  ASSERT_TRUE(write([&](Session& session) { return insertDeploymentRule(session, rule); }));
  auto repeated = write([&](Session& session) { return insertDeploymentRule(session, rule); });
  ASSERT_FALSE(repeated);
  EXPECT_EQ(repeated.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(DeploymentRuleRepositoryTest, ListsByIdAndFiltersEnabled) {
  DeploymentRuleRecord on = sampleRule("on");
  DeploymentRuleRecord off = sampleRule("off");
  off.enabled = false;
  off.ecosystem.reset();
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    if (auto added = insertDeploymentRule(session, on); !added) return added;
    return insertDeploymentRule(session, off);
  }));
  auto all = readValue<std::vector<DeploymentRuleRecord>>(
      [&](Session& session) { return listDeploymentRules(session); });
  ASSERT_TRUE(all) << errorText(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_LT((*all)[0].id, (*all)[1].id);
  auto enabled = readValue<std::vector<DeploymentRuleRecord>>(
      [&](Session& session) { return listDeploymentRules(session, true); });
  ASSERT_TRUE(enabled) << errorText(enabled);
  ASSERT_EQ(enabled->size(), 1u);
  EXPECT_EQ((*enabled)[0].name, "on");
}

TEST_P(DeploymentRuleRepositoryTest, RunIsRecorded) {
  const DeploymentRuleRecord rule = sampleRule();
  ASSERT_TRUE(write([&](Session& session) { return insertDeploymentRule(session, rule); }));
  const SystemTime occurrence = clock_.now() + hours(5);
  ASSERT_TRUE(write([&](Session& session) {
    return recordDeploymentRuleRun(session, rule.id, occurrence, "no targets");
  }));
  auto found = readValue<std::optional<DeploymentRuleRecord>>(
      [&](Session& session) { return getDeploymentRule(session, rule.id); });
  ASSERT_TRUE(found) << errorText(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->last_created_for, occurrence);
  EXPECT_EQ((*found)->last_result, "no targets");
}

TEST_P(DeploymentRuleRepositoryTest, ResultAloneKeepsOccurrence) {
  const DeploymentRuleRecord rule = sampleRule();
  ASSERT_TRUE(write([&](Session& session) { return insertDeploymentRule(session, rule); }));
  const SystemTime occurrence = clock_.now() + hours(5);
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    auto first = recordDeploymentRuleRun(session, rule.id, occurrence, "created");
    if (!first) return first;
    return recordDeploymentRuleRun(session, rule.id, std::nullopt, "not run");
  }));
  auto found = readValue<std::optional<DeploymentRuleRecord>>(
      [&](Session& session) { return getDeploymentRule(session, rule.id); });
  ASSERT_TRUE(found) << errorText(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->last_created_for, occurrence);
  EXPECT_EQ((*found)->last_result, "not run");
}

TEST_P(DeploymentRuleRepositoryTest, RunOfUnknownRuleIsNotFound) {
  auto recorded = write([&](Session& session) {
    return recordDeploymentRuleRun(session, "r-0000000000000000", clock_.now(), "x");
  });
  ASSERT_FALSE(recorded);
  EXPECT_EQ(recorded.error().code, ErrorCode::kNotFound);
}

TEST_P(DeploymentRuleRepositoryTest, DeleteKeepsDeployments) {
  const DeploymentRuleRecord rule = sampleRule();
  DeploymentRecord deployment;
  deployment.id = newDeploymentId();
  deployment.name = "made by a rule";
  deployment.ring_sequence = "default";
  deployment.available_at = clock_.now();
  deployment.deadline = clock_.now() + hours(24);
  deployment.created_by = "rule:" + rule.id;
  deployment.created_at = clock_.now();
  deployment.updated_at = clock_.now();
  deployment.rule_id = rule.id;
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    if (auto added = insertDeploymentRule(session, rule); !added) return added;
    return insertDeployment(session, deployment);
  }));
  bool deleted = false;
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    auto removed = deleteDeploymentRule(session, rule.id);
    if (!removed) return tl::unexpected(removed.error());
    deleted = *removed;
    return {};
  }));
  EXPECT_TRUE(deleted);
  auto after = readValue<std::optional<DeploymentRecord>>(
      [&](Session& session) { return getDeployment(session, deployment.id); });
  ASSERT_TRUE(after) << errorText(after);
  ASSERT_TRUE(after->has_value());
  EXPECT_FALSE((*after)->rule_id.has_value());
}

TEST_P(DeploymentRuleRepositoryTest, DeleteOfUnknownRuleIsFalse) {
  bool deleted = true;
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    auto removed = deleteDeploymentRule(session, "r-0000000000000000");
    if (!removed) return tl::unexpected(removed.error());
    deleted = *removed;
    return {};
  }));
  EXPECT_FALSE(deleted);
}

TEST_P(DeploymentRuleRepositoryTest, OverlappingDeploymentsByAvailability) {
  auto make = [&](const std::string& name, int available_hours, int deadline_hours) {
    DeploymentRecord deployment;
    deployment.id = newDeploymentId();
    deployment.name = name;
    deployment.ring_sequence = "default";
    deployment.available_at = clock_.now() + hours(available_hours);
    deployment.deadline = clock_.now() + hours(deadline_hours);
    deployment.created_by = "user:alice";
    deployment.created_at = clock_.now();
    deployment.updated_at = clock_.now();
    deployment.rings = {{.position = 0, .name = "Test", .collection = "test"}};
    return deployment;
  };
  // The range is [10h, 20h).
  const std::vector<DeploymentRecord> deployments = {
      make("ended before", 0, 9),    make("late", 15, 40),         make("spans", 5, 30),
      make("starts at end", 20, 30), make("ends at start", 1, 10),
  };
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    for (const auto& deployment : deployments) {
      if (auto added = insertDeployment(session, deployment); !added) return added;
    }
    return {};
  }));
  auto found = readValue<std::vector<DeploymentRecord>>([&](Session& session) {
    return listDeploymentsOverlapping(session, clock_.now() + hours(10), clock_.now() + hours(20),
                                      10);
  });
  ASSERT_TRUE(found) << errorText(found);
  std::vector<std::string> names;
  for (const auto& deployment : *found) names.push_back(deployment.name);
  EXPECT_EQ(names, (std::vector<std::string>{"ends at start", "spans", "late"}));
  ASSERT_FALSE(found->empty());
  EXPECT_EQ(found->front().rings.size(), 1u);
}

TEST_P(DeploymentRuleRepositoryTest, OverlappingDeploymentsHonourLimit) {
  for (int i = 0; i < 3; ++i) {
    DeploymentRecord deployment;
    deployment.id = newDeploymentId();
    deployment.name = "d" + std::to_string(i);
    deployment.ring_sequence = "default";
    deployment.available_at = clock_.now() + hours(i);
    deployment.deadline = clock_.now() + hours(100);
    deployment.created_by = "user:alice";
    deployment.created_at = clock_.now();
    deployment.updated_at = clock_.now();
    ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, deployment); }));
  }
  auto found = readValue<std::vector<DeploymentRecord>>([&](Session& session) {
    return listDeploymentsOverlapping(session, clock_.now(), clock_.now() + hours(50), 2);
  });
  ASSERT_TRUE(found) << errorText(found);
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[1].name, "d1");
}

PK_STORE_CONFORMANCE_SUITE(DeploymentRuleRepositoryTest);

}  // namespace
}  // namespace pk::store
