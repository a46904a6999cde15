#pragma once

// Error values that cross component boundaries. Every fallible function in
// patchkeeper returns pk::Result<T>; exceptions from third-party libraries are
// caught in the adapter that calls the library and turned into an Error.

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace pk {

enum class ErrorCode {
  kInvalidArgument,  // the caller passed a value that can never be valid
  kMalformedInput,   // data from a host, a feed or a file breaks its format
  kNotFound,         // a named file, record or object does not exist
  kIoError,          // the operating system reported a failure
  kUnsupported,      // valid input that this build cannot handle
  kInternal,         // a broken invariant inside patchkeeper
};

// Returns the stable lower-case name of `code`, for logs and JSON.
std::string_view errorCodeName(ErrorCode code);

// A failure with a message a person can act on: what failed, on which
// object, and what to do next where that is known.
struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Builds the unexpected value returned by a failing Result<T> function.
inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace pk
