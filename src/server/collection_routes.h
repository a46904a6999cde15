#pragma once

// Collections, ring sequences and the institution's restart policy bounds
// in the API.
//
//   GET    /api/v1/collections                    read_hosts
//   POST   /api/v1/collections                    manage_hosts, admin only
//   GET    /api/v1/collections/{id}               read_hosts
//   PUT    /api/v1/collections/{id}               manage_hosts, admin only
//   DELETE /api/v1/collections/{id}               manage_hosts, admin only
//   GET    /api/v1/collections/{id}/hosts         read_hosts (owners: own hosts), paged
//   GET    /api/v1/ring-sequences                 read_hosts
//   POST   /api/v1/ring-sequences                 manage_hosts, admin only
//   GET    /api/v1/ring-sequences/{id}            read_hosts
//   PUT    /api/v1/ring-sequences/{id}            manage_hosts, admin only
//   DELETE /api/v1/ring-sequences/{id}            manage_hosts, admin only
//   GET    /api/v1/restart-policy-bounds          read_hosts
//   PUT    /api/v1/restart-policy-bounds          manage_hosts, admin only
//
// The Router checks the permission and the handler the admin role, so an
// operator gets 403 on a change too. Every change appends an audit event
// in the same transaction. docs/COLLECTIONS.md describes the bodies.

#include <optional>

#include <nlohmann/json.hpp>

#include "server/context.h"
#include "server/http.h"
#include "store/collection_repository.h"

namespace pk::server {

// The maximum number of explicit members in a collection body.
inline constexpr std::size_t kMaxCollectionMembers = 10000;

// Applies a collection body (POST, or PUT over the stored collection) to
// `collection`. The fields are id, name, description, rule (an object, or
// null for a static collection), members and restart_policy. The policy
// object has restart_deadline_seconds, countdown_seconds, reminder_seconds,
// pre_hook and post_hook. The id is for POST only; on PUT it must equal the
// stored id when given.
//
// Returns the 400 response for the first problem: an unknown field, a
// wrong type, a missing id or name, an invalid id, rule, member id or hook
// name, or members on a rule collection. Only the policy's shape is checked
// here, so on nullopt the caller still checks it against the stored bounds
// (checkRestartPolicy) and that every member exists.
std::optional<Response> applyCollectionBody(const nlohmann::json& body,
                                            store::CollectionRecord& collection, bool creating);

// Applies a ring sequence body to `sequence`. The fields are id (POST only,
// as above), name, description and rings. Each ring is an object with
// collection, min_soak_seconds (default 0), min_success_ratio (default 1)
// and max_failures (default 0). Returns the 400 response for the first
// problem, including every check of checkRingSequence(). The caller still
// checks that every ring's collection exists.
std::optional<Response> applyRingSequenceBody(const nlohmann::json& body,
                                              store::RingSequence& sequence, bool creating);

// Registers every route above on `router`. `context` must outlive it.
void addCollectionRoutes(Router& router, ServerContext& context);

}  // namespace pk::server
