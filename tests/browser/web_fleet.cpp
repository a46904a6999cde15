// A patchkeeper installation for the browser journeys: the real server on
// loopback with a fresh SQLite file, serving the console from the source
// tree's web/ folder, two hosts whose real agents report real dpkg roots
// with a vulnerable package, an OSV feed naming it, users of three roles,
// two windows and a one-ring sequence. It prints one JSON line describing
// all of that, then runs the first host's agent every two seconds (so a
// deployment completes) until its standard input closes.
//
// Exit status 77 means the machine cannot build the roots (dpkg --root
// needs root); the journeys are then skipped.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "src/agent/tests/slow/job_sandbox.h"
#include "tests/e2e/fleet_fixture.h"

namespace {

namespace sandbox = pk::agent::test_sandbox;
using nlohmann::json;

constexpr const char* kUserPassword = "a long enough password 1";

int failWith(const std::string& what) {
  std::cerr << "web_fleet: " << what << "\n";
  return 1;
}

std::string hostIdOf(const std::filesystem::path& state) {
  std::ifstream file(state / "identity.json");
  return json::parse(file, nullptr, false).value("host_id", "");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return failWith("usage: web_fleet WEB_DIR");
  if (::geteuid() != 0) return 77;
  if (!sandbox::firstMissingTool({"dpkg-deb", "apt-ftparchive", "apt-get"}).empty()) return 77;

  auto created = pk::e2e::Fleet::create("web-console", "");
  if (!created) return failWith(created.error().message);
  pk::e2e::Fleet& fleet = *created;

  const auto feed = fleet.folder() / "feed";
  std::filesystem::create_directories(feed);
  std::ofstream(feed / "record.json")
      << json{{"schema_version", "1.6.0"},
              {"id", "DSA-9901-1"},
              {"modified", "2026-12-01T00:00:00Z"},
              {"summary", "High: pkdemo lets a remote attacker run code"},
              {"aliases", {"CVE-2026-41001"}},
              {"database_specific", {{"severity", "high"}}},
              {"affected",
               {{{"package", {{"ecosystem", "Debian:12"}, {"name", "pkdemo"}}},
                 {"ranges",
                  {{{"type", "ECOSYSTEM"},
                    {"events", {{{"introduced", "0"}}, {{"fixed", "1.0-2"}}}}}}}}}}}
             .dump();
  {
    std::ofstream config(fleet.folder() / "server.toml", std::ios::app);
    config << "deployment_interval_seconds = 1\n"
           << "web_dir = \"" << argv[1] << "\"\n"
           << "\n[[feeds]]\nname = \"osv\"\nkind = \"osv\"\npath = \"" << feed.string()
           << "\"\ninterval_minutes = 1\n";
    // A feed read over HTTP from a loopback server that the journeys run,
    // so that they can hold a sync while they look at its progress.
    if (const char* url = std::getenv("PK_WEB_FLEET_HTTP_FEED"); url != nullptr && *url != '\0') {
      config << "\n[[feeds]]\nname = \"osv-http\"\nkind = \"osv\"\nurl = \"" << url
             << "\"\ninterval_minutes = 1440\n";
    }
  }
  if (auto started = fleet.startServer(); !started) return failWith(started.error().message);

  for (const auto& [name, role] : {std::pair{"olivia", "owner"}, std::pair{"vera", "viewer"}}) {
    auto user = fleet.adminPost(
        "/api/v1/users", {{"username", name}, {"password", kUserPassword}, {"roles", {role}}});
    if (!user) return failWith(user.error().message);
  }
  for (const char* collection : {"web", "db"}) {
    auto made = fleet.adminPost("/api/v1/collections", {{"id", collection}, {"name", collection}});
    if (!made) return failWith(made.error().message);
  }
  auto sequence = fleet.adminPost("/api/v1/ring-sequences", {{"id", "web"},
                                                             {"name", "Web servers"},
                                                             {"rings",
                                                              {{{"collection", "web"},
                                                                {"min_soak_seconds", 0},
                                                                {"min_success_ratio", 1.0},
                                                                {"max_failures", 0}}}}});
  if (!sequence) return failWith(sequence.error().message);

  // A daily window that opened an hour ago and lasts 20 hours, so jobs run
  // now; and a weekly one for the move ticket.
  const auto now = std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now());
  const auto opened = (now.time_since_epoch() / std::chrono::hours(1) + 23) % 24;
  auto daily =
      fleet.adminPost("/api/v1/windows", {{"name", "Daily patching"},
                                          {"rrule", "FREQ=DAILY"},
                                          {"start", fmt::format("2026-01-01T{:02d}:00", opened)},
                                          {"zone", "UTC"},
                                          {"length", "20h"}});
  if (!daily) return failWith(daily.error().message);
  auto weekly = fleet.adminPost("/api/v1/windows", {{"name", "Sunday nights"},
                                                    {"rrule", "FREQ=WEEKLY;BYDAY=SU"},
                                                    {"start", "2026-01-04T22:00"},
                                                    {"zone", "Europe/Zurich"},
                                                    {"length", "4h"}});
  if (!weekly) return failWith(weekly.error().message);

  const auto repository = fleet.folder() / "repository";
  if (auto built = sandbox::buildRepository(fleet.folder(), repository,
                                            {{"pkdemo", "1.0-1"}, {"pkdemo", "1.0-2"}});
      !built) {
    return failWith(built.error().message);
  }
  json hosts = json::object();
  std::filesystem::path web_config;
  for (const auto& [name, collection] : {std::pair{"web-01", "web"}, std::pair{"db-01", "db"}}) {
    const auto root = fleet.folder() / "roots" / name;
    if (auto built = sandbox::buildRoot(root, repository, {{"pkdemo", "1.0-1"}}); !built) {
      return failWith(built.error().message);
    }
    std::ofstream(root / "etc/machine-id")
        << fmt::format("{:032x}\n", std::hash<std::string>{}(name));
    std::ofstream(root / "etc/hostname") << name << "\n";
    auto secret = fleet.adminPost("/api/v1/enrolment-secrets", {{"name", name},
                                                                {"kind", "server"},
                                                                {"owner", "olivia"},
                                                                {"collections", {collection}},
                                                                {"expires_in_hours", 2}});
    if (!secret) return failWith(secret.error().message);
    auto config = fleet.writeAgentConfig(name, root, secret->value("secret", ""));
    if (!config) return failWith(config.error().message);
    if (fleet.runAgentOnce(*config) != 0)
      return failWith(std::string("the agent of ") + name + " failed");
    const std::string id = hostIdOf(config->parent_path() / config->stem());
    if (id.empty()) return failWith(std::string("no host id for ") + name);
    hosts[name] = id;
    auto assigned = fleet.adminPut("/api/v1/hosts/" + id + "/window",
                                   {{"window", daily->value("id", "")}, {"reason", "setup"}});
    if (!assigned) return failWith(assigned.error().message);
    if (std::string(name) == "web-01") web_config = *config;
  }
  fleet.waitForAdminGet("/api/v1/findings?status=open", [](const json& body) {
    return body.value("items", json::array()).size() >= 2;
  });

  std::cout
      << json{{"base_url", fleet.baseUrl()},
              {"admin", {{"username", "admin"}, {"password", "correct horse battery staple"}}},
              {"owner", {{"username", "olivia"}, {"password", kUserPassword}}},
              {"viewer", {{"username", "vera"}, {"password", kUserPassword}}},
              {"hosts", hosts},
              {"windows", {{"daily", daily->value("id", "")}, {"weekly", weekly->value("id", "")}}},
              {"cve", "CVE-2026-41001"}}
             .dump()
      << std::endl;

  // The journeys run now; the agent picks up the jobs they create.
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    done = true;
  });
  while (!done) {
    fleet.runAgentOnce(web_config);
    for (int i = 0; i < 20 && !done; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  watcher.join();
  fleet.stopServer(SIGTERM);
  return 0;
}
