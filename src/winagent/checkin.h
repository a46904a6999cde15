#pragma once

// The Windows agent's check-in: enrol once, then send reports with the
// Windows inventory document, as the Linux agent does (protocol/messages.h).
// A report carries the document only when its inventory hash differs from
// the one the server last accepted, or when the server requests it
// (inventory_needed). The identity and that hash are kept in identity.json
// in the state folder, written atomically.
//
// NOTE: unlike the Linux agent there is no outbox yet: a report that is not
// delivered is collected again at the next check-in rather than resent.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "winagent/agent_files.h"
#include "winagent/inventory_collector.h"
#include "winagent/transport.h"

namespace pk::winagent {

inline constexpr std::string_view kIdentityFile = "identity.json";

struct CheckinOutcome {
  bool inventory_sent = false;  // the last report delivered carried the document
  std::int64_t next_checkin_seconds = 3600;
  std::string report_id;  // of the last report the server accepted
};

class WindowsCheckin {
 public:
  using Collect = std::function<Result<CollectedInventory>()>;
  using NewId = std::function<std::string()>;

  // Every reference must outlive the object. `new_report_id` returns 32
  // lower-case hex digits.
  WindowsCheckin(Transport& transport, std::filesystem::path state_directory, Collect collect,
                 NewId new_report_id, const Clock& clock);

  // The stored identity, or nullopt before enrolment. Fails when
  // identity.json exists but cannot be read or parsed.
  Result<std::optional<HostIdentity>> identity() const;

  // Enrols with POST /api/v1/enrol and stores the identity. Fails with
  // kIoError when the server cannot be reached. Any status other than 201
  // fails with kInvalidArgument naming it, with a hint for 401 (unknown or
  // expired secret) and 409 (enrolled already, so an administrator must
  // approve re-enrolment).
  Result<HostIdentity> enrol(std::string_view secret, std::string_view hostname,
                             std::string_view machine_id);

  // Collects the inventory and sends one report, then a second one with
  // the document when the server responds with inventory_needed, and
  // stores the accepted hash. Fails with kNotFound before enrolment and
  // with kIoError when no response arrives. Any status other than 200 fails
  // with kInvalidArgument; for 401 and 403 the message tells the user to enrol again.
  Result<CheckinOutcome> report();

 private:
  Result<void> storeIdentity(const HostIdentity& identity);
  // Sends one report and sets `report_id` to its id.
  Result<HttpResponse> sendReport(const HostIdentity& identity,
                                  const inventory::WindowsInventory& document, bool with_document,
                                  std::string& report_id);

  Transport& transport_;
  std::filesystem::path state_directory_;
  Collect collect_;
  NewId new_report_id_;
  const Clock& clock_;
};

}  // namespace pk::winagent
