#pragma once

// Line and blank helpers shared by the inventory parsers. Internal to the
// component; not part of its public interface.

#include <cstddef>
#include <string_view>

namespace pk::inventory::detail {

inline bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

inline std::string_view trimBlanks(std::string_view text) {
  while (!text.empty() && isBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back())) text.remove_suffix(1);
  return text;
}

// Walks `text` one line at a time, without the '\n', counting lines from 1.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : rest_(text) {}

  // Sets `line` to the next line and returns true, or returns false at the end.
  bool next(std::string_view& line) {
    if (rest_.empty()) return false;
    const std::size_t end = rest_.find('\n');
    if (end == std::string_view::npos) {
      line = rest_;
      rest_ = {};
    } else {
      line = rest_.substr(0, end);
      rest_.remove_prefix(end + 1);
    }
    ++number_;
    return true;
  }

  std::size_t number() const { return number_; }

 private:
  std::string_view rest_;
  std::size_t number_ = 0;
};

}  // namespace pk::inventory::detail
