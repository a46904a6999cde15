#include "advisory/feed.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "advisory/alpine_secdb.h"
#include "advisory/csaf.h"
#include "advisory/csaf_files.h"
#include "advisory/debian_lists.h"
#include "advisory/debian_tracker.h"
#include "advisory/epss.h"
#include "advisory/folder_walk.h"
#include "advisory/kb_mapping.h"
#include "advisory/kev.h"
#include "advisory/msrc_cvrf.h"
#include "advisory/osv.h"
#include "advisory/osv_files.h"
#include "advisory/windows_fixes.h"

namespace pk::advisory {
namespace {

namespace fs = std::filesystem;

// Feed files larger than this are refused rather than read into memory. The
// Debian tracker's full JSON export, the largest feed read whole, is about
// 70 MB (2025).
constexpr std::uintmax_t kMaxFeedFileBytes = 1024ULL * 1024 * 1024;

constexpr std::size_t kSniffBytes = 64 * 1024;

std::string lowerExtension(const fs::path& path) {
  std::string name = path.filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view suffix : {".tar.xz", ".tar.gz", ".tgz", ".zip", ".json", ".csv", ".xml"}) {
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return std::string(suffix);
    }
  }
  return "";
}

bool isArchive(const std::string& extension) {
  return extension == ".zip" || extension == ".tar.xz" || extension == ".tar.gz" ||
         extension == ".tgz";
}

std::string_view skipSpace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                           text.front() == '\r')) {
    text.remove_prefix(1);
  }
  return text;
}

// Whether the first line of `text` is the header of a CVE -> KB table: it
// names the columns CVE, KB, ProductName and FixedBuild, quoted or not, in
// any order.
bool isKbTableHeader(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  std::set<std::string> columns;
  std::size_t start = 0;
  while (start <= line.size()) {
    std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) comma = line.size();
    std::string_view column = line.substr(start, comma - start);
    while (!column.empty() && (column.back() == '\r' || column.back() == ' ')) {
      column.remove_suffix(1);
    }
    if (column.size() >= 2 && column.front() == '"' && column.back() == '"') {
      column = column.substr(1, column.size() - 2);
    }
    columns.emplace(column);
    start = comma + 1;
  }
  return columns.count("CVE") != 0 && columns.count("KB") != 0 &&
         columns.count("ProductName") != 0 && columns.count("FixedBuild") != 0;
}

// The tracker export starts {"<package>": {"CVE-...": or "TEMP-...".
bool looksLikeDebianTracker(std::string_view head) {
  head = skipSpace(head);
  if (head.empty() || head.front() != '{') return false;
  head = skipSpace(head.substr(1));
  if (head.empty() || head.front() != '"') return false;
  auto end_quote = head.find('"', 1);
  if (end_quote == std::string_view::npos) return false;
  head = skipSpace(head.substr(end_quote + 1));
  if (head.empty() || head.front() != ':') return false;
  head = skipSpace(head.substr(1));
  if (head.empty() || head.front() != '{') return false;
  head = skipSpace(head.substr(1));
  return head.rfind("\"CVE-", 0) == 0 || head.rfind("\"TEMP-", 0) == 0;
}

// Matches "[D Mon YYYY] DSA-" or "[DD Mon YYYY] DLA-" at the start.
bool looksLikeDebianList(std::string_view text) {
  auto close = text.find(']');
  if (text.empty() || text.front() != '[' || close == std::string_view::npos || close > 13) {
    return false;
  }
  std::string_view rest = text.substr(close + 1);
  return rest.rfind(" DSA-", 0) == 0 || rest.rfind(" DLA-", 0) == 0;
}

bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

Result<std::string> readWholeFile(const fs::path& path) {
  std::error_code error;
  auto size = fs::file_size(path, error);
  if (error) {
    return fail(ErrorCode::kIoError,
                fmt::format("cannot read feed file {}: {}", path.string(), error.message()));
  }
  if (size > kMaxFeedFileBytes) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("feed file {} is {} bytes, more than the {} bytes patchkeeper reads",
                            path.string(), size, kMaxFeedFileBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kIoError, fmt::format("cannot open feed file {}", path.string()));
  }
  std::string content(static_cast<std::size_t>(size), '\0');
  in.read(content.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) {
    return fail(ErrorCode::kIoError, fmt::format("short read of feed file {}", path.string()));
  }
  return content;
}

template <typename Map>
void mergeInto(Map& target, Map&& source) {
  for (auto& [key, value] : source) target.insert_or_assign(key, std::move(value));
}

class FeedLoader {
 public:
  FeedLoader(const AdvisorySink& sink, Enrichment& enrichment, LoadReport& report,
             const FeedLoadOptions& options)
      : sink_(sink), enrichment_(enrichment), report_(report), options_(options) {}

  Result<void> load(const fs::path& path) {
    std::error_code error;
    auto status = fs::status(path, error);
    if (error || !fs::exists(status)) {
      return fail(ErrorCode::kNotFound,
                  fmt::format("advisory feed {} does not exist", path.string()));
    }
    if (fs::is_directory(status)) return loadFolder(path);

    auto loaded = loadFile(path, /*named_directly=*/true);
    if (!loaded) return loaded;
    return {};
  }

 private:
  Result<void> loadFolder(const fs::path& folder) {
    auto files = listFilesSorted(folder);
    if (!files) return tl::unexpected(files.error());
    for (const auto& file : *files) {
      auto loaded = loadFile(file, /*named_directly=*/false);
      if (!loaded) return loaded;
    }
    return {};
  }

  Result<void> loadFile(const fs::path& path, bool named_directly) {
    std::string extension = lowerExtension(path);
    if (extension == ".zip") return finish(path, readOsv(path, counted(), report_));
    if (isArchive(extension)) return finish(path, readCsaf(path, counted(), report_));

    // Inside folders only JSON, CSV, XML and the tracker's extension-less
    // "list" files are feeds; READMEs, licences and the like are passed over.
    bool candidate = extension == ".json" || extension == ".csv" || extension == ".xml" ||
                     path.extension().empty();
    if (!named_directly && !candidate) return {};

    // Inside a folder, a JSON or CSV file that cannot be read or recognised
    // is reported and skipped, so that it is not lost without a word.
    auto skip = [&](std::string message) -> Result<void> {
      report_.addIssue({path.string(), "", "", std::move(message)});
      return {};
    };

    auto content = readWholeFile(path);
    if (!content) {
      if (named_directly) return tl::unexpected(content.error());
      return skip(content.error().message);
    }
    std::string origin = path.string();
    std::string_view text = *content;

    // Most feeds show their kind in the first few KiB. An OSV record may put
    // a long `details` text before `affected`, so look at the whole JSON
    // document before giving up.
    FeedFormat format = sniffFeedFormat(text.substr(0, kSniffBytes));
    if (format == FeedFormat::kUnknown && text.size() > kSniffBytes) {
      format = sniffFeedFormat(text);
    }
    std::size_t issues_before = report_.issues.size();
    std::size_t advisories_before = progress_.advisories;

    switch (format) {
      case FeedFormat::kOsv: {
        parseOsvDocument(text, origin, counted(), report_);
        // A file named on the command line that yields no record, only
        // problems, is a broken feed (a truncated download, say), not an
        // empty one.
        bool nothing_usable =
            progress_.advisories == advisories_before && report_.issues.size() > issues_before;
        if (named_directly && nothing_usable) {
          return fail(ErrorCode::kMalformedInput,
                      fmt::format("{} holds no valid OSV record ({}); download it again if it "
                                  "was truncated",
                                  path.string(), report_.issues.back().message));
        }
        return finish(path, {});
      }
      case FeedFormat::kDebianTracker:
        return finish(path, parseDebianTrackerJson(text, origin, counted(), report_));
      case FeedFormat::kDebianList:
        return finish(path, parseDebianSecurityList(text, origin, counted(), report_));
      case FeedFormat::kAlpineSecdb:
        return finish(path, parseAlpineSecdb(text, origin, counted(), report_));
      case FeedFormat::kCsaf:
        return finish(path, parseCsafDocument(text, origin, counted(), report_));
      case FeedFormat::kKev: {
        auto kev = parseKevCatalog(text, origin, report_);
        if (!kev) return tl::unexpected(kev.error());
        mergeInto(enrichment_.kev, std::move(*kev));
        return finish(path, {});
      }
      case FeedFormat::kEpss: {
        auto epss = parseEpss(text, origin, report_);
        if (!epss) return tl::unexpected(epss.error());
        mergeInto(enrichment_.epss, std::move(*epss));
        return finish(path, {});
      }
      case FeedFormat::kMsrcCvrf: {
        auto document = parseMsrcCvrf(text, origin, report_);
        if (!document) return tl::unexpected(document.error());
        windowsAdvisoriesFromCvrf(*document, counted(), report_);
        return finish(path, {});
      }
      case FeedFormat::kKbMapping: {
        std::string_view start = text.substr(0, text.find_first_not_of(" \t\r\n\xef\xbb\xbf"));
        bool json = text.size() > start.size() && text[start.size()] == '[';
        auto rows = json ? parseKbMappingJson(text, origin, report_)
                         : parseKbMappingCsv(text, origin, report_);
        if (!rows) return tl::unexpected(rows.error());
        windowsAdvisoriesFromKbMapping(*rows, origin, counted(), report_);
        return finish(path, {});
      }
      case FeedFormat::kUnknown:
        break;
    }
    if (!named_directly) {
      if (extension == ".json" || extension == ".csv") {
        return skip("not a recognised advisory feed; skipped");
      }
      return {};
    }
    return fail(ErrorCode::kUnsupported,
                fmt::format("{} is not a recognised advisory feed; expected OSV, the Debian "
                            "tracker's JSON or DSA/DLA list, Alpine secdb, CSAF, an MSRC CVRF "
                            "document, a CVE -> KB table, CISA KEV or EPSS",
                            path.string()));
  }

  // Wraps the sink to count advisories for progress reports.
  AdvisorySink counted() {
    return [this](Advisory&& advisory) {
      ++progress_.advisories;
      sink_(std::move(advisory));
    };
  }

  Result<void> finish(const fs::path& path, Result<void> result) {
    ++progress_.files_read;
    if (options_.on_progress) options_.on_progress(progress_, path);
    return result;
  }

  const AdvisorySink& sink_;
  Enrichment& enrichment_;
  LoadReport& report_;
  const FeedLoadOptions& options_;
  FeedProgress progress_;
};

}  // namespace

std::string_view feedFormatName(FeedFormat format) {
  switch (format) {
    case FeedFormat::kOsv:
      return "osv";
    case FeedFormat::kDebianTracker:
      return "debian-tracker";
    case FeedFormat::kDebianList:
      return "debian-list";
    case FeedFormat::kAlpineSecdb:
      return "alpine-secdb";
    case FeedFormat::kCsaf:
      return "csaf";
    case FeedFormat::kKev:
      return "kev";
    case FeedFormat::kEpss:
      return "epss";
    case FeedFormat::kMsrcCvrf:
      return "msrc-cvrf";
    case FeedFormat::kKbMapping:
      return "kb-mapping";
    case FeedFormat::kUnknown:
      return "unknown";
  }
  return "unknown";
}

FeedFormat sniffFeedFormat(std::string_view head) {
  // A byte order mark, as spreadsheet programs write before CSV.
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  std::string_view start = skipSpace(head);
  if (start.empty()) return FeedFormat::kUnknown;

  if (start.front() != '{' && start.front() != '[') {
    if (start.rfind("#model_version", 0) == 0 || start.rfind("cve,epss", 0) == 0) {
      return FeedFormat::kEpss;
    }
    // MSRC's documents open with the cvrfdoc root, in a namespace or not,
    // after an optional XML declaration.
    if (start.front() == '<' && contains(head, "cvrfdoc")) return FeedFormat::kMsrcCvrf;
    if (isKbTableHeader(start)) return FeedFormat::kKbMapping;
    return FeedFormat::kUnknown;
  }
  if (start.front() == '[') {
    // [{"cve": "CVE-...", "patches": [{"os": ..., "kb": ..., "fixedBuild": ...
    if (contains(start, "\"patches\"") && contains(start, "\"fixedBuild\"")) {
      return FeedFormat::kKbMapping;
    }
    // "[21 Apr 2023] DSA-5395-1 ..." opens a DSA or DLA list; "[{" an OSV array.
    if (looksLikeDebianList(start)) return FeedFormat::kDebianList;
    if (contains(start, "\"affected\"") || contains(start, "\"modified\"")) return FeedFormat::kOsv;
    return FeedFormat::kUnknown;
  }

  if (contains(head, "\"csaf_version\"")) return FeedFormat::kCsaf;
  if (contains(head, "\"catalogVersion\"")) return FeedFormat::kKev;
  if (contains(head, "\"distroversion\"")) return FeedFormat::kAlpineSecdb;
  if (contains(head, "\"score_date\"") ||
      (contains(head, "\"epss\"") && contains(head, "\"data\""))) {
    return FeedFormat::kEpss;
  }
  if (looksLikeDebianTracker(head)) return FeedFormat::kDebianTracker;
  if (contains(head, "\"schema_version\"") ||
      (contains(head, "\"id\"") &&
       (contains(head, "\"affected\"") || contains(head, "\"modified\"")))) {
    return FeedFormat::kOsv;
  }
  return FeedFormat::kUnknown;
}

Result<void> loadFeed(const fs::path& path, const AdvisorySink& sink, Enrichment& enrichment,
                      LoadReport& report, const FeedLoadOptions& options) {
  FeedLoader loader(sink, enrichment, report, options);
  return loader.load(path);
}

}  // namespace pk::advisory
