#include "apt/security_updates.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "apt/apt_lists.h"
#include "apt/changelog.h"
#include "apt/deb_changelog.h"
#include "apt/packages_index.h"
#include "apt/release.h"
#include "common/child_process.h"
#include "version/dpkg.h"

namespace pk::apt {
namespace {

// A version offered by a security archive.
struct Offer {
  IndexEntry entry;
  std::size_t release = 0;  // index into SecurityCatalog::releases
};

struct SecurityCatalog {
  std::vector<Release> releases;
  std::vector<Offer> offers;
  std::unordered_multimap<std::string, std::size_t> by_package;
  std::unordered_multimap<std::string, std::size_t> by_source;
};

bool architecturesMatch(std::string_view installed, std::string_view offered) {
  return installed == offered || installed == "all" || offered == "all";
}

Result<Release> readRelease(const std::filesystem::path& path) {
  std::string text;
  auto read = readDecompressed(path, Compression::kNone,
                               [&text](std::string_view chunk) { text.append(chunk); });
  if (!read) return tl::unexpected(read.error());
  auto release = parseRelease(text);
  if (!release) {
    return pk::fail(release.error().code, path.string() + ": " + release.error().message);
  }
  return release;
}

// Reads the indexes of every security archive in the lists folder. The
// indexes of other archives are not opened at all.
Result<SecurityCatalog> readSecurityCatalog(const std::filesystem::path& root) {
  const auto lists = listsFolder(root);
  auto files = findIndexFiles(lists);
  if (!files) return tl::unexpected(files.error());

  SecurityCatalog catalog;
  std::map<std::string, std::optional<std::size_t>> release_by_name;
  for (const auto& pair : *files) {
    auto known = release_by_name.find(pair.release_name);
    if (known == release_by_name.end()) {
      auto release = readRelease(lists / pair.release_name);
      if (!release) return tl::unexpected(release.error());
      std::optional<std::size_t> slot;
      if (isSecurityArchive(*release)) {
        slot = catalog.releases.size();
        catalog.releases.push_back(std::move(*release));
      }
      known = release_by_name.emplace(pair.release_name, slot).first;
    }
    if (!known->second) continue;

    const std::size_t release_slot = *known->second;
    PackagesParser parser([&](IndexEntry&& entry) {
      catalog.offers.push_back(Offer{std::move(entry), release_slot});
    });
    auto read = readDecompressed(lists / pair.packages_name, pair.compression,
                                 [&parser](std::string_view chunk) { parser.feed(chunk); });
    if (!read) return tl::unexpected(read.error());
    parser.finish();
  }

  for (std::size_t i = 0; i < catalog.offers.size(); ++i) {
    catalog.by_package.emplace(catalog.offers[i].entry.package, i);
    catalog.by_source.emplace(catalog.offers[i].entry.source, i);
  }
  return catalog;
}

// Returns the newest offer for `installed` that is newer than what is installed.
std::optional<std::size_t> newestOffer(const SecurityCatalog& catalog,
                                       const inventory::Package& installed) {
  std::optional<std::size_t> best;
  const auto [first, last] = catalog.by_package.equal_range(installed.name);
  for (auto it = first; it != last; ++it) {
    const IndexEntry& entry = catalog.offers[it->second].entry;
    if (!architecturesMatch(installed.architecture, entry.architecture)) continue;
    if (version::dpkg::compare(entry.version, installed.version) <= 0) continue;
    if (best && version::dpkg::compare(entry.version, catalog.offers[*best].entry.version) <= 0) {
      continue;
    }
    best = it->second;
  }
  return best;
}

SecurityUpdate makeUpdate(const SecurityCatalog& catalog, const inventory::Package& installed,
                          const Offer& offer) {
  const Release& release = catalog.releases[offer.release];
  SecurityUpdate update;
  update.package = installed.name;
  update.architecture = installed.architecture;
  update.source_package = offer.entry.source;
  update.installed_version = installed.version;
  update.installed_source_version =
      installed.source_version.empty() ? installed.version : installed.source_version;
  update.security_version = offer.entry.version;
  update.security_source_version = offer.entry.source_version;
  update.suite = release.suite;
  update.codename = release.codename;
  update.label = release.label;
  update.origin = release.origin;
  update.filename = offer.entry.filename;
  return update;
}

// The changelog result of one source version, shared by its binaries.
struct ChangelogLookup {
  ChangelogStatus status = ChangelogStatus::kNoPackageFile;
  std::string detail;
  std::vector<ChangelogEntry> entries;
};

class ChangelogReader {
 public:
  ChangelogReader(const std::filesystem::path& root, const SecurityCatalog& catalog, bool download)
      : archives_(archivesFolder(root)), root_(root), catalog_(catalog), download_(download) {}

  const ChangelogLookup& lookup(std::size_t offer_index) {
    const IndexEntry& entry = catalog_.offers[offer_index].entry;
    const std::string key = entry.source + " " + entry.source_version;
    auto cached = cache_.find(key);
    if (cached == cache_.end()) cached = cache_.emplace(key, resolve(offer_index)).first;
    return cached->second;
  }

 private:
  // Tries the update's own .deb first, then the package its doc folder links
  // to, then the other binaries of the same source version already cached:
  // a binary whose /usr/share/doc/<name> is a link ships no changelog itself.
  ChangelogLookup resolve(std::size_t offer_index) {
    ChangelogLookup lookup;
    std::vector<std::string> notes;
    std::vector<std::size_t> tried;
    std::vector<std::size_t> queue = {offer_index};
    bool own_file = true;
    bool read_any_file = false;
    bool had_error = false;

    while (!queue.empty()) {
      const std::size_t current = queue.front();
      queue.erase(queue.begin());
      if (std::find(tried.begin(), tried.end(), current) != tried.end()) continue;
      tried.push_back(current);

      const IndexEntry& entry = catalog_.offers[current].entry;
      const auto path = archives_ / debFileName(entry.package, entry.version, entry.architecture);
      const bool may_download = download_ && (own_file || linked_.count(current) != 0);
      own_file = false;
      if (!ensureCached(path, entry, may_download, notes)) continue;

      read_any_file = true;
      auto doc = readDebChangelog(path, entry.package);
      if (!doc) {
        had_error = true;
        notes.push_back(doc.error().message);
        continue;
      }
      if (doc->changelog) {
        auto entries = parseChangelog(*doc->changelog);
        if (entries) {
          lookup.status = ChangelogStatus::kRead;
          lookup.detail = "read " + doc->changelog_path + " from " + path.string();
          lookup.entries = std::move(*entries);
          return lookup;
        }
        notes.push_back(doc->changelog_path + " in " + path.string() + ": " +
                        entries.error().message);
      }
      if (!doc->linked_package.empty()) {
        if (auto sibling = findSibling(entry, doc->linked_package)) {
          linked_.insert(*sibling);
          queue.insert(queue.begin(), *sibling);
        }
      }
      if (current == offer_index) appendSiblings(entry, queue);
    }

    if (read_any_file) {
      lookup.status = had_error ? ChangelogStatus::kUnreadable : ChangelogStatus::kNoChangelog;
    }
    lookup.detail = joinNotes(notes);
    if (lookup.detail.empty()) lookup.detail = "no Debian changelog in the package files tried";
    return lookup;
  }

  bool ensureCached(const std::filesystem::path& path, const IndexEntry& entry, bool may_download,
                    std::vector<std::string>& notes) {
    std::error_code error;
    if (std::filesystem::is_regular_file(path, error)) return true;
    if (!may_download) {
      notes.push_back(path.string() + " is not in the cache; download it to read its changelog");
      return false;
    }
    auto downloaded = downloadPackageFile(root_, entry.package, entry.version, entry.architecture);
    if (!downloaded) {
      notes.push_back(downloaded.error().message);
      return false;
    }
    if (std::filesystem::is_regular_file(path, error)) return true;
    notes.push_back("apt-get download did not write " + path.string());
    return false;
  }

  std::optional<std::size_t> findSibling(const IndexEntry& of, std::string_view name) const {
    const auto [first, last] = catalog_.by_package.equal_range(std::string(name));
    for (auto it = first; it != last; ++it) {
      const IndexEntry& entry = catalog_.offers[it->second].entry;
      if (entry.source == of.source && entry.source_version == of.source_version &&
          architecturesMatch(of.architecture, entry.architecture)) {
        return it->second;
      }
    }
    return std::nullopt;
  }

  void appendSiblings(const IndexEntry& of, std::vector<std::size_t>& queue) const {
    const auto [first, last] = catalog_.by_source.equal_range(of.source);
    std::vector<std::size_t> siblings;
    for (auto it = first; it != last; ++it) {
      const IndexEntry& entry = catalog_.offers[it->second].entry;
      if (entry.source_version != of.source_version || entry.package == of.package) continue;
      std::error_code error;
      const auto path = archives_ / debFileName(entry.package, entry.version, entry.architecture);
      if (std::filesystem::is_regular_file(path, error)) siblings.push_back(it->second);
    }
    // Hash order is unspecified; sort so that results do not depend on it.
    std::sort(siblings.begin(), siblings.end());
    queue.insert(queue.end(), siblings.begin(), siblings.end());
  }

  static std::string joinNotes(const std::vector<std::string>& notes) {
    std::string text;
    for (const auto& note : notes) {
      if (!text.empty()) text.append("; ");
      text.append(note);
    }
    return text;
  }

  std::filesystem::path archives_;
  std::filesystem::path root_;
  const SecurityCatalog& catalog_;
  bool download_;
  std::map<std::string, ChangelogLookup> cache_;
  std::set<std::size_t> linked_;
};

}  // namespace

std::string_view changelogStatusName(ChangelogStatus status) {
  switch (status) {
    case ChangelogStatus::kRead:
      return "read";
    case ChangelogStatus::kNotRequested:
      return "not-requested";
    case ChangelogStatus::kNoPackageFile:
      return "no-package-file";
    case ChangelogStatus::kNoChangelog:
      return "no-changelog";
    case ChangelogStatus::kUnreadable:
      return "unreadable";
  }
  return "unknown";
}

std::filesystem::path archivesFolder(const std::filesystem::path& root) {
  return root / "var/cache/apt/archives";
}

Result<std::vector<SecurityUpdate>> findSecurityUpdates(
    const std::filesystem::path& root, const std::vector<inventory::Package>& installed,
    const SecurityUpdateOptions& options) {
  auto catalog = readSecurityCatalog(root);
  if (!catalog) return tl::unexpected(catalog.error());

  std::vector<std::pair<SecurityUpdate, std::size_t>> found;
  for (const auto& package : installed) {
    const auto offer = newestOffer(*catalog, package);
    if (!offer) continue;
    found.emplace_back(makeUpdate(*catalog, package, catalog->offers[*offer]), *offer);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.package, a.first.architecture) <
           std::tie(b.first.package, b.first.architecture);
  });

  ChangelogReader reader(root, *catalog, options.download);
  std::vector<SecurityUpdate> updates;
  updates.reserve(found.size());
  for (auto& [update, offer] : found) {
    if (options.read_changelogs) {
      const ChangelogLookup& lookup = reader.lookup(offer);
      update.changelog_status = lookup.status;
      update.changelog_detail = lookup.detail;
      if (lookup.status == ChangelogStatus::kRead) {
        // Changelog entries carry source versions, which differ from binary
        // versions after a binNMU ("1.0.9-2+b6" is built from "1.0.9-2").
        update.changelog_entries = entriesBetween(lookup.entries, update.installed_source_version,
                                                  update.security_source_version);
        update.cve_ids = cveIdsBetween(update.changelog_entries, update.installed_source_version,
                                       update.security_source_version);
      }
    }
    updates.push_back(std::move(update));
  }
  return updates;
}

Result<void> downloadPackageFile(const std::filesystem::path& root, std::string_view package,
                                 std::string_view version, std::string_view architecture) {
  const auto folder = archivesFolder(root);
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    return pk::fail(ErrorCode::kIoError,
                    "cannot create " + folder.string() + ": " + error.message());
  }

  std::string request(package);
  if (architecture != "all") request += ":" + std::string(architecture);
  request += "=" + std::string(version);
  const std::vector<std::string> argv = {"apt-get", "download", "-q", request};
  auto outcome = runProcess(argv, folder);
  // This function's contract reports every failure to run apt-get as
  // kIoError, while runProcess returns kNotFound when it cannot start.
  if (!outcome) return pk::fail(ErrorCode::kIoError, outcome.error().message);
  if (outcome->exit_code != 0) {
    return pk::fail(ErrorCode::kIoError, describeFailure(argv, *outcome) +
                                             "; check the host's network access and apt sources");
  }
  return {};
}

}  // namespace pk::apt
