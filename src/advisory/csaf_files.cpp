#include "advisory/csaf_files.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include "advisory/csaf.h"
#include "advisory/folder_walk.h"

namespace pk::advisory {
namespace {

namespace fs = std::filesystem;

// Red Hat's largest CSAF documents (kernel advisories) are tens of MiB; a
// member far above that is more likely a mistake than an advisory.
constexpr la_int64_t kMaxMemberBytes = la_int64_t{256} * 1024 * 1024;

constexpr std::array<std::string_view, 9> kArchiveSuffixes{
    ".tar", ".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.zst", ".tzst"};

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool isArchive(const fs::path& path) {
  const std::string name = path.filename().string();
  return std::any_of(kArchiveSuffixes.begin(), kArchiveSuffixes.end(),
                     [&name](std::string_view suffix) { return endsWith(name, suffix); });
}

void parseOne(std::string_view text, const std::string& origin, const AdvisorySink& sink,
              LoadReport& report) {
  auto parsed = parseCsafDocument(text, origin, sink, report);
  if (!parsed) report.addIssue(LoadIssue{origin, "", "", parsed.error().message});
}

Result<void> readJsonFile(const fs::path& path, const AdvisorySink& sink, LoadReport& report) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot open {}; check that it is readable", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIoError, fmt::format("failed to read {}", path.string()));
  parseOne(text.str(), path.string(), sink, report);
  return {};
}

Result<void> readFolder(const fs::path& folder, const AdvisorySink& sink, LoadReport& report) {
  auto files = listFilesSorted(folder, ".json");
  if (!files) return tl::unexpected(files.error());
  for (const auto& file : *files) {
    if (auto read = readJsonFile(file, sink, report); !read) return read;
  }
  return {};
}

struct ArchiveCloser {
  void operator()(archive* handle) const { archive_read_free(handle); }
};

Result<void> readArchive(const fs::path& path, const AdvisorySink& sink, LoadReport& report) {
  std::unique_ptr<archive, ArchiveCloser> reader(archive_read_new());
  if (!reader) return fail(ErrorCode::kInternal, "libarchive could not allocate a reader");
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());

  constexpr std::size_t kBlockSize = 64 * 1024;
  if (archive_read_open_filename(reader.get(), path.c_str(), kBlockSize) != ARCHIVE_OK) {
    return fail(ErrorCode::kIoError, fmt::format("cannot open archive {}: {}", path.string(),
                                                 archive_error_string(reader.get())));
  }

  std::string text;
  std::vector<char> buffer(kBlockSize);
  std::size_t members = 0;
  while (true) {
    archive_entry* entry = nullptr;
    const int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
      return fail(ErrorCode::kMalformedInput,
                  fmt::format("archive {} is corrupt after {} members: {}", path.string(), members,
                              archive_error_string(reader.get())));
    }
    ++members;

    const char* raw_name = archive_entry_pathname(entry);
    const std::string member_name = raw_name == nullptr ? std::string() : raw_name;
    if (archive_entry_filetype(entry) != AE_IFREG || !endsWith(member_name, ".json")) continue;

    const std::string origin = fmt::format("{}:{}", path.string(), member_name);
    const la_int64_t size = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : 0;
    if (size > kMaxMemberBytes) {
      report.addIssue(LoadIssue{origin, "", "",
                                fmt::format("member is {} bytes, above the {} byte limit for one "
                                            "CSAF document; skipped",
                                            size, kMaxMemberBytes)});
      continue;
    }

    text.clear();
    bool too_large = false;
    while (true) {
      const la_ssize_t read = archive_read_data(reader.get(), buffer.data(), buffer.size());
      if (read == 0) break;
      if (read < 0) {
        return fail(ErrorCode::kMalformedInput,
                    fmt::format("cannot read {} from archive {}: {}", member_name, path.string(),
                                archive_error_string(reader.get())));
      }
      text.append(buffer.data(), static_cast<std::size_t>(read));
      // Tar headers may understate a member's size, so the limit is checked
      // on the bytes read as well.
      if (text.size() > static_cast<std::size_t>(kMaxMemberBytes)) {
        too_large = true;
        break;
      }
    }
    if (too_large) {
      report.addIssue(LoadIssue{origin, "", "",
                                fmt::format("member is above the {} byte limit for one CSAF "
                                            "document; skipped",
                                            kMaxMemberBytes)});
      continue;
    }
    parseOne(text, origin, sink, report);
  }
  return {};
}

}  // namespace

Result<void> readCsaf(const fs::path& path, const AdvisorySink& sink, LoadReport& report) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found) {
    return fail(ErrorCode::kNotFound, fmt::format("CSAF path {} does not exist", path.string()));
  }
  if (error) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot access {}: {}", path.string(), error.message()));
  }

  if (fs::is_directory(status)) return readFolder(path, sink, report);
  if (isArchive(path)) return readArchive(path, sink, report);
  return readJsonFile(path, sink, report);
}

}  // namespace pk::advisory
