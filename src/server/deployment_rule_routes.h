#pragma once

// The deployment rules domain of the API. The rules are in
// deployment_rules.h.
//
//   GET    /api/v1/deployment-rules          read_deployments
//   POST   /api/v1/deployment-rules          manage_deployments
//   DELETE /api/v1/deployment-rules/{id}     manage_deployments

#include "server/context.h"
#include "server/http.h"

namespace pk::server {

// Registers every route above on `router`. `context` must outlive the
// router.
void addDeploymentRuleRoutes(Router& router, ServerContext& context);

}  // namespace pk::server
