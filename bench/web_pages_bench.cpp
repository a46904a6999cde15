// The data requests of each web console page, with 10,000 hosts (two open
// findings each, one of them in CISA KEV, every tenth host needing a
// restart, each server in one of 20 windows, the findings linked to their two
// patches, openssl and curl, each on every host) in a real SQLite file. Requests go through
// Router::dispatch with the real authenticator and an admin session, without sockets, so the
// numbers are the server's own work. The baseline, measured in the same run, is GET /api/v1/me:
// authentication alone.
//
//   cmake --workflow --preset bench   (or build the web_pages_bench target)
//   build/bench/bench/web_pages_bench --benchmark_repetitions=3

#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "server/compliance_report_routes.h"
#include "server/credentials.h"
#include "server/dashboard_routes.h"
#include "server/evaluation.h"
#include "server/feed_sync.h"
#include "server/host_routes.h"
#include "server/patch_routes.h"
#include "server/patches.h"
#include "server/report_routes.h"
#include "server/vulnerability_routes.h"
#include "server/window_routes.h"
#include "store/finding_repository.h"
#include "store/host_repository.h"
#include "store/migrations.h"
#include "store/user_repository.h"
#include "store/window_repository.h"

namespace {

using namespace pk;

constexpr int kHosts = 10'000;
constexpr int kWindows = 20;

struct Installation {
  std::filesystem::path folder;
  FakeClock clock{SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1))};
  server::Metrics metrics;
  std::unique_ptr<store::Database> database;
  std::optional<server::ServerContext> context;
  server::Evaluator evaluator;
  std::unique_ptr<server::FeedService> feeds;
  std::optional<server::Router> router;
  std::string token;
};

Installation& installation() {
  static Installation* made = [] {
    auto* it = new Installation;
    it->folder = std::filesystem::temp_directory_path() / "pk-web-pages-bench";
    std::filesystem::remove_all(it->folder);
    std::filesystem::create_directories(it->folder);
    it->database = std::move(*store::openDatabase("sqlite://" + (it->folder / "pk.db").string()));
    (void)store::migrate(*it->database, it->clock);
    it->context.emplace(server::ServerContext{*it->database, it->clock, it->metrics});
    it->feeds = std::make_unique<server::FeedService>(*it->context, it->evaluator,
                                                      std::vector<server::FeedSource>{},
                                                      server::FeedServiceOptions{});

    const SystemTime now = it->clock.now();
    (void)it->database->write([&](store::Session& session) -> Result<void> {
      store::UserRecord admin;
      admin.username = "admin";
      admin.password_hash = "unused";
      admin.roles = {"admin"};
      admin.created_at = now;
      admin.updated_at = now;
      auto user = store::insertUser(session, admin);
      if (!user) return tl::unexpected(user.error());
      auto issued = server::issueSession(session, *user, now, std::chrono::hours(12));
      if (!issued) return tl::unexpected(issued.error());
      it->token = issued->token;

      // 20 monthly windows; each server is in one of them.
      for (int w = 0; w < kWindows; ++w) {
        store::WindowRecord window;
        window.id = fmt::format("w-{:016x}", w);
        window.name = fmt::format("Window {:02d}", w);
        window.rrule = "FREQ=MONTHLY;BYDAY=2TU";
        window.start_local = fmt::format("2026-01-01T{:02d}:00:00", w % 24);
        window.zone = "Europe/Zurich";
        window.length_seconds = 4 * 3600;
        window.offset_days = w % 7;
        window.created_at = now;
        window.updated_at = now;
        if (auto inserted = store::insertWindow(session, window); !inserted) return inserted;
      }

      for (int i = 0; i < kHosts; ++i) {
        store::HostRecord host;
        host.id = fmt::format("h-{:016x}", i);
        host.hostname = fmt::format("host-{:05d}", i);
        host.machine_id = host.id;
        host.kind = i % 3 == 0 ? "endpoint" : "server";
        host.owner = fmt::format("owner-{}", i % 50);
        host.status = "active";
        host.enrolled_at = now;
        host.last_seen_at = now;
        host.package_lists_updated_at = now;
        host.restart_required = i % 10 == 0;
        host.os_ecosystem = "Debian:12";
        host.collections = {i % 2 == 0 ? "web" : "db"};
        if (auto inserted = store::insertHost(session, host); !inserted) return inserted;
        if (host.kind == "server") {
          store::HostWindowRecord placed;
          placed.host_id = host.id;
          placed.window_id = fmt::format("w-{:016x}", i % kWindows);
          placed.assigned_at = now;
          if (auto put = store::putHostWindow(session, placed); !put) return put;
        }
        for (int f = 0; f < 2; ++f) {
          store::StoredFinding finding;
          finding.host_id = host.id;
          finding.advisory_id = fmt::format("DSA-{}-1", 5000 + (i + f) % 200);
          finding.aliases = {fmt::format("CVE-2026-{}", 10000 + (i + f) % 200)};
          finding.package = f == 0 ? "openssl" : "curl";
          finding.source_package = finding.package;
          finding.installed_version = "1.0-1";
          finding.compared_version = "1.0-1";
          finding.fixed_version = "1.0-2";
          finding.ecosystem = "Debian:12";
          finding.severity = f == 0 ? "high" : "medium";
          finding.known_exploited = f == 0;
          finding.kev_due_date = f == 0 ? "2027-01-15" : "";
          finding.first_seen_at = now;
          finding.last_seen_at = now;
          auto added = store::insertFinding(session, finding);
          if (!added) return tl::unexpected(added.error());
        }
      }
      // Links every finding to its patch, as the evaluator does.
      auto linked = server::refreshAllPatches(session, now);
      if (!linked) return tl::unexpected(linked.error());
      return {};
    });

    it->router.emplace(server::makeAuthenticator(*it->context));
    server::HostRouteOptions hosts;
    server::addHostRoutes(*it->router, *it->context, hosts);
    server::addVulnerabilityRoutes(*it->router, *it->context, *it->feeds, std::chrono::days(7));
    server::addWindowRoutes(*it->router, *it->context);
    server::addReportRoutes(*it->router, *it->context, std::chrono::days(7));
    server::addComplianceReportRoutes(*it->router, *it->context, std::chrono::days(7));
    server::addPatchRoutes(*it->router, *it->context);
    server::addDashboardRoutes(*it->router, *it->context);
    it->router->add("GET", "/api/v1/me", server::Permission::kManageOwnTokens,
                    [](server::Request&) { return server::jsonResponse(200, {}); });
    return it;
  }();
  return *made;
}

void getPage(benchmark::State& state, const std::string& path,
             const std::multimap<std::string, std::string>& query) {
  Installation& it = installation();
  std::size_t bytes = 0;
  for (auto _ : state) {
    server::Request request;
    request.method = "GET";
    request.path = path;
    request.query = query;
    request.headers["authorization"] = "Bearer " + it.token;
    const server::Response response = it.router->dispatch(request);
    if (response.status != 200) {
      state.SkipWithError(
          ("status " + std::to_string(response.status) + ": " + response.body).c_str());
      break;
    }
    bytes = response.body.size();
    benchmark::DoNotOptimize(response.body.data());
  }
  state.counters["response_bytes"] = static_cast<double>(bytes);
}

void registerAll() {
  struct Page {
    const char* name;
    const char* path;
    std::multimap<std::string, std::string> query;
  };
  const std::vector<Page> pages = {
      {"baseline/me", "/api/v1/me", {}},
      {"dashboard/summary", "/api/v1/reports/compliance-summary", {{"by", "fleet"}}},
      {"dashboard/overview", "/api/v1/dashboard", {}},
      {"dashboard/history", "/api/v1/reports/compliance-history", {{"by", "fleet"}}},
      {"dashboard/windows", "/api/v1/windows", {}},
      {"hosts/page", "/api/v1/hosts", {{"status", "active"}, {"limit", "25"}, {"offset", "5000"}}},
      {"hosts/search", "/api/v1/hosts", {{"q", "host-0999"}, {"limit", "25"}}},
      {"hosts/page-by-compliance",
       "/api/v1/hosts",
       {{"compliance", "not_compliant"}, {"limit", "25"}}},
      {"hosts/unpaged", "/api/v1/hosts", {}},
      {"host/page", "/api/v1/hosts/h-0000000000000100", {}},
      {"host/findings", "/api/v1/hosts/h-0000000000000100/findings", {{"status", "open"}}},
      {"findings/by-cve", "/api/v1/findings", {{"advisory", "CVE-2026-10042"}, {"limit", "50"}}},
      {"findings/page", "/api/v1/findings", {{"status", "open"}, {"limit", "50"}}},
      {"patches/page", "/api/v1/patches", {{"limit", "200"}}},
      {"calendar/month", "/api/v1/calendar", {{"from", "2026-11-30"}, {"to", "2027-01-04"}}},
      {"reports/servers-by-window", "/api/v1/reports/servers-by-window", {}},
      {"reports/compliance-by-collection",
       "/api/v1/reports/compliance-summary",
       {{"by", "collection"}}},
  };
  for (const Page& page : pages) {
    benchmark::RegisterBenchmark(page.name, [page](benchmark::State& state) {
      getPage(state, page.path, page.query);
    })->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  registerAll();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
