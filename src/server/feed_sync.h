#pragma once

// Syncing the configured advisory feeds into the store.
//
// A sync fetches the feed (a local path read with advisory::loadFeed, or a
// URL downloaded over HTTP(S) into a temporary file and then loaded), hashes
// each record, and compares the hashes with the stored ones:
//   - a fetch or parse failure keeps the stored records, and records the
//     error on the feed (API, metrics);
//   - a sync that would remove more than the source's max_removal_share of
//     the stored records is staged and waits for confirm();
//   - otherwise the changes, the feed's new state, an audit event and the
//     re-evaluation of the affected hosts are written in ONE transaction,
//     and the rebuilt advisory index is installed once it commits.
// Affected hosts are those with a package named by an added, changed or
// removed advisory, and those whose findings name a CVE whose KEV entry or
// EPSS score was added, changed or removed. A sync that changes nothing
// re-evaluates no host.
//
// Metrics: patchkeeper_feed_sync_total{feed,result} (result "applied",
// "awaiting_confirmation", "failed"), patchkeeper_feed_last_success_timestamp_seconds{feed}
// and patchkeeper_feed_error{feed} (1 while the last attempt failed).
//
// Thread-safe: syncs and confirmations run one at a time.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "server/context.h"
#include "server/evaluation.h"
#include "server/feed_source.h"

namespace pk::server {

struct FeedServiceOptions {
  // Where URL feeds are downloaded to before loading; a fresh folder per
  // download is made inside it and removed afterwards.
  std::filesystem::path download_directory = std::filesystem::temp_directory_path();
  // Trusted CA certificates for https:// feeds: the system store.
  std::filesystem::path ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds read_timeout{120};
  // A download larger than this fails, so a broken mirror cannot fill the disk.
  std::uint64_t max_download_bytes = 4ull << 30;
};

// The requester of a sync or confirmation, for the audit log.
struct SyncRequester {
  std::string actor = "system";  // "user:alice", or "system" for the job runner
  std::string remote_address;
};

struct FeedSyncResult {
  enum class Outcome { kApplied, kAwaitingConfirmation, kFailed };
  std::string feed;
  Outcome outcome = Outcome::kFailed;
  std::string error;  // set when kFailed
  std::int64_t added = 0;
  std::int64_t changed = 0;
  std::int64_t removed = 0;
  std::int64_t record_count = 0;     // records live after an apply, or after a confirm
  std::int64_t records_skipped = 0;  // malformed records the feed readers skipped
  std::int64_t hosts_evaluated = 0;
};

// "applied", "awaiting_confirmation", "failed".
std::string_view syncOutcomeName(FeedSyncResult::Outcome outcome);

class FeedService {
 public:
  // `context` and `evaluator` must outlive the service. Feed names must be
  // unique (the configuration check ensures it).
  FeedService(ServerContext& context, Evaluator& evaluator, std::vector<FeedSource> sources,
              FeedServiceOptions options = {});

  // Records each configured feed in the store (its kind and source), sets
  // the feed gauges from the stored state, and builds the evaluator's index
  // from the stored advisories. Call once at start, before serving.
  Result<void> start();

  const std::vector<FeedSource>& sources() const { return sources_; }

  // Returns how long the next scheduled sync of `source` should wait: the
  // rest of its interval since its last recorded attempt (applied or
  // failed), by wall time. So neither a restart nor a new leader node
  // fetches the feed again early. Zero for a feed never tried, overdue, or
  // last tried "in the future" (the wall clock went back).
  Result<Elapsed> syncDelay(const FeedSource& source);
  const FeedSource* findSource(std::string_view name) const;

  // Syncs feed `name` now as described above. A failed fetch, parse or
  // apply is recorded on the feed and returned as a result with
  // Outcome::kFailed, not as an error. Errors are kNotFound for a feed that
  // is not configured, and store failures while recording a result.
  Result<FeedSyncResult> sync(const std::string& name, const SyncRequester& requester = {});

  // Applies the changes staged by a sync waiting for confirmation, as a sync
  // under the threshold would have. A failed apply is a kFailed result that
  // leaves the changes staged. Fails with kNotFound for a feed that is not
  // configured and kInvalidArgument when nothing waits for confirmation.
  Result<FeedSyncResult> confirm(const std::string& name, const SyncRequester& requester = {});

  // Rebuilds the evaluator's index when the stored advisories changed since
  // this service built it: another node (the leader) applied a sync. Every
  // applied sync bumps the setting kAdvisoryGenerationKey in its own
  // transaction, so one small read detects the change. Returns whether it rebuilt; fails
  // on a store error, keeping the index in use.
  Result<bool> refreshIndexIfStale();

 private:
  struct Fetched;
  struct Plan;

  Result<Fetched> fetch(const FeedSource& source) const;
  Result<FeedSyncResult> recordFailure(const FeedSource& source, const SyncRequester& requester,
                                       std::string error);
  Result<FeedSyncResult> applyPlan(const FeedSource& source, const Plan& plan,
                                   const SyncRequester& requester, std::string_view action);
  void setGauges(const std::string& feed, bool failed, std::optional<SystemTime> last_success);

  ServerContext& context_;
  Evaluator& evaluator_;
  std::vector<FeedSource> sources_;
  FeedServiceOptions options_;
  std::mutex sync_mutex_;
  // The advisory generation the installed index was built from.
  std::atomic<std::int64_t> index_generation_{0};
};

// The setting counting applied feed syncs that changed advisories.
inline constexpr std::string_view kAdvisoryGenerationKey = "advisories.generation";

}  // namespace pk::server
