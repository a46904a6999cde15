#include "server/feed_sync.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "advisory/feed.h"
#include "server/advisory_codec.h"
#include "store/advisory_repository.h"
#include "store/audit_repository.h"
#include "store/feed_repository.h"
#include "store/finding_repository.h"
#include "store/inventory_repository.h"
#include "store/setting_repository.h"

namespace pk::server {

using store::RecordChange;
using store::RecordKind;
using store::StagedChange;

struct FeedService::Fetched {
  // Record id -> (content hash, body) for each kind.
  std::map<std::string, std::pair<std::string, std::string>> advisories;
  std::map<std::string, std::pair<std::string, std::string>> kev;
  std::map<std::string, std::pair<std::string, std::string>> epss;
  std::int64_t skipped = 0;
};

struct FeedService::Plan {
  std::vector<StagedChange> changes;
  std::int64_t record_count_after = 0;
  std::int64_t skipped = 0;
};

namespace {

constexpr std::string_view kSyncTotal = "patchkeeper_feed_sync_total";
constexpr std::string_view kLastSuccess = "patchkeeper_feed_last_success_timestamp_seconds";
constexpr std::string_view kFeedError = "patchkeeper_feed_error";

std::string dumpJson(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string kevBody(const advisory::KevEntry& entry) {
  return dumpJson({{"vendor", entry.vendor},
                   {"product", entry.product},
                   {"name", entry.name},
                   {"date_added", entry.date_added},
                   {"due_date", entry.due_date},
                   {"known_ransomware_use", entry.known_ransomware_use}});
}

std::string epssBody(const advisory::EpssScore& score) {
  return dumpJson({{"probability", score.probability}, {"percentile", score.percentile}});
}

// Reads a KEV or EPSS body written by kevBody() or epssBody(). The bodies
// come from this process or from the staging table it wrote.
Result<nlohmann::json> parseBody(const StagedChange& change) {
  auto json = nlohmann::json::parse(change.body, nullptr, false);
  if (!json.is_object()) {
    return fail(ErrorCode::kInternal,
                fmt::format("staged {} record {} has a malformed body",
                            store::recordKindName(change.kind), change.record_id));
  }
  return json;
}

template <typename T>
T fieldOr(const nlohmann::json& json, const char* key, T fallback) {
  auto found = json.find(key);
  if (found == json.end()) return fallback;
  try {
    return found->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

bool sameRanges(const std::vector<std::vector<advisory::RangeEvent>>& a,
                const std::vector<std::vector<advisory::RangeEvent>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    for (std::size_t k = 0; k < a[i].size(); ++k) {
      if (a[i][k].type != b[i][k].type || a[i][k].version != b[i][k].version) return false;
    }
  }
  return true;
}

bool sameAffected(const advisory::AffectedPackage& a, const advisory::AffectedPackage& b) {
  if (a.ecosystem != b.ecosystem || a.name != b.name || a.name_kind != b.name_kind ||
      a.versions != b.versions || a.severity != b.severity || !sameRanges(a.ranges, b.ranges) ||
      a.binaries.size() != b.binaries.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.binaries.size(); ++i) {
    if (a.binaries[i].name != b.binaries[i].name ||
        a.binaries[i].version != b.binaries[i].version) {
      return false;
    }
  }
  if (a.kb_fixes.size() != b.kb_fixes.size()) return false;
  for (std::size_t i = 0; i < a.kb_fixes.size(); ++i) {
    if (a.kb_fixes[i].kb != b.kb_fixes[i].kb ||
        a.kb_fixes[i].fixed_build != b.kb_fixes[i].fixed_build) {
      return false;
    }
  }
  return true;
}

// Folds a second record with the same id into the first. One feed may
// carry an id twice: AlmaLinux publishes some advisories in both its 8 and
// its 9 folders. Identical entries are kept once; the others are added,
// carrying their own record's severity where it differs.
void mergeAdvisory(advisory::Advisory& kept, advisory::Advisory&& more) {
  for (auto& affected : more.affected) {
    if (!affected.severity && more.severity != kept.severity) affected.severity = more.severity;
    bool present = std::any_of(kept.affected.begin(), kept.affected.end(),
                               [&](const auto& entry) { return sameAffected(entry, affected); });
    if (!present) kept.affected.push_back(std::move(affected));
  }
  for (auto& alias : more.aliases) {
    if (std::find(kept.aliases.begin(), kept.aliases.end(), alias) == kept.aliases.end()) {
      kept.aliases.push_back(std::move(alias));
    }
  }
  if (!kept.cvss_score && more.cvss_score) {
    kept.cvss_score = more.cvss_score;
    kept.cvss_vector = std::move(more.cvss_vector);
  }
  if (more.modified > kept.modified) kept.modified = std::move(more.modified);
}

std::vector<store::AdvisoryPackageName> packagesOf(const advisory::Advisory& advisory) {
  std::set<store::AdvisoryPackageName> names;
  for (const auto& affected : advisory.affected) names.insert({affected.ecosystem, affected.name});
  return {names.begin(), names.end()};
}

// Returns why the fetched records do not fit a feed of `kind`, or nullopt.
// A KEV feed may contain only KEV entries, an EPSS feed only scores, and an
// advisory feed only advisories. An "auto" feed may contain anything.
std::optional<std::string> kindMismatch(const std::string& kind, std::size_t advisories,
                                        std::size_t kev, std::size_t epss) {
  if (kind == "auto") return std::nullopt;
  if (kind == "kev" && advisories + epss == 0) return std::nullopt;
  if (kind == "epss" && advisories + kev == 0) return std::nullopt;
  if (kind != "kev" && kind != "epss" && kev + epss == 0) return std::nullopt;
  return fmt::format(
      "the feed is configured as kind \"{}\" but its content has {} advisories, {} KEV entries "
      "and {} EPSS scores; correct the kind or the source",
      kind, advisories, kev, epss);
}

struct ParsedUrl {
  std::string origin;  // scheme://host[:port]
  std::string target;  // /path?query
  std::string file_name;
};

Result<ParsedUrl> parseUrl(const std::string& url) {
  std::string_view rest = url;
  std::string_view scheme;
  if (rest.starts_with("https://")) {
    scheme = "https://";
  } else if (rest.starts_with("http://")) {
    scheme = "http://";
  } else {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("feed URL \"{}\" does not start with https:// or http://", url));
  }
  rest.remove_prefix(scheme.size());
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.empty()) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("feed URL \"{}\" has no host", url));
  }

  ParsedUrl parsed;
  parsed.origin = std::string(scheme) + std::string(authority);
  parsed.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));

  // The downloaded file keeps the URL's last path segment, because
  // loadFeed recognises archives and gzip by their names.
  std::string_view path = parsed.target;
  path = path.substr(0, path.find_first_of("?#"));
  std::string_view name = path.substr(path.rfind('/') + 1);
  bool safe = !name.empty() && name != "." && name != "..";
  parsed.file_name = safe ? std::string(name) : "feed";
  return parsed;
}

// A folder made with mkdtemp(3) and removed with its contents at scope exit.
class DownloadFolder {
 public:
  static Result<DownloadFolder> create(const std::filesystem::path& parent) {
    std::string pattern = (parent / "pk-feed-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return fail(ErrorCode::kIoError, fmt::format("cannot create a download folder in {}: {}",
                                                   parent.string(), std::strerror(errno)));
    }
    return DownloadFolder(pattern);
  }
  DownloadFolder(DownloadFolder&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  DownloadFolder& operator=(DownloadFolder&&) = delete;
  ~DownloadFolder() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit DownloadFolder(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

Result<std::filesystem::path> download(const std::string& url, const std::filesystem::path& folder,
                                       const FeedServiceOptions& options) {
  auto parsed = parseUrl(url);
  if (!parsed) return tl::unexpected(parsed.error());
  std::filesystem::path file = folder / parsed->file_name;

  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) {
    return fail(ErrorCode::kIoError, fmt::format("cannot write {}", file.string()));
  }

  httplib::Client client(parsed->origin);
  if (parsed->origin.starts_with("https://")) {
    client.set_ca_cert_path(options.ca_bundle.string());
    client.enable_server_certificate_verification(true);
  }
  client.set_follow_location(true);
  client.set_connection_timeout(options.connect_timeout);
  client.set_read_timeout(options.read_timeout);

  std::uint64_t received = 0;
  bool too_large = false;
  int status = 0;
  auto result = client.Get(
      parsed->target,
      [&](const httplib::Response& response) {
        status = response.status;
        return status == 200;
      },
      [&](const char* data, std::size_t length) {
        received += length;
        if (received > options.max_download_bytes) {
          too_large = true;
          return false;
        }
        out.write(data, static_cast<std::streamsize>(length));
        return static_cast<bool>(out);
      });
  out.close();

  if (too_large) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("download of {} exceeds the limit of {} bytes", url,
                            options.max_download_bytes));
  }
  if (status != 0 && status != 200) {
    return fail(ErrorCode::kIoError,
                fmt::format("download of {} failed with HTTP status {}", url, status));
  }
  if (!result) {
    return fail(ErrorCode::kIoError,
                fmt::format("download of {} failed: {}", url, httplib::to_string(result.error())));
  }
  if (!out) {
    return fail(ErrorCode::kIoError,
                fmt::format("writing the download of {} to {} failed", url, file.string()));
  }
  return file;
}

double epochSeconds(SystemTime time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

nlohmann::json feedJson(const store::FeedState& feed) {
  return {{"status", store::feedStatusName(feed.status)}, {"record_count", feed.record_count}};
}

Result<void> audit(store::Session& session, SystemTime now, const SyncRequester& requester,
                   std::string_view action, const std::string& feed, const nlohmann::json& before,
                   const nlohmann::json& after) {
  store::AuditEvent event;
  event.at = now;
  event.actor = requester.actor;
  event.action = std::string(action);
  event.object_type = "feed";
  event.object_id = feed;
  event.before_json = dumpJson(before);
  event.after_json = dumpJson(after);
  event.remote_address = requester.remote_address;
  auto id = store::appendAuditEvent(session, event);
  if (!id) return tl::unexpected(id.error());
  return {};
}

// Compares fetched records of one kind with the stored hashes, appending
// the differences to `changes`.
void diffKind(RecordKind kind,
              const std::map<std::string, std::pair<std::string, std::string>>& fetched,
              const std::map<std::string, std::string>& stored,
              std::vector<StagedChange>& changes) {
  for (const auto& [id, record] : fetched) {
    auto old = stored.find(id);
    if (old == stored.end()) {
      changes.push_back({kind, id, RecordChange::kAdded, record.first, record.second});
    } else if (old->second != record.first) {
      changes.push_back({kind, id, RecordChange::kChanged, record.first, record.second});
    }
  }
  for (const auto& [id, hash] : stored) {
    if (!fetched.contains(id)) changes.push_back({kind, id, RecordChange::kRemoved, hash, ""});
  }
}

// Writes one staged change to the live tables, collecting the package
// names and CVE ids whose hosts need re-evaluation.
Result<void> applyChange(store::Session& session, const std::string& feed,
                         const StagedChange& change, std::set<std::string>& package_names,
                         std::set<std::string>& cve_ids) {
  switch (change.kind) {
    case RecordKind::kAdvisory: {
      if (change.change != RecordChange::kAdded) {
        auto old = store::advisoryPackages(session, feed, change.record_id);
        if (!old) return tl::unexpected(old.error());
        for (const auto& name : *old) package_names.insert(name.package);
      }
      if (change.change == RecordChange::kRemoved) {
        return store::deleteAdvisory(session, feed, change.record_id);
      }
      auto decoded = decodeAdvisory(change.body);
      if (!decoded) {
        return fail(ErrorCode::kInternal,
                    fmt::format("advisory {} of feed \"{}\": {}", change.record_id, feed,
                                decoded.error().message));
      }
      store::StoredAdvisory stored{feed, change.record_id, change.content_hash, change.body,
                                   packagesOf(*decoded)};
      for (const auto& name : stored.packages) package_names.insert(name.package);
      return store::upsertAdvisory(session, stored);
    }
    case RecordKind::kKev: {
      cve_ids.insert(change.record_id);
      if (change.change == RecordChange::kRemoved) {
        return store::deleteKevEntry(session, feed, change.record_id);
      }
      auto body = parseBody(change);
      if (!body) return tl::unexpected(body.error());
      store::StoredKevEntry entry;
      entry.cve_id = change.record_id;
      entry.content_hash = change.content_hash;
      entry.vendor = fieldOr<std::string>(*body, "vendor", "");
      entry.product = fieldOr<std::string>(*body, "product", "");
      entry.name = fieldOr<std::string>(*body, "name", "");
      entry.date_added = fieldOr<std::string>(*body, "date_added", "");
      entry.due_date = fieldOr<std::string>(*body, "due_date", "");
      entry.known_ransomware_use = fieldOr<bool>(*body, "known_ransomware_use", false);
      return store::upsertKevEntry(session, feed, entry);
    }
    case RecordKind::kEpss: {
      cve_ids.insert(change.record_id);
      if (change.change == RecordChange::kRemoved) {
        return store::deleteEpssScore(session, feed, change.record_id);
      }
      auto body = parseBody(change);
      if (!body) return tl::unexpected(body.error());
      store::StoredEpssScore score{change.record_id, change.content_hash,
                                   fieldOr<double>(*body, "probability", 0.0),
                                   fieldOr<double>(*body, "percentile", 0.0)};
      return store::upsertEpssScore(session, feed, score);
    }
  }
  return {};
}

}  // namespace

std::string_view syncOutcomeName(FeedSyncResult::Outcome outcome) {
  switch (outcome) {
    case FeedSyncResult::Outcome::kApplied:
      return "applied";
    case FeedSyncResult::Outcome::kAwaitingConfirmation:
      return "awaiting_confirmation";
    case FeedSyncResult::Outcome::kFailed:
      return "failed";
  }
  return "failed";
}

FeedService::FeedService(ServerContext& context, Evaluator& evaluator,
                         std::vector<FeedSource> sources, FeedServiceOptions options)
    : context_(context),
      evaluator_(evaluator),
      sources_(std::move(sources)),
      options_(std::move(options)) {
  context_.metrics.describe(kSyncTotal, Metrics::Type::kCounter,
                            "Feed syncs by feed and result (applied, awaiting_confirmation, "
                            "failed).");
  context_.metrics.describe(kLastSuccess, Metrics::Type::kGauge,
                            "Unix time of the feed's last applied sync.");
  context_.metrics.describe(kFeedError, Metrics::Type::kGauge,
                            "1 while the feed's last sync attempt failed, otherwise 0.");
}

const FeedSource* FeedService::findSource(std::string_view name) const {
  for (const auto& source : sources_) {
    if (source.name == name) return &source;
  }
  return nullptr;
}

void FeedService::setGauges(const std::string& feed, bool failed,
                            std::optional<SystemTime> last_success) {
  context_.metrics.set(kFeedError, {{"feed", feed}}, failed ? 1 : 0);
  context_.metrics.set(kLastSuccess, {{"feed", feed}},
                       last_success ? epochSeconds(*last_success) : 0);
}

Result<void> FeedService::start() {
  std::vector<store::FeedState> states;
  std::int64_t generation = 0;
  auto registered = context_.database.write([&](store::Session& session) -> Result<void> {
    for (const auto& source : sources_) {
      const std::string& origin = source.url.empty() ? source.path : source.url;
      if (auto upserted = store::upsertFeed(session, source.name, source.kind, origin); !upserted) {
        return upserted;
      }
    }
    auto feeds = store::listFeeds(session);
    if (!feeds) return tl::unexpected(feeds.error());
    states = std::move(*feeds);
    auto stored = store::getIntegerSetting(session, kAdvisoryGenerationKey);
    if (!stored) return tl::unexpected(stored.error());
    generation = stored->value_or(0);
    return evaluator_.rebuild(session);
  });
  if (!registered) return registered;
  index_generation_ = generation;
  evaluator_.logIndexIssues();

  for (const auto& state : states) {
    if (!findSource(state.name)) continue;
    setGauges(state.name, state.status == store::FeedStatus::kFailed, state.last_success_at);
  }
  spdlog::info("feeds: {} configured, {} advisories in the index", sources_.size(),
               evaluator_.advisoryCount());
  return {};
}

Result<bool> FeedService::refreshIndexIfStale() {
  // Holding the sync mutex keeps this node's own syncs from installing an
  // index in between.
  std::lock_guard guard(sync_mutex_);
  std::int64_t generation = 0;
  bool rebuilt = false;
  auto read = context_.database.read([&](store::Session& session) -> Result<void> {
    rebuilt = false;
    auto stored = store::getIntegerSetting(session, kAdvisoryGenerationKey);
    if (!stored) return tl::unexpected(stored.error());
    generation = stored->value_or(0);
    if (generation == index_generation_.load()) return {};
    rebuilt = true;
    return evaluator_.rebuild(session);
  });
  if (!read) return tl::unexpected(read.error());
  if (!rebuilt) return false;
  index_generation_ = generation;
  evaluator_.logIndexIssues();
  spdlog::info(
      "advisory index rebuilt: the stored advisories changed (generation {}), {} "
      "advisories",
      generation, evaluator_.advisoryCount());
  return true;
}

Result<Elapsed> FeedService::syncDelay(const FeedSource& source) {
  std::optional<SystemTime> last_tried;
  auto read = context_.database.read([&](store::Session& session) -> Result<void> {
    auto feed = store::getFeed(session, source.name);
    if (!feed) return tl::unexpected(feed.error());
    if (!*feed) return {};
    for (const auto& time : {(*feed)->last_attempt_at, (*feed)->last_success_at}) {
      if (time && (!last_tried || *time > *last_tried)) last_tried = time;
    }
    return {};
  });
  if (!read) return tl::unexpected(read.error());
  if (!last_tried) return Elapsed{0};

  SystemTime now = context_.clock.now();
  Elapsed interval = std::chrono::minutes(source.interval_minutes);
  if (*last_tried > now) return Elapsed{0};
  Elapsed since = now - *last_tried;
  return since >= interval ? Elapsed{0} : interval - since;
}

Result<FeedService::Fetched> FeedService::fetch(const FeedSource& source) const {
  std::optional<DownloadFolder> folder;
  std::filesystem::path path = source.path;
  if (!source.url.empty()) {
    auto created = DownloadFolder::create(options_.download_directory);
    if (!created) return tl::unexpected(created.error());
    folder.emplace(std::move(*created));
    auto downloaded = download(source.url, folder->path(), options_);
    if (!downloaded) return tl::unexpected(downloaded.error());
    path = *downloaded;
  }
  if (path.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("feed \"{}\" has neither a url nor a path", source.name));
  }

  Fetched fetched;
  std::map<std::string, advisory::Advisory> advisories;
  advisory::Enrichment enrichment;
  advisory::LoadReport report;
  auto loaded = advisory::loadFeed(
      path,
      [&](advisory::Advisory&& advisory) {
        auto [kept, inserted] = advisories.try_emplace(advisory.id);
        if (inserted) {
          kept->second = std::move(advisory);
        } else {
          mergeAdvisory(kept->second, std::move(advisory));
        }
      },
      enrichment, report);
  if (!loaded) return tl::unexpected(loaded.error());
  for (auto& [id, advisory] : advisories) {
    std::string body = encodeAdvisory(advisory);
    std::string hash = contentHash(body);
    fetched.advisories.emplace(id, std::make_pair(std::move(hash), std::move(body)));
  }
  advisories.clear();

  fetched.skipped = static_cast<std::int64_t>(report.records_skipped);
  if (report.records_loaded == 0 && report.records_skipped > 0) {
    const auto& first = report.issues.front();
    return fail(ErrorCode::kMalformedInput,
                fmt::format("no record of the feed could be read: {} malformed, the first in {} "
                            "at {}: {}",
                            report.records_skipped, first.file, first.field, first.message));
  }
  for (const auto& issue : report.issues) {
    spdlog::warn("feed={} skipped record {} in {} at {}: {}", source.name, issue.record_id,
                 issue.file, issue.field, issue.message);
  }

  for (const auto& [cve_id, entry] : enrichment.kev) {
    std::string body = kevBody(entry);
    std::string hash = contentHash(body);
    fetched.kev.emplace(cve_id, std::make_pair(std::move(hash), std::move(body)));
  }
  for (const auto& [cve_id, score] : enrichment.epss) {
    std::string body = epssBody(score);
    std::string hash = contentHash(body);
    fetched.epss.emplace(cve_id, std::make_pair(std::move(hash), std::move(body)));
  }

  if (auto mismatch = kindMismatch(source.kind, fetched.advisories.size(), fetched.kev.size(),
                                   fetched.epss.size())) {
    return fail(ErrorCode::kMalformedInput, *mismatch);
  }
  return fetched;
}

Result<FeedSyncResult> FeedService::recordFailure(const FeedSource& source,
                                                  const SyncRequester& requester,
                                                  std::string error) {
  SystemTime now = context_.clock.now();
  std::optional<SystemTime> last_success;
  auto recorded = context_.database.write([&](store::Session& session) -> Result<void> {
    last_success.reset();
    auto before = store::getFeed(session, source.name);
    if (!before) return tl::unexpected(before.error());
    if (auto failed = store::recordFeedFailure(session, source.name, now, error); !failed) {
      return failed;
    }
    if (*before) last_success = (*before)->last_success_at;
    if (requester.actor == "system") return {};
    nlohmann::json before_json = *before ? feedJson(**before) : nlohmann::json::object();
    return audit(session, now, requester, "feed.sync", source.name, before_json,
                 {{"result", "failed"}, {"error", error}});
  });
  if (!recorded) return tl::unexpected(recorded.error());

  spdlog::error("feed={} sync failed, previous records kept: {}", source.name, error);
  context_.metrics.increment(kSyncTotal, {{"feed", source.name}, {"result", "failed"}});
  setGauges(source.name, true, last_success);

  FeedSyncResult result;
  result.feed = source.name;
  result.outcome = FeedSyncResult::Outcome::kFailed;
  result.error = std::move(error);
  return result;
}

Result<FeedSyncResult> FeedService::sync(const std::string& name, const SyncRequester& requester) {
  const FeedSource* source = findSource(name);
  if (!source) {
    return fail(ErrorCode::kNotFound, fmt::format("feed \"{}\" is not configured", name));
  }
  std::lock_guard lock(sync_mutex_);

  auto fetched = fetch(*source);
  if (!fetched) return recordFailure(*source, requester, fetched.error().message);

  // Compare with what is stored.
  Plan plan;
  plan.skipped = fetched->skipped;
  std::size_t stored_count = 0;
  auto compared = context_.database.read([&](store::Session& session) -> Result<void> {
    auto advisories = store::advisoryHashes(session, name);
    if (!advisories) return tl::unexpected(advisories.error());
    auto kev = store::kevHashes(session, name);
    if (!kev) return tl::unexpected(kev.error());
    auto epss = store::epssHashes(session, name);
    if (!epss) return tl::unexpected(epss.error());
    stored_count = advisories->size() + kev->size() + epss->size();
    diffKind(RecordKind::kAdvisory, fetched->advisories, *advisories, plan.changes);
    diffKind(RecordKind::kKev, fetched->kev, *kev, plan.changes);
    diffKind(RecordKind::kEpss, fetched->epss, *epss, plan.changes);
    return {};
  });
  if (!compared) return tl::unexpected(compared.error());
  plan.record_count_after = static_cast<std::int64_t>(fetched->advisories.size() +
                                                      fetched->kev.size() + fetched->epss.size());

  FeedSyncResult result;
  result.feed = name;
  result.records_skipped = plan.skipped;
  for (const auto& change : plan.changes) {
    if (change.change == RecordChange::kAdded) ++result.added;
    if (change.change == RecordChange::kChanged) ++result.changed;
    if (change.change == RecordChange::kRemoved) ++result.removed;
  }

  // A large removal is more often a broken mirror or a truncated download
  // than the vendor withdrawing records, so a person decides.
  double removal_share =
      stored_count == 0 ? 0.0
                        : static_cast<double>(result.removed) / static_cast<double>(stored_count);
  if (removal_share > source->max_removal_share) {
    SystemTime now = context_.clock.now();
    auto staged = context_.database.write([&](store::Session& session) -> Result<void> {
      auto before = store::getFeed(session, name);
      if (!before) return tl::unexpected(before.error());
      if (auto written =
              store::stageFeedChanges(session, name, now, plan.changes, plan.record_count_after);
          !written) {
        return written;
      }
      nlohmann::json before_json = *before ? feedJson(**before) : nlohmann::json::object();
      return audit(session, now, requester, "feed.sync", name, before_json,
                   {{"result", "awaiting_confirmation"},
                    {"added", result.added},
                    {"changed", result.changed},
                    {"removed", result.removed}});
    });
    if (!staged) return tl::unexpected(staged.error());

    spdlog::warn(
        "feed={} sync removes {} of {} records ({:.0f}%, more than the {:.0f}% allowed); "
        "waiting for an admin to confirm",
        name, result.removed, stored_count, removal_share * 100, source->max_removal_share * 100);
    context_.metrics.increment(kSyncTotal, {{"feed", name}, {"result", "awaiting_confirmation"}});
    result.outcome = FeedSyncResult::Outcome::kAwaitingConfirmation;
    result.record_count = static_cast<std::int64_t>(stored_count);
    return result;
  }

  auto applied = applyPlan(*source, plan, requester, "feed.sync");
  if (!applied) return recordFailure(*source, requester, applied.error().message);
  applied->records_skipped = plan.skipped;
  return applied;
}

Result<FeedSyncResult> FeedService::confirm(const std::string& name,
                                            const SyncRequester& requester) {
  const FeedSource* source = findSource(name);
  if (!source) {
    return fail(ErrorCode::kNotFound, fmt::format("feed \"{}\" is not configured", name));
  }
  std::lock_guard lock(sync_mutex_);

  Plan plan;
  bool waiting = false;
  auto loaded = context_.database.read([&](store::Session& session) -> Result<void> {
    auto feed = store::getFeed(session, name);
    if (!feed) return tl::unexpected(feed.error());
    waiting = *feed && (*feed)->status == store::FeedStatus::kAwaitingConfirmation;
    if (!waiting) return {};
    plan.record_count_after = (*feed)->staged_record_count;
    auto changes = store::loadStagedChanges(session, name);
    if (!changes) return tl::unexpected(changes.error());
    plan.changes = std::move(*changes);
    return {};
  });
  if (!loaded) return tl::unexpected(loaded.error());
  if (!waiting) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("feed \"{}\" has no sync waiting for confirmation", name));
  }
  auto applied = applyPlan(*source, plan, requester, "feed.confirm");
  if (!applied) return recordFailure(*source, requester, applied.error().message);
  return applied;
}

Result<FeedSyncResult> FeedService::applyPlan(const FeedSource& source, const Plan& plan,
                                              const SyncRequester& requester,
                                              std::string_view action) {
  FeedSyncResult result;
  result.feed = source.name;
  result.outcome = FeedSyncResult::Outcome::kApplied;
  result.record_count = plan.record_count_after;
  for (const auto& change : plan.changes) {
    if (change.change == RecordChange::kAdded) ++result.added;
    if (change.change == RecordChange::kChanged) ++result.changed;
    if (change.change == RecordChange::kRemoved) ++result.removed;
  }

  SystemTime now = context_.clock.now();
  std::shared_ptr<Evaluator::Snapshot> index;
  std::shared_ptr<Evaluator::Snapshot> previous;
  bool installed = false;
  std::int64_t generation = 0;
  auto written = context_.database.write([&](store::Session& session) -> Result<void> {
    // A run after a rolled-back one starts from the index that was in use
    // before the first run installed its own.
    if (installed) {
      evaluator_.install(std::move(previous));
      installed = false;
    }
    index.reset();
    result.hosts_evaluated = 0;

    auto before = store::getFeed(session, source.name);
    if (!before) return tl::unexpected(before.error());

    std::set<std::string> package_names;
    std::set<std::string> cve_ids;
    for (const auto& change : plan.changes) {
      if (auto done = applyChange(session, source.name, change, package_names, cve_ids); !done) {
        return done;
      }
    }
    if (auto recorded =
            store::recordFeedSuccess(session, source.name, now, plan.record_count_after);
        !recorded) {
      return recorded;
    }

    bool changed = !plan.changes.empty();
    if (changed || requester.actor != "system") {
      nlohmann::json before_json = *before ? feedJson(**before) : nlohmann::json::object();
      auto audited = audit(session, now, requester, action, source.name, before_json,
                           {{"result", "applied"},
                            {"added", result.added},
                            {"changed", result.changed},
                            {"removed", result.removed},
                            {"record_count", result.record_count}});
      if (!audited) return audited;
    }
    if (!changed) return {};

    // Other nodes compare this counter with their own to know that their
    // advisory index is out of date.
    auto stored = store::getIntegerSetting(session, kAdvisoryGenerationKey);
    if (!stored) return tl::unexpected(stored.error());
    generation = stored->value_or(0) + 1;
    if (auto bumped = store::setIntegerSetting(session, kAdvisoryGenerationKey, generation, now);
        !bumped) {
      return bumped;
    }

    // Re-evaluate, with the new index, only the hosts the changes can touch.
    // NOTE: the index is rebuilt from every stored advisory of every feed,
    // not patched, so a one-record change costs decoding them all.
    auto built = evaluator_.buildIndex(session);
    if (!built) return tl::unexpected(built.error());
    index = std::move(*built);

    std::set<std::string> hosts;
    auto by_package = store::hostsWithPackages(
        session, std::vector<std::string>(package_names.begin(), package_names.end()));
    if (!by_package) return tl::unexpected(by_package.error());
    hosts.insert(by_package->begin(), by_package->end());
    auto by_cve = store::hostsWithFindingsNaming(
        session, std::vector<std::string>(cve_ids.begin(), cve_ids.end()));
    if (!by_cve) return tl::unexpected(by_cve.error());
    hosts.insert(by_cve->begin(), by_cve->end());

    for (const auto& host_id : hosts) {
      if (auto evaluated = evaluator_.evaluateHostWith(index, session, host_id, now); !evaluated) {
        return fail(evaluated.error().code, fmt::format("re-evaluating host {} failed: {}", host_id,
                                                        evaluated.error().message));
      }
    }
    result.hosts_evaluated = static_cast<std::int64_t>(hosts.size());

    // Installed before the commit: evaluations run in write transactions,
    // which wait for this one, so none sees the new advisories with the old
    // index. A failed commit puts the previous index back below.
    previous = evaluator_.install(index);
    installed = true;
    return {};
  });
  if (!written) {
    if (installed) evaluator_.install(std::move(previous));
    return tl::unexpected(written.error());
  }

  if (installed) {
    index_generation_ = generation;
    evaluator_.logIndexIssues();
  }
  spdlog::info("feed={} {}: {} added, {} changed, {} removed, {} records, {} hosts re-evaluated",
               source.name, action, result.added, result.changed, result.removed,
               result.record_count, result.hosts_evaluated);
  context_.metrics.increment(kSyncTotal, {{"feed", source.name}, {"result", "applied"}});
  setGauges(source.name, false, now);
  return result;
}

}  // namespace pk::server
