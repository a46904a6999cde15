#include "server/domain.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "server/collection_routes.h"
#include "server/compliance_report_routes.h"
#include "server/compliance_summary.h"
#include "server/credentials.h"
#include "server/dashboard_routes.h"
#include "server/deployment_routes.h"
#include "server/deployment_rule_routes.h"
#include "server/deployment_rules.h"
#include "server/deployment_services.h"
#include "server/host_routes.h"
#include "server/patch_routes.h"
#include "server/patches.h"
#include "server/people_routes.h"
#include "server/postgresql_leader_lock.h"
#include "server/report_routes.h"
#include "server/restart_routes.h"
#include "server/ticket_routes.h"
#include "server/tickets.h"
#include "server/vulnerability_routes.h"
#include "server/webhooks.h"
#include "server/window_assignment.h"
#include "server/window_routes.h"

namespace pk::server {
namespace {

WebhookOptions webhookOptions(const ServerConfig& config) {
  WebhookOptions options;
  options.allow_http_loopback = config.webhook_allow_http_loopback;
  options.max_attempts = config.webhook_max_attempts;
  options.timeout = std::chrono::seconds(config.webhook_timeout_seconds);
  return options;
}

}  // namespace

Domain::Domain(ServerContext& context, const ServerConfig& config)
    : context_(context), config_(config) {
  FeedServiceOptions options;
  options.download_directory = std::filesystem::path(config.data_dir) / "downloads";
  feeds_ = std::make_unique<FeedService>(context, evaluator_, config.feeds, options);
}

Domain::~Domain() {
  stop();
}

Authenticate Domain::authenticator() {
  return makeAuthenticator(context_);
}

void Domain::addRoutes(Router& router) {
  PeopleOptions people;
  people.session_ttl = std::chrono::hours(config_.session_hours);
  people.max_failed_logins = config_.max_failed_logins;
  people.throttle_window = std::chrono::minutes(config_.failed_login_window_minutes);
  addPeopleRoutes(router, context_, people);

  HostRouteOptions hosts;
  hosts.evaluate_host = [this](store::Session& session, const std::string& host_id,
                               const inventory::HostInventory* saved, SystemTime now) {
    if (saved == nullptr) return evaluator_.evaluateHost(session, host_id, now);
    return evaluator_.evaluateSavedInventory(session, host_id, *saved, now);
  };
  hosts.checkin_interval = std::chrono::minutes(config_.checkin_interval_minutes);
  hosts.stale_after = std::chrono::days(config_.stale_after_days);
  addHostRoutes(router, context_, hosts);

  addVulnerabilityRoutes(router, context_, *feeds_, std::chrono::days(config_.stale_after_days));

  addTicketRoutes(router, context_, TicketRouteOptions{.webhooks = webhookOptions(config_)});

  addWindowRoutes(router, context_);
  addDeploymentRoutes(router, context_, deploymentServices());
  addDeploymentRuleRoutes(router, context_);
  addCollectionRoutes(router, context_);
  addReportRoutes(router, context_, std::chrono::days(config_.stale_after_days));
  addComplianceReportRoutes(router, context_, std::chrono::days(config_.stale_after_days));
  addPatchRoutes(router, context_);
  addDashboardRoutes(router, context_);
  addRestartRoutes(router, context_);
}

Result<void> Domain::start() {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(config_.data_dir) / "downloads", error);
  if (error) {
    return fail(ErrorCode::kIoError,
                "cannot create " + config_.data_dir + "/downloads: " + error.message());
  }
  if (auto started = feeds_->start(); !started) return started;

  // One node runs the scheduled jobs. Nodes on one PostgreSQL database
  // elect it with an advisory lock there. SQLite nodes share one file on one
  // machine, so a lock file beside the database is enough.
  if (config_.usesPostgresql()) {
    auto lock = PostgresqlLeaderLock::create(config_.databaseUrl());
    if (!lock) return tl::unexpected(lock.error());
    leader_lock_ = std::move(*lock);
  } else {
    auto lock = FileLeaderLock::open(std::filesystem::path(config_.data_dir) / "leader.lock");
    if (!lock) return tl::unexpected(lock.error());
    leader_lock_ = std::move(*lock);
  }

  std::vector<ScheduledJob> jobs;
  for (const FeedSource& source : config_.feeds) {
    // Due at once. A node that becomes the leader first waits out the rest
    // of each feed's interval since its last recorded attempt, so a restart
    // or a new leader does not fetch every feed again.
    jobs.push_back(ScheduledJob{
        .name = "feed-sync:" + source.name,
        .interval = std::chrono::minutes(source.interval_minutes),
        .initial_delay = Elapsed{0},
        .run =
            [this, name = source.name] {
              auto result = feeds_->sync(name);
              if (!result) {
                spdlog::error("feed={} sync could not be recorded: {}", name,
                              result.error().message);
              }
            },
        .delay_from_records = [this, source] { return feeds_->syncDelay(source); },
    });
  }
  // Webhook deliveries wait in the database, so a new leader sends what
  // the previous one left.
  auto webhook_sender =
      std::make_shared<WebhookSender>(context_.database, context_.clock, webhookOptions(config_));
  jobs.push_back(ScheduledJob{
      .name = "webhook-delivery",
      .interval = std::chrono::seconds(config_.webhook_interval_seconds),
      .initial_delay = std::chrono::seconds(config_.webhook_interval_seconds),
      .run =
          [webhook_sender] {
            if (auto round = webhook_sender->deliverDue(); !round) {
              spdlog::error("webhook delivery failed: {}", round.error().message);
            }
          },
  });
  // A server moved out of an open window enters its new one when that
  // occurrence ends; approved move tickets become applied in the same
  // transaction.
  jobs.push_back(ScheduledJob{
      .name = "window-moves",
      .interval = std::chrono::minutes(1),
      .initial_delay = Elapsed{0},
      .run =
          [this] {
            auto moves = runDueWindowMoves(
                context_.database, context_.clock,
                [](store::Session& session, const std::vector<WindowMove>& applied,
                   SystemTime now) -> Result<void> {
                  auto tickets = applyTicketsOfMoves(session, applied, now);
                  if (!tickets) return tl::unexpected(tickets.error());
                  return {};
                });
            if (!moves) {
              spdlog::error("applying due window moves failed: {}", moves.error().message);
              return;
            }
            for (const auto& move : *moves) {
              spdlog::info("host={} entered window={}", move.host_id,
                           move.to_window_id.value_or("none"));
            }
          },
  });
  // Deployments move on under the leader lock. The first run after a start
  // also links findings stored before the patch catalog existed. Approval
  // rules run each time, so they see facts that changed in place, such as a
  // CVE added to KEV.
  auto catalog_linked = std::make_shared<bool>(false);
  jobs.push_back(ScheduledJob{
      .name = "deployments",
      .interval = std::chrono::seconds(config_.deployment_interval_seconds),
      .initial_delay = Elapsed{0},
      .run =
          [this, catalog_linked] {
            const SystemTime now = context_.clock.now();
            if (!*catalog_linked) {
              auto linked = context_.database.write([&](store::Session& session) -> Result<void> {
                auto refreshed = refreshAllPatches(session, now);
                if (!refreshed) return tl::unexpected(refreshed.error());
                return {};
              });
              if (!linked) {
                spdlog::error("linking findings to patches failed: {}", linked.error().message);
              }
              *catalog_linked = static_cast<bool>(linked);
            }
            int approved = 0;
            std::vector<std::string> scheduled;
            const DeploymentServices services = deploymentServices();
            auto ruled = context_.database.write([&](store::Session& session) -> Result<void> {
              auto rules = applyApprovalRules(session, now);
              if (!rules) return tl::unexpected(rules.error());
              approved = *rules;
              auto created = runDeploymentRules(session, services, now);
              if (!created) return tl::unexpected(created.error());
              scheduled = std::move(*created);
              return {};
            });
            if (!ruled) {
              spdlog::error("applying approval and deployment rules failed: {}",
                            ruled.error().message);
            }
            if (approved > 0) spdlog::info("approval rules approved {} patches", approved);

            // Each deployment moves on in its own transaction, so one that
            // fails does not hold the others back.
            std::vector<std::string> ids;
            auto listed = context_.database.read([&](store::Session& session) -> Result<void> {
              auto found = deploymentsToAdvance(session);
              if (!found) return tl::unexpected(found.error());
              ids = std::move(*found);
              return {};
            });
            if (!listed) {
              spdlog::error("listing deployments failed: {}", listed.error().message);
              return;
            }
            for (const auto& id : scheduled) {
              spdlog::info("deployment={} created by a deployment rule", id);
            }
            AdvanceRound round;
            for (const std::string& id : ids) {
              AdvanceRound one;
              auto advanced = context_.database.write([&](store::Session& session) -> Result<void> {
                auto moved = advanceDeployment(session, services, id, now);
                if (!moved) return tl::unexpected(moved.error());
                one = std::move(*moved);
                return {};
              });
              if (!advanced) {
                spdlog::error("deployment={} could not move on: {}", id, advanced.error().message);
                continue;
              }
              round.rings_entered += one.rings_entered;
              round.jobs_created += one.jobs_created;
              round.halted.insert(round.halted.end(), one.halted.begin(), one.halted.end());
              round.completed.insert(round.completed.end(), one.completed.begin(),
                                     one.completed.end());
            }
            if (round.rings_entered > 0) {
              spdlog::info("deployments entered {} rings and created {} jobs", round.rings_entered,
                           round.jobs_created);
            }
            for (const auto& id : round.halted) spdlog::warn("deployment={} halted", id);
            for (const auto& id : round.completed) spdlog::info("deployment={} completed", id);
          },
  });
  // Runs hourly, so a snapshot follows soon after each UTC midnight and
  // after a new leader takes over. recordComplianceSnapshot writes at most
  // once per UTC day.
  jobs.push_back(ScheduledJob{
      .name = "compliance-snapshot",
      .interval = std::chrono::hours(1),
      .initial_delay = Elapsed{0},
      .run =
          [this] {
            const SystemTime now = context_.clock.now();
            bool written = false;
            auto recorded = context_.database.write([&](store::Session& session) -> Result<void> {
              written = false;
              auto done = recordComplianceSnapshot(session, now,
                                                   std::chrono::days(config_.stale_after_days));
              if (!done) return tl::unexpected(done.error());
              written = *done;
              return {};
            });
            if (!recorded) {
              spdlog::error("recording the compliance snapshot of {} failed: {}", utcDay(now),
                            recorded.error().message);
              return;
            }
            if (written) spdlog::info("recorded the compliance snapshot of {}", utcDay(now));
          },
  });
  jobs_ = std::make_unique<JobRunner>(context_.clock, *leader_lock_, std::move(jobs),
                                      std::chrono::seconds(config_.leader_retry_seconds));
  context_.metrics.describe("patchkeeper_leader", Metrics::Type::kGauge,
                            "1 while this node holds the leader lock and runs scheduled jobs");
  context_.metrics.addCollector([this](Metrics& metrics) {
    metrics.set("patchkeeper_leader", {}, jobs_ && jobs_->leading() ? 1 : 0);
  });
  jobs_->start();

  // Only the leader syncs feeds, so every node checks whether the stored
  // advisories moved past the index it evaluates with.
  node_jobs_ = std::make_unique<JobRunner>(
      context_.clock, node_lock_,
      std::vector<ScheduledJob>{ScheduledJob{
          .name = "advisory-index-refresh",
          .interval = std::chrono::seconds(config_.index_refresh_seconds),
          .initial_delay = std::chrono::seconds(config_.index_refresh_seconds),
          .run =
              [this] {
                if (auto refreshed = feeds_->refreshIndexIfStale(); !refreshed) {
                  spdlog::error("advisory index refresh failed: {}", refreshed.error().message);
                }
              },
      }});
  node_jobs_->start();
  return {};
}

DeploymentServices Domain::deploymentServices() const {
  return storeDeploymentServices(std::chrono::minutes(config_.default_job_estimate_minutes));
}

void Domain::wakeJobs() {
  if (jobs_) jobs_->wake();
  if (node_jobs_) node_jobs_->wake();
}

void Domain::stop() {
  if (node_jobs_) node_jobs_->stop();
  if (jobs_) jobs_->stop();
}

}  // namespace pk::server
