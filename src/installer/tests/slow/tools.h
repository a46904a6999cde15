#pragma once

// Checks for the package manager tools that the slow installer tests run.

#include <initializer_list>
#include <string>

#include "common/child_process.h"

namespace pk::installer {

// Returns the first of `tools` that is not on PATH, or "" when all are.
inline std::string firstMissingTool(std::initializer_list<const char*> tools) {
  for (const char* tool : tools) {
    Result<CommandOutput> found = runCommand({"sh", "-c", std::string("command -v ") + tool});
    if (!found || found->exit_code != 0) return tool;
  }
  return "";
}

}  // namespace pk::installer
