#include "store/inventory_repository.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "store/host_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

inventory::Package package(std::string name, std::string version, std::string source_name = "",
                           std::string source_version = "") {
  inventory::Package result;
  result.name = std::move(name);
  result.version = std::move(version);
  result.architecture = "amd64";
  result.source_name = source_name.empty() ? result.name : std::move(source_name);
  result.source_version = source_version.empty() ? result.version : std::move(source_version);
  result.state = "installed";
  return result;
}

class InventoryRepositoryTest : public conformance::StoreTest {
 protected:
  void addHost(const std::string& id, const std::string& status = "active") {
    HostRecord host;
    host.id = id;
    host.hostname = id;
    host.machine_id = "machine-" + id;
    host.kind = "server";
    host.status = status;
    host.enrolled_at = clock_.now();
    host.os_id = "debian";
    host.os_version_id = "12";
    host.os_codename = "bookworm";
    host.os_pretty_name = "Debian GNU/Linux 12 (bookworm)";
    host.os_ecosystem = "Debian:12";
    host.restart_required = true;
    host.restart_reason = "libc6 was upgraded";
    host.restart_packages = {"libc6"};
    auto written = database().write([&](Session& session) { return insertHost(session, host); });
    ASSERT_TRUE(written) << errorText(written);
  }

  void save(const std::string& host_id, const std::string& hash,
            const std::vector<inventory::Package>& packages,
            version::Scheme scheme = version::Scheme::kDpkg) {
    inventory::HostInventory inventory;
    inventory.scheme = scheme;
    inventory.packages = packages;
    auto written = database().write([&](Session& session) {
      return saveInventory(session, host_id, hash, inventory, clock_.now());
    });
    ASSERT_TRUE(written) << errorText(written);
  }

  std::optional<inventory::HostInventory> load(const std::string& host_id) {
    std::optional<inventory::HostInventory> loaded;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto found = loadInventory(session, host_id);
      if (!found) return tl::unexpected(found.error());
      loaded = std::move(*found);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return loaded;
  }

  std::vector<std::string> withPackages(const std::vector<std::string>& names) {
    std::vector<std::string> ids;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto found = hostsWithPackages(session, names);
      if (!found) return tl::unexpected(found.error());
      ids = std::move(*found);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return ids;
  }
};
PK_STORE_CONFORMANCE_SUITE(InventoryRepositoryTest);

TEST_P(InventoryRepositoryTest, SavedInventoryLoadsWithHostFacts) {
  addHost("h-0000000000000001");
  auto dmsetup = package("dmsetup", "2:1.02.185-2", "lvm2", "2.03.16-2");
  dmsetup.state = "half-configured";
  save("h-0000000000000001", "hash-1", {package("zlib1g", "1:1.2.13.dfsg-1"), dmsetup});

  const auto loaded = load("h-0000000000000001");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->scheme, version::Scheme::kDpkg);
  EXPECT_EQ(loaded->os.id, "debian");
  EXPECT_EQ(loaded->os.version_id, "12");
  EXPECT_EQ(loaded->os.version_codename, "bookworm");
  EXPECT_EQ(loaded->os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(loaded->os.ecosystem, "Debian:12");
  EXPECT_TRUE(loaded->restart.required);
  EXPECT_EQ(loaded->restart.reason, "libc6 was upgraded");
  EXPECT_EQ(loaded->restart.packages, std::vector<std::string>{"libc6"});

  // Sorted by name.
  ASSERT_EQ(loaded->packages.size(), 2u);
  const auto& first = loaded->packages[0];
  EXPECT_EQ(first.name, "dmsetup");
  EXPECT_EQ(first.version, "2:1.02.185-2");
  EXPECT_EQ(first.architecture, "amd64");
  EXPECT_EQ(first.source_name, "lvm2");
  EXPECT_EQ(first.source_version, "2.03.16-2");
  EXPECT_EQ(first.state, "half-configured");
  EXPECT_EQ(loaded->packages[1].name, "zlib1g");
}

TEST_P(InventoryRepositoryTest, SaveReplacesPreviousPackages) {
  addHost("h-0000000000000001");
  save("h-0000000000000001", "hash-1", {package("openssl", "3.0.11-1~deb12u1")});
  save("h-0000000000000001", "hash-2",
       {package("openssl", "3.0.15-1~deb12u1"), package("curl", "7.88.1-10+deb12u8")},
       version::Scheme::kRpm);

  const auto loaded = load("h-0000000000000001");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->scheme, version::Scheme::kRpm);
  ASSERT_EQ(loaded->packages.size(), 2u);
  EXPECT_EQ(loaded->packages[0].name, "curl");
  EXPECT_EQ(loaded->packages[1].name, "openssl");
  EXPECT_EQ(loaded->packages[1].version, "3.0.15-1~deb12u1");

  std::optional<std::string> hash;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = inventoryHashOf(session, "h-0000000000000001");
    if (!found) return tl::unexpected(found.error());
    hash = std::move(*found);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_EQ(hash, "hash-2");
}

TEST_P(InventoryRepositoryTest, KeepsSeveralVersionsOfOnePackage) {
  addHost("h-0000000000000001");
  save("h-0000000000000001", "hash-1",
       {package("kernel-core", "5.14.0-427.13.1.el9_4"),
        package("kernel-core", "5.14.0-503.11.1.el9_5")},
       version::Scheme::kRpm);

  const auto loaded = load("h-0000000000000001");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->packages.size(), 2u);
}

TEST_P(InventoryRepositoryTest, LargeInventoryRoundTrips) {
  addHost("h-0000000000000001");
  std::vector<inventory::Package> packages;
  for (int i = 0; i < 1234; ++i) packages.push_back(package(fmt::format("pkg{:05}", i), "1.0-1"));
  save("h-0000000000000001", "hash-1", packages);

  const auto loaded = load("h-0000000000000001");
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->packages.size(), 1234u);
  EXPECT_EQ(loaded->packages.front().name, "pkg00000");
  EXPECT_EQ(loaded->packages.back().name, "pkg01233");
}

TEST_P(InventoryRepositoryTest, HostWithoutInventoryHasNone) {
  addHost("h-0000000000000001");
  EXPECT_FALSE(load("h-0000000000000001"));
  EXPECT_FALSE(load("h-00000000000000ff"));

  std::optional<std::string> hash = "unset";
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = inventoryHashOf(session, "h-0000000000000001");
    if (!found) return tl::unexpected(found.error());
    hash = std::move(*found);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_FALSE(hash);
}

TEST_P(InventoryRepositoryTest, SaveForUnknownHostFails) {
  auto written = database().write([&](Session& session) {
    return saveInventory(session, "h-00000000000000ff", "hash", inventory::HostInventory{},
                         clock_.now());
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(InventoryRepositoryTest, FindsHostsByBinaryOrSourceName) {
  addHost("h-0000000000000001");
  addHost("h-0000000000000002");
  addHost("h-0000000000000003");
  addHost("h-0000000000000004", "revoked");
  save("h-0000000000000001", "a", {package("libssl3", "3.0.11-1", "openssl", "3.0.11-1")});
  save("h-0000000000000002", "b", {package("openssl", "3.0.11-1")});
  save("h-0000000000000003", "c", {package("curl", "7.88.1-10")});
  save("h-0000000000000004", "d", {package("openssl", "3.0.11-1")});

  EXPECT_EQ(withPackages({"openssl"}),
            (std::vector<std::string>{"h-0000000000000001", "h-0000000000000002"}));
  EXPECT_EQ(withPackages({"libssl3"}), std::vector<std::string>{"h-0000000000000001"});
  EXPECT_EQ(
      withPackages({"curl", "openssl"}),
      (std::vector<std::string>{"h-0000000000000001", "h-0000000000000002", "h-0000000000000003"}));
  EXPECT_TRUE(withPackages({"bash"}).empty());
  EXPECT_TRUE(withPackages({}).empty());
}

TEST_P(InventoryRepositoryTest, FindsHostsAcrossManyNames) {
  addHost("h-0000000000000001");
  save("h-0000000000000001", "a", {package("needle", "1.0")});
  std::vector<std::string> names;
  for (int i = 0; i < 1500; ++i) names.push_back(fmt::format("hay{}", i));
  names.push_back("needle");

  EXPECT_EQ(withPackages(names), std::vector<std::string>{"h-0000000000000001"});
}

inventory::HostInventory windowsInventory(std::string build, std::vector<std::string> kbs) {
  inventory::HostInventory host;
  host.scheme = version::Scheme::kWindows;
  host.packages = {package("7-Zip 24.09 (x64)", "24.09")};
  inventory::WindowsFacts facts;
  facts.edition = "Windows Server 2019 Datacenter";
  facts.release = "1809";
  facts.build = std::move(build);
  facts.installation_type = "Server Core";
  facts.architecture = "x64";
  facts.installed_kbs = std::move(kbs);
  inventory::WindowsPendingUpdate update;
  update.kb = "5078752";
  update.title = "2026-03 Cumulative Update for Windows Server 2019";
  update.classification = "Security Updates";
  update.severity = "Critical";
  update.cve_ids = {"CVE-2026-24289", "CVE-2026-21510"};
  update.supersedes = {"5075904"};
  update.restart_required = true;
  facts.pending_updates = {update};
  host.windows = std::move(facts);
  return host;
}

TEST_P(InventoryRepositoryTest, WindowsFactsRoundTripAndAreReplaced) {
  addHost("h-0000000000000001");
  auto saved = windowsInventory("10.0.17763.8389", {"5075904", "5073723"});
  auto written = database().write([&](Session& session) {
    return saveInventory(session, "h-0000000000000001", "w1", saved, clock_.now());
  });
  ASSERT_TRUE(written) << errorText(written);

  auto loaded = load("h-0000000000000001");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->scheme, version::Scheme::kWindows);
  ASSERT_TRUE(loaded->windows);
  // KBs come back sorted.
  saved.windows->installed_kbs = {"5073723", "5075904"};
  EXPECT_EQ(*loaded->windows, *saved.windows);
  ASSERT_EQ(loaded->packages.size(), 1u);
  EXPECT_EQ(loaded->packages[0].name, "7-Zip 24.09 (x64)");
  // The product is stored for finding the hosts a Windows advisory names.
  EXPECT_EQ(withPackages({"Windows Server 2019"}), std::vector<std::string>{"h-0000000000000001"});
  EXPECT_TRUE(withPackages({"Windows Server 2022"}).empty());

  // A new inventory replaces the facts; an offered KB listed twice is kept once.
  auto next = windowsInventory("10.0.17763.8511", {"5078752"});
  next.windows->pending_updates.push_back(next.windows->pending_updates.front());
  next.windows->pending_updates.back().title = "a repeat";
  written = database().write([&](Session& session) {
    return saveInventory(session, "h-0000000000000001", "w2", next, clock_.now());
  });
  ASSERT_TRUE(written) << errorText(written);
  loaded = load("h-0000000000000001");
  ASSERT_TRUE(loaded);
  ASSERT_TRUE(loaded->windows);
  EXPECT_EQ(loaded->windows->build, "10.0.17763.8511");
  EXPECT_EQ(loaded->windows->installed_kbs, std::vector<std::string>{"5078752"});
  ASSERT_EQ(loaded->windows->pending_updates.size(), 1u);
  EXPECT_EQ(loaded->windows->pending_updates[0].title,
            "2026-03 Cumulative Update for Windows Server 2019");

  // A package inventory removes them.
  save("h-0000000000000001", "d1", {package("bash", "5.2.15-2+b2")});
  loaded = load("h-0000000000000001");
  ASSERT_TRUE(loaded);
  EXPECT_FALSE(loaded->windows.has_value());
  EXPECT_TRUE(withPackages({"Windows Server 2019"}).empty());
}

TEST_P(InventoryRepositoryTest, ActiveHostIdsSkipRevoked) {
  addHost("h-0000000000000002");
  addHost("h-0000000000000001");
  addHost("h-0000000000000003", "revoked");

  std::vector<std::string> ids;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = activeHostIds(session);
    if (!found) return tl::unexpected(found.error());
    ids = std::move(*found);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_EQ(ids, (std::vector<std::string>{"h-0000000000000001", "h-0000000000000002"}));
}

}  // namespace
}  // namespace pk::store
