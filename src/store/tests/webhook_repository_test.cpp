#include "store/webhook_repository.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

class WebhookRepositoryTest : public conformance::StoreTest {
 protected:
  std::int64_t subscribe(const std::vector<std::string>& events, const std::string& url) {
    std::int64_t id = 0;
    auto written = database().write([&](Session& session) -> Result<void> {
      WebhookSubscription subscription;
      subscription.url = url;
      subscription.events = events;
      subscription.secret = "whsec_test";
      subscription.description = "help desk";
      subscription.created_by = "alice";
      subscription.created_at = clock_.now();
      auto inserted = insertWebhookSubscription(session, subscription);
      if (!inserted) return tl::unexpected(inserted.error());
      id = *inserted;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return id;
  }

  std::size_t enqueue(const std::string& event, const std::string& payload) {
    std::size_t added = 0;
    auto written = database().write([&](Session& session) -> Result<void> {
      auto enqueued = enqueueWebhookEvent(session, event, payload, clock_.now());
      if (!enqueued) return tl::unexpected(enqueued.error());
      added = *enqueued;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return added;
  }

  std::vector<DueDelivery> due(SystemTime now) {
    std::vector<DueDelivery> deliveries;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto listed = listDueDeliveries(session, now, 100);
      if (!listed) return tl::unexpected(listed.error());
      deliveries = *listed;
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return deliveries;
  }
};
PK_STORE_CONFORMANCE_SUITE(WebhookRepositoryTest);

TEST_P(WebhookRepositoryTest, SubscriptionRoundTrips) {
  const std::int64_t id = subscribe({"ticket.refused", "ticket.created", "ticket.created"},
                                    "https://desk.example/hook");
  std::optional<WebhookSubscription> stored;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = getWebhookSubscription(session, id);
    if (!found) return tl::unexpected(found.error());
    stored = *found;
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->url, "https://desk.example/hook");
  EXPECT_EQ(stored->events, (std::vector<std::string>{"ticket.created", "ticket.refused"}));
  EXPECT_EQ(stored->secret, "whsec_test");
  EXPECT_EQ(stored->created_by, "alice");
  EXPECT_EQ(stored->created_at, clock_.now());
}

TEST_P(WebhookRepositoryTest, EnqueueOnlyForSubscribedEvents) {
  const std::int64_t created_only = subscribe({"ticket.created"}, "https://a.example/");
  const std::int64_t both = subscribe({"ticket.created", "ticket.approved"}, "https://b.example/");

  EXPECT_EQ(enqueue("ticket.created", R"({"n":1})"), 2u);
  EXPECT_EQ(enqueue("ticket.approved", R"({"n":2})"), 1u);
  EXPECT_EQ(enqueue("ticket.refused", R"({"n":3})"), 0u);

  const auto deliveries = due(clock_.now());
  ASSERT_EQ(deliveries.size(), 3u);
  std::set<std::string> ids;
  for (const auto& item : deliveries) {
    EXPECT_EQ(item.delivery.status, "pending");
    EXPECT_EQ(item.delivery.attempts, 0);
    EXPECT_EQ(item.delivery.delivery_id.size(), 32u);
    EXPECT_EQ(item.secret, "whsec_test");
    ids.insert(item.delivery.delivery_id);
  }
  EXPECT_EQ(ids.size(), 3u) << "delivery ids must be unique";
  EXPECT_EQ(deliveries[0].delivery.subscription_id, created_only);
  EXPECT_EQ(deliveries[2].delivery.subscription_id, both);
  EXPECT_EQ(deliveries[2].delivery.payload, R"({"n":2})");
  EXPECT_EQ(deliveries[2].url, "https://b.example/");
}

TEST_P(WebhookRepositoryTest, RetryLaterIsNotDueNow) {
  const std::int64_t id = subscribe({"ticket.created"}, "https://a.example/");
  ASSERT_EQ(enqueue("ticket.created", "{}"), 1u);
  auto delivery = due(clock_.now()).at(0).delivery;
  delivery.attempts = 1;
  delivery.last_error = "connection refused";
  delivery.last_status_code = 503;
  delivery.next_attempt_at = clock_.now() + std::chrono::seconds(30);
  auto written =
      database().write([&](Session& session) { return updateDelivery(session, delivery); });
  ASSERT_TRUE(written) << errorText(written);

  EXPECT_TRUE(due(clock_.now()).empty());
  const auto later = due(clock_.now() + std::chrono::seconds(30));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].delivery.attempts, 1);
  EXPECT_EQ(later[0].delivery.last_error, "connection refused");
  EXPECT_EQ(later[0].delivery.last_status_code, std::optional<std::int64_t>(503));

  delivery.status = "delivered";
  delivery.finished_at = clock_.now();
  written = database().write([&](Session& session) { return updateDelivery(session, delivery); });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_TRUE(due(clock_.now() + std::chrono::hours(1)).empty());

  std::vector<WebhookDelivery> listed;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto found = listDeliveries(session, id, 10);
    if (!found) return tl::unexpected(found.error());
    listed = *found;
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].status, "delivered");
  EXPECT_EQ(listed[0].finished_at, std::optional<SystemTime>(clock_.now()));
}

TEST_P(WebhookRepositoryTest, DeleteRemovesDeliveries) {
  const std::int64_t id = subscribe({"ticket.created"}, "https://a.example/");
  ASSERT_EQ(enqueue("ticket.created", "{}"), 1u);
  bool existed = false;
  auto written = database().write([&](Session& session) -> Result<void> {
    auto deleted = deleteWebhookSubscription(session, id);
    if (!deleted) return tl::unexpected(deleted.error());
    existed = *deleted;
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_TRUE(existed);
  EXPECT_TRUE(due(clock_.now()).empty());

  written = database().write([&](Session& session) -> Result<void> {
    auto deleted = deleteWebhookSubscription(session, id);
    if (!deleted) return tl::unexpected(deleted.error());
    existed = *deleted;
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_FALSE(existed);
}

}  // namespace
}  // namespace pk::store
