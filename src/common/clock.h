#pragma once

// Time, injected. A Clock gives wall time as UTC instants (for deadlines,
// expiries, display) and elapsed time that keeps counting while the
// machine sleeps (for intervals and back-off). Code that needs the time
// takes a Clock&; tests pass a FakeClock and move it by hand.

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace pk {

using SystemTime = std::chrono::sys_time<std::chrono::microseconds>;
using Elapsed = std::chrono::microseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // The current UTC instant.
  virtual SystemTime now() const = 0;
  // Time since an arbitrary fixed point, never going back, counting while
  // the machine is suspended (CLOCK_BOOTTIME).
  virtual Elapsed elapsed() const = 0;
};

// The operating system's clocks. Thread-safe.
class SystemClock final : public Clock {
 public:
  SystemTime now() const override;
  Elapsed elapsed() const override;
};

// A clock that moves only when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTime start) : now_(start) {}

  SystemTime now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  Elapsed elapsed() const override {
    std::lock_guard lock(mutex_);
    return elapsed_;
  }
  // Moves both the wall time and the elapsed time forward by `step`.
  void advance(Elapsed step) {
    std::lock_guard lock(mutex_);
    now_ += step;
    elapsed_ += step;
  }
  // Sets the wall time only, as an administrator or NTP would.
  void setNow(SystemTime now) {
    std::lock_guard lock(mutex_);
    now_ = now;
  }

 private:
  mutable std::mutex mutex_;
  SystemTime now_;
  Elapsed elapsed_{0};
};

// Another clock moved forward by a shift that only grows, applied to both
// the wall time and the elapsed time. patchkeeper-server runs on one in
// end-to-end tests (see PK_TEST_CLOCK in the top-level CMakeLists.txt),
// so that a test can let hours pass without waiting. Thread-safe.
class ShiftedClock final : public Clock {
 public:
  // `base` must outlive this clock.
  explicit ShiftedClock(const Clock& base) : base_(base) {}

  SystemTime now() const override { return base_.now() + shift(); }
  Elapsed elapsed() const override { return base_.elapsed() + shift(); }

  Elapsed shift() const { return Elapsed(shift_.load()); }
  // Sets the shift. Returns false, and keeps the old shift, when `shift` is
  // smaller than it, because elapsed time never goes back.
  bool setShift(Elapsed shift);

 private:
  const Clock& base_;
  std::atomic<Elapsed::rep> shift_{0};
};

// Formats `time` as RFC 3339 UTC with a "Z" suffix and whole seconds,
// "2026-12-04T23:24:08Z".
std::string formatRfc3339(SystemTime time);

// Parses RFC 3339 ("2026-12-04T23:24:08Z", fractional seconds and a
// numeric offset accepted). Returns nullopt when `text` is not one.
std::optional<SystemTime> parseRfc3339(std::string_view text);

}  // namespace pk
