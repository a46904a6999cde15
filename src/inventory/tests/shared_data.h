#pragma once

// Access to the public test data folder named by PK_SHARED_DATA_DIR.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace pk::inventory::testing {

inline std::filesystem::path sharedDataPath(const std::string& relative) {
  return std::filesystem::path(PK_SHARED_DATA_DIR) / relative;
}

// Returns the file's bytes, or an empty string when it cannot be read (the
// tests then fail on their exact counts).
inline std::string readSharedFile(const std::string& relative) {
  std::ifstream stream(sharedDataPath(relative), std::ios::binary);
  std::ostringstream text;
  text << stream.rdbuf();
  return text.str();
}

}  // namespace pk::inventory::testing
