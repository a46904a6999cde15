#pragma once

// Runs a program as a child process with posix_spawnp. No shell is involved,
// so arguments need no quoting.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"

namespace pk {

// Default maximum number of standard error bytes that runProcess keeps.
inline constexpr std::size_t kDefaultMaxErrorBytes = 64 * 1024;

// The exit status or terminating signal of a child process, with its
// standard error.
struct ProcessOutcome {
  int exit_code = -1;          // the exit status, or -1 when a signal ended the process
  int signal = 0;              // the signal that ended the process, 0 when it exited
  std::string standard_error;  // the first max_error_bytes bytes of it
};

// The result of runCommand: the outcome plus the whole standard output.
// standard_error is complete as well.
struct CommandOutput : ProcessOutcome {
  std::string standard_output;
};

// Runs argv[0] (looked up in PATH when it has no '/') with argv as its
// arguments, the caller's environment, `working_directory` as its current
// folder (the caller's when empty) and standard input from /dev/null. The
// child gets the default action for SIGPIPE even when this process ignores
// it. Blocks until the child exits, with no timeout.
//
// When `on_output` is set, it receives the read end of a pipe connected to
// the child's standard output and may read as much as it needs. runProcess
// owns the descriptor and closes it when on_output returns, so a child that
// is still writing gets SIGPIPE.
// Without on_output, standard output goes to /dev/null. An exception thrown
// by on_output propagates after the child has been waited for.
//
// Standard error goes to an unlinked temporary file rather than a pipe, so
// a child that writes much to it cannot block while on_output reads
// standard output. The first `max_error_bytes` bytes of it are returned.
//
// Returns the outcome whatever the exit status. Fails with kInvalidArgument
// on an empty argv, with kNotFound when the program cannot be started
// (including when `working_directory` does not exist), and with kIoError
// when a temporary file or pipe cannot be created or the wait fails.
Result<ProcessOutcome> runProcess(const std::vector<std::string>& argv,
                                  const std::filesystem::path& working_directory = {},
                                  const std::function<void(int output_fd)>& on_output = {},
                                  std::size_t max_error_bytes = kDefaultMaxErrorBytes);

// Runs argv like runProcess, in the caller's current folder, and returns
// all of its standard output and standard error whatever the exit status.
// Fails as runProcess does, and with kIoError when reading standard output
// fails.
Result<CommandOutput> runCommand(const std::vector<std::string>& argv);

// Returns "<command> failed with exit status N: <standard error>" (or "with
// signal N") for error messages. Arguments that are empty or contain blanks
// or quotes are shown in single quotes, and the standard error is trimmed
// of surrounding whitespace and left out when empty.
std::string describeFailure(const std::vector<std::string>& argv, const ProcessOutcome& outcome);

}  // namespace pk
