#include "deploy/window_fit.h"

#include <algorithm>

#include <fmt/format.h>

namespace pk::deploy {
namespace {

std::string minutesText(Elapsed duration) {
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(duration).count();
  return fmt::format("{} min", minutes);
}

}  // namespace

StartDecision decideStart(SystemTime now, const StartRequest& request) {
  if (!request.window_bound) {
    if (now >= request.available_at) {
      return {StartVerdict::kStartNow, now, "the deployment is available"};
    }
    return {
        StartVerdict::kWait, request.available_at,
        fmt::format("the deployment becomes available at {}", formatRfc3339(request.available_at))};
  }

  std::vector<TimeSpan> windows = request.windows;
  std::sort(windows.begin(), windows.end(),
            [](const TimeSpan& a, const TimeSpan& b) { return a.start < b.start; });

  Elapsed longest{0};
  for (const TimeSpan& window : windows) longest = std::max(longest, window.end - window.start);
  if (windows.empty()) {
    return {StartVerdict::kUnschedulable, std::nullopt,
            "the host has no maintenance window occurrence to run in"};
  }
  if (request.estimate > longest) {
    return {StartVerdict::kUnschedulable, std::nullopt,
            fmt::format("the estimated {} does not fit in any window occurrence; the longest is {}",
                        minutesText(request.estimate), minutesText(longest))};
  }

  bool skipped_short_rest = false;
  for (const TimeSpan& window : windows) {
    const SystemTime usable_from = std::max({window.start, request.available_at, now});
    if (usable_from >= window.end) continue;
    if (window.end - usable_from < request.estimate) {
      skipped_short_rest = true;
      continue;
    }
    if (usable_from == now) {
      return {StartVerdict::kStartNow, now,
              fmt::format("inside the window until {}, and the estimated {} fits",
                          formatRfc3339(window.end), minutesText(request.estimate))};
    }
    std::string reason =
        skipped_short_rest
            ? fmt::format(
                  "too little of the current window is left for the estimated {}; "
                  "waiting for the occurrence at {}",
                  minutesText(request.estimate), formatRfc3339(usable_from))
            : fmt::format("waiting for the window occurrence at {}", formatRfc3339(usable_from));
    return {StartVerdict::kWait, usable_from, std::move(reason)};
  }
  return {StartVerdict::kWait, std::nullopt,
          "no window occurrence sent is usable yet; the server sends later ones"};
}

}  // namespace pk::deploy
