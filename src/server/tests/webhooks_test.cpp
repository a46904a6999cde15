#include "server/webhooks.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <sodium.h>

#include "server/tests/ticket_fixture.h"
#include "store/webhook_repository.h"

namespace pk::server::ticket_tests {
namespace {

using json = nlohmann::json;

TEST(WebhookUrl, AcceptsHttpsAndLoopbackHttp) {
  auto https = parseWebhookUrl("https://desk.example.org:8443/hooks/pk?x=1", false);
  ASSERT_TRUE(https) << https.error().message;
  EXPECT_TRUE(https->tls);
  EXPECT_EQ(https->host, "desk.example.org");
  EXPECT_EQ(https->port, 8443);
  EXPECT_EQ(https->path, "/hooks/pk?x=1");

  auto bare = parseWebhookUrl("https://desk.example.org", false);
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->port, 443);
  EXPECT_EQ(bare->path, "/");

  auto loopback = parseWebhookUrl("http://127.0.0.1:8080/hook", true);
  ASSERT_TRUE(loopback) << loopback.error().message;
  EXPECT_FALSE(loopback->tls);
  EXPECT_EQ(loopback->port, 8080);

  auto v6 = parseWebhookUrl("http://[::1]:8080/", true);
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
}

TEST(WebhookUrl, RejectsUnsafeUrls) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"http://127.0.0.1/hook", false},  // http without the test setting
      {"http://192.0.2.10/hook", true},  // http to another host
      {"http://localhost/hook", true},   // a name, which could resolve anywhere
      {"ftp://example.org/", true},
      {"https://user:secret@example.org/", true},
      {"https://example.org/#part", true},
      {"https://example.org:0/", true},
      {"https://example.org:70000/", true},
      {"https://example.org:/", true},
      {"https:///path", true},
      {"https://exa mple.org/", true},
      {"https://[::1/", true},
      {"https://ex%61mple.org/", true},
      {"https://example.org/" + std::string(3000, 'a'), true},
  };
  for (const auto& [url, allow_http] : cases) {
    auto parsed = parseWebhookUrl(url, allow_http);
    ASSERT_FALSE(parsed) << url;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << url;
  }
}

TEST(WebhookSignature, MatchesKnownValue) {
  // Computed with Python's hmac module over "1700000000.<body>".
  EXPECT_EQ(signWebhook("whsec_key", 1700000000, R"({"event":"ticket.created"})"),
            "sha256=dc00962ab8329470548fa72a201e9f9834a71f33ca618fb847ba76239fb6c9ed");
}

TEST(WebhookRetry, DoublesUpToCap) {
  WebhookOptions options;
  EXPECT_EQ(retryDelay(1, options), std::chrono::seconds(30));
  EXPECT_EQ(retryDelay(2, options), std::chrono::seconds(60));
  EXPECT_EQ(retryDelay(3, options), std::chrono::seconds(120));
  EXPECT_EQ(retryDelay(7, options), std::chrono::seconds(1920));
  EXPECT_EQ(retryDelay(8, options), std::chrono::hours(1));
  EXPECT_EQ(retryDelay(1000, options), std::chrono::hours(1));
}

TEST(WebhookSecret, IsLongAndFresh) {
  const std::string first = newWebhookSecret();
  EXPECT_EQ(first.size(), 6u + 64u);
  EXPECT_EQ(first.rfind("whsec_", 0), 0u);
  EXPECT_NE(first, newWebhookSecret());
}

// A webhook receiver on loopback that records every request and responds
// with `status`.
class Receiver {
 public:
  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      response.status = status_.load();
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  void setStatus(int status) { status_ = status; }
  std::vector<httplib::Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> status_{204};
  std::mutex mutex_;
  std::vector<httplib::Request> requests_;
};

// Checks a request's signature with libsodium's HMAC, an implementation
// independent of the sender's OpenSSL one.
bool signatureValid(const httplib::Request& request, const std::string& secret) {
  const std::string message =
      request.get_header_value("X-Patchkeeper-Timestamp") + "." + request.body;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  std::string expected = "sha256=";
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  expected += hex;
  return request.get_header_value("X-Patchkeeper-Signature") == expected;
}

class WebhookSenderTest : public TicketServerTest {
 protected:
  // Subscribes `url` to every ticket event and returns the secret.
  std::string subscribe(const std::string& url) {
    const auto response = call("POST", "/api/v1/webhooks", admin_,
                               json{{"url", url}, {"events", ticketEventNames()}});
    EXPECT_EQ(response.status, 201) << response.body;
    return bodyOf(response).value("secret", "");
  }

  std::vector<store::WebhookDelivery> deliveries() {
    std::vector<store::WebhookDelivery> listed;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      auto found = store::listDeliveries(session, 1, 100);
      if (!found) return tl::unexpected(found.error());
      listed = *found;
      return {};
    });
    EXPECT_TRUE(read) << read.error().message;
    return listed;
  }

  WebhookOptions options() {
    WebhookOptions options;
    options.allow_http_loopback = true;
    options.max_attempts = 3;
    options.timeout = std::chrono::seconds(5);
    return options;
  }
};

TEST_F(WebhookSenderTest, DeliversSignedEvents) {
  Receiver receiver;
  const std::string secret = subscribe(receiver.url());
  const std::int64_t id = fileMove(owner_);
  ASSERT_EQ(call("POST", ticketPath(id, "/approve"), admin_, json::object()).status, 200);

  WebhookSender sender(*database_, clock_, options());
  auto round = sender.deliverDue();
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->delivered, 3u);  // created, approved, applied

  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3u);
  std::vector<std::string> events;
  for (const auto& request : requests) {
    EXPECT_TRUE(signatureValid(request, secret)) << request.body;
    EXPECT_FALSE(signatureValid(request, "whsec_wrong"));
    EXPECT_EQ(request.get_header_value("Content-Type"), "application/json");
    EXPECT_EQ(request.get_header_value("X-Patchkeeper-Delivery").size(), 32u);
    const auto timestamp = std::stoll(request.get_header_value("X-Patchkeeper-Timestamp"));
    EXPECT_EQ(
        timestamp,
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
    const json body = json::parse(request.body);
    EXPECT_EQ(body["event"], request.get_header_value("X-Patchkeeper-Event"));
    EXPECT_EQ(body["ticket"]["id"], id);
    events.push_back(body["event"]);
  }
  EXPECT_EQ(events,
            (std::vector<std::string>{"ticket.created", "ticket.approved", "ticket.applied"}));

  for (const auto& delivery : deliveries()) {
    EXPECT_EQ(delivery.status, "delivered");
    EXPECT_EQ(delivery.attempts, 1);
  }
  // Nothing is sent twice.
  round = sender.deliverDue();
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->delivered, 0u);
  EXPECT_EQ(receiver.requests().size(), 3u);
}

TEST_F(WebhookSenderTest, RetriesWithBackoffThenGivesUp) {
  Receiver receiver;
  receiver.setStatus(503);
  subscribe(receiver.url());
  fileMove(owner_);
  WebhookSender sender(*database_, clock_, options());

  auto round = sender.deliverDue();
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->retried, 1u);
  auto delivery = deliveries().at(0);
  EXPECT_EQ(delivery.status, "pending");
  EXPECT_EQ(delivery.attempts, 1);
  EXPECT_EQ(delivery.last_status_code, std::optional<std::int64_t>(503));
  EXPECT_NE(delivery.last_error.find("503"), std::string::npos) << delivery.last_error;
  EXPECT_EQ(delivery.next_attempt_at, clock_.now() + std::chrono::seconds(30));

  // Not due before the backoff has passed.
  clock_.advance(std::chrono::seconds(29));
  ASSERT_TRUE(sender.deliverDue());
  EXPECT_EQ(receiver.requests().size(), 1u);

  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(sender.deliverDue());
  EXPECT_EQ(receiver.requests().size(), 2u);
  delivery = deliveries().at(0);
  EXPECT_EQ(delivery.attempts, 2);
  EXPECT_EQ(delivery.next_attempt_at, clock_.now() + std::chrono::seconds(60));

  // The same delivery id on every attempt, so a receiver can drop repeats.
  const auto requests = receiver.requests();
  EXPECT_EQ(requests[0].get_header_value("X-Patchkeeper-Delivery"),
            requests[1].get_header_value("X-Patchkeeper-Delivery"));

  clock_.advance(std::chrono::seconds(60));
  round = sender.deliverDue();
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->given_up, 1u);
  delivery = deliveries().at(0);
  EXPECT_EQ(delivery.status, "failed");
  EXPECT_EQ(delivery.attempts, 3);
  EXPECT_TRUE(delivery.finished_at.has_value());

  clock_.advance(std::chrono::hours(2));
  ASSERT_TRUE(sender.deliverDue());
  EXPECT_EQ(receiver.requests().size(), 3u);
}

TEST_F(WebhookSenderTest, RecoversAfterReceiverFails) {
  Receiver receiver;
  receiver.setStatus(500);
  subscribe(receiver.url());
  fileMove(owner_);
  WebhookSender sender(*database_, clock_, options());
  ASSERT_TRUE(sender.deliverDue());
  receiver.setStatus(200);
  clock_.advance(std::chrono::seconds(30));
  auto round = sender.deliverDue();
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->delivered, 1u);
  const auto delivery = deliveries().at(0);
  EXPECT_EQ(delivery.status, "delivered");
  EXPECT_EQ(delivery.last_error, "");
}

TEST_F(WebhookSenderTest, RecordsConnectionFailure) {
  std::string url;
  {
    // A port that was just free: nothing listens there any more.
    Receiver closed;
    url = closed.url();
  }
  subscribe(url);
  fileMove(owner_);
  WebhookSender sender(*database_, clock_, options());
  auto round = sender.deliverDue();
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->retried, 1u);
  const auto delivery = deliveries().at(0);
  EXPECT_FALSE(delivery.last_status_code.has_value());
  EXPECT_NE(delivery.last_error.find("cannot connect"), std::string::npos) << delivery.last_error;
  EXPECT_NE(delivery.last_error.find("127.0.0.1:"), std::string::npos) << delivery.last_error;
}

}  // namespace
}  // namespace pk::server::ticket_tests
