#pragma once

// An IANA time zone from the operating system's tz database (read through
// Howard Hinnant's date/tz built with USE_OS_TZDB), with the conversion rules
// that maintenance windows follow. Zone is a cheap handle to an immutable
// database entry: copying it and calling it from many threads is safe.

#include <chrono>
#include <string>
#include <string_view>

#include <date/tz.h>

#include "common/clock.h"
#include "common/error.h"
#include "schedule/time_text.h"

namespace pk::schedule {

// NOTE: date/tz 3.0 reads only the explicit transitions of the OS tz files
// and ignores their POSIX rule footer. Debian's files list transitions up to
// 2037, so later instants get the zone's last offset (New York stays on EST
// after November 2037) and DST is wrong there.
class Zone {
 public:
  // Looks `name` up ("America/New_York", "Europe/Berlin", "UTC"). Fails with
  // kInvalidArgument when the tz database has no such zone, naming it.
  static Result<Zone> find(std::string_view name);

  // The zone's IANA name.
  std::string_view name() const;

  // Converts a wall-clock time in this zone to the instant it names:
  // - a local time that does not exist (a spring-forward gap) moves forward
  //   by the length of the gap: 02:30 on 14 March 2027 in New York is 03:30
  //   EDT, 07:30Z;
  // - an ambiguous local time (the repeated fall-back hour) is the first of
  //   its two instants: 01:30 on 7 November 2027 in New York is 05:30Z.
  SystemTime toInstant(LocalSeconds local) const;

  // Returns the wall-clock time in this zone at `instant`, in whole seconds.
  LocalSeconds toLocal(SystemTime instant) const;

  // Returns local time minus UTC at `instant` (-05:00 is -18000 s).
  std::chrono::seconds utcOffsetAt(SystemTime instant) const;

 private:
  explicit Zone(const date::time_zone* zone) : zone_(zone) {}

  const date::time_zone* zone_;  // owned by date/tz's database, never freed
};

}  // namespace pk::schedule
