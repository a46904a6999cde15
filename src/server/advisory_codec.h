#pragma once

// Advisories as JSON text, the form the store keeps them in
// (advisories.body). The encoding is lossless for every field of
// advisory::Advisory, so an index rebuilt from stored advisories matches
// exactly as one built from the feed. Encoding is deterministic: the same
// advisory always gives the same text, which makes the text's hash a
// content hash for spotting changed records between syncs.
//
//   {"format": 1, "id": "DSA-5678-1", "source": "debian-tracker",
//    "summary": "...", "aliases": ["CVE-2024-1"], "severity": "high",
//    "cvss_score": 7.5, "cvss_vector": "CVSS:3.1/...", "published": "...",
//    "modified": "...",
//    "affected": [{"ecosystem": "Debian:12", "name": "openssl",
//                  "name_kind": "source",
//                  "ranges": [[{"type": "introduced", "version": "0"},
//                              {"type": "fixed", "version": "3.0.11-1"}]],
//                  "versions": [], "binaries": [{"name": "libssl3",
//                  "version": "3.0.11-1"}], "severity": "high"}]}
//
// "cvss_score" and an entry's "severity" are left out when absent. Strings
// that are not valid UTF-8 have their invalid bytes replaced by U+FFFD when
// encoded; feeds are read as UTF-8 JSON or text, so this does not happen to
// data that came through the feed readers.

#include <string>
#include <string_view>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::server {

// The version written as "format"; decodeAdvisory rejects any other.
inline constexpr int kAdvisoryCodecFormat = 1;

// Encodes `advisory` as compact JSON text. A cvss_score that is not a
// finite number is left out, as JSON cannot carry it.
std::string encodeAdvisory(const advisory::Advisory& advisory);

// Decodes text written by encodeAdvisory. Fails with kMalformedInput, naming
// the JSON pointer of the first wrong field, when `text` is not valid JSON,
// has another format number, lacks a required field, or has a field of the
// wrong type or an unknown enumeration word. Unknown extra fields are
// ignored, so a later format may add some.
Result<advisory::Advisory> decodeAdvisory(std::string_view text);

// Returns the lower-case hex SHA-256 of `text`: the content hash of an
// encoded advisory or of any other feed record.
std::string contentHash(std::string_view text);

// The inverse of advisory::severityName(); nullopt for any other word.
std::optional<advisory::Severity> parseSeverityName(std::string_view name);

}  // namespace pk::server
