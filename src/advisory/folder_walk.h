#pragma once

// Listing the files of a feed folder, shared by the feed readers.

#include <filesystem>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace pk::advisory {

// Returns the regular files below `folder`, recursively, whose names end in
// `suffix` (compared without regard to ASCII case; an empty suffix keeps
// every file), sorted by path so that every run reads them in the same
// order. Fails with kIoError, naming the folder, when it cannot be listed.
Result<std::vector<std::filesystem::path>> listFilesSorted(const std::filesystem::path& folder,
                                                           std::string_view suffix = {});

}  // namespace pk::advisory
