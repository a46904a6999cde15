#include "server/principal.h"

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace pk::server {
namespace {

// Every Permission enumerator, from kPublic to kManageDeployments.
std::vector<Permission> everyPermission() {
  std::vector<Permission> permissions;
  for (int value = static_cast<int>(Permission::kPublic);
       value <= static_cast<int>(Permission::kManageDeployments); ++value) {
    permissions.push_back(static_cast<Permission>(value));
  }
  return permissions;
}

// The expected grants, written out by name from the API contract and kept
// apart from roles.cpp on purpose: a change to either table makes this test
// fail until both agree.
const std::map<std::string, std::set<std::string>>& expectedGrants() {
  static const std::map<std::string, std::set<std::string>> grants = {
      {"admin",
       {"read_hosts", "manage_hosts", "read_findings", "read_reports", "read_feeds", "manage_feeds",
        "manage_enrolment", "read_users", "manage_users", "manage_own_tokens", "read_audit",
        "file_requests", "decide_requests", "manage_webhooks", "link_requests", "read_deployments",
        "manage_deployments"}},
      {"operator",
       {"read_hosts", "manage_hosts", "read_findings", "read_reports", "read_feeds", "manage_feeds",
        "manage_enrolment", "manage_own_tokens", "file_requests", "read_deployments"}},
      {"owner", {"read_hosts", "read_findings", "file_requests", "manage_own_tokens"}},
      {"viewer",
       {"read_hosts", "read_findings", "read_reports", "read_feeds", "manage_own_tokens",
        "read_deployments"}},
      {"auditor",
       {"read_hosts", "read_findings", "read_reports", "read_feeds", "read_users", "read_audit",
        "manage_own_tokens", "read_deployments"}},
      {"helpdesk", {"file_requests", "link_requests", "manage_own_tokens"}},
  };
  return grants;
}

TEST(Roles, TableMatchesIndependentExpectation) {
  ASSERT_EQ(allRoles().size(), expectedGrants().size());
  for (Role role : allRoles()) {
    const std::string name(roleName(role));
    const auto expected = expectedGrants().find(name);
    ASSERT_NE(expected, expectedGrants().end()) << "unexpected role " << name;
    for (Permission permission : everyPermission()) {
      const std::string permission_name(permissionName(permission));
      const bool expect_granted =
          permission == Permission::kPublic || expected->second.count(permission_name) > 0;
      EXPECT_EQ(rolesGrant({role}, permission), expect_granted)
          << "role " << name << ", permission " << permission_name;
    }
  }
}

TEST(Roles, ExpectationNamesOnlyRealPermissions) {
  std::set<std::string> known;
  for (Permission permission : everyPermission())
    known.insert(std::string(permissionName(permission)));
  for (const auto& [role, permissions] : expectedGrants()) {
    for (const std::string& permission : permissions) {
      EXPECT_EQ(known.count(permission), 1u) << role << " names unknown " << permission;
    }
  }
}

TEST(Roles, PermissionNamesAreDistinctSnakeCase) {
  std::set<std::string> names;
  for (Permission permission : everyPermission()) {
    const std::string name(permissionName(permission));
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string::npos) << name;
    EXPECT_TRUE(names.insert(name).second) << "duplicate " << name;
  }
}

TEST(Roles, NamesRoundTripThroughParse) {
  for (Role role : allRoles()) {
    EXPECT_EQ(parseRole(roleName(role)), role) << roleName(role);
  }
  EXPECT_EQ(parseRole("Admin"), std::nullopt);
  EXPECT_EQ(parseRole(""), std::nullopt);
  EXPECT_EQ(parseRole("root"), std::nullopt);
}

TEST(Roles, SeveralRolesGrantTheUnion) {
  const std::vector<Role> roles = {Role::kOwner, Role::kAuditor};
  EXPECT_TRUE(rolesGrant(roles, Permission::kFileRequests));
  EXPECT_TRUE(rolesGrant(roles, Permission::kReadAudit));
  EXPECT_FALSE(rolesGrant(roles, Permission::kManageUsers));
}

TEST(Roles, NoRoleGrantsOnlyPublic) {
  for (Permission permission : everyPermission()) {
    EXPECT_EQ(rolesGrant({}, permission), permission == Permission::kPublic)
        << permissionName(permission);
  }
}

TEST(Roles, NoRoleGrantsAgent) {
  for (Role role : allRoles()) {
    EXPECT_FALSE(rolesGrant({role}, Permission::kAgent)) << roleName(role);
  }
}

TEST(Principal, HostHasOnlyAgentAndPublic) {
  Principal host;
  host.kind = Principal::Kind::kHost;
  host.host_id = "h-0123456789abcdef";
  // Roles on a host principal must not widen what its token opens.
  host.roles = {Role::kAdmin};
  for (Permission permission : everyPermission()) {
    const bool expected = permission == Permission::kAgent || permission == Permission::kPublic;
    EXPECT_EQ(host.has(permission), expected) << permissionName(permission);
  }
  EXPECT_FALSE(host.seesAllHosts());
}

TEST(Principal, UserHasWhatRolesGrant) {
  Principal user;
  user.username = "alice";
  user.roles = {Role::kViewer};
  EXPECT_TRUE(user.has(Permission::kReadReports));
  EXPECT_FALSE(user.has(Permission::kManageHosts));
  EXPECT_FALSE(user.has(Permission::kAgent));
}

TEST(Principal, OnlyOwnersAreScopedToTheirHosts) {
  const std::map<Role, bool> expected = {{Role::kAdmin, true},   {Role::kOperator, true},
                                         {Role::kOwner, false},  {Role::kViewer, true},
                                         {Role::kAuditor, true}, {Role::kHelpdesk, true}};
  for (Role role : allRoles()) {
    Principal user;
    user.roles = {role};
    EXPECT_EQ(user.seesAllHosts(), expected.at(role)) << roleName(role);
  }

  Principal owner_and_viewer;
  owner_and_viewer.roles = {Role::kOwner, Role::kViewer};
  EXPECT_TRUE(owner_and_viewer.seesAllHosts());

  Principal nobody;
  EXPECT_FALSE(nobody.seesAllHosts());
}

}  // namespace
}  // namespace pk::server
