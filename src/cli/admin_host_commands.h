#pragma once

// `patchkeeper hosts ...` and `patchkeeper enrolment-secrets ...`: the
// enrolled hosts and the secrets that let new hosts enrol. Each run
// function makes one API call (listed beside it), prints the result in
// ctx.output's format and returns an exit status: kExitOk, or kExitError
// after printing the server's error.

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/admin_api.h"

namespace pk::cli {

class AdminRunner;

struct HostListOptions {
  std::string owner;
  std::string kind;
  std::string status;  // "active" or "revoked"
  std::string collection;
  std::string compliance;  // "compliant", "not_compliant" or "unknown"
};

struct HostSetOptions {
  std::string host_id;
  std::optional<std::string> kind;
  std::optional<std::string> owner;        // "" removes the owner
  std::optional<std::string> collections;  // comma-separated; "" removes every collection
};

struct EnrolmentSecretCreateOptions {
  std::string name;
  std::string kind;
  std::string owner;        // "" leaves the enrolled hosts without an owner
  std::string collections;  // comma-separated
  int expires_in_hours = 0;
};

// GET /api/v1/hosts?owner=&kind=&status=&collection=&compliance=
int runHostsList(const HostListOptions& options, AdminContext& ctx);
// GET /api/v1/hosts/{id}
int runHostsShow(const std::string& host_id, AdminContext& ctx);
// PATCH /api/v1/hosts/{id} with only the fields given. Returns
// kExitInvalidInput, sending nothing, when no field or a bad collection
// list is given.
int runHostsSet(const HostSetOptions& options, AdminContext& ctx);
// POST /api/v1/hosts/{id}/revoke
int runHostsRevoke(const std::string& host_id, AdminContext& ctx);
// POST /api/v1/hosts/{id}/approve-reenrolment
int runHostsApproveReenrolment(const std::string& host_id, AdminContext& ctx);

// GET /api/v1/enrolment-secrets
int runEnrolmentSecretsList(AdminContext& ctx);
// POST /api/v1/enrolment-secrets; prints the new secret, which the server
// shows only this once, and a reminder on ctx.err to store it.
int runEnrolmentSecretsCreate(const EnrolmentSecretCreateOptions& options, AdminContext& ctx);
// DELETE /api/v1/enrolment-secrets/{id}
int runEnrolmentSecretsDelete(std::int64_t id, AdminContext& ctx);

// Adds the `hosts` and `enrolment-secrets` commands to `app`.
void addHostCommands(CLI::App& app, AdminRunner& runner);

}  // namespace pk::cli
