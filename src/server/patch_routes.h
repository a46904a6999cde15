#pragma once

// The patch catalog domain of the API. The rules are in patches.h.
//
//   GET    /api/v1/patches                        read_reports
//   GET    /api/v1/patches/{id}                   read_reports
//   POST   /api/v1/patches/{id}/decision          decide_patches
//   GET    /api/v1/approval-rules                 read_reports
//   POST   /api/v1/approval-rules                 decide_patches
//   DELETE /api/v1/approval-rules/{id}            decide_patches
//
// List filters (query parameters, all optional): ecosystem=<exact patch
// ecosystem>, decision=<pending|approved|declined>, severity=<name> (the
// highest severity is at or above it), kev=true, limit=<1..1000> (default
// 100) and after=<patch id> for paging. The list shows patches with at
// least one open finding; a full page carries "next_after".
//
// POST .../decision takes {"decision": "approved"|"declined", "reason":
// "..."}; a decline needs a reason. An unknown patch gets 404 not_found.
// POST /api/v1/approval-rules takes {"name", "ecosystem"?,
// "minimum_severity"?, "kev_only"?, "include_host_repository"?,
// "enabled"?}, applies the new rule to pending patches at once, and
// returns 201 with the rule and "approved_patches", the number it approved.

#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "server/context.h"
#include "server/http.h"
#include "store/patch_repository.h"

namespace pk::server {

// A body that breaks the rules: the HTTP status, a stable code and a
// message naming the field.
struct PatchBodyRejection {
  int status = 400;
  std::string code;
  std::string message;
};

inline constexpr std::size_t kMaxDecisionReasonBytes = 2000;
inline constexpr std::size_t kMaxRuleNameBytes = 200;
inline constexpr std::size_t kMaxRuleEcosystemBytes = 100;

struct PatchDecisionBody {
  std::string decision;  // "approved" or "declined"
  std::string reason;
};

// Parses the body of POST /api/v1/patches/{id}/decision. Rejects unknown
// fields, a missing or unknown decision, a reason that is not a string,
// too long or contains NUL, and a decline without a reason. Pure; fuzzed.
std::variant<PatchDecisionBody, PatchBodyRejection> parsePatchDecisionBody(
    const nlohmann::json& body);

// Parses the body of POST /api/v1/approval-rules into a rule without id,
// creator and time. Defaults: ecosystem "" (every ecosystem),
// minimum_severity "unknown" (any), kev_only false,
// include_host_repository false, enabled true. Pure; fuzzed.
std::variant<store::ApprovalRuleRecord, PatchBodyRejection> parseApprovalRuleBody(
    const nlohmann::json& body);

// Registers every route above on `router`. `context` must outlive the
// router.
void addPatchRoutes(Router& router, ServerContext& context);

}  // namespace pk::server
