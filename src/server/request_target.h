#pragma once

// Splits an HTTP request target ("/api/v1/hosts?owner=alice&kind=server")
// into its decoded path and query parameters. The target comes straight
// from the client, so every input is valid here: nothing fails, and the
// Router judges the result.

#include <map>
#include <string>
#include <string_view>

namespace pk::server {

// Returns `text` with each %XX escape (two hex digits, either case)
// decoded, and with '+' as a space when `plus_is_space` (query strings).
// An escape that is not followed by two hex digits is kept as written.
std::string percentDecode(std::string_view text, bool plus_is_space);

// Sets `path` to the decoded part before the first '?', and adds each
// "name=value" (or bare "name", with an empty value) after it to `query`,
// both decoded, in order. Empty pairs ("a=1&&b=2") are skipped.
void parseTarget(std::string_view target, std::string& path,
                 std::multimap<std::string, std::string>& query);

}  // namespace pk::server
