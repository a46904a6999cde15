#include "cli/admin_arguments.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "advisory/advisory.h"

namespace pk::cli {
namespace {

constexpr std::array<std::string_view, 6> kRoleNames{"admin",  "operator", "owner",
                                                     "viewer", "auditor",  "helpdesk"};

tl::unexpected<Error> invalid(std::string message) {
  return fail(ErrorCode::kInvalidArgument, std::move(message));
}

std::string_view trimmed(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

bool isLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<void> validateHostId(std::string_view id) {
  if (id.size() == 18 && id.rfind("h-", 0) == 0 && isLowerHex(id.substr(2))) return {};
  return invalid(
      fmt::format("invalid host id '{}': expected \"h-\" followed by 16 lower-case hex digits, as "
                  "`patchkeeper hosts list` shows",
                  id));
}

Result<void> validateHostKind(std::string_view kind) {
  if (kind == "server" || kind == "endpoint") return {};
  return invalid(fmt::format("invalid host kind '{}': use server or endpoint", kind));
}

Result<void> validateHostStatus(std::string_view status) {
  if (status == "active" || status == "revoked") return {};
  return invalid(fmt::format("invalid host status '{}': use active or revoked", status));
}

Result<void> validateComplianceStatus(std::string_view status) {
  if (status == "compliant" || status == "not_compliant" || status == "unknown") return {};
  return invalid(fmt::format(
      "invalid compliance status '{}': use compliant, not_compliant or unknown", status));
}

Result<void> validateSeverity(std::string_view severity) {
  using advisory::Severity;
  std::vector<std::string_view> names;
  for (Severity known : {Severity::kCritical, Severity::kHigh, Severity::kMedium, Severity::kLow,
                         Severity::kNone, Severity::kUnknown}) {
    if (severity == advisory::severityName(known)) return {};
    names.push_back(advisory::severityName(known));
  }
  return invalid(
      fmt::format("invalid severity '{}': use one of {}", severity, fmt::join(names, ", ")));
}

Result<void> validateFindingStatus(std::string_view status) {
  if (status == "open" || status == "fixed" || status == "all") return {};
  return invalid(fmt::format("invalid finding status '{}': use open, fixed or all", status));
}

Result<std::int64_t> parseNumericId(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1) {
    return invalid(fmt::format("invalid id '{}': expected a whole number from 1 up", text));
  }
  return value;
}

Result<std::vector<std::string>> parseList(std::string_view text) {
  std::vector<std::string> entries;
  if (trimmed(text).empty()) return entries;
  std::string_view rest = text;
  while (true) {
    auto comma = rest.find(',');
    auto entry = trimmed(rest.substr(0, comma));
    if (entry.empty()) {
      return invalid(fmt::format(
          "invalid list '{}': it has an empty entry; separate names with single commas", text));
    }
    entries.emplace_back(entry);
    if (comma == std::string_view::npos) return entries;
    rest.remove_prefix(comma + 1);
  }
}

Result<std::vector<std::string>> parseRoles(std::string_view text) {
  auto entries = parseList(text);
  if (!entries) return tl::unexpected(entries.error());
  if (entries->empty()) {
    return invalid(fmt::format("give at least one role: {}", fmt::join(kRoleNames, ", ")));
  }

  std::vector<std::string> roles;
  for (const auto& entry : *entries) {
    if (std::find(kRoleNames.begin(), kRoleNames.end(), entry) == kRoleNames.end()) {
      return invalid(fmt::format("unknown role '{}': use {}", entry, fmt::join(kRoleNames, ", ")));
    }
    if (std::find(roles.begin(), roles.end(), entry) == roles.end()) roles.push_back(entry);
  }
  return roles;
}

Result<std::string> parseSince(std::string_view text, SystemTime now) {
  if (auto instant = parseRfc3339(text)) return formatRfc3339(*instant);

  auto error = invalid(fmt::format(
      "invalid time '{}': give an RFC 3339 time such as 2026-12-01T00:00:00Z, or an age "
      "such as 90m, 36h or 7d",
      text));
  if (text.size() < 2) return error;
  std::int64_t amount = 0;
  auto digits = text.substr(0, text.size() - 1);
  auto [end, parse_error] = std::from_chars(digits.data(), digits.data() + digits.size(), amount);
  // Ten years of minutes bounds the product far below overflow.
  constexpr std::int64_t kMaxAmount = 10 * 366 * 24 * 60;
  if (parse_error != std::errc() || end != digits.data() + digits.size() || amount < 0 ||
      amount > kMaxAmount) {
    return error;
  }

  std::chrono::minutes age{};
  switch (text.back()) {
    case 'm':
      age = std::chrono::minutes(amount);
      break;
    case 'h':
      age = std::chrono::hours(amount);
      break;
    case 'd':
      age = std::chrono::days(amount);
      break;
    default:
      return error;
  }
  return formatRfc3339(now - age);
}

std::string percentEncode(std::string_view text) {
  std::string encoded;
  for (char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      encoded += c;
    } else {
      encoded += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return encoded;
}

std::string queryString(const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::string query;
  for (const auto& [name, value] : parameters) {
    if (value.empty()) continue;
    query += query.empty() ? '?' : '&';
    query += percentEncode(name) + "=" + percentEncode(value);
  }
  return query;
}

CLI::Validator checkedBy(Result<void> (*check)(std::string_view), std::string description) {
  return CLI::Validator(
      [check](std::string& value) -> std::string {
        auto result = check(value);
        return result ? std::string() : result.error().message;
      },
      std::move(description));
}

}  // namespace pk::cli
