#pragma once

// Turns stored inventories and stored advisories into stored findings.
//
// The Evaluator holds an advisory index (and a FleetMatcher caching
// verdicts per package version) built from the advisories and KEV/EPSS
// data in the store. rebuild() builds a new index and swaps it in under a
// mutex; each evaluation takes a snapshot first, so evaluations running
// during a rebuild finish on the old index. All members are thread-safe.
//
// evaluateHost() merges what matching finds with the host's stored
// findings:
//   - matched and not stored: a new open finding (event "opened");
//   - matched and open: last_seen and installed version updated;
//   - matched and fixed: open again (event "reopened");
//   - open and no longer matched: closed (event "fixed") only when the
//     package is gone or its installed version is at or past the finding's
//     fixed version in the host's version scheme. A finding whose advisory
//     vanished from the feed, or that matching stopped reporting for any
//     other reason, stays open.
// Pending security updates from the host's own repositories become
// findings with source "host-repository", advisory id "security-update:" +
// source package, aliases the update's CVE ids and fixed version the
// candidate; they close once the installed version reaches the candidate.
//
// Windows hosts are matched on their build and KBs (matching/windows.h).
// Such a finding closes when matching clears its advisory for the host's
// product, or the host runs another known product. Security updates that
// Windows Update offers the host become "host-repository" findings with
// advisory id "security-update:KB" + the KB and close once it is no longer
// offered.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "inventory/inventory.h"
#include "store/database.h"

namespace pk::matching {
class AdvisoryIndex;
class FleetMatcher;
}  // namespace pk::matching

namespace pk::server {

class Evaluator {
 public:
  // An advisory index with its matcher and KEV/EPSS tables. Opaque to
  // callers, which only pass it from buildIndex() to install() or
  // evaluateHostWith().
  struct Snapshot;

  Evaluator();
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Builds a new index from every advisory and the KEV and EPSS data in the
  // store, then swaps it in. On failure (a store error, an advisory body that
  // does not decode) the previous index stays in use. Safe to run again in a
  // retried write(): each run installs the index it built.
  Result<void> rebuild(store::Session& session);

  // Logs, as warnings, the advisories that the installed index left out
  // because they could not be matched. Call it after the transaction that
  // built the index has committed, so that a retried write() logs them once.
  void logIndexIssues() const;

  // The two halves of rebuild(), for a caller that evaluates hosts with the
  // new index inside the transaction that changed the advisories. install()
  // returns the index it replaces, so that the caller can put it back when
  // that transaction fails to commit.
  Result<std::shared_ptr<Snapshot>> buildIndex(store::Session& session) const;
  std::shared_ptr<Snapshot> install(std::shared_ptr<Snapshot> index);

  // Evaluates one host by the rules above with the installed index,
  // writing findings and finding events through `session`, which must
  // belong to a write transaction. A host without a stored inventory is
  // left unchanged. Fails on a store error; the caller's transaction then
  // rolls back.
  Result<void> evaluateHost(store::Session& session, const std::string& host_id, SystemTime now);

  // As evaluateHost(), with `saved` as the host's stored inventory, for
  // the caller that has just stored it in this transaction: it must be
  // what store::loadInventory() would now return, packages in the same
  // order.
  Result<void> evaluateSavedInventory(store::Session& session, const std::string& host_id,
                                      const inventory::HostInventory& saved, SystemTime now);

  // As evaluateHost(), with `index` in place of the installed one.
  Result<void> evaluateHostWith(const std::shared_ptr<Snapshot>& index, store::Session& session,
                                const std::string& host_id, SystemTime now);

  // How many times evaluateHost() or evaluateHostWith() ran since
  // construction, for tests. It counts every run, including runs in a
  // write() that was rolled back and run again, so it measures matching
  // work rather than committed evaluations.
  std::uint64_t evaluationCount() const { return evaluation_count_.load(); }

  // The number of advisories in the installed index.
  std::size_t advisoryCount() const;

 private:
  std::shared_ptr<Snapshot> snapshot() const;
  Result<void> evaluateInventory(const std::shared_ptr<Snapshot>& index, store::Session& session,
                                 const std::string& host_id, const inventory::HostInventory& host,
                                 SystemTime now);

  mutable std::mutex mutex_;
  std::shared_ptr<Snapshot> current_;
  std::atomic<std::uint64_t> evaluation_count_{0};
};

}  // namespace pk::server
