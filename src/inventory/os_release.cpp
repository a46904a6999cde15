#include "inventory/os_release.h"

#include <fmt/format.h>

#include <array>
#include <cstddef>

#include "inventory/text_lines.h"

namespace pk::inventory {
namespace {

// Removes one level of shell quoting from `raw`. os-release(5) allows only
// plain values, '...', "..." and backslash escapes, never expansions.
std::string unquoteShellValue(std::string_view raw) {
  std::string value;
  char quote = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        value += c;
      }
      continue;
    }
    if (c == '\\' && i + 1 < raw.size()) {
      const char next = raw[i + 1];
      // Inside double quotes a backslash escapes only these; elsewhere any
      // character.
      if (quote == 0 || next == '"' || next == '\\' || next == '$' || next == '`') {
        value += next;
        ++i;
        continue;
      }
      value += c;
      continue;
    }
    if (c == '"' && quote == '"') {
      quote = 0;
    } else if ((c == '"' || c == '\'') && quote == 0) {
      quote = c;
    } else if (quote == 0 && (c == ' ' || c == '\t')) {
      // An unquoted blank ends the word, as in the shell; a trailing comment
      // or a second word is not part of the value.
      break;
    } else {
      value += c;
    }
  }
  return value;
}

std::string_view majorPart(std::string_view version_id) {
  return version_id.substr(0, version_id.find('.'));
}

bool isUbuntuLts(std::string_view version_id) {
  // Ubuntu releases every April of an even year as LTS: 20.04, 22.04, 24.04.
  if (version_id.size() != 5 || version_id[2] != '.' || version_id.substr(3) != "04") return false;
  const char tens = version_id[0];
  const char ones = version_id[1];
  if (tens < '0' || tens > '9' || ones < '0' || ones > '9') return false;
  return (ones - '0') % 2 == 0;
}

// Returns Debian's release number for a codename, or an empty view for
// "sid" (unstable never gets a number) and codenames not listed here.
std::string_view debianReleaseForCodename(std::string_view codename) {
  struct Release {
    std::string_view codename;
    std::string_view number;
  };
  static constexpr std::array<Release, 5> kReleases{{
      {"buster", "10"},
      {"bullseye", "11"},
      {"bookworm", "12"},
      {"trixie", "13"},
      {"forky", "14"},
  }};
  for (const Release& release : kReleases) {
    if (release.codename == codename) return release.number;
  }
  return {};
}

}  // namespace

std::string osvEcosystem(std::string_view id, std::string_view version_id,
                         std::string_view version_codename) {
  if (id == "debian") {
    // Debian testing's os-release has VERSION_CODENAME but no VERSION_ID.
    // NOTE: unstable (sid) normally installs testing's base-files package,
    // so its os-release carries testing's codename and sid hosts get
    // testing's number.
    const std::string_view number =
        version_id.empty() ? debianReleaseForCodename(version_codename) : majorPart(version_id);
    if (number.empty()) return {};
    return fmt::format("Debian:{}", number);
  }
  if (version_id.empty()) return {};

  // ID_LIKE is not used for unknown IDs because derivatives number their
  // releases their own way: Linux Mint's ID_LIKE names ubuntu, but its
  // VERSION_ID 21.3 is no Ubuntu release.
  if (id == "ubuntu") {
    return isUbuntuLts(version_id) ? fmt::format("Ubuntu:{}:LTS", version_id)
                                   : fmt::format("Ubuntu:{}", version_id);
  }
  if (id == "almalinux") return fmt::format("AlmaLinux:{}", majorPart(version_id));
  if (id == "rocky") return fmt::format("Rocky Linux:{}", majorPart(version_id));
  if (id == "alpine") {
    const std::size_t first_dot = version_id.find('.');
    if (first_dot == std::string_view::npos) return {};
    const std::size_t second_dot = version_id.find('.', first_dot + 1);
    return fmt::format("Alpine:v{}", version_id.substr(0, second_dot));
  }
  // NOTE: Red Hat's OSV records name a product stream and repository
  // ("Red Hat:enterprise_linux:9::appstream"-like), which os-release alone
  // cannot tell, so RHEL hosts get no ecosystem here.
  return {};
}

OsRelease parseOsRelease(std::string_view text) {
  OsRelease os;
  detail::LineCursor cursor(text);
  std::string_view line;
  while (cursor.next(line)) {
    line = detail::trimBlanks(line);
    if (line.empty() || line.front() == '#') continue;
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;

    const std::string_view key = line.substr(0, equals);
    std::string value = unquoteShellValue(line.substr(equals + 1));
    if (key == "ID") {
      os.id = std::move(value);
    } else if (key == "ID_LIKE") {
      os.id_like = std::move(value);
    } else if (key == "VERSION_ID") {
      os.version_id = std::move(value);
    } else if (key == "VERSION_CODENAME") {
      os.version_codename = std::move(value);
    } else if (key == "PRETTY_NAME") {
      os.pretty_name = std::move(value);
    }
  }
  os.ecosystem = osvEcosystem(os.id, os.version_id, os.version_codename);
  return os;
}

}  // namespace pk::inventory
