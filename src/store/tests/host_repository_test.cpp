#include "store/host_repository.h"

#include <gtest/gtest.h>

#include <functional>
#include <regex>

#include <fmt/format.h>

#include "store/finding_repository.h"
#include "store/inventory_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::hours;

class HostRepositoryTest : public conformance::StoreTest {
 protected:
  HostRecord makeHost(const std::string& id, const std::string& machine_id) {
    HostRecord host;
    host.id = id;
    host.hostname = "web-" + id.substr(2, 4);
    host.machine_id = machine_id;
    host.kind = "server";
    host.owner = "alice";
    host.enrolled_at = clock_.now();
    return host;
  }

  void insert(const HostRecord& host) {
    auto written = database().write([&](Session& session) { return insertHost(session, host); });
    ASSERT_TRUE(written) << errorText(written);
  }

  std::optional<HostRecord> get(const std::string& id) {
    std::optional<HostRecord> found;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto host = getHost(session, id);
      if (!host) return tl::unexpected(host.error());
      found = std::move(*host);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return found;
  }

  std::vector<HostRecord> list(const HostFilter& filter) {
    std::vector<HostRecord> hosts;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto listed = listHosts(session, filter);
      if (!listed) return tl::unexpected(listed.error());
      hosts = std::move(*listed);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return hosts;
  }

  static std::vector<std::string> idsOf(const std::vector<HostRecord>& hosts) {
    std::vector<std::string> ids;
    for (const auto& host : hosts) ids.push_back(host.id);
    return ids;
  }
};
PK_STORE_CONFORMANCE_SUITE(HostRepositoryTest);

TEST_P(HostRepositoryTest, InsertedHostReadsBackWhole) {
  HostRecord host = makeHost("h-0000000000000001", "machine-1");
  host.collections = {"dmz", "web"};
  host.reenrolment_approved_until = clock_.now() + hours(24);
  host.last_seen_at = clock_.now() + hours(1);
  host.os_id = "debian";
  host.os_version_id = "12";
  host.os_codename = "bookworm";
  host.os_pretty_name = "Debian GNU/Linux 12 (bookworm)";
  host.os_ecosystem = "Debian:12";
  host.kernel = "6.1.0-28-amd64";
  host.last_boot = clock_.now() - hours(5);
  host.restart_required = true;
  host.restart_reason = "a new kernel is installed";
  host.restart_packages = {"linux-image-6.1.0-29-amd64", "libc6"};
  host.package_lists_updated_at = clock_.now() - hours(2);
  insert(host);

  const auto found = get(host.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->hostname, host.hostname);
  EXPECT_EQ(found->machine_id, "machine-1");
  EXPECT_EQ(found->kind, "server");
  EXPECT_EQ(found->owner, "alice");
  EXPECT_EQ(found->collections, (std::vector<std::string>{"dmz", "web"}));
  EXPECT_EQ(found->status, "active");
  EXPECT_EQ(found->reenrolment_approved_until, host.reenrolment_approved_until);
  EXPECT_EQ(found->enrolled_at, host.enrolled_at);
  EXPECT_EQ(found->last_seen_at, host.last_seen_at);
  EXPECT_EQ(found->os_id, "debian");
  EXPECT_EQ(found->os_version_id, "12");
  EXPECT_EQ(found->os_codename, "bookworm");
  EXPECT_EQ(found->os_pretty_name, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(found->os_ecosystem, "Debian:12");
  EXPECT_EQ(found->kernel, "6.1.0-28-amd64");
  EXPECT_EQ(found->last_boot, host.last_boot);
  EXPECT_TRUE(found->restart_required);
  EXPECT_EQ(found->restart_reason, "a new kernel is installed");
  EXPECT_EQ(found->restart_packages, host.restart_packages);
  EXPECT_EQ(found->package_lists_updated_at, host.package_lists_updated_at);
  EXPECT_EQ(found->inventory_hash, "");
  EXPECT_FALSE(found->inventory_received_at);
}

TEST_P(HostRepositoryTest, UnsetOptionalTimesStayUnset) {
  insert(makeHost("h-0000000000000001", "machine-1"));

  const auto found = get("h-0000000000000001");
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->reenrolment_approved_until);
  EXPECT_FALSE(found->last_seen_at);
  EXPECT_FALSE(found->last_boot);
  EXPECT_FALSE(found->package_lists_updated_at);
  EXPECT_TRUE(found->collections.empty());
  EXPECT_TRUE(found->restart_packages.empty());
}

TEST_P(HostRepositoryTest, UnknownHostIsNullopt) {
  EXPECT_FALSE(get("h-00000000000000ff"));
}

TEST_P(HostRepositoryTest, DuplicateIdIsRejected) {
  insert(makeHost("h-0000000000000001", "machine-1"));

  auto written = database().write([&](Session& session) {
    return insertHost(session, makeHost("h-0000000000000001", "machine-2"));
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(HostRepositoryTest, OneActiveHostPerMachineId) {
  insert(makeHost("h-0000000000000001", "machine-1"));

  auto second = database().write([&](Session& session) {
    return insertHost(session, makeHost("h-0000000000000002", "machine-1"));
  });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kInvalidArgument);

  // Once the first is revoked, the machine may enrol as a new host.
  auto revoked = database().write(
      [&](Session& session) { return setHostStatus(session, "h-0000000000000001", "revoked"); });
  ASSERT_TRUE(revoked) << errorText(revoked);
  insert(makeHost("h-0000000000000002", "machine-1"));

  std::optional<HostRecord> active;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = findActiveHostByMachineId(session, "machine-1");
    if (!found) return tl::unexpected(found.error());
    active = std::move(*found);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_TRUE(active);
  EXPECT_EQ(active->id, "h-0000000000000002");
}

TEST_P(HostRepositoryTest, FindByMachineIdIgnoresRevoked) {
  insert(makeHost("h-0000000000000001", "machine-1"));
  auto revoked = database().write(
      [&](Session& session) { return setHostStatus(session, "h-0000000000000001", "revoked"); });
  ASSERT_TRUE(revoked) << errorText(revoked);

  std::optional<HostRecord> active;
  bool looked_up = false;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = findActiveHostByMachineId(session, "machine-1");
    if (!found) return tl::unexpected(found.error());
    active = std::move(*found);
    looked_up = true;
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_TRUE(looked_up);
  EXPECT_FALSE(active);
}

TEST_P(HostRepositoryTest, UpdateReplacesFieldsAndCollections) {
  HostRecord host = makeHost("h-0000000000000001", "machine-1");
  host.collections = {"a", "b"};
  insert(host);

  host.kind = "endpoint";
  host.owner = "bob";
  host.collections = {"c"};
  host.kernel = "6.1.0-29-amd64";
  host.last_seen_at = clock_.now() + hours(3);
  auto written = database().write([&](Session& session) { return updateHost(session, host); });
  ASSERT_TRUE(written) << errorText(written);

  const auto found = get(host.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->kind, "endpoint");
  EXPECT_EQ(found->owner, "bob");
  EXPECT_EQ(found->collections, std::vector<std::string>{"c"});
  EXPECT_EQ(found->kernel, "6.1.0-29-amd64");
  EXPECT_EQ(found->last_seen_at, host.last_seen_at);
}

TEST_P(HostRepositoryTest, UpdateOfUnknownHostIsNotFound) {
  auto written = database().write(
      [&](Session& session) { return updateHost(session, makeHost("h-0000000000000009", "m")); });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
}

TEST_P(HostRepositoryTest, InvalidKindIsRejected) {
  HostRecord host = makeHost("h-0000000000000001", "machine-1");
  host.kind = "laptop";
  auto written = database().write([&](Session& session) { return insertHost(session, host); });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(HostRepositoryTest, SetStatusChecksStatusAndHost) {
  insert(makeHost("h-0000000000000001", "machine-1"));

  auto unknown_status = database().write(
      [&](Session& session) { return setHostStatus(session, "h-0000000000000001", "paused"); });
  ASSERT_FALSE(unknown_status);
  EXPECT_EQ(unknown_status.error().code, ErrorCode::kInvalidArgument);

  auto unknown_host = database().write(
      [&](Session& session) { return setHostStatus(session, "h-0000000000000002", "revoked"); });
  ASSERT_FALSE(unknown_host);
  EXPECT_EQ(unknown_host.error().code, ErrorCode::kNotFound);

  auto revoked = database().write(
      [&](Session& session) { return setHostStatus(session, "h-0000000000000001", "revoked"); });
  ASSERT_TRUE(revoked) << errorText(revoked);
  const auto found = get("h-0000000000000001");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, "revoked");
}

TEST_P(HostRepositoryTest, ListAppliesEachFilter) {
  HostRecord web = makeHost("h-0000000000000001", "machine-1");
  web.collections = {"web"};
  HostRecord laptop = makeHost("h-0000000000000002", "machine-2");
  laptop.kind = "endpoint";
  laptop.owner = "bob";
  laptop.collections = {"laptops", "web"};
  HostRecord old = makeHost("h-0000000000000003", "machine-3");
  insert(web);
  insert(laptop);
  insert(old);
  auto revoked =
      database().write([&](Session& session) { return setHostStatus(session, old.id, "revoked"); });
  ASSERT_TRUE(revoked) << errorText(revoked);

  // Each call sets some fields of a fresh filter and lists the matching ids.
  const auto matching = [&](const std::function<void(HostFilter&)>& set) {
    HostFilter filter;
    set(filter);
    return idsOf(list(filter));
  };
  EXPECT_EQ(matching([](HostFilter&) {}), (std::vector<std::string>{web.id, laptop.id, old.id}));
  EXPECT_EQ(matching([](HostFilter& f) { f.owner = "bob"; }), std::vector<std::string>{laptop.id});
  EXPECT_EQ(matching([](HostFilter& f) { f.kind = "server"; }),
            (std::vector<std::string>{web.id, old.id}));
  EXPECT_EQ(matching([](HostFilter& f) { f.status = "revoked"; }),
            std::vector<std::string>{old.id});
  EXPECT_EQ(matching([](HostFilter& f) { f.collection = "web"; }),
            (std::vector<std::string>{web.id, laptop.id}));
  EXPECT_EQ(matching([](HostFilter& f) { f.machine_id = "machine-2"; }),
            std::vector<std::string>{laptop.id});
  EXPECT_EQ(matching([](HostFilter& f) {
              f.owner = "alice";
              f.status = "active";
            }),
            std::vector<std::string>{web.id});
  EXPECT_TRUE(matching([](HostFilter& f) { f.collection = "nothing"; }).empty());

  // Collections come back with each listed host.
  HostFilter laptops;
  laptops.collection = "laptops";
  const auto listed = list(laptops);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].collections, (std::vector<std::string>{"laptops", "web"}));
}

TEST_P(HostRepositoryTest, CountsByStatusAndKind) {
  HostRecord laptop = makeHost("h-0000000000000002", "machine-2");
  laptop.kind = "endpoint";
  insert(makeHost("h-0000000000000001", "machine-1"));
  insert(laptop);
  insert(makeHost("h-0000000000000003", "machine-3"));
  auto revoked = database().write(
      [&](Session& session) { return setHostStatus(session, "h-0000000000000003", "revoked"); });
  ASSERT_TRUE(revoked) << errorText(revoked);

  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto counted = countHostsByStatusAndKind(session);
    if (!counted) return tl::unexpected(counted.error());
    counts = std::move(*counted);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_EQ((counts[{"active", "server"}]), 1);
  EXPECT_EQ((counts[{"active", "endpoint"}]), 1);
  EXPECT_EQ((counts[{"revoked", "server"}]), 1);
}

TEST_P(HostRepositoryTest, InventoryFieldsComeFromStoredInventory) {
  insert(makeHost("h-0000000000000001", "machine-1"));
  const SystemTime received = clock_.now() + hours(1);
  auto saved = database().write([&](Session& session) {
    return saveInventory(session, "h-0000000000000001", std::string(64, 'a'),
                         inventory::HostInventory{}, received);
  });
  ASSERT_TRUE(saved) << errorText(saved);

  const auto found = get("h-0000000000000001");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->inventory_hash, std::string(64, 'a'));
  EXPECT_EQ(found->inventory_received_at, received);
}

class HostPageTest : public HostRepositoryTest {
 protected:
  // An endpoint (no window needed) that checked in now with an inventory:
  // compliant until a test changes it.
  HostRecord freshEndpoint(const std::string& id, const std::string& hostname) {
    HostRecord host = makeHost(id, "machine-" + id);
    host.hostname = hostname;
    host.kind = "endpoint";
    host.last_seen_at = clock_.now();
    return host;
  }

  void insertWithInventory(const HostRecord& host) {
    insert(host);
    auto saved = database().write([&](Session& session) {
      return saveInventory(session, host.id, std::string(64, 'a'), inventory::HostInventory{},
                           clock_.now());
    });
    ASSERT_TRUE(saved) << errorText(saved);
  }

  void insertOpenFinding(const std::string& host_id) {
    StoredFinding finding;
    finding.host_id = host_id;
    finding.advisory_id = "DSA-1";
    finding.package = "curl";
    finding.source_package = "curl";
    finding.installed_version = "1.0-1";
    finding.compared_version = "1.0-1";
    finding.fixed_version = "1.0-2";
    finding.ecosystem = "Debian:12";
    finding.severity = "high";
    finding.first_seen_at = clock_.now();
    finding.last_seen_at = clock_.now();
    auto written = database().write([&](Session& session) -> Result<void> {
      auto inserted = insertFinding(session, finding);
      if (!inserted) return tl::unexpected(inserted.error());
      return {};
    });
    ASSERT_TRUE(written) << errorText(written);
  }

  HostPage page(HostPageQuery query) {
    query.now = clock_.now();
    HostPage found;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto listed = listHostPage(session, query);
      if (!listed) return tl::unexpected(listed.error());
      found = std::move(*listed);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return found;
  }

  static std::vector<std::string> namesOf(const HostPage& page) {
    std::vector<std::string> names;
    for (const auto& host : page.hosts) names.push_back(host.hostname);
    return names;
  }

  std::vector<std::string> namesWith(HostCompliance verdict) {
    HostPageQuery query;
    query.compliance = verdict;
    query.limit = 100;
    return namesOf(page(query));
  }
};
PK_STORE_CONFORMANCE_SUITE(HostPageTest);

TEST_P(HostPageTest, PageIsSortedByName) {
  const std::vector<std::string> names = {"echo", "alpha", "delta", "bravo", "charlie"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    insert(freshEndpoint(fmt::format("h-{:016x}", i + 1), names[i]));
  }
  HostPageQuery query;
  query.limit = 2;
  query.offset = 2;
  const HostPage found = page(query);
  EXPECT_EQ(namesOf(found), (std::vector<std::string>{"charlie", "delta"}));
  EXPECT_EQ(found.total, 5u);
}

TEST_P(HostPageTest, PageCarriesCollections) {
  HostRecord host = freshEndpoint("h-0000000000000001", "alpha");
  host.collections = {"dmz", "web"};
  insert(host);
  HostPageQuery query;
  query.limit = 10;
  const HostPage found = page(query);
  ASSERT_EQ(found.hosts.size(), 1u);
  EXPECT_EQ(found.hosts[0].collections, (std::vector<std::string>{"dmz", "web"}));
}

TEST_P(HostPageTest, SearchIgnoresCase) {
  insert(freshEndpoint("h-0000000000000001", "Web-Frontend"));
  insert(freshEndpoint("h-0000000000000002", "db"));
  HostPageQuery query;
  query.search = "wEB";
  query.limit = 10;
  EXPECT_EQ(namesOf(page(query)), std::vector<std::string>{"Web-Frontend"});
}

TEST_P(HostPageTest, SearchMatchesIdAndOwner) {
  HostRecord owned = freshEndpoint("h-00000000000000aa", "one");
  owned.owner = "carol";
  insert(owned);
  insert(freshEndpoint("h-0000000000000002", "two"));
  HostPageQuery query;
  query.limit = 10;
  query.search = "CAROL";
  EXPECT_EQ(namesOf(page(query)), std::vector<std::string>{"one"});
  query.search = "00aa";
  EXPECT_EQ(namesOf(page(query)), std::vector<std::string>{"one"});
}

TEST_P(HostPageTest, SearchTakesWildcardsLiterally) {
  insert(freshEndpoint("h-0000000000000001", "web_1"));
  insert(freshEndpoint("h-0000000000000002", "webx1"));
  insert(freshEndpoint("h-0000000000000003", "100%"));
  HostPageQuery query;
  query.limit = 10;
  query.search = "b_1";
  EXPECT_EQ(namesOf(page(query)), std::vector<std::string>{"web_1"});
  query.search = "0%";
  EXPECT_EQ(namesOf(page(query)), std::vector<std::string>{"100%"});
}

TEST_P(HostPageTest, FilterAndSearchCombine) {
  insert(freshEndpoint("h-0000000000000001", "web-a"));
  HostRecord server = freshEndpoint("h-0000000000000002", "web-b");
  server.kind = "server";
  insert(server);
  HostPageQuery query;
  query.filter.kind = "server";
  query.search = "web";
  query.limit = 10;
  const HostPage found = page(query);
  EXPECT_EQ(namesOf(found), std::vector<std::string>{"web-b"});
  EXPECT_EQ(found.total, 1u);
}

TEST_P(HostPageTest, WithoutLimitListsAllById) {
  insert(freshEndpoint("h-0000000000000002", "alpha"));
  insert(freshEndpoint("h-0000000000000001", "bravo"));
  const HostPage found = page(HostPageQuery{});
  EXPECT_EQ(idsOf(found.hosts),
            (std::vector<std::string>{"h-0000000000000001", "h-0000000000000002"}));
}

// One host for each rule of computeCompliance() (server/compliance.h).
TEST_P(HostPageTest, ComplianceFollowsThePolicy) {
  insertWithInventory(freshEndpoint("h-0000000000000001", "compliant"));

  HostRecord restart = freshEndpoint("h-0000000000000002", "restart-pending");
  restart.restart_required = true;
  insertWithInventory(restart);

  HostRecord windowless = freshEndpoint("h-0000000000000003", "server-without-window");
  windowless.kind = "server";
  insertWithInventory(windowless);

  insertWithInventory(freshEndpoint("h-0000000000000004", "open-finding"));
  insertOpenFinding("h-0000000000000004");

  HostRecord never = freshEndpoint("h-0000000000000005", "never-seen");
  never.last_seen_at.reset();
  insert(never);

  HostRecord stale = freshEndpoint("h-0000000000000006", "stale");
  stale.last_seen_at = clock_.now() - hours(24 * 15);
  insertWithInventory(stale);

  insert(freshEndpoint("h-0000000000000007", "no-inventory"));

  HostRecord old_lists = freshEndpoint("h-0000000000000008", "old-package-lists");
  old_lists.package_lists_updated_at = clock_.now() - hours(24 * 15);
  insertWithInventory(old_lists);

  HostRecord fresh_lists = freshEndpoint("h-0000000000000009", "fresh-package-lists");
  fresh_lists.package_lists_updated_at = clock_.now() - hours(24);
  insertWithInventory(fresh_lists);

  EXPECT_EQ(namesWith(HostCompliance::kCompliant),
            (std::vector<std::string>{"compliant", "fresh-package-lists"}));
  EXPECT_EQ(namesWith(HostCompliance::kNotCompliant),
            (std::vector<std::string>{"open-finding", "restart-pending", "server-without-window"}));
  EXPECT_EQ(namesWith(HostCompliance::kUnknown),
            (std::vector<std::string>{"never-seen", "no-inventory", "old-package-lists", "stale"}));
}

TEST_P(HostPageTest, ComplianceCountsAllPages) {
  for (int i = 1; i <= 3; ++i) {
    HostRecord host = freshEndpoint(fmt::format("h-{:016x}", i), fmt::format("host-{}", i));
    host.restart_required = true;
    insert(host);
  }
  insert(freshEndpoint("h-0000000000000009", "other"));
  HostPageQuery query;
  query.compliance = HostCompliance::kNotCompliant;
  query.limit = 1;
  query.offset = 1;
  const HostPage found = page(query);
  EXPECT_EQ(namesOf(found), std::vector<std::string>{"host-2"});
  EXPECT_EQ(found.total, 3u);
}

TEST(NewHostIdTest, HasPrefixAndSixteenHexDigits) {
  const std::regex shape("h-[0-9a-f]{16}");
  const std::string first = newHostId();
  const std::string second = newHostId();
  EXPECT_TRUE(std::regex_match(first, shape)) << first;
  EXPECT_TRUE(std::regex_match(second, shape)) << second;
  EXPECT_NE(first, second);
}

}  // namespace
}  // namespace pk::store
