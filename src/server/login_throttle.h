#pragma once

// Throttling of failed logins, so that passwords cannot be guessed at the
// speed the server responds. Failures are counted in a sliding window, once
// per username and once per remote address: a user who fails too often is
// blocked from every address, and an address that fails too often is
// blocked for every username.
//
// NOTE: the counters live in this process's memory. With several server
// nodes behind a load balancer each node throttles alone, so an attacker
// who reaches every node gets one allowance per node. A restart clears
// the counters. People behind one NAT address share that address's count.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace pk::server {

class LoginThrottle {
 public:
  // Allows at most `max_failures` failed logins per username, and as many
  // per remote address, within any period of length `window`, measured on
  // clock.elapsed(). Each counter map tracks at most `max_tracked_keys`
  // usernames or addresses (see kDefaultMaxTrackedKeys). `clock` must
  // outlive the throttle.
  LoginThrottle(const Clock& clock, int max_failures, std::chrono::seconds window,
                std::size_t max_tracked_keys = kDefaultMaxTrackedKeys);

  // Returns nullopt when a login for `username` from `remote_address` may
  // go ahead, or how long the caller must wait (at least one second,
  // rounded up) because either counter is full. Thread-safe.
  std::optional<std::chrono::seconds> retryAfter(std::string_view username,
                                                 std::string_view remote_address);

  // Counts one failed login against both the username and the address.
  // Thread-safe.
  void recordFailure(std::string_view username, std::string_view remote_address);

  // Clears the failures counted against `username`, after it logged in.
  // The address keeps its count, so one correct password does not reset an
  // address that is guessing other users' passwords. Thread-safe.
  void recordSuccess(std::string_view username);

  // How many usernames or addresses each counter map tracks by default.
  // Past this, failures older than the window are dropped, then the keys
  // whose latest failure is oldest until nine tenths remain, so a flood of
  // distinct usernames cannot grow memory without bound.
  static constexpr std::size_t kDefaultMaxTrackedKeys = 100'000;

 private:
  using Failures = std::map<std::string, std::vector<Elapsed>, std::less<>>;

  // Drops failures at or before `now - window_` from `times`.
  void expire(std::vector<Elapsed>& times, Elapsed now) const;
  std::optional<std::chrono::seconds> waitFor(Failures& failures, std::string_view key,
                                              Elapsed now) const;
  void add(Failures& failures, std::string_view key, Elapsed now);
  void shrink(Failures& failures, Elapsed now);

  const Clock& clock_;
  const std::size_t max_failures_;
  const Elapsed window_;
  const std::size_t max_tracked_keys_;
  std::mutex mutex_;
  Failures by_username_;
  Failures by_address_;
};

}  // namespace pk::server
