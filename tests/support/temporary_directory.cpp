#include "tests/support/temporary_directory.h"

#include <stdlib.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace pk::test_support {

Result<TemporaryDirectory> TemporaryDirectory::create(std::string_view label) {
  std::error_code error;
  const std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot find the temporary folder: {}", error.message()));
  }
  std::string pattern = (base / fmt::format("pk-{}-XXXXXX", label)).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return fail(ErrorCode::kIoError, fmt::format("cannot create a temporary folder {}: {}", pattern,
                                                 std::strerror(errno)));
  }
  return TemporaryDirectory(std::filesystem::path(buffer.data()));
}

TemporaryDirectory::TemporaryDirectory(TemporaryDirectory&& other) noexcept
    : path_(std::move(other.path_)) {
  other.path_.clear();
}

TemporaryDirectory& TemporaryDirectory::operator=(TemporaryDirectory&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TemporaryDirectory::~TemporaryDirectory() {
  remove();
}

void TemporaryDirectory::remove() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
  path_.clear();
}

Result<void> writeFile(const std::filesystem::path& root, const std::filesystem::path& relative,
                       std::string_view text) {
  const std::filesystem::path path = root / relative;
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    return fail(ErrorCode::kIoError, fmt::format("cannot create folder {}: {}",
                                                 path.parent_path().string(), error.message()));
  }
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream.write(text.data(), static_cast<std::streamsize>(text.size()));
  stream.close();
  if (!stream) return fail(ErrorCode::kIoError, fmt::format("cannot write {}", path.string()));
  return {};
}

}  // namespace pk::test_support
