#pragma once

// The deployments domain of the API. The rules are in deployments.h.
//
//   GET  /api/v1/deployments?status=&limit=&offset=    read_deployments
//   POST /api/v1/deployments                            manage_deployments
//   GET  /api/v1/deployments/{id}                       read_deployments
//   GET  /api/v1/deployments/{id}/jobs                  read_deployments
//   POST /api/v1/deployments/{id}/approve               manage_deployments
//   POST /api/v1/deployments/{id}/cancel                manage_deployments
//   GET  /api/v1/jobs/{id}                              read_deployments
//   GET  /api/v1/hosts/{host_id}/jobs                   agent (own host)
//   POST /api/v1/hosts/{host_id}/jobs/{id}/events       agent (own host)

#include "server/context.h"
#include "server/deployments.h"
#include "server/http.h"

namespace pk::server {

// Registers every route above on `router`. `context` must outlive the
// router; `services` is copied.
void addDeploymentRoutes(Router& router, ServerContext& context,
                         const DeploymentServices& services);

}  // namespace pk::server
