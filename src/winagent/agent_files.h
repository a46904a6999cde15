#pragma once

// The Windows agent's two JSON files in its ProgramData folder: the
// configuration an administrator writes (agent.json) and the host identity
// the agent keeps after enrolling (identity.json). Plain C++ without Windows
// headers, so the Linux fuzz build can fuzz the readers.
//
//   agent.json:    {"server_url": "https://pk.example:8443",
//                   "server_pin": "sha256:<64 hex>",
//                   "enrolment_secret_file": "C:\\ProgramData\\patchkeeper\\secret.txt",
//                   "interval_minutes": 60}
//   identity.json: {"host_id": "h-0123456789abcdef", "token": "<64 hex>",
//                   "acknowledged_hash": "<64 hex or empty>"}

#include <string>
#include <string_view>

#include "common/error.h"
#include "protocol/jobs.h"

namespace pk::winagent {

struct WindowsAgentConfig {
  std::string server_url;             // required: https://host[:port][/prefix]
  std::string server_pin;             // "sha256:<64 hex>", or empty for the Windows trust store
  bool allow_plain_http = false;      // accept an http:// server_url (tests on loopback)
  std::string enrolment_secret_file;  // a file with the secret, read when enrolling
  int interval_minutes = 60;          // between check-ins, 1 to 10080
};

// Parses agent.json. Every failure is kMalformedInput naming `origin` and
// the key. The text must be a JSON object whose keys are all known, so that
// a typo does not fall back to a default, and have the right types.
// server_url must start with https://, or http:// with allow_plain_http.
// The pin must be well-formed, and interval_minutes from 1 to 10080.
Result<WindowsAgentConfig> parseWindowsAgentConfig(std::string_view text, std::string_view origin);

struct HostIdentity {
  std::string host_id;            // "h-" + 16 hex digits
  std::string token;              // 64 hex digits
  std::string acknowledged_hash;  // the inventory hash the server last accepted, or empty

  bool operator==(const HostIdentity&) const = default;
};

// Parses identity.json. Every failure is kMalformedInput naming `origin`
// and the key. The text must be a JSON object with a host id
// (protocol::isHostId) and a token of 64 lower-case hex digits.
// acknowledged_hash must be empty or 64 lower-case hex digits.
Result<HostIdentity> parseHostIdentity(std::string_view text, std::string_view origin);

// Writes `identity` as parseHostIdentity reads it.
std::string toJsonText(const HostIdentity& identity);

// A job event that could not be posted, kept in job-outbox.json until the
// server stores it. It is resent unchanged, and the server stores an event
// id once, so a resent event counts once.
struct QueuedJobEvent {
  std::string job_id;  // "j-" + 16 hex digits
  protocol::JobEvent event;
};

// The maximum number of queued events; older ones are dropped beyond it.
inline constexpr std::size_t kMaxQueuedJobEvents = 1000;

// Parses job-outbox.json: {"events": [{"job_id": ..., "event": {...}}]},
// each event in the form the server reads. Every failure is
// kMalformedInput naming `origin` and the entry.
Result<std::vector<QueuedJobEvent>> parseJobOutbox(std::string_view text, std::string_view origin);

// Writes `events` as parseJobOutbox reads them.
std::string jobOutboxText(const std::vector<QueuedJobEvent>& events);

}  // namespace pk::winagent
