#pragma once

// Runs one program under supervision for the installer: no shell, a time
// limit, and one bounded copy of everything the program and its children
// write. Package managers start maintainer scripts and helpers of their own,
// so the program runs in a new process group and a time-out stops the whole
// group.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"

namespace pk::installer {

// Default number of output bytes that runSupervised keeps: the last ones,
// because package managers print the failing step at the end.
inline constexpr std::size_t kDefaultMaxOutputBytes = 256 * 1024;

// The line that starts SupervisedResult::output when earlier output was cut.
inline constexpr std::string_view kOutputCutMarker = "[patchkeeper: earlier output was cut]\n";

struct SupervisedCommand {
  // The program and its arguments. argv[0] without a '/' is looked up in the
  // PATH of the child's environment (after `environment` is applied).
  std::vector<std::string> argv{};
  // "NAME=value" entries added to this process's environment for the child;
  // an entry replaces an inherited variable of the same name.
  std::vector<std::string> environment{};
  // The child's current folder; this process's folder when empty.
  std::filesystem::path working_directory{};
  // Time from start after which the process group gets SIGTERM.
  std::chrono::milliseconds timeout = std::chrono::minutes(30);
  // Time after SIGTERM after which the process group gets SIGKILL.
  std::chrono::milliseconds kill_grace = std::chrono::seconds(10);
  // The number of output bytes kept, counted from the end.
  std::size_t max_output_bytes = kDefaultMaxOutputBytes;
};

struct SupervisedResult {
  int exit_code = -1;      // the exit status, or -1 when a signal ended the process
  int signal = 0;          // the signal that ended the process, 0 when it exited
  bool timed_out = false;  // whether the timeout passed and the group was signalled
  Elapsed duration{0};     // from start to the end of the process, on the given clock
  // Standard output and standard error interleaved as written. When more
  // than max_output_bytes were written, the text is kOutputCutMarker
  // followed by the last max_output_bytes bytes.
  std::string output{};
  bool output_cut = false;

  bool succeeded() const { return exit_code == 0 && !timed_out; }
};

// Runs command.argv in a new process group, with standard input from
// /dev/null and standard output and error both going to one pipe. Waits
// until the process exits, reading its output. When `clock.elapsed()` passes
// start + timeout, sends SIGTERM to the group, and SIGKILL once kill_grace
// more has passed on `clock` or the process has exited, so that children
// left behind are stopped too. Waiting checks `clock` at least every 50 ms
// of real time, so a FakeClock moved from another thread drives the timeout.
//
// After a normal exit, output is read until every holder of the pipe has
// closed it, or for at most one more second on `clock`, so a daemon that
// a child started cannot hold the call open.
//
// Returns the result whatever the exit status. Fails with kInvalidArgument
// on an empty argv or a malformed environment entry. Fails with kNotFound
// when the program is not in the PATH searched (the message names both),
// cannot be executed, or the working directory does not exist. Fails with
// kIoError when a pipe cannot be made or waiting fails. Thread-safe.
Result<SupervisedResult> runSupervised(const SupervisedCommand& command, const Clock& clock);

}  // namespace pk::installer
