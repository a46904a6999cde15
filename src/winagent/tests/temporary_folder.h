#pragma once

#include <windows.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace pk::winagent::testing {

// A folder of its own under the Wine prefix's (or Windows') temporary
// folder, removed at the end of the test.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("patchkeeper-state-{}-{}", GetCurrentProcessId(), ++counter);
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace pk::winagent::testing
