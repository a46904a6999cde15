#include "store/webhook_repository.h"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pk::store {
namespace {

constexpr std::string_view kDeliveryColumns =
    "d.id, d.subscription_id, d.delivery_id, d.event, d.payload, d.status, d.attempts, "
    "d.next_attempt_at, d.last_error, d.last_status_code, d.created_at, d.finished_at";

// 128 bits from the operating system, as 32 hex digits. getrandom() only
// fails here if the kernel lacks it, which the server cannot work around.
std::string newDeliveryId() {
  std::array<unsigned char, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
    }
    filled += static_cast<std::size_t>(got);
  }
  std::string id;
  for (unsigned char byte : bytes) id += fmt::format("{:02x}", byte);
  return id;
}

std::string eventsToJson(const std::vector<std::string>& events) {
  return nlohmann::json(events).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> eventsFromJson(const std::string& text) {
  std::vector<std::string> events;
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) return events;
  for (const auto& item : json) {
    if (item.is_string()) events.push_back(item.get<std::string>());
  }
  return events;
}

Value optionalTimeValue(const std::optional<SystemTime>& time) {
  return time ? Value(timeToColumn(*time)) : Value();
}

std::int64_t clampLimit(std::size_t limit) {
  const auto max_limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(limit, max_limit));
}

WebhookSubscription subscriptionFromRow(const Row& row) {
  WebhookSubscription subscription;
  subscription.id = row.integer(0);
  subscription.url = row.text(1);
  subscription.events = eventsFromJson(row.text(2));
  subscription.secret = row.text(3);
  subscription.description = row.text(4);
  subscription.created_by = row.text(5);
  subscription.created_at = timeFromColumn(row.integer(6));
  return subscription;
}

WebhookDelivery deliveryFromRow(const Row& row) {
  WebhookDelivery delivery;
  delivery.id = row.integer(0);
  delivery.subscription_id = row.integer(1);
  delivery.delivery_id = row.text(2);
  delivery.event = row.text(3);
  delivery.payload = row.text(4);
  delivery.status = row.text(5);
  delivery.attempts = row.integer(6);
  delivery.next_attempt_at = timeFromColumn(row.integer(7));
  delivery.last_error = row.text(8);
  delivery.last_status_code = row.optionalInteger(9);
  delivery.created_at = timeFromColumn(row.integer(10));
  if (const auto finished = row.optionalInteger(11)) {
    delivery.finished_at = timeFromColumn(*finished);
  }
  return delivery;
}

constexpr std::string_view kSubscriptionColumns =
    "id, url, events, secret, description, created_by, created_at";

}  // namespace

Result<std::int64_t> insertWebhookSubscription(Session& session,
                                               const WebhookSubscription& subscription) {
  std::vector<std::string> events = subscription.events;
  std::sort(events.begin(), events.end());
  events.erase(std::unique(events.begin(), events.end()), events.end());
  return session.insertReturningId(
      "INSERT INTO webhook_subscriptions (url, events, secret, description, created_by, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?)",
      {subscription.url, eventsToJson(events), subscription.secret, subscription.description,
       subscription.created_by, timeToColumn(subscription.created_at)});
}

Result<std::vector<WebhookSubscription>> listWebhookSubscriptions(Session& session) {
  auto rows = session.query(
      fmt::format("SELECT {} FROM webhook_subscriptions ORDER BY id", kSubscriptionColumns));
  if (!rows) return tl::unexpected(rows.error());
  std::vector<WebhookSubscription> subscriptions;
  for (const Row& row : *rows) subscriptions.push_back(subscriptionFromRow(row));
  return subscriptions;
}

Result<std::optional<WebhookSubscription>> getWebhookSubscription(Session& session,
                                                                  std::int64_t id) {
  auto row = session.queryOne(
      fmt::format("SELECT {} FROM webhook_subscriptions WHERE id = ?", kSubscriptionColumns), {id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<WebhookSubscription>();
  return std::optional<WebhookSubscription>(subscriptionFromRow(**row));
}

Result<bool> deleteWebhookSubscription(Session& session, std::int64_t id) {
  // The deliveries go first, so that the delete does not depend on the
  // backend enforcing ON DELETE CASCADE.
  if (auto deleted =
          session.execute("DELETE FROM webhook_deliveries WHERE subscription_id = ?", {id});
      !deleted) {
    return tl::unexpected(deleted.error());
  }
  auto deleted = session.execute("DELETE FROM webhook_subscriptions WHERE id = ?", {id});
  if (!deleted) return tl::unexpected(deleted.error());
  return session.changedRows() > 0;
}

Result<std::size_t> enqueueWebhookEvent(Session& session, std::string_view event,
                                        std::string_view payload, SystemTime now) {
  auto subscriptions = listWebhookSubscriptions(session);
  if (!subscriptions) return tl::unexpected(subscriptions.error());

  std::size_t added = 0;
  for (const WebhookSubscription& subscription : *subscriptions) {
    if (std::find(subscription.events.begin(), subscription.events.end(), event) ==
        subscription.events.end()) {
      continue;
    }
    auto inserted = session.execute(
        "INSERT INTO webhook_deliveries (subscription_id, delivery_id, event, payload, status, "
        "attempts, next_attempt_at, last_error, last_status_code, created_at, finished_at) "
        "VALUES (?, ?, ?, ?, ?, 0, ?, '', NULL, ?, NULL)",
        {subscription.id, newDeliveryId(), std::string(event), std::string(payload),
         std::string(kDeliveryStatusPending), timeToColumn(now), timeToColumn(now)});
    if (!inserted) return tl::unexpected(inserted.error());
    ++added;
  }
  return added;
}

Result<std::vector<DueDelivery>> listDueDeliveries(Session& session, SystemTime now,
                                                   std::size_t limit) {
  auto rows =
      session.query(fmt::format("SELECT {}, s.url, s.secret FROM webhook_deliveries d "
                                "JOIN webhook_subscriptions s ON s.id = d.subscription_id "
                                "WHERE d.status = ? AND d.next_attempt_at <= ? "
                                "ORDER BY d.next_attempt_at, d.id LIMIT ?",
                                kDeliveryColumns),
                    {std::string(kDeliveryStatusPending), timeToColumn(now), clampLimit(limit)});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<DueDelivery> due;
  for (const Row& row : *rows) {
    due.push_back(DueDelivery{deliveryFromRow(row), row.text(12), row.text(13)});
  }
  return due;
}

Result<std::vector<WebhookDelivery>> listDeliveries(Session& session, std::int64_t subscription_id,
                                                    std::size_t limit) {
  auto rows = session.query(fmt::format("SELECT {} FROM webhook_deliveries d "
                                        "WHERE d.subscription_id = ? ORDER BY d.id DESC LIMIT ?",
                                        kDeliveryColumns),
                            {subscription_id, clampLimit(limit)});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<WebhookDelivery> deliveries;
  for (const Row& row : *rows) deliveries.push_back(deliveryFromRow(row));
  return deliveries;
}

Result<void> updateDelivery(Session& session, const WebhookDelivery& delivery) {
  auto updated = session.execute(
      "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
      "last_error = ?, last_status_code = ?, finished_at = ? WHERE id = ?",
      {delivery.status, delivery.attempts, timeToColumn(delivery.next_attempt_at),
       delivery.last_error, delivery.last_status_code ? Value(*delivery.last_status_code) : Value(),
       optionalTimeValue(delivery.finished_at), delivery.id});
  if (!updated) return updated;
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("no webhook delivery has id {}", delivery.id));
  }
  return {};
}

}  // namespace pk::store
