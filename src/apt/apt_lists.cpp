#include "apt/apt_lists.h"

#include <algorithm>
#include <string_view>
#include <system_error>

namespace pk::apt {
namespace {

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

struct ReleaseCandidate {
  std::string prefix;  // the name without "InRelease" or "Release", ending in '_'
  std::string name;
  bool signed_inline = false;
};

}  // namespace

std::vector<IndexFiles> pairIndexFiles(const std::vector<std::string>& file_names) {
  std::vector<ReleaseCandidate> releases;
  for (const auto& name : file_names) {
    if (endsWith(name, "_InRelease")) {
      releases.push_back({name.substr(0, name.size() - 9), name, true});
    } else if (endsWith(name, "_Release")) {
      releases.push_back({name.substr(0, name.size() - 7), name, false});
    }
  }

  std::vector<IndexFiles> pairs;
  for (const auto& name : file_names) {
    std::string_view stem = name;
    const Compression compression = compressionOf(name);
    if (compression != Compression::kNone) stem = stem.substr(0, stem.rfind('.'));
    if (!endsWith(stem, "_Packages")) continue;

    const ReleaseCandidate* best = nullptr;
    for (const auto& release : releases) {
      if (std::string_view(name).substr(0, release.prefix.size()) != release.prefix) continue;
      const bool longer = best == nullptr || release.prefix.size() > best->prefix.size();
      const bool same_but_signed =
          best != nullptr && release.prefix.size() == best->prefix.size() && release.signed_inline;
      if (longer || same_but_signed) best = &release;
    }
    if (best == nullptr) continue;
    pairs.push_back({name, best->name, compression});
  }

  std::sort(pairs.begin(), pairs.end(), [](const IndexFiles& a, const IndexFiles& b) {
    return a.packages_name < b.packages_name;
  });
  return pairs;
}

std::filesystem::path listsFolder(const std::filesystem::path& root) {
  return root / "var/lib/apt/lists";
}

Result<std::vector<IndexFiles>> findIndexFiles(const std::filesystem::path& lists_folder) {
  std::error_code error;
  if (!std::filesystem::is_directory(lists_folder, error)) {
    return pk::fail(ErrorCode::kNotFound, "apt's lists folder " + lists_folder.string() +
                                              " does not exist; run apt-get update on that host");
  }

  std::vector<std::string> names;
  std::filesystem::directory_iterator entries(lists_folder, error);
  for (; !error && entries != std::filesystem::directory_iterator(); entries.increment(error)) {
    if (entries->is_regular_file(error)) names.push_back(entries->path().filename().string());
  }
  if (error) {
    return pk::fail(ErrorCode::kIoError,
                    "cannot list " + lists_folder.string() + ": " + error.message());
  }
  return pairIndexFiles(names);
}

}  // namespace pk::apt
