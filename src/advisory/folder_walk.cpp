#include "advisory/folder_walk.h"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

namespace pk::advisory {
namespace {

namespace fs = std::filesystem;

bool endsWithIgnoringCase(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  text.remove_prefix(text.size() - suffix.size());
  return std::equal(text.begin(), text.end(), suffix.begin(), [](char a, char b) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(a) == lower(b);
  });
}

}  // namespace

Result<std::vector<fs::path>> listFilesSorted(const fs::path& folder, std::string_view suffix) {
  std::vector<fs::path> files;
  std::error_code error;
  for (fs::recursive_directory_iterator it(folder, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_regular_file(error) && endsWithIgnoringCase(it->path().native(), suffix)) {
      files.push_back(it->path());
    }
  }
  if (error) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot list folder {}: {}", folder.string(), error.message()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace pk::advisory
