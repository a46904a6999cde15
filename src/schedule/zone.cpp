#include "schedule/zone.h"

#include <exception>

#include <fmt/format.h>

namespace pk::schedule {

Result<Zone> Zone::find(std::string_view name) {
  // date/tz reports an unknown name, and a tz database it cannot read, by
  // throwing std::runtime_error.
  try {
    return Zone(date::locate_zone(name));
  } catch (const std::exception& error) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("unknown time zone '{}': give an IANA zone name such as "
                            "America/New_York or Europe/Berlin ({})",
                            name, error.what()));
  }
}

std::string_view Zone::name() const {
  return zone_->name();
}

SystemTime Zone::toInstant(LocalSeconds local) const {
  date::local_info info = zone_->get_info(local);
  // In a gap, info.first is the period before the transition. Subtracting
  // its offset lands as far past the transition as the local time is past
  // the start of the gap, which moves the time forward by the gap's length.
  // date/tz's choose::earliest would instead return the transition instant
  // for every time in the gap. For an ambiguous time info.first is also the
  // earlier period, so the same subtraction gives the first instant.
  return SystemTime{std::chrono::duration_cast<SystemTime::duration>(local.time_since_epoch() -
                                                                     info.first.offset)};
}

LocalSeconds Zone::toLocal(SystemTime instant) const {
  auto whole = std::chrono::floor<std::chrono::seconds>(instant);
  return LocalSeconds{whole.time_since_epoch() + zone_->get_info(whole).offset};
}

std::chrono::seconds Zone::utcOffsetAt(SystemTime instant) const {
  return zone_->get_info(std::chrono::floor<std::chrono::seconds>(instant)).offset;
}

}  // namespace pk::schedule
