#include "advisory/osv_files.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <zip.h>

#include "advisory/folder_walk.h"
#include "advisory/osv.h"

namespace pk::advisory {
namespace {

namespace fs = std::filesystem;

bool endsWithIgnoringCase(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), text.end() - static_cast<long>(suffix.size()),
                    [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

// Counts records and bytes for the progress callback.
class ProgressTracker {
 public:
  ProgressTracker(const ProgressCallback* callback, const LoadReport& report)
      : callback_(callback), report_(report), records_before_(recordsSeen()) {}

  void setTotals(std::size_t files, std::optional<std::uintmax_t> bytes) {
    progress_.files_total = files;
    progress_.bytes_total = bytes;
  }

  void fileDone(std::uintmax_t bytes) {
    ++progress_.files_done;
    progress_.bytes_done += bytes;
    progress_.records_done = recordsSeen() - records_before_;
    if (callback_ != nullptr && *callback_) (*callback_)(progress_);
  }

 private:
  std::size_t recordsSeen() const {
    return report_.records_loaded + report_.records_skipped + report_.records_withdrawn;
  }

  const ProgressCallback* callback_;
  const LoadReport& report_;
  std::size_t records_before_;
  LoadProgress progress_;
};

void reportFileIssue(LoadReport& report, std::string file, std::string message) {
  report.addIssue(LoadIssue{std::move(file), "", "", std::move(message)});
}

// Reads a whole file, or returns why it could not.
Result<std::string> readFile(const fs::path& path) {
  std::error_code error;
  std::uintmax_t size = fs::file_size(path, error);
  if (error) return fail(ErrorCode::kIoError, fmt::format("cannot stat: {}", error.message()));
  if (size > kMaxOsvFileBytes) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("file of {} bytes exceeds the {}-byte limit of an OSV record", size,
                            kMaxOsvFileBytes));
  }

  std::ifstream stream(path, std::ios::binary);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!stream || !stream.read(text.data(), static_cast<std::streamsize>(size))) {
    return fail(ErrorCode::kIoError, "cannot read the file");
  }
  // The file may have shrunk between the stat and the read.
  text.resize(static_cast<std::size_t>(stream.gcount()));
  return text;
}

void readOneFile(const fs::path& path, const AdvisorySink& sink, LoadReport& report,
                 ProgressTracker& tracker) {
  auto text = readFile(path);
  if (!text) {
    reportFileIssue(report, path.string(), text.error().message);
    tracker.fileDone(0);
    return;
  }
  parseOsvDocument(*text, path.string(), sink, report);
  tracker.fileDone(text->size());
}

Result<void> readFolder(const fs::path& folder, const AdvisorySink& sink, LoadReport& report,
                        ProgressTracker& tracker) {
  auto files = listFilesSorted(folder, ".json");
  if (!files) return tl::unexpected(files.error());
  std::uintmax_t bytes_total = 0;
  for (const auto& file : *files) {
    std::error_code size_error;
    std::uintmax_t size = fs::file_size(file, size_error);
    if (!size_error) bytes_total += size;
  }
  tracker.setTotals(files->size(), bytes_total);
  for (const auto& file : *files) readOneFile(file, sink, report, tracker);
  return {};
}

struct ZipCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

// Reads one archive member, or returns why it could not.
Result<std::string> readMember(zip_t* archive, zip_uint64_t index, const zip_stat_t& stat) {
  if ((stat.valid & ZIP_STAT_SIZE) != 0 && stat.size > kMaxOsvFileBytes) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("member of {} bytes exceeds the {}-byte limit of an OSV record",
                            stat.size, kMaxOsvFileBytes));
  }
  std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(archive, index, 0));
  if (!file) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot open the member: {}", zip_strerror(archive)));
  }

  // The stated size is only a hint: the limit is enforced on what inflates.
  std::string text;
  std::array<char, 64 * 1024> chunk{};
  while (true) {
    zip_int64_t count = zip_fread(file.get(), chunk.data(), chunk.size());
    if (count < 0) {
      return fail(ErrorCode::kIoError,
                  fmt::format("cannot read the member: {}", zip_file_strerror(file.get())));
    }
    if (count == 0) break;
    text.append(chunk.data(), static_cast<std::size_t>(count));
    if (text.size() > kMaxOsvFileBytes) {
      return fail(
          ErrorCode::kUnsupported,
          fmt::format("member inflates past the {}-byte limit of an OSV record", kMaxOsvFileBytes));
    }
  }
  return text;
}

Result<void> readZip(const fs::path& path, const AdvisorySink& sink, LoadReport& report,
                     ProgressTracker& tracker) {
  int open_error = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open(path.c_str(), ZIP_RDONLY, &open_error));
  if (!archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, open_error);
    std::string message = fmt::format("cannot open {} as a zip archive: {}", path.string(),
                                      zip_error_strerror(&error));
    zip_error_fini(&error);
    return fail(ErrorCode::kIoError, std::move(message));
  }

  zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
  if (entries < 0) {
    return fail(ErrorCode::kIoError, fmt::format("cannot list the members of {}", path.string()));
  }
  // Totals are what the central directory states; members may inflate to
  // other sizes.
  std::size_t json_members = 0;
  std::uintmax_t bytes_total = 0;
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(entries); ++i) {
    zip_stat_t stat;
    if (zip_stat_index(archive.get(), i, 0, &stat) != 0 || (stat.valid & ZIP_STAT_NAME) == 0) {
      continue;
    }
    if (!endsWithIgnoringCase(stat.name, ".json")) continue;
    ++json_members;
    if ((stat.valid & ZIP_STAT_SIZE) != 0) bytes_total += stat.size;
  }
  tracker.setTotals(json_members, bytes_total);

  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(entries); ++i) {
    zip_stat_t stat;
    if (zip_stat_index(archive.get(), i, 0, &stat) != 0 || (stat.valid & ZIP_STAT_NAME) == 0) {
      reportFileIssue(
          report, fmt::format("{}:#{}", path.string(), i),
          fmt::format("cannot read the member's header: {}", zip_strerror(archive.get())));
      continue;
    }
    if (!endsWithIgnoringCase(stat.name, ".json")) continue;

    std::string origin = fmt::format("{}:{}", path.string(), stat.name);
    auto text = readMember(archive.get(), i, stat);
    if (!text) {
      reportFileIssue(report, std::move(origin), text.error().message);
      tracker.fileDone(0);
      continue;
    }
    parseOsvDocument(*text, origin, sink, report);
    tracker.fileDone(text->size());
  }
  return {};
}

}  // namespace

Result<void> readOsv(const fs::path& path, const AdvisorySink& sink, LoadReport& report,
                     const ProgressCallback* progress) {
  std::error_code error;
  fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    return fail(ErrorCode::kNotFound,
                fmt::format("OSV input {} does not exist; pass a .json file, a folder or a .zip",
                            path.string()));
  }

  ProgressTracker tracker(progress, report);
  if (fs::is_directory(status)) return readFolder(path, sink, report, tracker);
  if (endsWithIgnoringCase(path.native(), ".zip")) return readZip(path, sink, report, tracker);

  auto text = readFile(path);
  if (!text) {
    return fail(text.error().code, fmt::format("cannot read the OSV file {}: {}", path.string(),
                                               text.error().message));
  }
  tracker.setTotals(1, text->size());
  parseOsvDocument(*text, path.string(), sink, report);
  tracker.fileDone(text->size());
  return {};
}

}  // namespace pk::advisory
