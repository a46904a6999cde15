#include "inventory/restart_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <compare>

#include "inventory/text_lines.h"
#include "version/rpm.h"

namespace pk::inventory {
namespace {

// Drops the epoch: uname's release never carries one, and kernel packages
// have none in practice.
std::string_view withoutEpoch(std::string_view version) {
  const std::size_t colon = version.find(':');
  return colon == std::string_view::npos ? version : version.substr(colon + 1);
}

std::string_view withoutArchSuffix(std::string_view release, std::string_view arch) {
  if (arch.empty() || release.size() <= arch.size() + 1) return release;
  const std::string_view tail = release.substr(release.size() - arch.size() - 1);
  if (tail.front() == '.' && tail.substr(1) == arch) release.remove_suffix(arch.size() + 1);
  return release;
}

}  // namespace

RestartState restartFromRebootMarker(bool marker_present, std::string_view packages_text) {
  RestartState state;
  if (!marker_present) return state;

  state.required = true;
  detail::LineCursor cursor(packages_text);
  std::string_view line;
  while (cursor.next(line)) {
    const std::string_view name = detail::trimBlanks(line);
    // Maintainer scripts write one package name per line. A line with white
    // space inside is not a name, so it is passed over.
    if (name.empty() || name.find_first_of(" \t\r\v\f") != std::string_view::npos) continue;
    if (std::find(state.packages.begin(), state.packages.end(), name) == state.packages.end()) {
      state.packages.emplace_back(name);
    }
  }
  if (state.packages.empty()) {
    state.reason =
        "The host asks for a restart (/run/reboot-required exists) to finish installing updates.";
  } else {
    state.reason = fmt::format(
        "The host asks for a restart (/run/reboot-required exists) to finish installing updates "
        "of: {}.",
        fmt::join(state.packages, ", "));
  }
  return state;
}

RestartState restartFromRpmKernels(const std::vector<Package>& packages,
                                   const std::optional<std::string>& running_release) {
  RestartState state;
  if (!running_release || running_release->empty()) return state;

  const Package* newest = nullptr;
  for (const Package& package : packages) {
    if (package.name != "kernel" && package.name != "kernel-core") continue;
    if (newest == nullptr ||
        version::rpm::compare(withoutEpoch(package.version), withoutEpoch(newest->version)) ==
            std::weak_ordering::greater) {
      newest = &package;
    }
  }
  if (newest == nullptr) return state;

  const std::string_view running = withoutArchSuffix(*running_release, newest->architecture);
  if (version::rpm::compare(withoutEpoch(newest->version), running) !=
      std::weak_ordering::greater) {
    return state;
  }
  state.required = true;
  state.packages.push_back(newest->name);
  state.reason = fmt::format(
      "The installed kernel {} {} is newer than the running kernel {}; restart the host to run it.",
      newest->name, newest->version, *running_release);
  return state;
}

}  // namespace pk::inventory
