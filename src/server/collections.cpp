#include "server/collections.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "store/host_repository.h"

namespace pk::server {
namespace {

constexpr std::size_t kMaxHostnamePatternLength = 253;
constexpr std::size_t kMaxRuleTextLength = 200;

char lowerAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool hasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

}  // namespace

bool isSlug(std::string_view text) {
  if (text.empty() || text.size() > kMaxSlugLength) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool matchesGlob(std::string_view pattern, std::string_view text) {
  // Iterative matching with one saved '*' position: on a mismatch the last
  // star takes one more character. This never backtracks further, so the
  // cost stays bounded by pattern length × text length.
  std::size_t p = 0;
  std::size_t t = 0;
  std::optional<std::size_t> star;
  std::size_t star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || lowerAscii(pattern[p]) == lowerAscii(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star) {
      p = *star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool matchesEcosystem(std::string_view pattern, std::string_view ecosystem) {
  if (!pattern.empty() && pattern.back() == ':') {
    return ecosystem.size() > pattern.size() && ecosystem.substr(0, pattern.size()) == pattern;
  }
  return ecosystem == pattern;
}

bool matchesRule(const CollectionRule& rule, const CollectionHostFacts& host) {
  if (!rule.kind.empty() && rule.kind != host.kind) return false;
  if (!rule.owner.empty() && rule.owner != host.owner) return false;
  if (!rule.os_ecosystem.empty() && !matchesEcosystem(rule.os_ecosystem, host.os_ecosystem)) {
    return false;
  }
  if (!rule.hostname.empty() && !matchesGlob(rule.hostname, host.hostname)) return false;
  return true;
}

Result<void> checkCollectionRule(const CollectionRule& rule) {
  if (rule.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "a rule needs at least one of os_ecosystem, kind, owner and hostname; for a "
                "collection of chosen hosts, leave the rule out and list members instead");
  }
  if (!rule.kind.empty() && rule.kind != store::kHostKindServer &&
      rule.kind != store::kHostKindEndpoint) {
    return fail(ErrorCode::kInvalidArgument, "rule.kind must be \"server\" or \"endpoint\"");
  }
  if (rule.os_ecosystem.size() > kMaxRuleTextLength || hasControlCharacter(rule.os_ecosystem)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("rule.os_ecosystem must be at most {} characters without control "
                            "characters, such as \"Debian:12\" or the prefix \"Debian:\"",
                            kMaxRuleTextLength));
  }
  if (rule.owner.size() > kMaxRuleTextLength || hasControlCharacter(rule.owner)) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("rule.owner must be a username of at most {} characters", kMaxRuleTextLength));
  }
  if (rule.hostname.size() > kMaxHostnamePatternLength || hasControlCharacter(rule.hostname)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("rule.hostname must be a pattern of at most {} characters without "
                            "control characters, such as \"web-*\"",
                            kMaxHostnamePatternLength));
  }
  return {};
}

Result<void> checkRestartPolicyBounds(const RestartPolicyBounds& bounds) {
  if (bounds.max_restart_deadline_seconds <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                "max_restart_deadline_seconds must be a positive number of seconds");
  }
  if (bounds.min_countdown_seconds <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                "min_countdown_seconds must be a positive number of seconds");
  }
  if (bounds.min_countdown_seconds > bounds.max_restart_deadline_seconds) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("min_countdown_seconds ({}) must not exceed "
                            "max_restart_deadline_seconds ({}), or no policy could meet both",
                            bounds.min_countdown_seconds, bounds.max_restart_deadline_seconds));
  }
  return {};
}

Result<void> checkRestartPolicy(const RestartPolicy& policy, const RestartPolicyBounds& bounds) {
  if (policy.restart_deadline_seconds <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("restart_deadline_seconds must be positive, not {}",
                            policy.restart_deadline_seconds));
  }
  if (policy.restart_deadline_seconds > bounds.max_restart_deadline_seconds) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("restart_deadline_seconds must be at most {} (the institution's "
                            "maximum restart deadline), not {}",
                            bounds.max_restart_deadline_seconds, policy.restart_deadline_seconds));
  }
  if (policy.countdown_seconds < bounds.min_countdown_seconds) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("countdown_seconds must be at least {} (the institution's minimum "
                            "countdown), not {}",
                            bounds.min_countdown_seconds, policy.countdown_seconds));
  }
  if (policy.countdown_seconds > policy.restart_deadline_seconds) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("countdown_seconds ({}) must not exceed restart_deadline_seconds ({})",
                            policy.countdown_seconds, policy.restart_deadline_seconds));
  }
  if (policy.reminder_seconds <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("reminder_seconds must be positive, not {}", policy.reminder_seconds));
  }
  return {};
}

RestartPolicy effectiveRestartPolicy(const std::vector<RestartPolicy>& of_collections,
                                     std::optional<RestartPolicy> deployment_override) {
  RestartPolicy effective;
  if (!of_collections.empty()) {
    effective = of_collections.front();
    for (const auto& policy : of_collections) {
      effective.restart_deadline_seconds =
          std::min(effective.restart_deadline_seconds, policy.restart_deadline_seconds);
      effective.countdown_seconds = std::max(effective.countdown_seconds, policy.countdown_seconds);
      effective.reminder_seconds = std::min(effective.reminder_seconds, policy.reminder_seconds);
    }
  }

  if (deployment_override) {
    // Each field may only move the stricter way; a looser value is ignored.
    effective.restart_deadline_seconds =
        std::min(effective.restart_deadline_seconds, deployment_override->restart_deadline_seconds);
    effective.countdown_seconds =
        std::max(effective.countdown_seconds, deployment_override->countdown_seconds);
    effective.reminder_seconds =
        std::min(effective.reminder_seconds, deployment_override->reminder_seconds);
  }

  effective.countdown_seconds =
      std::min(effective.countdown_seconds, effective.restart_deadline_seconds);
  return effective;
}

Result<HookChoice> effectiveHooks(const std::vector<CollectionHooks>& of_collections) {
  HookChoice choice;
  std::string pre_from;
  std::string post_from;
  for (const auto& collection : of_collections) {
    if (!collection.pre_hook.empty()) {
      if (choice.pre_hook.empty()) {
        choice.pre_hook = collection.pre_hook;
        pre_from = collection.collection_id;
      } else if (choice.pre_hook != collection.pre_hook) {
        return fail(
            ErrorCode::kInvalidArgument,
            fmt::format("collections {} and {} name different pre-install hooks ({} and "
                        "{}); give them the same hook or deploy to them separately",
                        pre_from, collection.collection_id, choice.pre_hook, collection.pre_hook));
      }
    }
    if (!collection.post_hook.empty()) {
      if (choice.post_hook.empty()) {
        choice.post_hook = collection.post_hook;
        post_from = collection.collection_id;
      } else if (choice.post_hook != collection.post_hook) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("collections {} and {} name different post-install hooks ({} "
                                "and {}); give them the same hook or deploy to them separately",
                                post_from, collection.collection_id, choice.post_hook,
                                collection.post_hook));
      }
    }
  }
  return choice;
}

Result<void> checkRingSequence(const std::vector<store::Ring>& rings) {
  if (rings.empty()) {
    return tl::unexpected(invalid("a ring sequence needs at least one ring"));
  }
  if (rings.size() > kMaxRings) {
    return tl::unexpected(invalid(
        fmt::format("a ring sequence has at most {} rings, not {}", kMaxRings, rings.size())));
  }

  for (std::size_t i = 0; i < rings.size(); ++i) {
    const auto& ring = rings[i];
    const std::size_t number = i + 1;
    if (!isSlug(ring.collection_id)) {
      return tl::unexpected(invalid(fmt::format(
          "ring {}: collection must be a collection id ([a-z0-9-], at most {} characters)", number,
          kMaxSlugLength)));
    }
    if (ring.gate.min_soak_seconds < 0) {
      return tl::unexpected(
          invalid(fmt::format("ring {} ({}): min_soak_seconds must be zero or more, not {}", number,
                              ring.collection_id, ring.gate.min_soak_seconds)));
    }
    if (ring.gate.max_failures < 0) {
      return tl::unexpected(
          invalid(fmt::format("ring {} ({}): max_failures must be zero or more, not {}", number,
                              ring.collection_id, ring.gate.max_failures)));
    }
    const double ratio = ring.gate.min_success_ratio;
    if (std::isnan(ratio) || ratio < 0.0 || ratio > 1.0) {
      return tl::unexpected(invalid(fmt::format(
          "ring {} ({}): min_success_ratio {} is impossible; use a fraction from 0 to 1, such "
          "as 0.95 for 95%",
          number, ring.collection_id, ratio)));
    }
  }

  // A collection named twice would send a deployment back to a ring it
  // left, so the path up to the repeat is shown.
  for (std::size_t i = 0; i < rings.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (rings[j].collection_id != rings[i].collection_id) continue;
      std::string path;
      for (std::size_t k = 0; k <= i; ++k) {
        if (!path.empty()) path += " -> ";
        path += rings[k].collection_id;
      }
      return tl::unexpected(invalid(fmt::format(
          "ring sequence loops: {}; each collection may appear in one ring only", path)));
    }
  }
  return {};
}

}  // namespace pk::server
