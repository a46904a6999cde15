#include "server/principal.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>

namespace pk::server {
namespace {

using P = Permission;

// A set of permissions as bits, one per Permission enumerator.
using PermissionSet = std::uint32_t;

constexpr PermissionSet permissionSet(std::initializer_list<Permission> permissions) {
  PermissionSet set = 0;
  for (Permission permission : permissions) set |= PermissionSet{1} << static_cast<int>(permission);
  return set;
}

struct RoleGrants {
  Role role;
  std::string_view name;
  PermissionSet permissions;
};

// The one table of roles against permissions; docs/ROLES.md shows the same
// table for people. kPublic needs no grant and kAgent belongs to host
// principals, so neither appears here.
constexpr std::array kRoleTable = {
    RoleGrants{Role::kAdmin, "admin",
               permissionSet({P::kReadHosts, P::kManageHosts, P::kReadFindings, P::kReadReports,
                              P::kReadFeeds, P::kManageFeeds, P::kManageEnrolment, P::kReadUsers,
                              P::kManageUsers, P::kManageOwnTokens, P::kReadAudit, P::kFileRequests,
                              P::kDecideRequests, P::kManageWebhooks, P::kLinkRequests,
                              P::kDecidePatches, P::kReadDeployments, P::kManageDeployments})},
    RoleGrants{Role::kOperator, "operator",
               permissionSet({P::kReadHosts, P::kManageHosts, P::kReadFindings, P::kReadReports,
                              P::kReadFeeds, P::kManageFeeds, P::kManageEnrolment,
                              P::kManageOwnTokens, P::kFileRequests, P::kReadDeployments})},
    RoleGrants{
        Role::kOwner, "owner",
        permissionSet({P::kReadHosts, P::kReadFindings, P::kFileRequests, P::kManageOwnTokens})},
    RoleGrants{Role::kViewer, "viewer",
               permissionSet({P::kReadHosts, P::kReadFindings, P::kReadReports, P::kReadFeeds,
                              P::kManageOwnTokens, P::kReadDeployments})},
    // Managing one's own API tokens is the auditor's only write: it lets an
    // auditor give a SIEM a token of its own instead of a password.
    RoleGrants{
        Role::kAuditor, "auditor",
        permissionSet({P::kReadHosts, P::kReadFindings, P::kReadReports, P::kReadFeeds,
                       P::kReadUsers, P::kReadAudit, P::kManageOwnTokens, P::kReadDeployments})},
    // A help-desk system's account: it files and comments on tickets and
    // keeps its own reference on them, and can never decide one.
    RoleGrants{Role::kHelpdesk, "helpdesk",
               permissionSet({P::kFileRequests, P::kLinkRequests, P::kManageOwnTokens})},
};

// The table has one row per Role, in enumerator order, so a role indexes it.
constexpr bool tableFollowsRoleOrder() {
  for (std::size_t i = 0; i < kRoleTable.size(); ++i) {
    if (static_cast<std::size_t>(kRoleTable[i].role) != i) return false;
  }
  return kRoleTable.size() == static_cast<std::size_t>(Role::kHelpdesk) + 1;
}
static_assert(tableFollowsRoleOrder(), "kRoleTable needs one row per Role, in enumerator order");
static_assert(static_cast<int>(Permission::kManageDeployments) < 32, "PermissionSet has 32 bits");

const RoleGrants& grantsOf(Role role) {
  return kRoleTable.at(static_cast<std::size_t>(role));
}

bool roleGrants(Role role, Permission permission) {
  return (grantsOf(role).permissions & permissionSet({permission})) != 0;
}

}  // namespace

std::string_view permissionName(Permission permission) {
  switch (permission) {
    case P::kPublic:
      return "public";
    case P::kAgent:
      return "agent";
    case P::kReadHosts:
      return "read_hosts";
    case P::kManageHosts:
      return "manage_hosts";
    case P::kReadFindings:
      return "read_findings";
    case P::kReadReports:
      return "read_reports";
    case P::kReadFeeds:
      return "read_feeds";
    case P::kManageFeeds:
      return "manage_feeds";
    case P::kManageEnrolment:
      return "manage_enrolment";
    case P::kReadUsers:
      return "read_users";
    case P::kManageUsers:
      return "manage_users";
    case P::kManageOwnTokens:
      return "manage_own_tokens";
    case P::kReadAudit:
      return "read_audit";
    case P::kFileRequests:
      return "file_requests";
    case P::kDecideRequests:
      return "decide_requests";
    case P::kManageWebhooks:
      return "manage_webhooks";
    case P::kLinkRequests:
      return "link_requests";
    case P::kDecidePatches:
      return "decide_patches";
    case P::kReadDeployments:
      return "read_deployments";
    case P::kManageDeployments:
      return "manage_deployments";
  }
  return "unknown";
}

std::string_view roleName(Role role) {
  return grantsOf(role).name;
}

std::optional<Role> parseRole(std::string_view name) {
  for (const RoleGrants& grants : kRoleTable) {
    if (grants.name == name) return grants.role;
  }
  return std::nullopt;
}

const std::vector<Role>& allRoles() {
  static const std::vector<Role> roles = [] {
    std::vector<Role> list;
    for (const RoleGrants& grants : kRoleTable) list.push_back(grants.role);
    return list;
  }();
  return roles;
}

bool rolesGrant(const std::vector<Role>& roles, Permission permission) {
  if (permission == P::kPublic) return true;
  if (permission == P::kAgent) return false;
  return std::any_of(roles.begin(), roles.end(),
                     [permission](Role role) { return roleGrants(role, permission); });
}

bool Principal::has(Permission permission) const {
  if (permission == P::kPublic) return true;
  // A host's token opens only the agent routes, whatever else it might carry.
  if (isHost()) return permission == P::kAgent;
  return rolesGrant(roles, permission);
}

bool Principal::seesAllHosts() const {
  if (isHost()) return false;
  // Every role except owner reads the whole fleet; an owner sees only the
  // hosts whose owner is their username. The help-desk role reads no host,
  // but files tickets for any of them on behalf of the people it serves.
  return std::any_of(roles.begin(), roles.end(), [](Role role) {
    return role == Role::kAdmin || role == Role::kOperator || role == Role::kViewer ||
           role == Role::kAuditor || role == Role::kHelpdesk;
  });
}

}  // namespace pk::server
