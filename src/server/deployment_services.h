#pragma once

// The DeploymentServices of a running server: ring sequences and members
// from collections, patch decisions and install targets from the patch
// catalog, restart policy and hooks from the host's collections.

#include "server/deployments.h"

namespace pk::server {

// `default_estimate` is the job estimate of a host with no finished job.
DeploymentServices storeDeploymentServices(Elapsed default_estimate);

}  // namespace pk::server
