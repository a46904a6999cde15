#include "store/deployment_repository.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

#include "store/host_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::hours;

class DeploymentRepositoryTest : public conformance::StoreTest {
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

  std::string insertServer(const std::string& name) {
    HostRecord host;
    host.id = newHostId();
    host.hostname = name;
    host.machine_id = host.id;
    host.kind = "server";
    host.enrolled_at = clock_.now();
    auto inserted = write([&](Session& session) { return insertHost(session, host); });
    EXPECT_TRUE(inserted) << errorText(inserted);
    return host.id;
  }

  DeploymentRecord sampleDeployment() {
    DeploymentRecord deployment;
    deployment.id = newDeploymentId();
    deployment.name = "December security updates, Ünïcode kept";
    deployment.ring_sequence = "default";
    deployment.available_at = clock_.now();
    deployment.deadline = clock_.now() + hours(24 * 14);
    deployment.restart_deadline_seconds = 3600;
    deployment.created_by = "user:alice";
    deployment.created_at = clock_.now();
    deployment.updated_at = clock_.now();
    deployment.patch_ids = {"p-00000000000000a1", "p-00000000000000b2"};
    deployment.rings = {
        {.position = 0,
         .name = "Test",
         .collection = "test",
         .min_soak_seconds = 86400,
         .min_success_ratio = 0.9,
         .max_failures = 0},
        {.position = 1,
         .name = "Production",
         .collection = "production",
         .min_soak_seconds = 0,
         .min_success_ratio = 0.95,
         .max_failures = 2},
    };
    return deployment;
  }

  JobRecord sampleJob(const std::string& deployment_id, const std::string& host_id) {
    JobRecord job;
    job.id = newJobId();
    job.deployment_id = deployment_id;
    job.host_id = host_id;
    job.state = "pending";
    job.manager = "apt";
    job.packages_json = R"([{"name":"openssl","version":"3.0.15-1~deb12u1"}])";
    job.pre_hook = "stop-app";
    job.estimate_seconds = 1800;
    job.created_at = clock_.now();
    job.updated_at = clock_.now();
    return job;
  }

  std::optional<DeploymentRecord> get(const std::string& id) {
    auto found = readValue<std::optional<DeploymentRecord>>(
        [&](Session& session) { return getDeployment(session, id); });
    EXPECT_TRUE(found) << errorText(found);
    return found ? *found : std::nullopt;
  }
};
PK_STORE_CONFORMANCE_SUITE(DeploymentRepositoryTest);

TEST_P(DeploymentRepositoryTest, DeploymentRoundTripsExactly) {
  const DeploymentRecord deployment = sampleDeployment();
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, deployment); }));
  auto stored = get(deployment.id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(*stored, deployment);
}

TEST_P(DeploymentRepositoryTest, ProgressAndRingTimesAreStored) {
  DeploymentRecord deployment = sampleDeployment();
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, deployment); }));
  deployment.status = std::string(kDeploymentHalted);
  deployment.status_reason = "2 of 3 jobs failed";
  deployment.current_ring = 1;
  deployment.approved_by = "user:bob";
  deployment.approved_at = clock_.now() + hours(1);
  deployment.updated_at = clock_.now() + hours(2);
  auto written = write([&](Session& session) -> Result<void> {
    if (auto updated = updateDeploymentProgress(session, deployment); !updated) return updated;
    if (auto entered = setRingEntered(session, deployment.id, 1, clock_.now() + hours(3));
        !entered) {
      return entered;
    }
    return setRingLeft(session, deployment.id, 0, clock_.now() + hours(3));
  });
  ASSERT_TRUE(written) << errorText(written);
  deployment.rings[1].entered_at = clock_.now() + hours(3);
  deployment.rings[0].left_at = clock_.now() + hours(3);
  EXPECT_EQ(get(deployment.id), deployment);
}

TEST_P(DeploymentRepositoryTest, UnfinishedDeploymentsOfCollection) {
  DeploymentRecord deployment = sampleDeployment();
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, deployment); }));
  using Ids = std::vector<std::string>;
  auto using_test = readValue<Ids>(
      [&](Session& session) { return unfinishedDeploymentsUsingCollection(session, "test"); });
  ASSERT_TRUE(using_test) << errorText(using_test);
  EXPECT_EQ(*using_test, Ids{deployment.id});
  auto using_pilot = readValue<Ids>(
      [&](Session& session) { return unfinishedDeploymentsUsingCollection(session, "pilot"); });
  ASSERT_TRUE(using_pilot) << errorText(using_pilot);
  EXPECT_TRUE(using_pilot->empty());

  deployment.status = std::string(kDeploymentCompleted);
  ASSERT_TRUE(
      write([&](Session& session) { return updateDeploymentProgress(session, deployment); }));
  auto after = readValue<Ids>(
      [&](Session& session) { return unfinishedDeploymentsUsingCollection(session, "test"); });
  ASSERT_TRUE(after) << errorText(after);
  EXPECT_TRUE(after->empty());
}

TEST_P(DeploymentRepositoryTest, UnknownRingIsNotFound) {
  const DeploymentRecord deployment = sampleDeployment();
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, deployment); }));
  auto written = write(
      [&](Session& session) { return setRingEntered(session, deployment.id, 7, clock_.now()); });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
}

TEST_P(DeploymentRepositoryTest, RuleCreatesOneDeploymentPerDate) {
  auto written = write([&](Session& session) {
    return session.execute(
        "INSERT INTO deployment_rules (id, name, rrule, start_local, zone, ring_sequence, "
        "deadline_seconds, created_by, created_at) VALUES ('r-1', 'monthly', "
        "'FREQ=MONTHLY;BYDAY=2TU', '2026-01-01T10:00:00', 'UTC', 'default', 86400, 'alice', 0)");
  });
  ASSERT_TRUE(written) << errorText(written);
  DeploymentRecord first = sampleDeployment();
  first.rule_id = "r-1";
  DeploymentRecord second = sampleDeployment();
  second.rule_id = "r-1";
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, first); }));
  auto repeated = write([&](Session& session) { return insertDeployment(session, second); });
  ASSERT_FALSE(repeated);
  EXPECT_EQ(repeated.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(DeploymentRepositoryTest, ListsNewestFirstWithStatusFilter) {
  DeploymentRecord older = sampleDeployment();
  DeploymentRecord newer = sampleDeployment();
  newer.created_at = older.created_at + hours(1);
  newer.status = std::string(kDeploymentCompleted);
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, older); }));
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, newer); }));

  auto all = readValue<std::vector<DeploymentRecord>>(
      [&](Session& session) { return listDeployments(session, {}); });
  ASSERT_TRUE(all) << errorText(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, newer.id);

  auto active = readValue<std::vector<DeploymentRecord>>([&](Session& session) {
    return listDeployments(session, {.status = std::string(kDeploymentActive)});
  });
  ASSERT_TRUE(active) << errorText(active);
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].id, older.id);
}

TEST_P(DeploymentRepositoryTest, JobRoundTripsAndOneJobPerHost) {
  const DeploymentRecord deployment = sampleDeployment();
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, deployment); }));
  const std::string host = insertServer("db-1");
  const JobRecord job = sampleJob(deployment.id, host);
  ASSERT_TRUE(write([&](Session& session) { return insertJob(session, job); }));

  auto stored = readValue<std::optional<JobRecord>>(
      [&](Session& session) { return getJob(session, job.id); });
  ASSERT_TRUE(stored) << errorText(stored);
  EXPECT_EQ(*stored, job);

  auto second =
      write([&](Session& session) { return insertJob(session, sampleJob(deployment.id, host)); });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(DeploymentRepositoryTest, JobsComeWithHostnames) {
  const DeploymentRecord deployment = sampleDeployment();
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, deployment); }));
  const std::string host = insertServer("db-1");
  const JobRecord job = sampleJob(deployment.id, host);
  ASSERT_TRUE(write([&](Session& session) { return insertJob(session, job); }));

  auto listed = readValue<std::vector<JobWithHostname>>(
      [&](Session& session) { return listJobsOfDeploymentWithHostnames(session, deployment.id); });
  ASSERT_TRUE(listed) << errorText(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].job, job);
  EXPECT_EQ((*listed)[0].hostname, "db-1");
}

TEST_P(DeploymentRepositoryTest, JobStateCountsAndHostFilter) {
  const DeploymentRecord deployment = sampleDeployment();
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, deployment); }));
  JobRecord done = sampleJob(deployment.id, insertServer("db-1"));
  JobRecord waiting = sampleJob(deployment.id, insertServer("db-2"));
  ASSERT_TRUE(write([&](Session& session) { return insertJob(session, done); }));
  ASSERT_TRUE(write([&](Session& session) { return insertJob(session, waiting); }));
  done.state = "succeeded";
  done.duration_seconds = 600;
  done.finished_at = clock_.now() + hours(1);
  done.updated_at = clock_.now() + hours(1);
  ASSERT_TRUE(write([&](Session& session) { return updateJobState(session, done); }));

  auto counts = readValue<std::map<std::string, std::int64_t>>(
      [&](Session& session) { return countJobStates(session, deployment.id, 0); });
  ASSERT_TRUE(counts) << errorText(counts);
  EXPECT_EQ((*counts)["succeeded"], 1);
  EXPECT_EQ((*counts)["pending"], 1);

  auto active = readValue<std::vector<JobRecord>>([&](Session& session) {
    return listJobsOfHost(session, done.host_id, {"pending", "installing"});
  });
  ASSERT_TRUE(active) << errorText(active);
  EXPECT_TRUE(active->empty());

  auto durations = readValue<std::vector<std::int64_t>>(
      [&](Session& session) { return recentJobDurations(session, done.host_id, 20); });
  ASSERT_TRUE(durations) << errorText(durations);
  EXPECT_EQ(*durations, std::vector<std::int64_t>{600});
}

TEST_P(DeploymentRepositoryTest, JobEventAppliesEachIdOnce) {
  const DeploymentRecord deployment = sampleDeployment();
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, deployment); }));
  const JobRecord job = sampleJob(deployment.id, insertServer("db-1"));
  ASSERT_TRUE(write([&](Session& session) { return insertJob(session, job); }));

  JobEventRecord event;
  event.job_id = job.id;
  event.event_id = "0123456789abcdef0123456789abcdef";
  event.at = clock_.now();
  event.received_at = clock_.now();
  event.source = "agent";
  event.state = "failed";
  event.message = "dpkg failed";
  event.output = "postinst: cannot reach the license server\n";
  event.report_id = "fedcba9876543210fedcba9876543210";
  std::vector<bool> appended;
  for (int i = 0; i < 2; ++i) {
    auto written = write([&](Session& session) -> Result<void> {
      auto added = appendJobEvent(session, event);
      if (!added) return tl::unexpected(added.error());
      appended.push_back(*added);
      return {};
    });
    ASSERT_TRUE(written) << errorText(written);
  }
  EXPECT_EQ(appended, (std::vector<bool>{true, false}));

  auto events = readValue<std::vector<JobEventRecord>>(
      [&](Session& session) { return listJobEvents(session, job.id); });
  ASSERT_TRUE(events) << errorText(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].output, event.output);
  EXPECT_EQ((*events)[0].report_id, event.report_id);

  auto from_agent = readValue<std::int64_t>([&](Session& session) {
    return countJobEvents(session, job.id, "agent", "waiting_for_window");
  });
  ASSERT_TRUE(from_agent) << errorText(from_agent);
  EXPECT_EQ(*from_agent, 1);
  auto from_server = readValue<std::int64_t>([&](Session& session) {
    return countJobEvents(session, job.id, "server", "waiting_for_window");
  });
  ASSERT_TRUE(from_server) << errorText(from_server);
  EXPECT_EQ(*from_server, 0);
  auto not_failed = readValue<std::int64_t>(
      [&](Session& session) { return countJobEvents(session, job.id, "agent", "failed"); });
  ASSERT_TRUE(not_failed) << errorText(not_failed);
  EXPECT_EQ(*not_failed, 0);
}

TEST_P(DeploymentRepositoryTest, DeploymentEventsKeepOrder) {
  const DeploymentRecord deployment = sampleDeployment();
  ASSERT_TRUE(write([&](Session& session) { return insertDeployment(session, deployment); }));
  auto written = write([&](Session& session) -> Result<void> {
    for (const char* kind : {"created", "ring_entered", "halted"}) {
      auto added = appendDeploymentEvent(session, {.deployment_id = deployment.id,
                                                   .at = clock_.now(),
                                                   .kind = kind,
                                                   .actor = "server",
                                                   .message = kind});
      if (!added) return added;
    }
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);
  auto events = readValue<std::vector<DeploymentEventRecord>>(
      [&](Session& session) { return listDeploymentEvents(session, deployment.id); });
  ASSERT_TRUE(events) << errorText(events);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[2].kind, "halted");
}

}  // namespace
}  // namespace pk::store
