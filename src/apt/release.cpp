#include "apt/release.h"

#include <cstddef>

#include "apt/deb822.h"

namespace pk::apt {
namespace {

constexpr std::string_view kSignedMessageStart = "-----BEGIN PGP SIGNED MESSAGE-----";
constexpr std::string_view kSignatureStart = "-----BEGIN PGP SIGNATURE-----";

// Returns the next line of `text` (without '\n' or '\r') and advances past it.
std::string_view takeLine(std::string_view& text) {
  const auto newline = text.find('\n');
  std::string_view line = text.substr(0, newline);
  text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

Result<std::string> stripPgpArmour(std::string_view text) {
  std::string_view rest = text;
  // Leading blank lines are tolerated because some mirrors add them.
  for (auto newline = rest.find('\n');
       newline != std::string_view::npos && deb822::isBlank(rest.substr(0, newline));
       newline = rest.find('\n')) {
    rest.remove_prefix(newline + 1);
  }
  if (rest.substr(0, kSignedMessageStart.size()) != kSignedMessageStart) return std::string(text);
  takeLine(rest);

  // The armour headers ("Hash: SHA256") end at the first blank line.
  bool header_ended = false;
  while (!rest.empty()) {
    if (deb822::isBlank(takeLine(rest))) {
      header_ended = true;
      break;
    }
  }
  if (!header_ended) {
    return pk::fail(ErrorCode::kMalformedInput,
                    "InRelease file has no blank line after its PGP armour headers; "
                    "delete it from apt's lists folder and run apt-get update");
  }

  std::string signed_text;
  while (!rest.empty()) {
    std::string_view line = takeLine(rest);
    if (line.substr(0, kSignatureStart.size()) == kSignatureStart) return signed_text;
    // RFC 4880 dash-escapes signed lines that start with '-'.
    if (line.substr(0, 2) == "- ") line.remove_prefix(2);
    signed_text.append(line);
    signed_text.push_back('\n');
  }
  return pk::fail(ErrorCode::kMalformedInput,
                  "InRelease file has no \"-----BEGIN PGP SIGNATURE-----\" line, so it is "
                  "truncated; delete it from apt's lists folder and run apt-get update");
}

Result<Release> parseRelease(std::string_view text) {
  auto signed_text = stripPgpArmour(text);
  if (!signed_text) return tl::unexpected(signed_text.error());

  Release release;
  std::string_view rest = *signed_text;
  bool in_stanza = false;
  while (!rest.empty()) {
    const std::string_view line = takeLine(rest);
    if (deb822::isBlank(line)) {
      if (in_stanza) break;
      continue;
    }
    in_stanza = true;
    const auto field = deb822::splitField(line);
    if (!field) continue;
    if (deb822::sameFieldName(field->name, "Origin")) {
      release.origin = field->value;
    } else if (deb822::sameFieldName(field->name, "Label")) {
      release.label = field->value;
    } else if (deb822::sameFieldName(field->name, "Suite")) {
      release.suite = field->value;
    } else if (deb822::sameFieldName(field->name, "Codename")) {
      release.codename = field->value;
    } else if (deb822::sameFieldName(field->name, "Version")) {
      release.version = field->value;
    }
  }

  if (release.suite.empty() && release.codename.empty()) {
    return pk::fail(ErrorCode::kMalformedInput,
                    "Release file has neither a Suite nor a Codename field; delete it from "
                    "apt's lists folder and run apt-get update");
  }
  return release;
}

bool isSecurityArchive(const Release& release) {
  constexpr std::string_view kSecuritySuffix = "-security";
  return release.label == "Debian-Security" || endsWith(release.suite, kSecuritySuffix) ||
         endsWith(release.codename, kSecuritySuffix);
}

}  // namespace pk::apt
