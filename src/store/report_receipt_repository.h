#pragma once

// The ids of the reports each host has had accepted. A report the agent
// sends again (after a lost response, or from its outbox after an outage)
// finds its receipt and is not applied twice, as long as the receipt has
// not been pruned (see pruneReportReceipts below).

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

// Records that `host_id`'s report `report_id` was accepted at
// `received_at`. Returns true when the receipt is new, false when that
// report id was already recorded for that host (nothing is changed then).
// Call it first in the transaction that applies the report: on false, do
// not apply it. The host must exist (kInvalidArgument otherwise).
Result<bool> recordReportReceipt(Session& session, const std::string& host_id,
                                 const std::string& report_id, SystemTime received_at);

// Whether `host_id`'s report `report_id` was accepted before.
Result<bool> hasReportReceipt(Session& session, const std::string& host_id,
                              const std::string& report_id);

// When `host_id`'s report `report_id` was accepted, or nullopt when it
// has no receipt.
Result<std::optional<SystemTime>> reportReceivedAt(Session& session, const std::string& host_id,
                                                   const std::string& report_id);

// Deletes receipts received before `cutoff` and returns how many. Agents
// resend only what is in their outbox, so receipts older than the longest
// outage worth surviving can go.
Result<std::int64_t> pruneReportReceipts(Session& session, SystemTime cutoff);

// Deletes the receipts of `host_id` received before `cutoff` and returns
// how many.
Result<std::int64_t> pruneHostReportReceipts(Session& session, const std::string& host_id,
                                             SystemTime cutoff);

}  // namespace pk::store
