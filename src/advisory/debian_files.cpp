#include "advisory/debian_files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "advisory/debian_lists.h"
#include "advisory/debian_tracker.h"

namespace pk::advisory {

namespace {

Result<std::string> readWholeFile(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return fail(ErrorCode::kNotFound,
                fmt::format("{}: file not found; check the path of the Debian tracker data",
                            path.string()));
  }
  if (error) {
    return fail(ErrorCode::kIoError,
                fmt::format("{}: cannot read the file: {}", path.string(), error.message()));
  }
  if (!std::filesystem::is_regular_file(status)) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: not a regular file; pass the path of the file itself", path.string()));
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kIoError,
                fmt::format("{}: cannot open the file: {}", path.string(), std::strerror(errno)));
  }
  std::string text;
  std::string block(1 << 20, '\0');
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    text.append(block.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) {
    return fail(ErrorCode::kIoError, fmt::format("{}: reading the file failed: {}", path.string(),
                                                 std::strerror(errno)));
  }
  return text;
}

}  // namespace

Result<void> readDebianTrackerJson(const std::filesystem::path& path, const AdvisorySink& sink,
                                   LoadReport& report) {
  Result<std::string> text = readWholeFile(path);
  if (!text) return tl::unexpected(text.error());
  return parseDebianTrackerJson(*text, path.string(), sink, report);
}

Result<void> readDebianSecurityList(const std::filesystem::path& path, const AdvisorySink& sink,
                                    LoadReport& report) {
  Result<std::string> text = readWholeFile(path);
  if (!text) return tl::unexpected(text.error());
  return parseDebianSecurityList(*text, path.string(), sink, report);
}

}  // namespace pk::advisory
