// patchkeeper end to end, with real processes on loopback: the server on a
// fresh SQLite file behind HTTPS with a generated, pinned certificate, and
// agents reading this machine's real root and a sandbox root.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apt/security_updates.h"
#include "inventory/host_reader.h"
#include "protocol/messages.h"
#include "store/database.h"
#include "store/inventory_repository.h"
#include "store/report_receipt_repository.h"
#include "tests/e2e/fleet_fixture.h"
#include "tests/support/dpkg_sandbox.h"

namespace pk::e2e {
namespace {

using test_support::DpkgStanza;

const std::string kData = PK_SHARED_DATA_DIR;

// The DSA list up to April 2023: DSA-5380-1 fixed xorg-server
// 2:1.20.11-1+deb11u6 in bullseye.
std::string dsaFeed() {
  return "\n[[feeds]]\nname = \"debian-dsa\"\npath = \"" + kData +
         "/debian/security-tracker-2023/data/DSA/list\"\n";
}

Result<void> writeSandbox(const std::filesystem::path& root, const std::string& xorg_version) {
  std::filesystem::create_directories(root / "etc");
  {
    std::ofstream machine_id(root / "etc/machine-id");
    machine_id << "5f0c6a1e9b2d4c3f8a7e6d5c4b3a2910\n";
  }
  return test_support::writeDebianRoot(
      root, "11",
      {DpkgStanza{.package = "xserver-xorg-core", .version = xorg_version, .source = "xorg-server"},
       DpkgStanza{.package = "bash", .version = "5.1-2+deb11u1"}});
}

TEST(ServerAndAgents, FindingsReportedThenFixed) {
  auto fleet = Fleet::create("e2e-fleet", dsaFeed());
  ASSERT_TRUE(fleet) << fleet.error().message;
  ASSERT_TRUE(fleet->startServer()) << fleet->serverLog();

  auto secret = fleet->createEnrolmentSecret("e2e");
  ASSERT_TRUE(secret) << secret.error().message;

  const auto sandbox = fleet->folder() / "sandbox-root";
  ASSERT_TRUE(writeSandbox(sandbox, "2:1.20.11-1+deb11u5"));
  auto sandbox_config = fleet->writeAgentConfig("sandbox", sandbox, *secret);
  auto machine_config = fleet->writeAgentConfig("machine", "/", *secret);
  ASSERT_TRUE(sandbox_config);
  ASSERT_TRUE(machine_config);
  ASSERT_EQ(fleet->runAgentOnce(*sandbox_config), 0);
  ASSERT_EQ(fleet->runAgentOnce(*machine_config), 0);

  auto hosts = fleet->adminGet("/api/v1/hosts");
  ASSERT_TRUE(hosts) << hosts.error().message;
  ASSERT_EQ((*hosts)["items"].size(), 2u) << hosts->dump(2);
  std::string sandbox_host, machine_host;
  for (const auto& host : (*hosts)["items"]) {
    (host["os"]["ecosystem"] == "Debian:11" ? sandbox_host : machine_host) =
        host["id"].get<std::string>();
  }
  ASSERT_FALSE(sandbox_host.empty()) << hosts->dump(2);
  ASSERT_FALSE(machine_host.empty()) << hosts->dump(2);

  // The sandbox's vulnerable xorg-server, from the real DSA list.
  const std::string sandbox_findings = "/api/v1/hosts/" + sandbox_host + "/findings?status=all";
  auto open = fleet->waitForAdminGet(sandbox_findings, [](const nlohmann::json& body) {
    for (const auto& finding : body["items"]) {
      if (finding["advisory_id"] == "DSA-5380-1" && finding["status"] == "open") return true;
    }
    return false;
  });
  bool found = false;
  for (const auto& finding : open["items"]) {
    if (finding["advisory_id"] != "DSA-5380-1") continue;
    found = true;
    EXPECT_EQ(finding["package"], "xserver-xorg-core");
    EXPECT_EQ(finding["installed_version"], "2:1.20.11-1+deb11u5");
    EXPECT_EQ(finding["fixed_version"], "2:1.20.11-1+deb11u6");
    EXPECT_EQ(finding["status"], "open");
  }
  ASSERT_TRUE(found) << open.dump(2) << fleet->serverLog();

  // This machine's pending security updates, as the server reports them,
  // compared with the updates found in-process from this machine's apt lists.
  auto machine = inventory::readHostInventory("/");
  ASSERT_TRUE(machine) << machine.error().message;
  std::vector<inventory::Package> installed;
  for (const auto& package : machine->packages) {
    if (inventory::isInstalledState(package.state)) installed.push_back(package);
  }
  auto updates = apt::findSecurityUpdates("/", installed, {.read_changelogs = false});
  ASSERT_TRUE(updates) << updates.error().message;
  std::set<std::string> expected;
  for (const auto& update : *updates) expected.insert(update.package);

  auto machine_findings = fleet->adminGet("/api/v1/hosts/" + machine_host +
                                          "/findings?source=host-repository&limit=5000");
  ASSERT_TRUE(machine_findings) << machine_findings.error().message;
  std::set<std::string> reported;
  for (const auto& finding : (*machine_findings)["items"]) {
    EXPECT_EQ(finding["source"], "host-repository");
    reported.insert(finding["package"].get<std::string>());
  }
  EXPECT_EQ(reported, expected);
  std::cout << "this machine has " << expected.size() << " pending security updates\n";

  // The sandbox is upgraded past the fix: the finding turns fixed at the
  // next check-in.
  ASSERT_TRUE(writeSandbox(sandbox, "2:1.20.11-1+deb11u6"));
  ASSERT_EQ(fleet->runAgentOnce(*sandbox_config), 0);
  auto fixed = fleet->waitForAdminGet(sandbox_findings, [](const nlohmann::json& body) {
    for (const auto& finding : body["items"]) {
      if (finding["advisory_id"] == "DSA-5380-1") return finding["status"] == "fixed";
    }
    return false;
  });
  found = false;
  for (const auto& finding : fixed["items"]) {
    if (finding["advisory_id"] != "DSA-5380-1") continue;
    found = true;
    EXPECT_EQ(finding["status"], "fixed");
    EXPECT_FALSE(finding["fixed_at"].is_null());
  }
  EXPECT_TRUE(found) << fixed.dump(2);
}

TEST(ServerAndAgents, QueuedReportsArriveExactlyOnce) {
  auto fleet = Fleet::create("e2e-outbox", "");
  ASSERT_TRUE(fleet) << fleet.error().message;
  ASSERT_TRUE(fleet->startServer()) << fleet->serverLog();
  auto secret = fleet->createEnrolmentSecret("outbox");
  ASSERT_TRUE(secret) << secret.error().message;

  const auto sandbox = fleet->folder() / "sandbox-root";
  ASSERT_TRUE(writeSandbox(sandbox, "2:1.20.11-1+deb11u5"));
  auto config = fleet->writeAgentConfig("outbox", sandbox, *secret);
  ASSERT_TRUE(config);
  ASSERT_EQ(fleet->runAgentOnce(*config), 0);

  // Three check-ins while the server is stopped: each is queued, and the
  // agent exits with status 3 because it could not deliver.
  fleet->stopServer(SIGTERM);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(fleet->runAgentOnce(*config), 3) << "round " << round;
  }
  ASSERT_TRUE(fleet->startServer()) << fleet->serverLog();
  ASSERT_EQ(fleet->runAgentOnce(*config), 0);
  fleet->stopServer(SIGTERM);

  // 1 + 3 + 1 reports, each received once.
  auto database = store::openDatabase(fleet->databaseUrl());
  ASSERT_TRUE(database) << database.error().message;
  std::int64_t receipts = -1, distinct = -1;
  auto read = (*database)->read([&](store::Session& session) -> Result<void> {
    auto row = session.queryOne("SELECT COUNT(*), COUNT(DISTINCT report_id) FROM report_receipts");
    if (!row) return tl::unexpected(row.error());
    receipts = (*row)->integer(0);
    distinct = (*row)->integer(1);
    return {};
  });
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(receipts, 5);
  EXPECT_EQ(distinct, 5);
}

TEST(ServerAndAgents, KillDuringUploadsKeepsInventoriesWhole) {
  auto fleet = Fleet::create("e2e-crash", "");
  ASSERT_TRUE(fleet) << fleet.error().message;
  ASSERT_TRUE(fleet->startServer()) << fleet->serverLog();
  auto secret = fleet->createEnrolmentSecret("crash");
  ASSERT_TRUE(secret) << secret.error().message;

  // Four hosts enrol, then upload large inventories in a loop, each round
  // with every package at a round-specific version, until the server dies.
  constexpr int kHosts = 4;
  constexpr int kPackages = 3000;
  struct Host {
    std::string id;
    std::string token;
  };
  std::vector<Host> hosts;
  for (int i = 0; i < kHosts; ++i) {
    auto client =
        protocol::ApiClient::create({.base_url = fleet->baseUrl(), .server_pin = fleet->pin()});
    ASSERT_TRUE(client);
    protocol::EnrolRequest enrol{.secret = *secret,
                                 .hostname = "crash-" + std::to_string(i),
                                 .machine_id = std::string(31, 'a') + std::to_string(i)};
    auto response = client->post("/api/v1/enrol", protocol::toJson(enrol).dump());
    ASSERT_TRUE(response) << response.error().message;
    ASSERT_EQ(response->status, 201) << response->body;
    auto enrolled = protocol::parseEnrolResponse(response->body);
    ASSERT_TRUE(enrolled);
    hosts.push_back({enrolled->host_id, enrolled->token});
  }

  std::atomic<int> acknowledged{0};
  std::vector<std::thread> uploaders;
  for (int i = 0; i < kHosts; ++i) {
    uploaders.emplace_back([&, i] {
      const Host& host = hosts[static_cast<std::size_t>(i)];
      auto client = protocol::ApiClient::create(
          {.base_url = fleet->baseUrl(), .server_pin = fleet->pin(), .bearer_token = host.token});
      if (!client) return;
      for (int round = 1; round < 1000; ++round) {
        protocol::InventoryPayload payload;
        for (int p = 0; p < kPackages; ++p) {
          payload.packages.push_back({.name = "package-" + std::to_string(p),
                                      .version = "1." + std::to_string(round),
                                      .architecture = "amd64",
                                      .source_name = "source-" + std::to_string(p / 4),
                                      .source_version = "1." + std::to_string(round),
                                      .state = "installed"});
        }
        protocol::Report report;
        char id[33];
        std::snprintf(id, sizeof id, "%08x%08x%016x", i, round, 0);
        report.report_id = id;
        report.collected_at = SystemClock().now();
        report.hostname = "crash-" + std::to_string(i);
        report.os.id = "debian";
        report.os.version_id = "12";
        report.os.ecosystem = "Debian:12";
        report.inventory_hash = protocol::inventoryHash(payload);
        report.inventory = std::move(payload);
        auto response =
            client->post("/api/v1/hosts/" + host.id + "/reports", protocol::toJson(report).dump());
        if (!response) return;  // the server is gone
        if (response->status == 200) ++acknowledged;
      }
    });
  }
  // Kill the server once uploads are under way.
  while (acknowledged.load() < 6) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  fleet->stopServer(SIGKILL);
  for (auto& uploader : uploaders) uploader.join();

  // Restart: the database opens and migrates, and every host's inventory
  // is one whole round: all packages present, all at that round's version,
  // matching the stored hash.
  ASSERT_TRUE(fleet->startServer()) << fleet->serverLog();
  fleet->stopServer(SIGTERM);
  auto database = store::openDatabase(fleet->databaseUrl());
  ASSERT_TRUE(database) << database.error().message;
  auto read = (*database)->read([&](store::Session& session) -> Result<void> {
    auto integrity = session.queryOne("PRAGMA integrity_check");
    if (!integrity) return tl::unexpected(integrity.error());
    EXPECT_EQ((*integrity)->text(0), "ok");
    for (const Host& host : hosts) {
      auto stored = store::loadInventory(session, host.id);
      if (!stored) return tl::unexpected(stored.error());
      auto hash = store::inventoryHashOf(session, host.id);
      if (!hash) return tl::unexpected(hash.error());
      if (!stored->has_value()) {
        EXPECT_FALSE(hash->has_value());
        continue;
      }
      const auto& packages = (*stored)->packages;
      EXPECT_EQ(packages.size(), std::size_t(kPackages)) << host.id;
      std::set<std::string> versions;
      for (const auto& package : packages) versions.insert(package.version);
      EXPECT_EQ(versions.size(), 1u) << host.id;
      protocol::InventoryPayload payload{.scheme = (*stored)->scheme, .packages = packages};
      EXPECT_EQ(hash->value_or(""), protocol::inventoryHash(payload)) << host.id;
    }
    return {};
  });
  ASSERT_TRUE(read) << read.error().message;
}

}  // namespace
}  // namespace pk::e2e
