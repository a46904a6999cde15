#include "inventory/host_reader.h"

#include <sys/utsname.h>

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include "inventory/apk_installed.h"
#include "inventory/dpkg_status.h"
#include "inventory/os_release.h"
#include "inventory/restart_state.h"
#include "inventory/root_path.h"
#include "inventory/rpm_database.h"

namespace pk::inventory {
namespace {

namespace fs = std::filesystem;

bool isRegularFile(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

// Returns ROOT as an absolute path, because rpm's --root takes only
// absolute ones. Fails when ROOT does not exist or is not a directory.
Result<fs::path> absoluteRoot(const fs::path& root) {
  std::error_code error;
  fs::path absolute = fs::absolute(root, error);
  if (error) {
    return fail(ErrorCode::kIoError, fmt::format("cannot make the root {} absolute: {}",
                                                 root.string(), error.message()));
  }
  const fs::file_status status = fs::status(absolute, error);
  if (status.type() == fs::file_type::not_found) {
    return fail(ErrorCode::kNotFound,
                fmt::format("root {} does not exist; check the path of the host's root directory",
                            root.string()));
  }
  if (error) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot inspect the root {}: {}", root.string(), error.message()));
  }
  if (!fs::is_directory(status)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("root {} is not a directory; pass the folder that contains the "
                            "host's etc, usr and var folders",
                            root.string()));
  }
  return absolute;
}

// Returns the file's text, or nullopt when it does not exist.
Result<std::optional<std::string>> readOptionalFile(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return std::optional<std::string>();

  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot open {}; check that it is a readable file", path.string()));
  }
  std::string text{std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
  if (stream.bad()) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot read {}; check that it is a readable file", path.string()));
  }
  return std::optional<std::string>(std::move(text));
}

Result<std::string> readRequiredFile(const fs::path& path) {
  Result<std::optional<std::string>> text = readOptionalFile(path);
  if (!text) return tl::unexpected(text.error());
  if (!*text) return fail(ErrorCode::kNotFound, fmt::format("{} does not exist", path.string()));
  return std::move(**text);
}

// Returns the rpm database folder inside the root, as rpm's --dbpath takes
// it, or nullopt when neither folder contains a database file.
Result<std::optional<std::string>> findRpmDbPath(const fs::path& root) {
  static constexpr std::array<std::string_view, 2> kFolders{"var/lib/rpm", "usr/lib/sysimage/rpm"};
  static constexpr std::array<std::string_view, 3> kFiles{"rpmdb.sqlite", "Packages",
                                                          "Packages.db"};
  for (std::string_view folder : kFolders) {
    for (std::string_view file : kFiles) {
      Result<fs::path> resolved = resolveInRoot(root, fs::path(folder) / file);
      if (!resolved) return tl::unexpected(resolved.error());
      if (isRegularFile(*resolved)) return std::optional<std::string>(fmt::format("/{}", folder));
    }
  }
  return std::optional<std::string>();
}

void reportSkipped(const ParsedPackages& parsed, const HostReadOptions& options) {
  if (!options.on_skipped_record) return;
  for (const SkippedRecord& record : parsed.skipped) options.on_skipped_record(record);
}

Result<RestartState> readRebootMarker(const fs::path& root) {
  Result<fs::path> marker = resolveInRoot(root, "run/reboot-required");
  if (!marker) return tl::unexpected(marker.error());
  Result<fs::path> packages = resolveInRoot(root, "run/reboot-required.pkgs");
  if (!packages) return tl::unexpected(packages.error());

  std::error_code error;
  const bool marker_present = fs::exists(*marker, error);
  Result<std::optional<std::string>> packages_text = readOptionalFile(*packages);
  if (!packages_text) return tl::unexpected(packages_text.error());
  return restartFromRebootMarker(marker_present, packages_text->value_or(std::string()));
}

std::optional<std::string> kernelReleaseFor(const fs::path& root, const HostReadOptions& options) {
  if (options.running_kernel_release) return options.running_kernel_release;
  std::error_code error;
  if (fs::equivalent(root, "/", error)) return runningKernelRelease();
  return std::nullopt;
}

}  // namespace

std::optional<std::string> runningKernelRelease() {
  utsname names{};
  if (::uname(&names) != 0) return std::nullopt;
  return std::string(names.release);
}

Result<OsRelease> readOsRelease(const fs::path& root) {
  Result<fs::path> absolute_root = absoluteRoot(root);
  if (!absolute_root) return tl::unexpected(absolute_root.error());

  for (const char* candidate : {"etc/os-release", "usr/lib/os-release"}) {
    Result<fs::path> path = resolveInRoot(*absolute_root, candidate);
    if (!path) return tl::unexpected(path.error());
    Result<std::optional<std::string>> text = readOptionalFile(*path);
    if (!text) return tl::unexpected(text.error());
    if (!*text) continue;

    OsRelease os = parseOsRelease(**text);
    if (os.id.empty()) {
      return fail(ErrorCode::kMalformedInput,
                  fmt::format("{} is empty or has no ID= line; check that it is the host's "
                              "os-release file, or remove it when the image has none",
                              path->string()));
    }
    return os;
  }
  return OsRelease{};
}

Result<HostInventory> readHostInventory(const fs::path& root, const HostReadOptions& options) {
  Result<fs::path> absolute_root = absoluteRoot(root);
  if (!absolute_root) return tl::unexpected(absolute_root.error());

  HostInventory inventory;
  Result<OsRelease> os = readOsRelease(*absolute_root);
  if (!os) return tl::unexpected(os.error());
  inventory.os = std::move(*os);

  Result<fs::path> dpkg_status = resolveInRoot(*absolute_root, "var/lib/dpkg/status");
  if (!dpkg_status) return tl::unexpected(dpkg_status.error());
  Result<fs::path> apk_installed = resolveInRoot(*absolute_root, "lib/apk/db/installed");
  if (!apk_installed) return tl::unexpected(apk_installed.error());
  Result<std::optional<std::string>> rpm_db_path = findRpmDbPath(*absolute_root);
  if (!rpm_db_path) return tl::unexpected(rpm_db_path.error());

  ParsedPackages parsed;
  if (isRegularFile(*dpkg_status)) {
    Result<std::string> text = readRequiredFile(*dpkg_status);
    if (!text) return tl::unexpected(text.error());
    parsed = parseDpkgStatus(*text, dpkg_status->string());
    inventory.scheme = version::Scheme::kDpkg;
  } else if (*rpm_db_path) {
    // rpm resolves paths inside --root itself.
    Result<ParsedPackages> read =
        readRpmDatabase(*absolute_root, **rpm_db_path, options.rpm_program);
    if (!read) return tl::unexpected(read.error());
    parsed = std::move(*read);
    inventory.scheme = version::Scheme::kRpm;
  } else if (isRegularFile(*apk_installed)) {
    Result<std::string> text = readRequiredFile(*apk_installed);
    if (!text) return tl::unexpected(text.error());
    parsed = parseApkInstalled(*text, apk_installed->string());
    inventory.scheme = version::Scheme::kApk;
  } else {
    return fail(
        ErrorCode::kNotFound,
        fmt::format(
            "no package database under {}: looked for {}, {{var/lib/rpm,usr/lib/sysimage/rpm}}/"
            "{{rpmdb.sqlite,Packages,Packages.db}} and {}; check that the root is a "
            "Debian, Ubuntu, Red Hat family or Alpine system",
            absolute_root->string(), dpkg_status->string(), apk_installed->string()));
  }
  reportSkipped(parsed, options);
  inventory.packages = std::move(parsed.packages);

  if (inventory.scheme == version::Scheme::kRpm) {
    inventory.restart =
        restartFromRpmKernels(inventory.packages, kernelReleaseFor(*absolute_root, options));
  } else {
    Result<RestartState> restart = readRebootMarker(*absolute_root);
    if (!restart) return tl::unexpected(restart.error());
    inventory.restart = std::move(*restart);
  }
  return inventory;
}

}  // namespace pk::inventory
