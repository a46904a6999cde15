#pragma once

// A folder for one test, created fresh and removed with everything in it
// when the object goes out of scope.

#include <filesystem>
#include <string_view>

#include "common/error.h"

namespace pk::test_support {

class TemporaryDirectory {
 public:
  // Creates "<temp>/pk-LABEL-XXXXXX" with mkdtemp(3), where <temp> is
  // std::filesystem::temp_directory_path(), so parallel tests never share a
  // folder. Fails with kIoError when the folder cannot be created.
  static Result<TemporaryDirectory> create(std::string_view label);

  TemporaryDirectory(TemporaryDirectory&& other) noexcept;
  TemporaryDirectory& operator=(TemporaryDirectory&& other) noexcept;
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  // Removes the folder and its contents; errors are ignored.
  ~TemporaryDirectory();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TemporaryDirectory(std::filesystem::path path) : path_(std::move(path)) {}
  void remove();

  std::filesystem::path path_;
};

// Writes `text` to ROOT/RELATIVE, creating the parent folders. Fails with
// kIoError naming the file when it cannot be written.
Result<void> writeFile(const std::filesystem::path& root, const std::filesystem::path& relative,
                       std::string_view text);

}  // namespace pk::test_support
