#include "inventory/host_reader.h"

#include <sys/utsname.h>

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "inventory/apk_installed.h"
#include "inventory/dpkg_status.h"
#include "inventory/os_release.h"
#include "inventory/restart_state.h"
#include "inventory/rpm_database.h"

namespace pk::inventory {
namespace {

namespace fs = std::filesystem;

bool isRegularFile(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

// Returns the file's text, or nullopt when it does not exist.
Result<std::optional<std::string>> readOptionalFile(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return std::optional<std::string>();

  std::ifstream stream(path, std::ios::binary);
  std::ostringstream text;
  text << stream.rdbuf();
  if (!stream || !text) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot read {}; check that it is a readable file", path.string()));
  }
  return std::optional<std::string>(text.str());
}

Result<std::string> readRequiredFile(const fs::path& path) {
  Result<std::optional<std::string>> text = readOptionalFile(path);
  if (!text) return tl::unexpected(text.error());
  if (!*text) return fail(ErrorCode::kNotFound, fmt::format("{} does not exist", path.string()));
  return std::move(**text);
}

// The rpm database folder inside the root, as rpm's --dbpath takes it.
std::optional<std::string> findRpmDbPath(const fs::path& root) {
  static constexpr std::array<std::string_view, 2> kFolders{"var/lib/rpm", "usr/lib/sysimage/rpm"};
  static constexpr std::array<std::string_view, 3> kFiles{"rpmdb.sqlite", "Packages",
                                                          "Packages.db"};
  for (std::string_view folder : kFolders) {
    for (std::string_view file : kFiles) {
      if (isRegularFile(root / folder / file)) return fmt::format("/{}", folder);
    }
  }
  return std::nullopt;
}

void reportSkipped(const ParsedPackages& parsed, const HostReadOptions& options) {
  if (!options.on_skipped_record) return;
  for (const SkippedRecord& record : parsed.skipped) options.on_skipped_record(record);
}

Result<RestartState> readRebootMarker(const fs::path& root) {
  std::error_code error;
  const bool marker_present = fs::exists(root / "run/reboot-required", error);
  Result<std::optional<std::string>> packages_text =
      readOptionalFile(root / "run/reboot-required.pkgs");
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
  for (const char* candidate : {"etc/os-release", "usr/lib/os-release"}) {
    Result<std::optional<std::string>> text = readOptionalFile(root / candidate);
    if (!text) return tl::unexpected(text.error());
    if (*text) return parseOsRelease(**text);
  }
  return OsRelease{};
}

Result<HostInventory> readHostInventory(const fs::path& root, const HostReadOptions& options) {
  HostInventory inventory;
  Result<OsRelease> os = readOsRelease(root);
  if (!os) return tl::unexpected(os.error());
  inventory.os = std::move(*os);

  const fs::path dpkg_status = root / "var/lib/dpkg/status";
  const fs::path apk_installed = root / "lib/apk/db/installed";
  const std::optional<std::string> rpm_db_path = findRpmDbPath(root);

  ParsedPackages parsed;
  if (isRegularFile(dpkg_status)) {
    Result<std::string> text = readRequiredFile(dpkg_status);
    if (!text) return tl::unexpected(text.error());
    parsed = parseDpkgStatus(*text, dpkg_status.string());
    inventory.scheme = version::Scheme::kDpkg;
  } else if (rpm_db_path) {
    Result<ParsedPackages> read = readRpmDatabase(root, *rpm_db_path, options.rpm_program);
    if (!read) return tl::unexpected(read.error());
    parsed = std::move(*read);
    inventory.scheme = version::Scheme::kRpm;
  } else if (isRegularFile(apk_installed)) {
    Result<std::string> text = readRequiredFile(apk_installed);
    if (!text) return tl::unexpected(text.error());
    parsed = parseApkInstalled(*text, apk_installed.string());
    inventory.scheme = version::Scheme::kApk;
  } else {
    return fail(
        ErrorCode::kNotFound,
        fmt::format(
            "no package database under {}: looked for {}, {{var/lib/rpm,usr/lib/sysimage/rpm}}/"
            "{{rpmdb.sqlite,Packages,Packages.db}} and {}; check that the root is a "
            "Debian, Ubuntu, Red Hat family or Alpine system",
            root.string(), dpkg_status.string(), apk_installed.string()));
  }
  reportSkipped(parsed, options);
  inventory.packages = std::move(parsed.packages);

  if (inventory.scheme == version::Scheme::kRpm) {
    inventory.restart = restartFromRpmKernels(inventory.packages, kernelReleaseFor(root, options));
  } else {
    Result<RestartState> restart = readRebootMarker(root);
    if (!restart) return tl::unexpected(restart.error());
    inventory.restart = std::move(*restart);
  }
  return inventory;
}

}  // namespace pk::inventory
