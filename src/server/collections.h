#pragma once

// The rules of collections and rings, as pure functions: rule matching,
// the hostname glob, checks of ids, hook names, restart policies and ring
// sequences, and how the restart policies and hooks of several collections
// combine for one host. Nothing here reads the store or the clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "store/collection_repository.h"

namespace pk::server {

using store::CollectionHostFacts;
using store::CollectionRule;
using store::RestartPolicy;

// The longest collection id, ring sequence id and hook name.
inline constexpr std::size_t kMaxSlugLength = 64;

// The most rings a sequence may have.
inline constexpr std::size_t kMaxRings = 32;

// Returns whether `text` is a slug: 1 to 64 characters of [a-z0-9-].
// Collection ids, ring sequence ids and hook names are slugs.
bool isSlug(std::string_view text);

// Returns whether `text` matches the glob `pattern`, where '*' matches any
// run of characters (also none) and '?' exactly one. ASCII letters match
// in either case, because host names are case-insensitive. Runs in
// O(pattern × text) time at worst.
bool matchesGlob(std::string_view pattern, std::string_view text);

// Returns whether `ecosystem` matches the rule's ecosystem `pattern`: equal
// to it, or starting with it when the pattern ends with ':' ("Debian:"
// matches "Debian:12" but not "Debian" or "DebianX:1").
bool matchesEcosystem(std::string_view pattern, std::string_view ecosystem);

// Returns whether `host` satisfies every non-empty field of `rule`. An
// empty rule matches every host.
bool matchesRule(const CollectionRule& rule, const CollectionHostFacts& host);

// Checks a rule as an admin wrote it: at least one field set, kind
// "server" or "endpoint", an ecosystem and owner without control
// characters, a hostname pattern of at most 253 characters. Fails with
// kInvalidArgument naming the field.
Result<void> checkCollectionRule(const CollectionRule& rule);

// The institution's limits on every collection's restart policy.
struct RestartPolicyBounds {
  std::int64_t max_restart_deadline_seconds = 24 * 3600;
  std::int64_t min_countdown_seconds = 90 * 60;

  friend bool operator==(const RestartPolicyBounds&, const RestartPolicyBounds&) = default;
};

// The settings keys of the bounds, integers in seconds. A key that was
// never set means the default above.
inline constexpr std::string_view kMaxRestartDeadlineSetting =
    "restart_policy.max_restart_deadline_seconds";
inline constexpr std::string_view kMinCountdownSetting = "restart_policy.min_countdown_seconds";

// Checks that the bounds can be met: a positive maximum deadline and a
// positive minimum countdown that fits inside it. Fails with
// kInvalidArgument naming the field.
Result<void> checkRestartPolicyBounds(const RestartPolicyBounds& bounds);

// Checks `policy` against `bounds`: every field positive, the deadline at
// most the maximum, the countdown at least the minimum and no longer than
// the deadline. Fails with kInvalidArgument naming the field and the
// bound, for example "countdown_seconds must be at least 5400 (the
// institution's minimum countdown), not 600".
Result<void> checkRestartPolicy(const RestartPolicy& policy, const RestartPolicyBounds& bounds);

// Combines the policies of every collection a host is in: the strictest
// value wins field by field, so the shortest deadline, the longest
// countdown and the shortest reminder interval. With no collection the
// defaults of RestartPolicy apply.
//
// A deployment override can only make the result stricter: its deadline
// counts only when shorter, its countdown only when longer and its
// reminder interval only when shorter. A longer deadline in an override is
// ignored, never an error, so one deployment can target hosts with
// different policies. When a shortened deadline is below the countdown,
// the countdown is cut to the deadline, so the countdown starts as soon as
// the install ends.
RestartPolicy effectiveRestartPolicy(const std::vector<RestartPolicy>& of_collections,
                                     std::optional<RestartPolicy> deployment_override);

// A collection's hook names, "" for none.
struct CollectionHooks {
  std::string collection_id;
  std::string pre_hook;
  std::string post_hook;
};

// The hooks a host's deployment job runs, "" for none.
struct HookChoice {
  std::string pre_hook;
  std::string post_hook;

  friend bool operator==(const HookChoice&, const HookChoice&) = default;
};

// Picks the hooks of a host in the collections `of_collections`. For each
// of pre_hook and post_hook, collections that name no hook do not count;
// the others must all name the same hook, which is the result. Different
// names fail with kInvalidArgument naming both collections and hooks, so
// that a deployment is rejected when it is created, instead of running a
// surprising hook or two hooks in an order nobody chose.
Result<HookChoice> effectiveHooks(const std::vector<CollectionHooks>& of_collections);

// Checks a ring sequence's shape without the store: at least one ring and
// at most kMaxRings, each ring's collection id a slug, each gate with a
// soak time and a failure count of zero or more and a success ratio in
// [0, 1] (NaN is rejected), and no collection twice. A repeated collection
// fails with the message "ring sequence loops: test -> pilot -> test".
// Fails with kInvalidArgument; the message names the ring by position,
// counting from 1.
Result<void> checkRingSequence(const std::vector<store::Ring>& rings);

}  // namespace pk::server
