#pragma once

// The records of each advisory feed: advisories (as advisory codec JSON,
// server/advisory_codec.h), CISA KEV entries and EPSS scores. Each record
// carries a content hash so that a sync can compare a new feed with what is
// stored without decoding bodies. The feed must exist (feed_repository.h):
// writes for an unknown feed fail with kInvalidArgument (foreign key).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct AdvisoryPackageName {
  std::string ecosystem;  // "Debian:12"
  std::string package;    // binary or source name, as the advisory names it

  auto operator<=>(const AdvisoryPackageName&) const = default;
};

struct StoredAdvisory {
  std::string feed;
  std::string advisory_id;
  std::string content_hash;
  std::string body;  // advisory codec JSON
  // The packages the advisory names; stored in advisory_packages for
  // finding the hosts that have them.
  std::vector<AdvisoryPackageName> packages;
};

struct StoredKevEntry {
  std::string cve_id;  // upper case
  std::string content_hash;
  std::string vendor;
  std::string product;
  std::string name;
  std::string date_added;  // YYYY-MM-DD
  std::string due_date;    // YYYY-MM-DD
  bool known_ransomware_use = false;
};

struct StoredEpssScore {
  std::string cve_id;  // upper case
  std::string content_hash;
  double probability = 0;
  double percentile = 0;
};

// Record id -> content hash of every advisory of `feed`.
Result<std::map<std::string, std::string>> advisoryHashes(Session& session,
                                                          const std::string& feed);
// CVE id -> content hash of every KEV entry, or every EPSS score, of `feed`.
Result<std::map<std::string, std::string>> kevHashes(Session& session, const std::string& feed);
Result<std::map<std::string, std::string>> epssHashes(Session& session, const std::string& feed);

// Inserts or replaces an advisory and its package names.
Result<void> upsertAdvisory(Session& session, const StoredAdvisory& advisory);
// Deletes an advisory and its package names; deleting a missing one is no error.
Result<void> deleteAdvisory(Session& session, const std::string& feed,
                            const std::string& advisory_id);

// The package names advisory `advisory_id` of `feed` names, sorted; empty
// when it is unknown.
Result<std::vector<AdvisoryPackageName>> advisoryPackages(Session& session, const std::string& feed,
                                                          const std::string& advisory_id);

// Returns the advisory, or nullopt (packages included).
Result<std::optional<StoredAdvisory>> getAdvisory(Session& session, const std::string& feed,
                                                  const std::string& advisory_id);

// Calls `visit` with each stored advisory of every feed, ordered by feed
// then id, without packages. Stops at and returns the first failure
// `visit` returns.
Result<void> forEachAdvisory(Session& session,
                             const std::function<Result<void>(const StoredAdvisory&)>& visit);

// Number of advisories of `feed`.
Result<std::int64_t> countAdvisories(Session& session, const std::string& feed);

Result<void> upsertKevEntry(Session& session, const std::string& feed, const StoredKevEntry& entry);
Result<void> deleteKevEntry(Session& session, const std::string& feed, const std::string& cve_id);
// Every KEV entry of every feed, sorted by CVE id then feed.
Result<std::vector<StoredKevEntry>> loadKevEntries(Session& session);

Result<void> upsertEpssScore(Session& session, const std::string& feed,
                             const StoredEpssScore& score);
Result<void> deleteEpssScore(Session& session, const std::string& feed, const std::string& cve_id);
// Every EPSS score of every feed, sorted by CVE id then feed.
Result<std::vector<StoredEpssScore>> loadEpssScores(Session& session);

}  // namespace pk::store
