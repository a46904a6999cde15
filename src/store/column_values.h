#pragma once

// Conversions between optional fields and the columns that store them,
// shared by the repositories: an empty optional is SQL NULL.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "store/database.h"

namespace pk::store {

inline Value nullableText(const std::optional<std::string>& text) {
  return text ? Value(*text) : Value();
}

inline Value nullableTime(const std::optional<SystemTime>& time) {
  return time ? Value(timeToColumn(*time)) : Value();
}

inline Value nullableInteger(const std::optional<std::int64_t>& number) {
  return number ? Value(*number) : Value();
}

inline std::optional<SystemTime> nullableTimeAt(const Row& row, std::size_t column) {
  const auto value = row.optionalInteger(column);
  if (!value) return std::nullopt;
  return timeFromColumn(*value);
}

}  // namespace pk::store
