#pragma once

// Enrolment: a host exchanges an enrolment secret for its own token, and
// admins manage the secrets. addHostRoutes() (host_routes.h) registers the
// handlers below; they are declared here for tests and the fuzzer.

#include <chrono>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/context.h"
#include "server/http.h"

namespace pk::server {

// How long an admin's approval of a re-enrolment stays usable.
inline constexpr std::chrono::hours kReenrolmentApprovalValidity{24};

// Returns a fresh enrolment secret: 32 bytes from libsodium's
// randombytes_buf as 64 lower-case hex digits. Thread-safe.
std::string generateEnrolmentSecret();

// Returns the BLAKE2b-256 hash of `secret` as 64 lower-case hex digits, the
// only form of a secret the database keeps. Thread-safe.
std::string hashEnrolmentSecret(std::string_view secret);

// Whether `name` is acceptable as a collection: 1 to 64 characters, each
// an ASCII letter, digit, '.', '_' or '-'.
bool isValidCollectionName(std::string_view name);

// Whether `owner` is acceptable as a host owner: "" (no owner) or up to
// 255 characters without control characters. It is not checked against
// the users table, so a host may be assigned to a user created later.
bool isValidOwner(std::string_view owner);

// Reads `value`, a JSON array of collection names, into a sorted list
// without duplicates. On failure returns the 400 invalid_field response
// naming `field` and the offending entry.
std::variant<std::vector<std::string>, Response> parseCollectionList(const nlohmann::json& value,
                                                                     std::string_view field);

// POST /api/v1/enrol (public). Parses a protocol::EnrolRequest and responds with:
//   201 EnrolResponse  a new host, or an approved re-enrolment that keeps
//                      the host id and replaces its token;
//   400 invalid_request             the body is not a valid EnrolRequest;
//   401 invalid_enrolment_secret    unknown or revoked secret;
//   401 expired_enrolment_secret    expires_at <= context.clock.now();
//   409 already_enrolled            an active host has this machine id and
//                                   no admin approved its re-enrolment in
//                                   the last kReenrolmentApprovalValidity;
//   500 internal_error              the database failed.
// Every enrolment writes an audit event with actor "host:<id>".
Response handleEnrol(ServerContext& context, const Request& request);

// GET /api/v1/enrolment-secrets: {"items": [secret, ...]} without the
// secrets themselves, each with "status" active, expired or revoked.
Response handleListEnrolmentSecrets(ServerContext& context, const Request& request);

// POST /api/v1/enrolment-secrets {name, kind, owner?, collections?,
// expires_at | expires_in_hours}: 201 with the new secret's record and
// "secret", the only time it is shown. 400 invalid_field names the field
// that is missing or invalid.
Response handleCreateEnrolmentSecret(ServerContext& context, const Request& request);

// DELETE /api/v1/enrolment-secrets/{id}: revokes the secret and returns its
// record; hosts it enrolled keep their tokens. 404 for an unknown id.
// Revoking a revoked secret changes nothing and returns 200.
Response handleRevokeEnrolmentSecret(ServerContext& context, const Request& request);

}  // namespace pk::server
