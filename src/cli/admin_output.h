#pragma once

// The one formatter behind every administration command's output: a list
// of the API's JSON objects, or a single object, written as an aligned
// table, as JSON or as CSV.
//
// A Column picks one field of each object by a dotted path into nested
// objects ("compliance.status"). Cells render the same way in the table
// and in CSV. Strings appear as they are and numbers as JSON writes them.
// Booleans become "yes" or "no", null and missing fields "". Arrays of
// scalars are joined by ",", and other values written as compact JSON.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/scan_output.h"
#include "common/error.h"

namespace pk::cli {

// How a table shows a column's values. CSV and JSON always carry the raw
// value, so that programs need not parse "3d 4h".
enum class CellStyle {
  kText,  // by the rules in the file comment
  kAge,   // a number of seconds, shown as "45s", "12m", "5h 3m" or "3d 4h"
};

struct Column {
  std::string heading;  // the table heading, "LAST SEEN"
  std::string field;    // the dotted path into each object, and the CSV heading, "last_seen_at"
  CellStyle style = CellStyle::kText;
};

struct OutputOptions {
  OutputFormat format = OutputFormat::kTable;
  // Whether the table may use terminal escape sequences (bold headings).
  // Set only when standard output is a terminal; see shouldUseColour().
  bool colour = false;
};

// Parses "table", "json" or "csv". Fails with kInvalidArgument naming the
// accepted values.
Result<OutputFormat> parseOutputFormat(std::string_view name);

// Whether table output to a stream on `fd` may use colour: the stream is a
// terminal, NO_COLOR is unset or empty, and TERM is set and not "dumb".
bool shouldUseColour(int fd);

// Returns the text of the field at `path` in `object` for a table or CSV
// cell, by the rules in the file comment. A missing field gives "".
std::string cellText(const nlohmann::json& object, std::string_view path);

// Returns `seconds` as the table shows a kAge cell: "45s", "12m", "5h 3m",
// "3d 4h". Negative values show as "0s".
std::string formatAge(std::int64_t seconds);

// Writes `items` (a JSON array of objects) in `options.format`:
// - table: one heading row and one row per item, columns separated by two
//   spaces and padded to the widest cell (counted in UTF-8 code points),
//   trailing blanks removed. Control characters in cells are shown as
//   escapes ("\n", "\x1b"), so that data from hosts can neither break the
//   alignment nor send escape sequences to the terminal. With no items,
//   `empty_message` is written in place of the table.
// - json: the array itself, indented by two spaces.
// - csv: a heading row of the columns' fields, then one row per item.
//   Fields containing a comma, a double quote, CR or LF are quoted and
//   their quotes doubled (RFC 4180). Rows end with LF.
// Items that are not objects render as rows of empty cells.
void writeList(const nlohmann::json& items, const std::vector<Column>& columns,
               const OutputOptions& options, std::string_view empty_message, std::ostream& out);

// Writes one object in `options.format`:
// - table: one "field: value" line per leaf field, nested objects
//   flattened to dotted paths, field names padded to the same width;
// - json: the object, indented by two spaces;
// - csv: a heading row of the flattened field names and one row of values.
void writeObject(const nlohmann::json& object, const OutputOptions& options, std::ostream& out);

// Quotes `value` for CSV when RFC 4180 requires it.
std::string csvQuoted(std::string_view value);

// Returns `text` with control characters (C0, DEL and C1) and bytes that
// are not valid UTF-8 replaced by visible escapes (a backslash and "n", or
// a backslash and "x1b"), for display on a terminal.
std::string escapeControlCharacters(std::string_view text);

}  // namespace pk::cli
