#pragma once

// apt's Release and InRelease files: the first stanza of a repository's
// dist, which names the archive (Origin, Label, Suite, Codename). Pure.
//
// Example (Debian 12's security archive, InRelease):
//   Origin: Debian
//   Label: Debian-Security
//   Suite: oldstable-security
//   Codename: bookworm-security

#include <string>
#include <string_view>

#include "common/error.h"

namespace pk::apt {

struct Release {
  std::string origin;    // Origin:, "Debian", "Ubuntu"
  std::string label;     // Label:, "Debian-Security", "Ubuntu"
  std::string suite;     // Suite:, "oldstable-security", "noble-security"
  std::string codename;  // Codename:, "bookworm-security", "noble"
  std::string version;   // Version:, "12", "24.04"; empty when absent
};

// Returns the signed text of an InRelease file: the lines between the armour
// header block that follows "-----BEGIN PGP SIGNED MESSAGE-----" (the "Hash:"
// lines and the blank line after them) and "-----BEGIN PGP SIGNATURE-----",
// with dash-escaping ("- " before a line) removed. Text without the armour
// (a plain Release file) is returned unchanged.
//
// The signature is NOT verified here: apt verified it against its trusted
// keys when it downloaded the file into its lists folder, and a file that
// failed verification is not kept there. Callers that read files from
// elsewhere must verify them first.
//
// Fails with kMalformedInput when the armour opens but the header block or
// the signature block is missing.
Result<std::string> stripPgpArmour(std::string_view text);

// Parses a Release or InRelease file (the armour is stripped first). Only
// the first stanza is read; field names are case-insensitive. Fails with
// kMalformedInput when the armour is broken or when neither Suite nor
// Codename is present, since then apt could not have used the file.
Result<Release> parseRelease(std::string_view text);

// Returns whether `release` describes a security archive: Label is
// "Debian-Security", or Suite or Codename ends in "-security" (Debian 12's
// security archive has Suite "oldstable-security" since Debian 13's
// release; Ubuntu's has Suite "noble-security" and Label "Ubuntu").
bool isSecurityArchive(const Release& release);

}  // namespace pk::apt
