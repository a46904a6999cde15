#pragma once

// Reading the JSON messages of the agent protocol; internal to pk::protocol.
// ObjectReader names each field by its path from the message's root.
// parseMessage() turns every failure into one kMalformedInput error that
// names the message and the field.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "protocol/messages.h"

namespace pk::protocol::detail {

using Json = nlohmann::json;

inline bool isLowerHex(std::string_view text, std::size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Thrown while one message is read and caught in its parser, which turns it
// into a kMalformedInput error naming the field.
struct FieldError {
  std::string field;
  std::string problem;
};

inline std::string joinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

inline std::string indexPath(std::string_view parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

// Reads the fields of one JSON object, naming each by its path from the
// message's root ("os.version_id", "inventory.packages[3].name").
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object_.is_object()) {
      throw FieldError{path_.empty() ? "(body)" : path_, "must be a JSON object"};
    }
  }

  const Json* find(std::string_view key) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  const Json& require(std::string_view key) const {
    const Json* value = find(key);
    if (value == nullptr) throw FieldError{field(key), "is missing"};
    return *value;
  }

  std::string string(std::string_view key) const { return checkString(require(key), field(key)); }

  std::string nonEmptyString(std::string_view key) const {
    std::string value = string(key);
    if (value.empty()) throw FieldError{field(key), "must not be empty"};
    return value;
  }

  // An absent or null optional string reads as empty.
  std::string optionalString(std::string_view key) const {
    const Json* value = find(key);
    return value == nullptr ? std::string() : checkString(*value, field(key));
  }

  bool boolean(std::string_view key) const {
    const Json& value = require(key);
    if (!value.is_boolean()) throw FieldError{field(key), "must be true or false"};
    return value.get<bool>();
  }

  bool optionalBoolean(std::string_view key, bool fallback) const {
    return find(key) == nullptr ? fallback : boolean(key);
  }

  // A whole number from `minimum` to `maximum`.
  std::int64_t integer(std::string_view key, std::int64_t minimum, std::int64_t maximum) const {
    const Json& value = require(key);
    if (!value.is_number_integer()) throw FieldError{field(key), "must be a whole number"};
    const bool too_large = value.is_number_unsigned() &&
                           value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX);
    const std::int64_t number = too_large ? INT64_MAX : value.get<std::int64_t>();
    if (too_large || number < minimum || number > maximum) {
      throw FieldError{field(key),
                       fmt::format("must be a whole number from {} to {}", minimum, maximum)};
    }
    return number;
  }

  std::optional<std::int64_t> optionalInteger(std::string_view key, std::int64_t minimum,
                                              std::int64_t maximum) const {
    if (find(key) == nullptr) return std::nullopt;
    return integer(key, minimum, maximum);
  }

  SystemTime time(std::string_view key) const { return checkTime(require(key), field(key)); }

  std::optional<SystemTime> optionalTime(std::string_view key) const {
    const Json* value = find(key);
    if (value == nullptr) return std::nullopt;
    return checkTime(*value, field(key));
  }

  // Returns the array at `key` (an absent or null one reads as empty),
  // after checking it contains at most `bound` elements.
  const Json& array(std::string_view key, std::size_t bound) const {
    static const Json kEmpty = Json::array();
    const Json* value = find(key);
    if (value == nullptr) return kEmpty;
    if (!value->is_array()) throw FieldError{field(key), "must be a list"};
    if (value->size() > bound) {
      throw FieldError{field(key), fmt::format("has {} entries, more than the limit of {}",
                                               value->size(), bound)};
    }
    return *value;
  }

  std::vector<std::string> stringList(std::string_view key, std::size_t bound) const {
    const Json& list = array(key, bound);
    std::vector<std::string> strings;
    strings.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      strings.push_back(checkString(list[i], indexPath(field(key), i)));
    }
    return strings;
  }

  std::string field(std::string_view key) const { return joinPath(path_, key); }

  // An absent or null optional string reads as empty; a present one may be
  // up to `bound` bytes long.
  std::string optionalLongString(std::string_view key, std::size_t bound) const {
    const Json* value = find(key);
    return value == nullptr ? std::string() : checkString(*value, field(key), bound);
  }

  static std::string checkString(const Json& value, const std::string& field,
                                 std::size_t bound = kMaxStringLength) {
    if (!value.is_string()) throw FieldError{field, "must be a string"};
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() > bound) {
      throw FieldError{
          field, fmt::format("is {} bytes long, more than the limit of {}", text.size(), bound)};
    }
    return text;
  }

  static SystemTime checkTime(const Json& value, const std::string& field) {
    std::string text = checkString(value, field);
    auto time = parseRfc3339(text);
    if (!time) {
      throw FieldError{field, fmt::format("\"{}\" is not an RFC 3339 time such as "
                                          "\"2026-12-04T23:24:08Z\"",
                                          text)};
    }
    return *time;
  }

 private:
  const Json& object_;
  std::string path_;
};

// nlohmann's parser keeps its own stack, but copies and dumps of the
// document recurse. Rejecting deep nesting before parsing keeps a hostile
// body from exhausting the stack.
constexpr std::size_t kMaxNestingDepth = 32;

inline bool nestingWithinBound(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxNestingDepth) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// Parses `text` and runs `read` on the document, turning every failure into
// one kMalformedInput error that names the message and the field.
template <typename Message, typename Read>
Result<Message> parseMessage(std::string_view message_name, std::string_view text, Read read) {
  if (!nestingWithinBound(text)) {
    return fail(ErrorCode::kMalformedInput, fmt::format("{}: the JSON nests deeper than {} levels",
                                                        message_name, kMaxNestingDepth));
  }
  Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: the body is not valid JSON", message_name));
  }
  try {
    return read(document);
  } catch (const FieldError& error) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: field \"{}\" {}", message_name, error.field, error.problem));
  } catch (const Json::exception& error) {
    // The readers check types before every access, so this is a defect; it
    // is still reported as bad input rather than crashing the server.
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: unreadable JSON ({})", message_name, error.what()));
  }
}

}  // namespace pk::protocol::detail
