#pragma once

// Exit statuses of the patchkeeper command, documented in its --help.

namespace pk::cli {

inline constexpr int kExitOk = 0;
// The command line or an input (such as a version string) is invalid.
inline constexpr int kExitInvalidInput = 2;

}  // namespace pk::cli
