#pragma once

// Runs a program as a child process and captures its output. No shell is
// involved, so arguments need no quoting.

#include <string>
#include <vector>

#include "common/error.h"

namespace pk::inventory {

struct CommandOutput {
  int exit_status = 0;  // the exit code, or 128 + signal number when a signal killed the child
  std::string standard_output;
  std::string standard_error;
};

// Starts argv[0] (looked up in PATH when it has no '/') with posix_spawnp,
// with the caller's environment and standard input from /dev/null, and
// waits for it, reading standard output and error as it runs. Returns the
// output whatever the exit status. Fails with kInvalidArgument on an empty
// argv, kNotFound when the program cannot be started, and kIoError when a
// pipe or wait fails. Blocks until the child exits; there is no timeout.
Result<CommandOutput> runCommand(const std::vector<std::string>& argv);

// Returns "a b c", for messages; arguments with blanks are quoted.
std::string formatCommand(const std::vector<std::string>& argv);

}  // namespace pk::inventory
