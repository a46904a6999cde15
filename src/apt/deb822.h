#pragma once

// Line-level helpers for deb822 text (RFC 822-like stanzas separated by blank
// lines), shared by the Release and Packages parsers. Pure; no I/O.

#include <optional>
#include <string>
#include <string_view>

namespace pk::apt::deb822 {

// One "Name: value" line. The views point into the line passed to
// splitField(); the value has its surrounding blanks removed.
struct Field {
  std::string_view name;
  std::string_view value;
};

// Splits a field line. Returns nullopt for continuation lines (starting with
// a space or tab), comment lines ('#'), and lines without a colon or with an
// empty field name.
std::optional<Field> splitField(std::string_view line);

// Returns whether `line` ends a stanza: it is empty or holds only blanks.
bool isBlank(std::string_view line);

// Compares deb822 field names, which are case-insensitive.
bool sameFieldName(std::string_view a, std::string_view b);

// Splits a byte stream into lines while the stream arrives in chunks of any
// size. A line ends at '\n'; a '\r' before it is dropped. The reader keeps
// only the unfinished last line between calls, so memory stays bounded by
// the longest line.
class LineSplitter {
 public:
  // Calls `on_line(std::string_view)` for every line completed by `chunk`.
  template <typename OnLine>
  void feed(std::string_view chunk, OnLine&& on_line) {
    while (!chunk.empty()) {
      const auto newline = chunk.find('\n');
      if (newline == std::string_view::npos) {
        pending_.append(chunk);
        return;
      }
      std::string_view line = chunk.substr(0, newline);
      chunk.remove_prefix(newline + 1);
      if (!pending_.empty()) {
        pending_.append(line);
        on_line(trimCarriageReturn(pending_));
        pending_.clear();
      } else {
        on_line(trimCarriageReturn(line));
      }
    }
  }

  // Calls `on_line` for a last line that had no '\n', if any.
  template <typename OnLine>
  void finish(OnLine&& on_line) {
    if (!pending_.empty()) {
      on_line(trimCarriageReturn(pending_));
      pending_.clear();
    }
  }

 private:
  static std::string_view trimCarriageReturn(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  std::string pending_;
};

}  // namespace pk::apt::deb822
