#pragma once

// Checks and conversions of the administration commands' arguments, done
// before any request is sent, so that a typo is a usage error (exit status
// 2) with a precise message rather than a round trip to the server.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/clock.h"
#include "common/error.h"

namespace pk::cli {

// Each check fails with kInvalidArgument and a message naming the value and
// what is accepted.

// A host id: "h-" followed by 16 lower-case hex digits.
Result<void> validateHostId(std::string_view id);
// A host kind: "server" or "endpoint".
Result<void> validateHostKind(std::string_view kind);
// A host status: "active" or "revoked".
Result<void> validateHostStatus(std::string_view status);
// A compliance status: compliant, not_compliant or unknown.
Result<void> validateComplianceStatus(std::string_view status);
// A severity: critical, high, medium, low, none or unknown.
Result<void> validateSeverity(std::string_view severity);
// A finding status filter: open, fixed or all.
Result<void> validateFindingStatus(std::string_view status);
// A token, secret or other numeric id: a decimal integer from 1 up.
Result<std::int64_t> parseNumericId(std::string_view text);

// Splits a comma-separated list, trimming blanks around each entry. "" is
// the empty list; an empty entry ("a,,b") fails.
Result<std::vector<std::string>> parseList(std::string_view text);

// Parses a comma-separated list of role names (admin, operator, owner,
// viewer, auditor), dropping repeats. Fails on an unknown name or an empty
// list.
Result<std::vector<std::string>> parseRoles(std::string_view text);

// Returns the RFC 3339 instant that `text` names: an RFC 3339 time
// ("2026-12-01T00:00:00Z"), or an age before `now` written as a whole
// number and a unit, m (minutes), h (hours) or d (days): "36h", "7d".
Result<std::string> parseSince(std::string_view text, SystemTime now);

// Percent-encodes `text` for a URL path segment or a query value: every
// byte except ASCII letters, digits and "-._~".
std::string percentEncode(std::string_view text);

// Returns "?name=value&..." for the pairs whose value is not empty, with
// names and values percent-encoded, or "" when every value is empty.
std::string queryString(const std::vector<std::pair<std::string, std::string>>& parameters);

// Wraps a check as a CLI11 validator, so that a bad value stops the
// parse with the check's message (exit status 2).
CLI::Validator checkedBy(Result<void> (*check)(std::string_view), std::string description);

}  // namespace pk::cli
