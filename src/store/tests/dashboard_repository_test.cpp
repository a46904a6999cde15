#include "store/dashboard_repository.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "store/finding_repository.h"
#include "store/host_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

class DashboardRepositoryTest : public conformance::StoreTest {
 protected:
  void run(const std::function<Result<void>(Session&)>& work) {
    auto done = database().write(work);
    ASSERT_TRUE(done) << errorText(done);
  }

  std::string addHost(const std::string& name, bool restart = false,
                      const std::string& status = "active") {
    HostRecord host;
    host.id = newHostId();
    host.hostname = name;
    host.machine_id = host.id;
    host.kind = "server";
    host.status = status;
    host.enrolled_at = clock_.now();
    host.restart_required = restart;
    run([&](Session& session) { return insertHost(session, host); });
    return host.id;
  }

  void addFinding(const std::string& host_id, const std::string& advisory,
                  const std::string& package, const std::string& due = "", bool kev = true,
                  FindingStatus status = FindingStatus::kOpen) {
    StoredFinding finding;
    finding.host_id = host_id;
    finding.advisory_id = advisory;
    finding.package = package;
    finding.source_package = package;
    finding.installed_version = "1.0-1";
    finding.compared_version = "1.0-1";
    finding.fixed_version = "1.0-2";
    finding.ecosystem = "Debian:12";
    finding.severity = "high";
    finding.known_exploited = kev;
    finding.kev_due_date = due;
    finding.status = status;
    finding.first_seen_at = clock_.now();
    finding.last_seen_at = clock_.now();
    if (status == FindingStatus::kFixed) finding.fixed_at = clock_.now();
    run([&](Session& session) -> Result<void> {
      auto inserted = insertFinding(session, finding);
      if (!inserted) return tl::unexpected(inserted.error());
      return {};
    });
  }

  std::vector<KevExposure> kev(std::int64_t limit = 10) {
    std::vector<KevExposure> rows;
    run([&](Session& session) -> Result<void> {
      auto listed = listKevExposure(session, limit);
      if (!listed) return tl::unexpected(listed.error());
      rows = std::move(*listed);
      return {};
    });
    return rows;
  }
};

TEST_P(DashboardRepositoryTest, KevSortsByDueDate) {
  const std::string web = addHost("web");
  const std::string db = addHost("db");
  addFinding(web, "DSA-2", "curl", "2027-02-01");
  addFinding(db, "DSA-2", "curl", "2027-02-01");
  addFinding(web, "DSA-1", "openssl", "2027-01-15");
  addFinding(web, "DSA-3", "bash", "");
  EXPECT_EQ(kev(), (std::vector<KevExposure>{
                       {"DSA-1", "2027-01-15", 1}, {"DSA-2", "2027-02-01", 2}, {"DSA-3", "", 1}}));
}

TEST_P(DashboardRepositoryTest, KevLeavesOutFixedAndUnlisted) {
  const std::string web = addHost("web");
  addFinding(web, "DSA-1", "openssl", "2027-01-15", true, FindingStatus::kFixed);
  addFinding(web, "DSA-4", "zlib", "", false);
  EXPECT_TRUE(kev().empty());
}

TEST_P(DashboardRepositoryTest, KevLeavesOutRevokedHosts) {
  const std::string gone = addHost("gone", false, "revoked");
  addFinding(gone, "DSA-1", "openssl", "2027-01-15");
  EXPECT_TRUE(kev().empty());
}

TEST_P(DashboardRepositoryTest, KevHonoursTheLimit) {
  const std::string web = addHost("web");
  addFinding(web, "DSA-1", "openssl", "2027-01-15");
  addFinding(web, "DSA-2", "curl", "2027-02-01");
  EXPECT_EQ(kev(1).size(), 1u);
}

TEST_P(DashboardRepositoryTest, RestartHostsByName) {
  addHost("zeta", true);
  addHost("alpha", true);
  addHost("calm", false);
  addHost("revoked", true, "revoked");
  std::int64_t count = 0;
  std::vector<RestartHost> hosts;
  run([&](Session& session) -> Result<void> {
    auto counted = countHostsNeedingRestart(session);
    if (!counted) return tl::unexpected(counted.error());
    count = *counted;
    auto listed = listHostsNeedingRestart(session, 10);
    if (!listed) return tl::unexpected(listed.error());
    hosts = std::move(*listed);
    return {};
  });
  EXPECT_EQ(count, 2);
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].hostname, "alpha");
}

PK_STORE_CONFORMANCE_SUITE(DashboardRepositoryTest);

}  // namespace
}  // namespace pk::store
