#pragma once

// Server-wide settings: named text values with the time each was last set.
// Typed accessors store integers in decimal and booleans as "true" or
// "false". Changing a setting is a change like any other, so callers
// append an audit event in the same transaction.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct Setting {
  std::string key;
  std::string value;
  SystemTime updated_at{};
};

// Returns the setting named `key`, or nullopt when it was never set.
Result<std::optional<Setting>> getSetting(Session& session, std::string_view key);

// Returns every setting, ordered by key.
Result<std::vector<Setting>> listSettings(Session& session);

// Creates or replaces the setting `key` with `value`, stamped `now`. Fails
// with kInvalidArgument when `key` is empty.
Result<void> setSetting(Session& session, std::string_view key, std::string_view value,
                        SystemTime now);

// Removes the setting `key`. Returns whether it existed.
Result<bool> deleteSetting(Session& session, std::string_view key);

// Returns the setting's value as an integer, or nullopt when it was never
// set. Fails with kMalformedInput, naming the key and the value, when the
// stored text is not a whole decimal number that fits in 64 bits.
Result<std::optional<std::int64_t>> getIntegerSetting(Session& session, std::string_view key);
Result<void> setIntegerSetting(Session& session, std::string_view key, std::int64_t value,
                               SystemTime now);

// Returns the setting's value as a boolean, or nullopt when it was never
// set. Fails with kMalformedInput when the stored text is neither "true"
// nor "false".
Result<std::optional<bool>> getBooleanSetting(Session& session, std::string_view key);
Result<void> setBooleanSetting(Session& session, std::string_view key, bool value, SystemTime now);

}  // namespace pk::store
