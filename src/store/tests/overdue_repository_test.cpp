#include "store/overdue_repository.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "store/deployment_repository.h"
#include "store/finding_repository.h"
#include "store/host_repository.h"
#include "store/patch_repository.h"
#include "store/tests/conformance.h"
#include "store/ticket_repository.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::hours;

class OverdueRepositoryTest : public conformance::StoreTest {
 protected:
  void run(const std::function<Result<void>(Session&)>& work) {
    auto done = database().write(work);
    ASSERT_TRUE(done) << errorText(done);
  }

  std::string addHost(const std::string& name, const std::string& status = "active") {
    HostRecord host;
    host.id = newHostId();
    host.hostname = name;
    host.machine_id = host.id;
    host.kind = "server";
    host.owner = "olivia";
    host.status = status;
    host.enrolled_at = clock_.now();
    run([&](Session& session) { return insertHost(session, host); });
    return host.id;
  }

  // A deployment of patch `patch_id` whose deadline is `deadline_offset`
  // from now.
  std::string addDeployment(const std::string& name, const std::string& patch_id,
                            Elapsed deadline_offset, const std::string& status = "active") {
    DeploymentRecord deployment;
    deployment.id = newDeploymentId();
    deployment.name = name;
    deployment.status = status;
    deployment.ring_sequence = "default";
    deployment.available_at = clock_.now() - hours(48);
    deployment.deadline = clock_.now() + deadline_offset;
    deployment.created_by = "user:alice";
    deployment.created_at = clock_.now();
    deployment.updated_at = clock_.now();
    deployment.patch_ids = {patch_id};
    deployment.rings = {{.position = 0, .name = "Test", .collection = "test"}};
    run([&](Session& session) { return insertDeployment(session, deployment); });
    return deployment.id;
  }

  void addJob(const std::string& deployment_id, const std::string& host_id,
              const std::string& state) {
    JobRecord job;
    job.id = newJobId();
    job.deployment_id = deployment_id;
    job.host_id = host_id;
    job.state = state;
    job.manager = "apt";
    job.created_at = clock_.now();
    job.updated_at = clock_.now();
    run([&](Session& session) { return insertJob(session, job); });
  }

  void addPatch(const std::string& id) {
    PatchRecord patch{.id = id,
                      .kind = "source-package",
                      .ecosystem = "Debian:12",
                      .name = "openssl",
                      .version = "3.0.15-1~deb12u1",
                      .first_seen_at = clock_.now()};
    run([&](Session& session) -> Result<void> {
      auto inserted = insertPatchIfMissing(session, patch);
      if (!inserted) return tl::unexpected(inserted.error());
      return {};
    });
  }

  void addLinkedFinding(const std::string& host_id, const std::string& patch_id,
                        const std::string& advisory_id) {
    StoredFinding finding;
    finding.host_id = host_id;
    finding.advisory_id = advisory_id;
    finding.package = "openssl";
    finding.source_package = "openssl";
    finding.installed_version = "3.0.11-1~deb12u2";
    finding.compared_version = "3.0.11-1~deb12u2";
    finding.fixed_version = "3.0.15-1~deb12u1";
    finding.ecosystem = "Debian:12";
    finding.severity = "high";
    finding.first_seen_at = clock_.now();
    finding.last_seen_at = clock_.now();
    run([&](Session& session) -> Result<void> {
      auto id = insertFinding(session, finding);
      if (!id) return tl::unexpected(id.error());
      return linkFindingToPatch(session, *id, patch_id);
    });
  }

  std::vector<OverdueJobRow> list() {
    std::vector<OverdueJobRow> rows;
    auto done = database().read([&](Session& session) -> Result<void> {
      auto listed = listJobsPastDeadline(session, clock_.now());
      if (!listed) return tl::unexpected(listed.error());
      rows = std::move(*listed);
      return {};
    });
    EXPECT_TRUE(done) << errorText(done);
    return rows;
  }
};
PK_STORE_CONFORMANCE_SUITE(OverdueRepositoryTest);

TEST_P(OverdueRepositoryTest, ListsUnfinishedJobsPastDeadline) {
  addPatch("p-00000000000000a1");
  const std::string late = addDeployment("Late, Ünïcode kept", "p-00000000000000a1", -hours(5));
  const std::string pending_host = addHost("web-1");
  const std::string failed_host = addHost("web-2");
  const std::string done_host = addHost("web-3");
  addJob(late, pending_host, "pending");
  addJob(late, failed_host, "failed");
  addJob(late, done_host, "succeeded");
  addLinkedFinding(pending_host, "p-00000000000000a1", "DSA-5000-1");
  addLinkedFinding(pending_host, "p-00000000000000a1", "DSA-5001-1");

  const auto rows = list();
  ASSERT_EQ(rows.size(), 2u);
  const auto& pending = rows[0].host_id == pending_host ? rows[0] : rows[1];
  const auto& failed = rows[0].host_id == pending_host ? rows[1] : rows[0];
  EXPECT_EQ(pending.host_id, pending_host);
  EXPECT_EQ(pending.job_state, "pending");
  EXPECT_EQ(pending.open_fixed_findings, 2);
  EXPECT_EQ(pending.deployment_name, "Late, Ünïcode kept");
  EXPECT_EQ(pending.deadline, clock_.now() - hours(5));
  EXPECT_EQ(pending.owner, "olivia");
  EXPECT_EQ(failed.host_id, failed_host);
  EXPECT_EQ(failed.job_state, "failed");
  EXPECT_EQ(failed.open_fixed_findings, 0);
}

TEST_P(OverdueRepositoryTest, RiskExceptionHidesFinding) {
  addPatch("p-00000000000000a1");
  const std::string host = addHost("web-1");
  addJob(addDeployment("Late", "p-00000000000000a1", -hours(5)), host, "pending");
  addLinkedFinding(host, "p-00000000000000a1", "DSA-5000-1");
  addLinkedFinding(host, "p-00000000000000a1", "DSA-5001-1");
  TicketRecord ticket;
  ticket.type = "accept_risk";
  ticket.requester = "olivia";
  ticket.subject_hosts = {host};
  ticket.requested_change_json = "{}";
  ticket.justification = "compensating control";
  ticket.created_at = clock_.now();
  ticket.updated_at = clock_.now();
  run([&](Session& session) -> Result<void> {
    auto ticket_id = insertTicket(session, ticket);
    if (!ticket_id) return tl::unexpected(ticket_id.error());
    return insertRiskException(session, RiskExceptionRecord{*ticket_id, host, "DSA-5000-1",
                                                            clock_.now() + hours(1), clock_.now()});
  });

  const auto rows = list();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].open_fixed_findings, 1);
}

TEST_P(OverdueRepositoryTest, SkipsFutureAndCancelled) {
  addPatch("p-00000000000000a1");
  const std::string host = addHost("web-1");
  addJob(addDeployment("Future", "p-00000000000000a1", hours(5)), host, "failed");
  addJob(addDeployment("Cancelled", "p-00000000000000a1", -hours(5), "cancelled"), host, "failed");
  EXPECT_TRUE(list().empty());
}

TEST_P(OverdueRepositoryTest, SkipsRevokedHosts) {
  addPatch("p-00000000000000a1");
  const std::string revoked = addHost("old-1", "revoked");
  addJob(addDeployment("Late", "p-00000000000000a1", -hours(5)), revoked, "failed");
  EXPECT_TRUE(list().empty());
}

TEST_P(OverdueRepositoryTest, OrdersByDeadline) {
  addPatch("p-00000000000000a1");
  const std::string host = addHost("web-1");
  const std::string recent = addDeployment("Recent", "p-00000000000000a1", -hours(1));
  const std::string older = addDeployment("Older", "p-00000000000000a1", -hours(30));
  addJob(recent, host, "failed");
  addJob(older, host, "unschedulable");
  const auto rows = list();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].deployment_id, older);
  EXPECT_EQ(rows[1].deployment_id, recent);
}

}  // namespace
}  // namespace pk::store
