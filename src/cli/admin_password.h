#pragma once

// Reading passwords for `login` and `users create` without putting them on
// the command line, where other users could see them in the process list.

#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>

#include "common/error.h"

namespace pk::cli {

// Returns the first line of `path` without its line ending. Fails with
// kIoError naming the file when it cannot be read, and with
// kInvalidArgument when the first line is empty.
Result<std::string> readPasswordFile(const std::filesystem::path& path);

// Returns one line of `in` without its line ending. Fails with
// kInvalidArgument when the input ends first or the line is empty.
Result<std::string> readPasswordLine(std::istream& in);

// Reads a password for an interactive or scripted run:
// - from `password_file` when it is not empty;
// - else, when standard input is a terminal, by writing `prompt` to the
//   terminal and reading a line with echo turned off (and, with `confirm`,
//   a second time, failing with kInvalidArgument when the two differ);
// - else one line of standard input, so that scripts can pipe it in.
Result<std::string> readPassword(const std::string& password_file, std::string_view prompt,
                                 bool confirm);

}  // namespace pk::cli
