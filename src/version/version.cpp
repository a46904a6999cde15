#include "version/version.h"

#include <string>

#include <fmt/format.h>

#include "version/apk.h"
#include "version/ascii.h"
#include "version/dpkg.h"
#include "version/rpm.h"
#include "version/semver.h"
#include "version/windows.h"

namespace pk::version {

namespace detail {

std::string quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

}  // namespace detail

std::string_view schemeName(Scheme scheme) {
  switch (scheme) {
    case Scheme::kDpkg:
      return "dpkg";
    case Scheme::kRpm:
      return "rpm";
    case Scheme::kApk:
      return "apk";
    case Scheme::kSemver:
      return "semver";
    case Scheme::kWindows:
      return "windows";
  }
  return "unknown";
}

std::optional<Scheme> parseSchemeName(std::string_view name) {
  for (Scheme scheme :
       {Scheme::kDpkg, Scheme::kRpm, Scheme::kApk, Scheme::kSemver, Scheme::kWindows}) {
    if (schemeName(scheme) == name) return scheme;
  }
  return std::nullopt;
}

Result<void> validate(Scheme scheme, std::string_view version) {
  switch (scheme) {
    case Scheme::kDpkg: {
      auto parts = dpkg::parse(version);
      if (!parts) return tl::unexpected(parts.error());
      return {};
    }
    case Scheme::kRpm: {
      auto parts = rpm::parse(version);
      if (!parts) return tl::unexpected(parts.error());
      return {};
    }
    case Scheme::kApk:
      return apk::validate(version);
    case Scheme::kSemver:
      return semver::validate(version);
    case Scheme::kWindows: {
      auto build = windows::parse(version);
      if (!build) return tl::unexpected(build.error());
      return {};
    }
  }
  return fail(ErrorCode::kInternal, "unknown version scheme");
}

std::weak_ordering compareUnchecked(Scheme scheme, std::string_view a, std::string_view b) {
  switch (scheme) {
    case Scheme::kDpkg:
      return dpkg::compare(a, b);
    case Scheme::kRpm:
      return rpm::compare(a, b);
    case Scheme::kApk:
      return apk::compare(a, b);
    case Scheme::kSemver:
      return semver::compare(a, b);
    case Scheme::kWindows:
      return windows::compare(a, b);
  }
  return std::weak_ordering::equivalent;
}

Result<std::weak_ordering> compare(Scheme scheme, std::string_view a, std::string_view b) {
  if (auto valid = validate(scheme, a); !valid) return tl::unexpected(valid.error());
  if (auto valid = validate(scheme, b); !valid) return tl::unexpected(valid.error());
  return compareUnchecked(scheme, a, b);
}

}  // namespace pk::version
