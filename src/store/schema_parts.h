#pragma once

// The pieces of the schema, one migration per owner of a group of tables.
// migrations.cpp puts them in version order; each function returns the
// same value on every call and its statements are string literals.

#include "store/migrations.h"

namespace pk::store {

// Version 1: settings and the append-only audit log (schema_core.cpp).
Migration coreMigration();

// Version 2: users, sessions and API tokens (schema_people.cpp).
Migration peopleMigration();

// Version 3: hosts, enrolment secrets, host tokens and inventories
// (schema_hosts.cpp).
Migration hostsMigration();

// Version 4: advisories, feeds and findings (schema_vulnerabilities.cpp).
Migration vulnerabilitiesMigration();

// Version 5: maintenance windows, server window assignments and calendar
// feed tokens (schema_windows.cpp).
Migration windowsMigration();

// Version 6: tickets, their comments, and outgoing webhooks
// (schema_tickets.cpp).
Migration ticketsMigration();

// Version 7: one row per use of an enrolment secret
// (schema_enrolment_uses.cpp).
Migration enrolmentUsesMigration();

// Version 8: Windows host facts, installed KBs and offered updates, and the
// fixing KB of findings (schema_windows_hosts.cpp).
Migration windowsHostsMigration();

// Version 9: the patch catalog, patch decisions, approval rules and risk
// exceptions (schema_patches.cpp).
Migration patchesMigration();

// Version 10: collections, their explicit members, ring sequences and their
// rings, with the default collections and sequence
// (schema_collections.cpp).
Migration collectionsMigration();

// Version 11: deployments, their rings and patches, jobs, their event logs,
// and deployment rules (schema_deployments.cpp).
Migration deploymentsMigration();

// Version 12: the ecosystem filter and last result of deployment rules
// (schema_deployment_rules.cpp).
Migration deploymentRulesMigration();

// Version 13: daily compliance snapshots per group
// (schema_compliance_history.cpp).
Migration complianceHistoryMigration();

// Version 14: the changelog entries sent with pending security updates
// (schema_pending_changelogs.cpp).
Migration pendingChangelogsMigration();

// Version 15: endpoint restart state and the notices and choices of each
// restart (schema_restart_state.cpp).
Migration restartStateMigration();

}  // namespace pk::store
