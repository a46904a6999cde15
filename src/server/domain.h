#pragma once

// The server's domain, assembled: the evaluator, the feed service, the job
// runner that syncs feeds under the leader lock, the authenticator, and
// every route of people, hosts and vulnerabilities. The application object
// owns one and calls start() before serving and stop() after.

#include <memory>

#include "common/error.h"
#include "server/config.h"
#include "server/context.h"
#include "server/deployments.h"
#include "server/evaluation.h"
#include "server/feed_sync.h"
#include "server/http.h"
#include "server/job_runner.h"
#include "server/leader_lock.h"

namespace pk::server {

class Domain {
 public:
  // `context` and `config` must outlive the domain.
  Domain(ServerContext& context, const ServerConfig& config);
  ~Domain();
  Domain(const Domain&) = delete;
  Domain& operator=(const Domain&) = delete;

  // Decides who calls, from the bearer token; for the Router.
  Authenticate authenticator();

  // Adds the people, host and vulnerability routes to `router`.
  void addRoutes(Router& router);

  // Records the configured feeds, builds the advisory index from the
  // stored advisories, takes the leader lock file under the data folder,
  // and starts the job runner. Fails when the store cannot be read or the
  // lock file cannot be opened.
  Result<void> start();

  // Stops the job runner after the job running now, if any.
  void stop();

  // Makes the scheduled jobs re-check their due times, as after the clock
  // moved. Harmless when they are not running.
  void wakeJobs();

  Evaluator& evaluator() { return evaluator_; }
  // What deployments read from the catalog and collections.
  DeploymentServices deploymentServices() const;
  FeedService& feeds() { return *feeds_; }

 private:
  ServerContext& context_;
  const ServerConfig& config_;
  Evaluator evaluator_;
  std::unique_ptr<FeedService> feeds_;
  std::unique_ptr<LeaderLock> leader_lock_;
  std::unique_ptr<JobRunner> jobs_;
  // Jobs every node runs for itself, leader or not.
  SingleNodeLeaderLock node_lock_;
  std::unique_ptr<JobRunner> node_jobs_;
};

}  // namespace pk::server
