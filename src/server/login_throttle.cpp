#include "server/login_throttle.h"

#include <algorithm>
#include <utility>

namespace pk::server {

LoginThrottle::LoginThrottle(const Clock& clock, int max_failures, std::chrono::seconds window,
                             std::size_t max_tracked_keys)
    : clock_(clock),
      // A limit below one would block every login; treat it as one.
      max_failures_(static_cast<std::size_t>(std::max(max_failures, 1))),
      window_(std::chrono::duration_cast<Elapsed>(window)),
      max_tracked_keys_(std::max<std::size_t>(max_tracked_keys, 1)) {}

void LoginThrottle::expire(std::vector<Elapsed>& times, Elapsed now) const {
  const auto first_live =
      std::find_if(times.begin(), times.end(), [&](Elapsed time) { return time + window_ > now; });
  times.erase(times.begin(), first_live);
}

std::optional<std::chrono::seconds> LoginThrottle::waitFor(Failures& failures, std::string_view key,
                                                           Elapsed now) const {
  const auto found = failures.find(key);
  if (found == failures.end()) return std::nullopt;
  expire(found->second, now);
  if (found->second.size() < max_failures_) {
    if (found->second.empty()) failures.erase(found);
    return std::nullopt;
  }
  // The block lifts when enough old failures leave the window that the
  // count drops below the limit again.
  const Elapsed frees_at = found->second[found->second.size() - max_failures_] + window_;
  const auto wait = std::chrono::ceil<std::chrono::seconds>(frees_at - now);
  return std::max(wait, std::chrono::seconds(1));
}

void LoginThrottle::add(Failures& failures, std::string_view key, Elapsed now) {
  auto found = failures.find(key);
  if (found == failures.end()) {
    if (failures.size() >= max_tracked_keys_) shrink(failures, now);
    found = failures.emplace(std::string(key), std::vector<Elapsed>()).first;
  }
  expire(found->second, now);
  found->second.push_back(now);
  // Only the newest max_failures_ times decide a block; older ones would
  // only cost memory when a client keeps failing while blocked.
  if (found->second.size() > max_failures_) {
    found->second.erase(found->second.begin(),
                        found->second.end() - static_cast<std::ptrdiff_t>(max_failures_));
  }
}

void LoginThrottle::shrink(Failures& failures, Elapsed now) {
  for (auto it = failures.begin(); it != failures.end();) {
    expire(it->second, now);
    it = it->second.empty() ? failures.erase(it) : std::next(it);
  }

  // Shrinking to nine tenths of the limit, not just below it, keeps this
  // O(n) pass rare while the map is full of recent failures.
  const std::size_t target = max_tracked_keys_ - max_tracked_keys_ / 10 - 1;
  if (failures.size() <= target) return;
  std::vector<std::pair<Elapsed, Failures::iterator>> by_latest;
  by_latest.reserve(failures.size());
  for (auto it = failures.begin(); it != failures.end(); ++it) {
    by_latest.emplace_back(it->second.back(), it);
  }
  const auto evict = static_cast<std::ptrdiff_t>(failures.size() - target);
  std::nth_element(by_latest.begin(), by_latest.begin() + evict - 1, by_latest.end(),
                   [](const auto& left, const auto& right) { return left.first < right.first; });
  for (auto it = by_latest.begin(); it != by_latest.begin() + evict; ++it)
    failures.erase(it->second);
}

std::optional<std::chrono::seconds> LoginThrottle::retryAfter(std::string_view username,
                                                              std::string_view remote_address) {
  const Elapsed now = clock_.elapsed();
  std::lock_guard lock(mutex_);
  const auto user_wait = waitFor(by_username_, username, now);
  const auto address_wait = waitFor(by_address_, remote_address, now);
  if (user_wait && address_wait) return std::max(*user_wait, *address_wait);
  return user_wait ? user_wait : address_wait;
}

void LoginThrottle::recordFailure(std::string_view username, std::string_view remote_address) {
  const Elapsed now = clock_.elapsed();
  std::lock_guard lock(mutex_);
  add(by_username_, username, now);
  add(by_address_, remote_address, now);
}

void LoginThrottle::recordSuccess(std::string_view username) {
  std::lock_guard lock(mutex_);
  if (const auto found = by_username_.find(username); found != by_username_.end()) {
    by_username_.erase(found);
  }
}

}  // namespace pk::server
