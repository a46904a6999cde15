#pragma once

// Who is calling, and what they may do. The table of roles against
// permissions lives in roles.cpp and is documented in docs/ROLES.md; it is
// the only place that decides.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pk::server {

enum class Permission {
  kPublic,             // no credential needed (health, enrolment, login, OpenAPI)
  kAgent,              // a host's own token; the handler checks the host id
  kReadHosts,          // list and show hosts (owners: only their own)
  kManageHosts,        // change kind, owner, collections; revoke; approve re-enrolment
  kReadFindings,       // findings and compliance (owners: only their hosts)
  kReadReports,        // fleet-wide reports
  kReadFeeds,          // feed status
  kManageFeeds,        // sync now, confirm a large removal
  kManageEnrolment,    // create, list and delete enrolment secrets
  kReadUsers,          // list users and their roles
  kManageUsers,        // create users, set roles, disable
  kManageOwnTokens,    // create, list and revoke one's own API tokens; log out
  kReadAudit,          // read and export the audit log
  kFileRequests,       // file requests (tickets) for one's own hosts
  kDecideRequests,     // approve or refuse tickets filed by others
  kManageWebhooks,     // create, list and delete outgoing webhook subscriptions
  kLinkRequests,       // set a ticket's external (help-desk) reference
  kDecidePatches,      // approve or decline patches; manage approval rules
  kReadDeployments,    // list and show deployments, their jobs and job logs
  kManageDeployments,  // create, approve (emergencies) and cancel deployments
};

// Returns the stable snake_case name of `permission`, "read_hosts".
std::string_view permissionName(Permission permission);

enum class Role { kAdmin, kOperator, kOwner, kViewer, kAuditor, kHelpdesk };

std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view name);
const std::vector<Role>& allRoles();

// Whether any of `roles` grants `permission`. kPublic is granted to
// everyone; kAgent to no role (only host principals hold it).
bool rolesGrant(const std::vector<Role>& roles, Permission permission);

struct Principal {
  enum class Kind { kUser, kHost };
  Kind kind = Kind::kUser;
  // Users: the user's id and name, the roles held, and the id of the
  // session or API token used.
  std::int64_t user_id = 0;
  std::string username;
  std::vector<Role> roles;
  std::int64_t credential_id = 0;
  // Hosts: the host's id.
  std::string host_id;

  bool isHost() const { return kind == Kind::kHost; }
  bool has(Permission permission) const;
  // Whether the principal sees every host, not only those it owns.
  bool seesAllHosts() const;
};

}  // namespace pk::server
