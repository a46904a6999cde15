#pragma once

// User passwords: the minimum policy, and Argon2id hashing through
// libsodium. Stored hashes are libsodium's self-describing strings
// ("$argon2id$v=19$m=65536,t=2,p=1$salt$hash"), so a hash made with older
// parameters still verifies after the parameters change.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.h"

namespace pk::server {

// A password must have at least this many characters (Unicode code points
// of its UTF-8 text). Length is the only composition rule.
inline constexpr std::size_t kMinPasswordLength = 12;
// And at most this many bytes, which bounds the work one login request can
// ask for.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// Initialises libsodium once per process; later calls return at once.
// Fails with kInternal when libsodium cannot start (no usable randomness
// source). Thread-safe.
Result<void> initSodium();

// Checks `password` against the policy: length within the bounds above, and
// not equal to `username`. Fails with kInvalidArgument saying which rule it
// breaks; the message never contains the password.
Result<void> checkPasswordPolicy(std::string_view password, std::string_view username);

// Returns the Argon2id hash of `password`, with a fresh random salt. Checks
// the policy first and fails as checkPasswordPolicy does; fails with
// kInternal when libsodium cannot allocate the memory Argon2id needs.
// Costs 64 MiB of memory and about 0.1 s of CPU (measured once on a 2-core
// x86-64 machine). At most kMaxConcurrentPasswordHashes calls hash at once,
// and the others wait. Thread-safe.
Result<std::string> hashPassword(std::string_view password, std::string_view username);

// Whether `password` matches `stored_hash`. Returns false for a wrong
// password and for a stored hash that is not a libsodium Argon2 string.
// Costs as much as hashPassword. Thread-safe.
bool verifyPassword(std::string_view stored_hash, std::string_view password);

// Spends the time of one verifyPassword call on a fixed hash. A login that
// names an unknown or disabled user calls it, so that the response time does
// not reveal which usernames exist. Thread-safe.
void verifyPasswordAgainstDummy(std::string_view password);

// Whether `stored_hash` was made with other parameters than hashPassword
// uses today, so the login that just verified it should store a new hash.
bool passwordNeedsRehash(std::string_view stored_hash);

// How many password hashes may be computed at the same time. Each takes
// 64 MiB, so this bounds the memory that a burst of logins can claim.
inline constexpr std::ptrdiff_t kMaxConcurrentPasswordHashes = 4;

}  // namespace pk::server
