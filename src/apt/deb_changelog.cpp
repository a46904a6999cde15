#include "apt/deb_changelog.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <system_error>
#include <vector>

#include "apt/compressed_file.h"
#include "common/child_process.h"

namespace pk::apt {
namespace {

constexpr std::size_t kMaxChangelogBytes = 16 * 1024 * 1024;
constexpr std::size_t kReadBlockBytes = 64 * 1024;

// dpkg-deb writes member names as "./usr/share/..."; compare without "./".
std::string_view memberPath(const char* raw) {
  std::string_view path = raw == nullptr ? std::string_view() : std::string_view(raw);
  while (path.substr(0, 2) == "./") path.remove_prefix(2);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return path;
}

// Returns the package whose doc folder a link target names:
// "libssl3", "../libssl3/changelog.Debian.gz" -> "libssl3",
// "/usr/share/doc/libssl3" -> "libssl3".
std::string linkedPackage(std::string_view target, bool target_is_file) {
  while (!target.empty() && target.back() == '/') target.remove_suffix(1);
  if (target_is_file) {
    const auto slash = target.rfind('/');
    target = slash == std::string_view::npos ? std::string_view() : target.substr(0, slash);
  }
  const auto slash = target.rfind('/');
  if (slash != std::string_view::npos) target.remove_prefix(slash + 1);
  if (target == "." || target == "..") return {};
  return std::string(target);
}

struct TarScan {
  DebDocFiles found;
  std::optional<std::string> native_changelog_gz;
  std::string native_changelog_path;
  std::optional<Error> error;
};

Result<std::string> readMember(archive* reader) {
  std::string data;
  std::vector<char> block(kReadBlockBytes);
  while (true) {
    const la_ssize_t got = archive_read_data(reader, block.data(), block.size());
    if (got < 0) {
      return pk::fail(ErrorCode::kMalformedInput,
                      std::string("damaged tar member: ") + archive_error_string(reader));
    }
    if (got == 0) return data;
    data.append(block.data(), static_cast<std::size_t>(got));
    if (data.size() > kMaxChangelogBytes) {
      return pk::fail(ErrorCode::kMalformedInput, "changelog member is larger than 16 MiB");
    }
  }
}

// Walks the data tar on `fd` and fills `scan`. Returns when the Debian
// changelog is found or the stream ends.
void scanTar(int fd, std::string_view package, TarScan& scan) {
  const std::string doc_folder = "usr/share/doc/" + std::string(package);
  const std::string debian_changelog = doc_folder + "/changelog.Debian.gz";
  const std::string native_changelog = doc_folder + "/changelog.gz";

  std::unique_ptr<archive, int (*)(archive*)> reader(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());
  if (archive_read_open_fd(reader.get(), fd, kReadBlockBytes) != ARCHIVE_OK) {
    scan.error = Error{ErrorCode::kMalformedInput,
                       std::string("not a tar stream: ") + archive_error_string(reader.get())};
    return;
  }

  archive_entry* entry = nullptr;
  while (true) {
    const int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) return;
    if (status < ARCHIVE_WARN) {
      scan.error = Error{ErrorCode::kMalformedInput,
                         std::string("damaged tar stream: ") + archive_error_string(reader.get())};
      return;
    }

    const std::string_view path = memberPath(archive_entry_pathname(entry));
    const bool is_link = archive_entry_filetype(entry) == AE_IFLNK;
    if (path == doc_folder && is_link) {
      scan.found.linked_package = linkedPackage(memberPath(archive_entry_symlink(entry)), false);
      continue;
    }
    if (path != debian_changelog && path != native_changelog) continue;
    if (is_link) {
      const char* target = archive_entry_symlink(entry);
      if (target != nullptr) scan.found.linked_package = linkedPackage(target, true);
      continue;
    }

    auto data = readMember(reader.get());
    if (!data) {
      scan.error = data.error();
      return;
    }
    if (path == debian_changelog) {
      scan.found.changelog = std::move(*data);
      scan.found.changelog_path = std::string(path);
      return;
    }
    scan.native_changelog_gz = std::move(*data);
    scan.native_changelog_path = std::string(path);
  }
}

}  // namespace

std::string debFileName(std::string_view package, std::string_view version,
                        std::string_view architecture) {
  std::string name(package);
  name.push_back('_');
  for (const char c : version) {
    if (c == ':') {
      name.append("%3a");
    } else {
      name.push_back(c);
    }
  }
  name.push_back('_');
  name.append(architecture);
  name.append(".deb");
  return name;
}

Result<DebDocFiles> readDebChangelog(const std::filesystem::path& deb_file,
                                     std::string_view package) {
  std::error_code exists_error;
  if (!std::filesystem::is_regular_file(deb_file, exists_error)) {
    return pk::fail(ErrorCode::kNotFound, "package file " + deb_file.string() + " does not exist");
  }

  TarScan scan;
  const std::vector<std::string> argv = {"dpkg-deb", "--fsys-tarfile", deb_file.string()};
  auto outcome = runProcess(argv, {}, [&](int fd) { scanTar(fd, package, scan); });
  // kNotFound from this function means the package file is missing, so a
  // dpkg-deb that cannot start is reported as kIoError instead.
  if (!outcome) return pk::fail(ErrorCode::kIoError, outcome.error().message);

  // Once the changelog is found the pipe is closed early, so dpkg-deb may end
  // with SIGPIPE; that is expected and not a failure.
  const bool exited_cleanly = outcome->exit_code == 0;
  if (!scan.found.changelog && !exited_cleanly) {
    return pk::fail(ErrorCode::kIoError,
                    "cannot list " + deb_file.string() + ": " + describeFailure(argv, *outcome) +
                        "; the file may be damaged, delete it and download it again");
  }
  if (scan.error) {
    return pk::fail(scan.error->code, "cannot read " + deb_file.string() + ": " +
                                          scan.error->message +
                                          "; delete it and download it again");
  }

  if (!scan.found.changelog && scan.native_changelog_gz) {
    scan.found.changelog = std::move(scan.native_changelog_gz);
    scan.found.changelog_path = std::move(scan.native_changelog_path);
  }
  if (scan.found.changelog) {
    auto text = gunzip(*scan.found.changelog, kMaxChangelogBytes);
    if (!text) {
      return pk::fail(ErrorCode::kMalformedInput, "cannot read " + scan.found.changelog_path +
                                                      " in " + deb_file.string() + ": " +
                                                      text.error().message);
    }
    scan.found.changelog = std::move(*text);
  }
  return std::move(scan.found);
}

}  // namespace pk::apt
