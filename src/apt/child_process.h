#pragma once

// Runs a program without a shell (posix_spawnp) and reports how it ended,
// with its standard error captured for error messages.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace pk::apt {

struct ProcessOutcome {
  int exit_code = -1;      // the exit status, or -1 when a signal ended the program
  int signal = 0;          // the signal that ended the program, 0 when it exited
  std::string error_text;  // its standard error, at most the first 64 KiB
};

// Runs `argv` (argv[0] is looked up in PATH) in `working_directory` (the
// current one when empty), with standard input from /dev/null.
//
// When `on_output` is set it receives a read descriptor for the program's
// standard output and may read as much as it needs. The descriptor is closed
// afterwards, so a program that is still writing gets SIGPIPE. Without it,
// standard output is discarded.
//
// Returns the outcome whatever the exit status; fails with kIoError only when
// the program could not be started or waited for. Standard error goes to an
// unlinked temporary file rather than a pipe, so a chatty program cannot
// block while the caller reads its standard output.
Result<ProcessOutcome> runProcess(const std::vector<std::string>& argv,
                                  const std::filesystem::path& working_directory,
                                  const std::function<void(int output_fd)>& on_output = {});

// Returns "program arg1 arg2 ... failed with exit status N: <stderr>" for
// error messages.
std::string describeFailure(const std::vector<std::string>& argv, const ProcessOutcome& outcome);

}  // namespace pk::apt
