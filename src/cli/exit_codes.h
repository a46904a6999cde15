#pragma once

// Exit statuses of the patchkeeper command, listed in its --help.

namespace pk::cli {

inline constexpr int kExitOk = 0;
// `scan` found at least one vulnerable package.
inline constexpr int kExitFindings = 1;
// The command line or an input (such as a version string) is invalid.
inline constexpr int kExitInvalidInput = 2;
// The command could not finish: a root, database or feed could not be read.
inline constexpr int kExitError = 3;

}  // namespace pk::cli
