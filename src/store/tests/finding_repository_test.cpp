#include "store/finding_repository.h"

#include <gtest/gtest.h>

#include <functional>

#include <fmt/format.h>

#include "store/host_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

class FindingRepositoryTest : public conformance::StoreTest {
 protected:
  void addHost(const std::string& id, const std::string& owner) {
    HostRecord host;
    host.id = id;
    host.hostname = id;
    host.machine_id = "machine-" + id;
    host.kind = "server";
    host.owner = owner;
    host.enrolled_at = clock_.now();
    auto written = database().write([&](Session& session) { return insertHost(session, host); });
    ASSERT_TRUE(written) << errorText(written);
  }

  StoredFinding finding(const std::string& host_id, const std::string& advisory_id,
                        const std::string& package) {
    StoredFinding result;
    result.host_id = host_id;
    result.advisory_id = advisory_id;
    result.package = package;
    result.source_package = package;
    result.installed_version = "1.0-1";
    result.compared_version = "1.0-1";
    result.fixed_version = "1.0-2";
    result.ecosystem = "Debian:12";
    result.severity = "high";
    result.first_seen_at = clock_.now();
    result.last_seen_at = clock_.now();
    return result;
  }

  std::int64_t insert(const StoredFinding& value) {
    std::int64_t id = 0;
    auto written = database().write([&](Session& session) -> Result<void> {
      auto inserted = insertFinding(session, value);
      if (!inserted) return tl::unexpected(inserted.error());
      id = *inserted;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return id;
  }

  std::vector<StoredFinding> list(const FindingQuery& query) {
    std::vector<StoredFinding> found;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto listed = listFindings(session, query);
      if (!listed) return tl::unexpected(listed.error());
      found = std::move(*listed);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return found;
  }

  // Builds a query with the fields `set` assigns; the rest keep defaults.
  static FindingQuery where(const std::function<void(FindingQuery&)>& set) {
    FindingQuery query;
    set(query);
    return query;
  }

  static std::vector<std::int64_t> ids(const std::vector<StoredFinding>& findings) {
    std::vector<std::int64_t> result;
    for (const auto& item : findings) result.push_back(item.id);
    return result;
  }
};
PK_STORE_CONFORMANCE_SUITE(FindingRepositoryTest);

TEST_P(FindingRepositoryTest, InsertedFindingLoadsEveryField) {
  addHost("h-0000000000000001", "alice");
  StoredFinding value = finding("h-0000000000000001", "DSA-5678-1", "libssl3");
  value.source_package = "openssl";
  value.compared_version = "3.0.11-1~deb12u1";
  value.cvss = 9.8;
  value.known_exploited = true;
  value.kev_due_date = "2024-05-01";
  value.epss = 0.42;
  value.aliases = {"CVE-2024-1", "CVE-2024-2"};
  value.source = FindingSource::kHostRepository;
  std::int64_t id = insert(value);

  std::vector<StoredFinding> loaded;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = loadHostFindings(session, "h-0000000000000001");
    if (!found) return tl::unexpected(found.error());
    loaded = std::move(*found);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(loaded.size(), 1u);
  const auto& stored = loaded[0];
  EXPECT_EQ(stored.id, id);
  EXPECT_EQ(stored.source, FindingSource::kHostRepository);
  EXPECT_EQ(stored.advisory_id, "DSA-5678-1");
  EXPECT_EQ(stored.package, "libssl3");
  EXPECT_EQ(stored.source_package, "openssl");
  EXPECT_EQ(stored.compared_version, "3.0.11-1~deb12u1");
  EXPECT_EQ(stored.fixed_version, "1.0-2");
  EXPECT_EQ(stored.severity, "high");
  EXPECT_EQ(stored.cvss, 9.8);
  EXPECT_TRUE(stored.known_exploited);
  EXPECT_EQ(stored.kev_due_date, "2024-05-01");
  EXPECT_EQ(stored.epss, 0.42);
  EXPECT_EQ(stored.aliases, (std::vector<std::string>{"CVE-2024-1", "CVE-2024-2"}));
  EXPECT_EQ(stored.status, FindingStatus::kOpen);
  EXPECT_EQ(stored.first_seen_at, clock_.now());
  EXPECT_FALSE(stored.fixed_at);
}

TEST_P(FindingRepositoryTest, DuplicateKeyIsRejected) {
  addHost("h-0000000000000001", "alice");
  insert(finding("h-0000000000000001", "DSA-1", "curl"));
  auto written = database().write([&](Session& session) -> Result<void> {
    auto inserted = insertFinding(session, finding("h-0000000000000001", "DSA-1", "curl"));
    if (!inserted) return tl::unexpected(inserted.error());
    return {};
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(FindingRepositoryTest, UpdateChangesStatusAndAliases) {
  addHost("h-0000000000000001", "alice");
  StoredFinding value = finding("h-0000000000000001", "DSA-1", "curl");
  value.aliases = {"CVE-2024-1"};
  value.id = insert(value);

  clock_.advance(std::chrono::hours(1));
  value.status = FindingStatus::kFixed;
  value.fixed_at = clock_.now();
  value.installed_version = "1.0-2";
  value.aliases = {"CVE-2024-9"};
  auto written = database().write([&](Session& session) { return updateFinding(session, value); });
  ASSERT_TRUE(written) << errorText(written);

  auto fixed = list(where([](FindingQuery& q) { q.status = FindingStatus::kFixed; }));
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_EQ(fixed[0].installed_version, "1.0-2");
  EXPECT_EQ(fixed[0].fixed_at, clock_.now());
  EXPECT_TRUE(list(where([](FindingQuery& q) { q.advisory = "CVE-2024-1"; })).empty());
  EXPECT_EQ(list(where([](FindingQuery& q) { q.advisory = "CVE-2024-9"; })).size(), 1u);

  value.id = 999;
  written = database().write([&](Session& session) { return updateFinding(session, value); });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
}

TEST_P(FindingRepositoryTest, FiltersCombine) {
  addHost("h-0000000000000001", "alice");
  addHost("h-0000000000000002", "bob");
  StoredFinding a = finding("h-0000000000000001", "DSA-1", "curl");
  a.aliases = {"CVE-2024-1"};
  a.known_exploited = true;
  StoredFinding b = finding("h-0000000000000001", "DSA-2", "zlib1g");
  b.severity = "low";
  StoredFinding c = finding("h-0000000000000002", "DSA-1", "curl");
  c.aliases = {"CVE-2024-1"};
  c.status = FindingStatus::kFixed;
  c.fixed_at = clock_.now();
  StoredFinding d = finding("h-0000000000000002", "security-update:curl", "curl");
  d.source = FindingSource::kHostRepository;
  std::int64_t id_a = insert(a);
  std::int64_t id_b = insert(b);
  std::int64_t id_c = insert(c);
  std::int64_t id_d = insert(d);

  EXPECT_EQ(ids(list({})), (std::vector<std::int64_t>{id_a, id_b, id_c, id_d}));
  EXPECT_EQ(ids(list(where([](FindingQuery& q) { q.host_id = "h-0000000000000001"; }))),
            (std::vector<std::int64_t>{id_a, id_b}));
  EXPECT_EQ(ids(list(where([](FindingQuery& q) { q.advisory = "CVE-2024-1"; }))),
            (std::vector<std::int64_t>{id_a, id_c}));
  EXPECT_EQ(ids(list(where([](FindingQuery& q) { q.advisory = "DSA-2"; }))),
            (std::vector<std::int64_t>{id_b}));
  EXPECT_EQ(ids(list(where([](FindingQuery& q) { q.severity = "low"; }))),
            (std::vector<std::int64_t>{id_b}));
  EXPECT_EQ(ids(list(where([](FindingQuery& q) { q.known_exploited_only = true; }))),
            (std::vector<std::int64_t>{id_a}));
  EXPECT_EQ(ids(list(where([](FindingQuery& q) { q.status = FindingStatus::kOpen; }))),
            (std::vector<std::int64_t>{id_a, id_b, id_d}));
  EXPECT_EQ(ids(list(where([](FindingQuery& q) { q.source = FindingSource::kHostRepository; }))),
            (std::vector<std::int64_t>{id_d}));
  EXPECT_EQ(ids(list(where([](FindingQuery& q) { q.owner = "bob"; }))),
            (std::vector<std::int64_t>{id_c, id_d}));
  EXPECT_EQ(ids(list(where([](FindingQuery& q) {
              q.status = FindingStatus::kOpen;
              q.owner = "bob";
            }))),
            (std::vector<std::int64_t>{id_d}));
  EXPECT_TRUE(list(where([](FindingQuery& q) { q.owner = "carol"; })).empty());

  // Paging by id.
  EXPECT_EQ(ids(list(where([](FindingQuery& q) { q.limit = 2; }))),
            (std::vector<std::int64_t>{id_a, id_b}));
  EXPECT_EQ(ids(list(where([&](FindingQuery& q) {
              q.after_id = id_b;
              q.limit = 2;
            }))),
            (std::vector<std::int64_t>{id_c, id_d}));
}

TEST_P(FindingRepositoryTest, CountsOpenFindings) {
  addHost("h-0000000000000001", "alice");
  addHost("h-0000000000000002", "bob");
  StoredFinding fixed = finding("h-0000000000000002", "DSA-3", "curl");
  fixed.status = FindingStatus::kFixed;
  insert(finding("h-0000000000000001", "DSA-1", "curl"));
  StoredFinding low = finding("h-0000000000000001", "DSA-2", "zlib1g");
  low.severity = "low";
  insert(low);
  insert(fixed);

  std::map<std::string, std::int64_t> per_host;
  std::map<std::string, std::int64_t> per_severity;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto counted = countOpenFindings(
        session, {"h-0000000000000001", "h-0000000000000002", "h-000000000000000f"});
    if (!counted) return tl::unexpected(counted.error());
    per_host = std::move(*counted);
    auto by_severity = countOpenFindingsBySeverity(session);
    if (!by_severity) return tl::unexpected(by_severity.error());
    per_severity = std::move(*by_severity);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_EQ(per_host,
            (std::map<std::string, std::int64_t>{
                {"h-0000000000000001", 2}, {"h-0000000000000002", 0}, {"h-000000000000000f", 0}}));
  EXPECT_EQ(per_severity, (std::map<std::string, std::int64_t>{{"high", 1}, {"low", 1}}));
}

TEST_P(FindingRepositoryTest, CountsManyHostsInBatches) {
  // More ids than one IN list holds.
  std::vector<std::string> host_ids;
  for (int i = 0; i < 1203; ++i) host_ids.push_back(fmt::format("h-{:016x}", i));
  addHost(host_ids.back(), "alice");
  insert(finding(host_ids.back(), "DSA-1", "curl"));

  std::map<std::string, std::int64_t> per_host;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto counted = countOpenFindings(session, host_ids);
    if (!counted) return tl::unexpected(counted.error());
    per_host = std::move(*counted);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_EQ(per_host.size(), host_ids.size());
  EXPECT_EQ(per_host[host_ids.back()], 1);
  EXPECT_EQ(per_host[host_ids.front()], 0);
}

TEST_P(FindingRepositoryTest, HostsNamingCveIds) {
  addHost("h-0000000000000001", "alice");
  addHost("h-0000000000000002", "bob");
  addHost("h-0000000000000003", "bob");
  StoredFinding a = finding("h-0000000000000001", "DSA-1", "curl");
  a.aliases = {"CVE-2024-1"};
  insert(a);
  insert(finding("h-0000000000000002", "CVE-2024-2", "zlib1g"));
  insert(finding("h-0000000000000003", "DSA-9", "zlib1g"));

  std::vector<std::string> hosts;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = hostsWithFindingsNaming(session, {"CVE-2024-1", "CVE-2024-2", "CVE-2000-1"});
    if (!found) return tl::unexpected(found.error());
    hosts = std::move(*found);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_EQ(hosts, (std::vector<std::string>{"h-0000000000000001", "h-0000000000000002"}));
}

TEST_P(FindingRepositoryTest, EventsListOldestFirst) {
  addHost("h-0000000000000001", "alice");
  std::int64_t id = insert(finding("h-0000000000000001", "DSA-1", "curl"));
  SystemTime opened = clock_.now();
  clock_.advance(std::chrono::hours(2));
  auto written = database().write([&](Session& session) -> Result<void> {
    if (auto event =
            appendFindingEvent(session, {0, id, clock_.now(), FindingEventType::kFixed, "1.0-2"});
        !event) {
      return event;
    }
    return appendFindingEvent(session, {0, id, opened, FindingEventType::kOpened, "1.0-1"});
  });
  ASSERT_TRUE(written) << errorText(written);

  std::vector<FindingEvent> events;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto listed = listFindingEvents(session, id);
    if (!listed) return tl::unexpected(listed.error());
    events = std::move(*listed);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, FindingEventType::kOpened);
  EXPECT_EQ(events[0].installed_version, "1.0-1");
  EXPECT_EQ(events[1].type, FindingEventType::kFixed);
  EXPECT_EQ(events[1].at, clock_.now());
}

}  // namespace
}  // namespace pk::store
