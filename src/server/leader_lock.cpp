#include "server/leader_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pk::server {

Result<std::unique_ptr<FileLeaderLock>> FileLeaderLock::open(const std::filesystem::path& path) {
  int descriptor = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (descriptor < 0) {
    return fail(ErrorCode::kIoError, fmt::format("cannot open the leader lock file {}: {}",
                                                 path.string(), std::strerror(errno)));
  }
  return std::unique_ptr<FileLeaderLock>(new FileLeaderLock(descriptor));
}

FileLeaderLock::~FileLeaderLock() {
  // Closing the descriptor releases the flock(2) lock with it.
  if (descriptor_ >= 0) ::close(descriptor_);
}

bool FileLeaderLock::tryAcquire() {
  std::lock_guard lock(mutex_);
  if (held_) return true;
  held_ = ::flock(descriptor_, LOCK_EX | LOCK_NB) == 0;
  return held_;
}

void FileLeaderLock::release() {
  std::lock_guard lock(mutex_);
  if (!held_) return;
  ::flock(descriptor_, LOCK_UN);
  held_ = false;
}

}  // namespace pk::server
