#include "advisory/alpine_secdb_files.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "advisory/alpine_secdb.h"
#include "advisory/folder_walk.h"

namespace pk::advisory {
namespace {

namespace fs = std::filesystem;

Result<std::string> readWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot open {}; check that it is readable", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return fail(ErrorCode::kIoError, fmt::format("failed to read {}", path.string()));
  }
  return text.str();
}

void mergeInto(Advisory& target, Advisory&& source) {
  for (auto& alias : source.aliases) {
    if (std::find(target.aliases.begin(), target.aliases.end(), alias) == target.aliases.end()) {
      target.aliases.push_back(std::move(alias));
    }
  }
  std::move(source.affected.begin(), source.affected.end(), std::back_inserter(target.affected));
}

}  // namespace

Result<void> readAlpineSecdb(const fs::path& path, const AdvisorySink& sink, LoadReport& report) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found) {
    return fail(ErrorCode::kNotFound,
                fmt::format("Alpine secdb path {} does not exist", path.string()));
  }
  if (error) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot access {}: {}", path.string(), error.message()));
  }

  std::vector<fs::path> files;
  if (fs::is_directory(status)) {
    auto listed = listFilesSorted(path, ".json");
    if (!listed) return tl::unexpected(listed.error());
    files = std::move(*listed);
  } else {
    files.push_back(path);
  }

  // Collect first: the same id comes back in every release that fixed it.
  std::map<std::string, Advisory> merged;
  const std::size_t loaded_before = report.records_loaded;
  for (const auto& file : files) {
    auto text = readWholeFile(file);
    if (!text) return tl::unexpected(text.error());

    const std::string origin = file.string();
    auto parsed = parseAlpineSecdb(
        *text, origin,
        [&merged](Advisory&& advisory) {
          auto [it, inserted] = merged.try_emplace(advisory.id);
          if (inserted) {
            it->second = std::move(advisory);
          } else {
            mergeInto(it->second, std::move(advisory));
          }
        },
        report);
    if (!parsed) report.addIssue(LoadIssue{origin, "", "", parsed.error().message});
  }

  // The parser counted one record per file and id; the caller receives the
  // merged advisories.
  report.records_loaded = loaded_before;
  for (auto& [id, advisory] : merged) {
    ++report.records_loaded;
    sink(std::move(advisory));
  }
  return {};
}

}  // namespace pk::advisory
