// Checks how the administration commands present what a server sends:
// describeErrorResponse on any status and body, and writeList/writeObject
// in every format on any JSON. Nothing may throw. Table output, which goes
// to a terminal, must hold no control character but the line feed, so a
// hostile server or host cannot send escape sequences. What
// escapeControlCharacters returns must be valid UTF-8 without control
// characters. A violated property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/admin_api.h"
#include "cli/admin_output.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

// Whether `text` is valid UTF-8 with no C0, DEL or C1 control character,
// allowing the line feed when `allow_newline` is set.
bool isPrintableUtf8(std::string_view text, bool allow_newline) {
  std::size_t at = 0;
  while (at < text.size()) {
    const auto lead = static_cast<unsigned char>(text[at]);
    std::size_t length = 0;
    char32_t code_point = 0;
    if (lead < 0x80) {
      length = 1;
      code_point = lead;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code_point = lead & 0x1FU;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code_point = lead & 0x0FU;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code_point = lead & 0x07U;
    } else {
      return false;
    }
    if (at + length > text.size()) return false;
    for (std::size_t i = 1; i < length; ++i) {
      const auto next = static_cast<unsigned char>(text[at + i]);
      if ((next & 0xC0U) != 0x80U) return false;
      code_point = (code_point << 6U) | (next & 0x3FU);
    }
    const bool control = code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
    if (control && !(allow_newline && code_point == '\n')) return false;
    at += length;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int status = 100 + data[0] * 2;  // 100..610
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto error = pk::cli::describeErrorResponse({.status = status, .body = body});
  require(!error.code.empty());
  require(!error.message.empty());

  const std::string escaped = pk::cli::escapeControlCharacters(body);
  require(isPrintableUtf8(escaped, /*allow_newline=*/false));

  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;

  const std::vector<pk::cli::Column> columns = {
      {.heading = "ID", .field = "id"},
      {.heading = "STATUS", .field = "compliance.status"},
      {.heading = "AGE", .field = "age_s", .style = pk::cli::CellStyle::kAge},
  };
  for (const auto format :
       {pk::cli::OutputFormat::kTable, pk::cli::OutputFormat::kJson, pk::cli::OutputFormat::kCsv}) {
    const pk::cli::OutputOptions options{.format = format, .colour = false};
    std::ostringstream list;
    pk::cli::writeList(json, columns, options, "nothing to show", list);
    std::ostringstream object;
    pk::cli::writeObject(json, options, object);
    if (format == pk::cli::OutputFormat::kTable) {
      require(isPrintableUtf8(list.str(), /*allow_newline=*/true));
      require(isPrintableUtf8(object.str(), /*allow_newline=*/true));
    }
  }
  return 0;
}
