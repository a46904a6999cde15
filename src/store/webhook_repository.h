#pragma once

// Outgoing webhooks: the subscriptions an admin manages, and the outbox of
// deliveries. A change that raises an event enqueues its deliveries in its
// own transaction (enqueueWebhookEvent), so an event is sent if and only if
// the change committed. The server's leader sends them later
// (server/webhooks.h) and records each attempt here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

inline constexpr std::string_view kDeliveryStatusPending = "pending";
inline constexpr std::string_view kDeliveryStatusDelivered = "delivered";
inline constexpr std::string_view kDeliveryStatusFailed = "failed";

struct WebhookSubscription {
  std::int64_t id = 0;  // assigned by insertWebhookSubscription()
  std::string url;
  std::vector<std::string> events;  // "ticket.created", ...; sorted, each once
  std::string secret;               // the HMAC key, in clear text
  std::string description;
  std::string created_by;  // a username
  SystemTime created_at{};
};

struct WebhookDelivery {
  std::int64_t id = 0;
  std::int64_t subscription_id = 0;
  std::string delivery_id;  // 32 lower-case hex digits, unique
  std::string event;        // "ticket.created", ...
  std::string payload;      // the JSON body to send
  std::string status = std::string(kDeliveryStatusPending);
  std::int64_t attempts = 0;
  SystemTime next_attempt_at{};
  std::string last_error;  // "" before the first failure
  std::optional<std::int64_t> last_status_code;
  SystemTime created_at{};
  std::optional<SystemTime> finished_at;  // delivered, or given up
};

// A pending delivery with what sending it needs from its subscription.
struct DueDelivery {
  WebhookDelivery delivery;
  std::string url;
  std::string secret;
};

// Inserts `subscription` (its id is ignored) and returns the new id.
Result<std::int64_t> insertWebhookSubscription(Session& session,
                                               const WebhookSubscription& subscription);

// Returns every subscription, oldest first.
Result<std::vector<WebhookSubscription>> listWebhookSubscriptions(Session& session);

// Returns subscription `id`, or nullopt.
Result<std::optional<WebhookSubscription>> getWebhookSubscription(Session& session,
                                                                  std::int64_t id);

// Deletes subscription `id` with its deliveries. Returns whether it existed.
Result<bool> deleteWebhookSubscription(Session& session, std::int64_t id);

// Adds one pending delivery of `payload` per subscription that lists
// `event`, due at `now`, each with a fresh random delivery id. Returns how
// many were added.
Result<std::size_t> enqueueWebhookEvent(Session& session, std::string_view event,
                                        std::string_view payload, SystemTime now);

// Returns up to `limit` pending deliveries with next_attempt_at <= now,
// oldest due first.
Result<std::vector<DueDelivery>> listDueDeliveries(Session& session, SystemTime now,
                                                   std::size_t limit);

// Returns the deliveries of subscription `subscription_id`, newest first,
// at most `limit`.
Result<std::vector<WebhookDelivery>> listDeliveries(Session& session, std::int64_t subscription_id,
                                                    std::size_t limit);

// Writes the status, attempts, next_attempt_at, last_error,
// last_status_code and finished_at of `delivery` over the stored one.
// Fails with kNotFound for an unknown id.
Result<void> updateDelivery(Session& session, const WebhookDelivery& delivery);

}  // namespace pk::store
