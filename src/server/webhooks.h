#pragma once

// Outgoing webhooks: URL checks, signatures, and the sender that works
// through the outbox (store/webhook_repository.h).
//
// Each delivery is an HTTP POST of the event's JSON body with these headers:
//   Content-Type: application/json
//   X-Patchkeeper-Event: ticket.approved
//   X-Patchkeeper-Delivery: <32 hex digits, the same on every retry>
//   X-Patchkeeper-Timestamp: <Unix seconds when this attempt was signed>
//   X-Patchkeeper-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">
// The key of the HMAC is the subscription's secret, as text. A receiver
// recomputes the HMAC, compares it in constant time, and rejects a
// timestamp too far from its own clock, so that a captured request cannot
// be replayed later. docs/TICKETS.md shows a receiver.
//
// A 2xx response delivers the event. Anything else (another status, a
// connection failure, a timeout) is retried with exponential backoff:
// retryDelay() after each failed attempt, until max_attempts attempts have
// failed, when the delivery is marked "failed" with its last error.
// Redirects are not followed.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::server {

struct WebhookOptions {
  // Accept http:// URLs whose host is a loopback address (127.0.0.0/8,
  // [::1]). Tests only: anything else must use https.
  bool allow_http_loopback = false;
  // Attempts before a delivery is given up.
  int max_attempts = 8;
  // The delay after the first failed attempt; each later failure doubles
  // it, up to max_retry_delay.
  std::chrono::seconds first_retry_delay{30};
  std::chrono::seconds max_retry_delay{std::chrono::hours(1)};
  // Connection, read and write timeout of each attempt.
  std::chrono::seconds timeout{10};
  // Deliveries sent per call of deliverDue().
  std::size_t batch_size = 50;
};

// The parts of a webhook URL that the sender needs.
struct WebhookUrl {
  bool tls = true;
  std::string host;  // a name or an address, without brackets
  int port = 443;
  std::string path = "/";  // with any query string
};

// Parses `url` as https://host[:port][/path], or http:// to a loopback
// address when `allow_http_loopback`. Fails with kInvalidArgument, saying
// what is wrong, for anything else: other schemes, user info, fragments,
// missing hosts, bad ports, spaces or control characters, over 2048 bytes.
// Pure; fuzzed.
Result<WebhookUrl> parseWebhookUrl(std::string_view url, bool allow_http_loopback);

// Returns "sha256=" and the lower-case hex HMAC-SHA256, keyed by `secret`,
// of "<timestamp>.<body>".
std::string signWebhook(std::string_view secret, std::int64_t timestamp, std::string_view body);

// Returns a new secret: "whsec_" and 64 hex digits (256 random bits).
std::string newWebhookSecret();

// The delay before the next attempt after `failed_attempts` (>= 1) failed
// ones: first_retry_delay * 2^(failed_attempts - 1), at most
// max_retry_delay.
std::chrono::seconds retryDelay(std::int64_t failed_attempts, const WebhookOptions& options);

// The outcome counts of one deliverDue() call.
struct WebhookRound {
  std::size_t delivered = 0;
  std::size_t retried = 0;   // failed, and scheduled again
  std::size_t given_up = 0;  // failed for the last time
};

// Sends due deliveries. One instance belongs to the leader's job runner;
// not thread-safe.
class WebhookSender {
 public:
  // `database` and `clock` must outlive the sender.
  WebhookSender(store::Database& database, Clock& clock, WebhookOptions options);

  // Sends up to batch_size deliveries due at the clock's now, one after
  // another, and records each outcome. Logs every failure with the
  // delivery id. Fails only when the store cannot be read or written.
  Result<WebhookRound> deliverDue();

 private:
  store::Database& database_;
  Clock& clock_;
  WebhookOptions options_;
};

}  // namespace pk::server
