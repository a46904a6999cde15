#pragma once

// Path lookup inside a host's root directory as if that directory were "/",
// so that links in a scanned image never lead to the scanning machine's files.

#include <filesystem>

#include "common/error.h"

namespace pk::inventory {

// The maximum number of symbolic links resolveInRoot follows for one path,
// the same limit as MAXSYMLINKS (40) in Linux path lookup.
inline constexpr int kMaxSymlinkFollows = 40;

// Resolves `path` inside `root` the way the kernel would after chroot(ROOT):
// symbolic links are followed component by component, an absolute link
// target starts again at ROOT, and ".." at ROOT stays at ROOT. `path` is
// taken relative to ROOT even when it starts with "/". Returns ROOT joined
// with the resolved components. From the first component that does not
// exist on, the rest of `path` is kept as written, so a missing file gives
// a path that does not exist and the caller decides whether that is an
// error. Up to that component the result has no links, "." or "..".
// Fails with kIoError when a link cannot be read or a component cannot be
// inspected, and with kMalformedInput after kMaxSymlinkFollows links (a loop).
// NOTE: the lookup and the caller's later open are separate steps, so a root
// that changes while it is scanned can still redirect the open.
Result<std::filesystem::path> resolveInRoot(const std::filesystem::path& root,
                                            const std::filesystem::path& path);

}  // namespace pk::inventory
