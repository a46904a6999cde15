#pragma once

// A ChoiceSink for tests: it records every choice, applies snoozes of 1 h
// and 4 h and restart choices, and rejects other snoozes with a message,
// so that tests see both outcomes. It isolates the channels from the
// restart manager.

#include <condition_variable>
#include <mutex>
#include <vector>

#include "restart/notice.h"

namespace pk::desktop::testing_support {

class RecordingSink final : public restart::ChoiceSink {
 public:
  explicit RecordingSink(restart::RestartStatus status = {}) : status_(std::move(status)) {}

  Outcome apply(const restart::Choice& choice) override {
    std::lock_guard lock(mutex_);
    choices_.push_back(choice);
    changed_.notify_all();
    if (choice.kind == restart::ChoiceKind::kSnooze && choice.snooze != std::chrono::hours(1) &&
        choice.snooze != std::chrono::hours(4)) {
      return {.applied = false,
              .message = "Only snoozes of 1 h or 4 h are allowed.",
              .status = status_};
    }
    status_.choices.push_back(choice);
    return {.applied = true, .message = "The choice was applied.", .status = status_};
  }

  restart::RestartStatus status() const override {
    std::lock_guard lock(mutex_);
    return status_;
  }

  std::vector<restart::Choice> choices() const {
    std::lock_guard lock(mutex_);
    return choices_;
  }

  // Waits up to `limit` until at least `count` choices arrived.
  bool waitForChoices(std::size_t count, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return choices_.size() >= count; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  restart::RestartStatus status_;
  std::vector<restart::Choice> choices_;
};

}  // namespace pk::desktop::testing_support
