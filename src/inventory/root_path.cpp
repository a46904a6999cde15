#include "inventory/root_path.h"

#include <fmt/format.h>

#include <deque>
#include <system_error>
#include <vector>

namespace pk::inventory {
namespace {

namespace fs = std::filesystem;

// Inserts the components of `path` at the front of `pending`, in order, so
// that they are resolved before what was already pending.
void prependComponents(const fs::path& path, std::deque<fs::path>& pending) {
  std::vector<fs::path> components;
  for (const fs::path& component : path.relative_path()) {
    if (!component.empty()) components.push_back(component);
  }
  pending.insert(pending.begin(), components.begin(), components.end());
}

fs::path joinComponents(const fs::path& root, const std::vector<fs::path>& components) {
  fs::path joined = root;
  for (const fs::path& component : components) joined /= component;
  return joined;
}

}  // namespace

Result<fs::path> resolveInRoot(const fs::path& root, const fs::path& path) {
  std::deque<fs::path> pending;
  prependComponents(path, pending);

  std::vector<fs::path> resolved;
  int links_followed = 0;
  while (!pending.empty()) {
    const fs::path component = pending.front();
    pending.pop_front();
    if (component == ".") continue;
    if (component == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    resolved.push_back(component);

    const fs::path current = joinComponents(root, resolved);
    std::error_code error;
    const fs::file_status status = fs::symlink_status(current, error);
    if (status.type() == fs::file_type::not_found) {
      // Nothing below a missing component exists, so the rest is kept as
      // written: opening the result fails at the missing component, even
      // when a later ".." would lexically skip it.
      for (const fs::path& rest : pending) resolved.push_back(rest);
      break;
    }
    if (error) {
      return fail(ErrorCode::kIoError,
                  fmt::format("cannot inspect {}: {}; check the permissions of the folders "
                              "under {}",
                              current.string(), error.message(), root.string()));
    }
    if (!fs::is_symlink(status)) continue;

    if (++links_followed > kMaxSymlinkFollows) {
      return fail(ErrorCode::kMalformedInput,
                  fmt::format("too many symbolic links (more than {}) while resolving {} under "
                              "{}, last at {}; check the links for a loop",
                              kMaxSymlinkFollows, path.string(), root.string(), current.string()));
    }
    const fs::path target = fs::read_symlink(current, error);
    if (error) {
      return fail(ErrorCode::kIoError, fmt::format("cannot read the symbolic link {}: {}",
                                                   current.string(), error.message()));
    }
    // The link is replaced by its target: an absolute target starts again
    // at the root, a relative one from the folder that contains the link.
    resolved.pop_back();
    if (target.is_absolute()) resolved.clear();
    prependComponents(target, pending);
  }
  return joinComponents(root, resolved);
}

}  // namespace pk::inventory
