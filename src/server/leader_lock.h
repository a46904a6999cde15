#pragma once

// Which server node runs the scheduled jobs. Every node serves the API, but
// feed syncs and other jobs run on one node at a time: the node holding
// the leader lock. The job runner calls tryAcquire() before each due job.
//
// This build has single-node implementations; a PostgreSQL advisory lock
// implementation comes with the PostgreSQL backend.

#include <filesystem>
#include <memory>
#include <mutex>

#include "common/error.h"

namespace pk::server {

class LeaderLock {
 public:
  virtual ~LeaderLock() = default;
  // Returns true when this node holds the lock after the call: newly taken
  // or held since an earlier call. Never blocks.
  virtual bool tryAcquire() = 0;
  // Gives the lock up; harmless when not held.
  virtual void release() = 0;
};

// One node, one process: always the leader.
class SingleNodeLeaderLock final : public LeaderLock {
 public:
  bool tryAcquire() override { return true; }
  void release() override {}
};

// A lock file taken with flock(2), for several server processes on one
// machine sharing one SQLite file: only one of them runs jobs. The kernel
// drops the lock when the process dies, so a crashed leader never strands
// it. Thread-safe.
class FileLeaderLock final : public LeaderLock {
 public:
  // Opens (creating when missing) the lock file at `path`. Fails with
  // kIoError naming the file when it cannot be opened.
  static Result<std::unique_ptr<FileLeaderLock>> open(const std::filesystem::path& path);
  ~FileLeaderLock() override;
  FileLeaderLock(const FileLeaderLock&) = delete;
  FileLeaderLock& operator=(const FileLeaderLock&) = delete;

  bool tryAcquire() override;
  void release() override;

 private:
  explicit FileLeaderLock(int descriptor) : descriptor_(descriptor) {}

  std::mutex mutex_;
  int descriptor_ = -1;
  bool held_ = false;
};

}  // namespace pk::server
