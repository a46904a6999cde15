#include "server/webhooks.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "store/webhook_repository.h"

namespace pk::server {
namespace {

constexpr std::size_t kMaxUrlBytes = 2048;

Error invalidUrl(std::string_view problem) {
  return Error{ErrorCode::kInvalidArgument, fmt::format("invalid webhook URL: {}", problem)};
}

bool isLoopback(const std::string& host) {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

std::string hex(const unsigned char* bytes, std::size_t size) {
  std::string text;
  text.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) text += fmt::format("{:02x}", bytes[i]);
  return text;
}

// One attempt's result: the status code if a response came, and the error
// text when it did not succeed.
struct Attempt {
  std::optional<int> status;
  std::string error;
};

Attempt post(const WebhookUrl& url, const store::DueDelivery& due, std::int64_t timestamp,
             const WebhookOptions& options) {
  std::unique_ptr<httplib::ClientImpl> client;
  if (url.tls) {
    auto tls_client = std::make_unique<httplib::SSLClient>(url.host, url.port);
    tls_client->enable_server_certificate_verification(true);
    client = std::move(tls_client);
  } else {
    client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
  }
  const auto seconds = static_cast<time_t>(options.timeout.count());
  client->set_connection_timeout(seconds, 0);
  client->set_read_timeout(seconds, 0);
  client->set_write_timeout(seconds, 0);
  client->set_keep_alive(false);
  client->set_follow_location(false);

  const httplib::Headers headers = {
      {"User-Agent", "patchkeeper-webhooks"},
      {"X-Patchkeeper-Event", due.delivery.event},
      {"X-Patchkeeper-Delivery", due.delivery.delivery_id},
      {"X-Patchkeeper-Timestamp", std::to_string(timestamp)},
      {"X-Patchkeeper-Signature", signWebhook(due.secret, timestamp, due.delivery.payload)},
  };
  auto result = client->Post(url.path, headers, due.delivery.payload, "application/json");
  if (!result) {
    // cpp-httplib names its errors in one word ("Connection", "Read").
    const std::string reason = result.error() == httplib::Error::Connection
                                   ? "cannot connect (refused, unreachable or timed out)"
                                   : httplib::to_string(result.error()) + " error";
    return Attempt{std::nullopt,
                   fmt::format("sending to {}:{} failed: {}", url.host, url.port, reason)};
  }
  if (result->status >= 200 && result->status < 300) return Attempt{result->status, ""};
  return Attempt{result->status, fmt::format("the receiver answered HTTP {}", result->status)};
}

}  // namespace

Result<WebhookUrl> parseWebhookUrl(std::string_view url, bool allow_http_loopback) {
  if (url.size() > kMaxUrlBytes) {
    return tl::unexpected(invalidUrl(fmt::format("longer than {} bytes", kMaxUrlBytes)));
  }
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return tl::unexpected(invalidUrl("spaces and control characters are not allowed"));
  }
  WebhookUrl parsed;
  std::string_view rest;
  if (url.substr(0, 8) == "https://") {
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "http://") {
    parsed.tls = false;
    parsed.port = 80;
    rest = url.substr(7);
  } else {
    return tl::unexpected(invalidUrl("use an https:// URL"));
  }
  if (rest.find('#') != std::string_view::npos) {
    return tl::unexpected(invalidUrl("a fragment (#...) is not allowed"));
  }

  const auto path_start = std::min(rest.find('/'), rest.find('?'));
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) {
    parsed.path = std::string(rest.substr(path_start));
    if (parsed.path.front() == '?') parsed.path.insert(parsed.path.begin(), '/');
  }
  if (authority.find('@') != std::string_view::npos) {
    return tl::unexpected(invalidUrl("user names and passwords in the URL are not allowed"));
  }

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return tl::unexpected(invalidUrl("an IPv6 address lacks its closing ']'"));
    }
    parsed.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return tl::unexpected(invalidUrl("unexpected text after ']'"));
      port_text = after.substr(1);
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, parsed.host.c_str(), &v6) != 1) {
      return tl::unexpected(invalidUrl("the address in brackets is not IPv6"));
    }
  } else {
    const auto colon = authority.find(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    const bool host_characters_valid =
        std::all_of(parsed.host.begin(), parsed.host.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.';
        });
    if (!host_characters_valid) {
      return tl::unexpected(
          invalidUrl("the host name has characters other than letters, digits, "
                     "'-' and '.'"));
    }
  }
  if (parsed.host.empty()) return tl::unexpected(invalidUrl("the host is missing"));
  if (authority.size() > 0 && authority.back() == ':') {
    return tl::unexpected(invalidUrl("the port after ':' is missing"));
  }
  if (!port_text.empty()) {
    int port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return tl::unexpected(invalidUrl("the port must be a number from 1 to 65535"));
    }
    parsed.port = port;
  }

  if (!parsed.tls) {
    if (!allow_http_loopback) {
      return tl::unexpected(invalidUrl("use an https:// URL; http:// is not allowed"));
    }
    if (!isLoopback(parsed.host)) {
      return tl::unexpected(
          invalidUrl("http:// is allowed only to a loopback address (127.0.0.1 or [::1])"));
    }
  }
  return parsed;
}

std::string signWebhook(std::string_view secret, std::int64_t timestamp, std::string_view body) {
  const std::string message = std::to_string(timestamp) + "." + std::string(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
       &digest_size);
  return "sha256=" + hex(digest, digest_size);
}

std::string newWebhookSecret() {
  unsigned char bytes[32];
  // sodium_init() is idempotent and thread-safe; the server has called it
  // already, but tests of this file may not have.
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialized");
  randombytes_buf(bytes, sizeof bytes);
  return "whsec_" + hex(bytes, sizeof bytes);
}

std::chrono::seconds retryDelay(std::int64_t failed_attempts, const WebhookOptions& options) {
  std::chrono::seconds delay = options.first_retry_delay;
  for (std::int64_t i = 1; i < failed_attempts && delay < options.max_retry_delay; ++i) {
    delay *= 2;
  }
  return std::min(delay, options.max_retry_delay);
}

WebhookSender::WebhookSender(store::Database& database, Clock& clock, WebhookOptions options)
    : database_(database), clock_(clock), options_(options) {}

Result<WebhookRound> WebhookSender::deliverDue() {
  const SystemTime now = clock_.now();
  std::vector<store::DueDelivery> due;
  auto read = database_.read([&](store::Session& session) -> Result<void> {
    auto listed = store::listDueDeliveries(session, now, options_.batch_size);
    if (!listed) return tl::unexpected(listed.error());
    due = std::move(*listed);
    return {};
  });
  if (!read) return tl::unexpected(read.error());

  WebhookRound round;
  for (const store::DueDelivery& item : due) {
    store::WebhookDelivery delivery = item.delivery;
    const SystemTime attempt_time = clock_.now();
    const auto timestamp =
        std::chrono::duration_cast<std::chrono::seconds>(attempt_time.time_since_epoch()).count();

    Attempt attempt;
    auto url = parseWebhookUrl(item.url, options_.allow_http_loopback);
    if (!url) {
      // The setting that allowed the URL may have been turned off since.
      attempt.error = url.error().message;
    } else {
      attempt = post(*url, item, timestamp, options_);
    }

    delivery.attempts += 1;
    delivery.last_status_code =
        attempt.status ? std::optional<std::int64_t>(*attempt.status) : std::nullopt;
    if (attempt.error.empty()) {
      delivery.status = std::string(store::kDeliveryStatusDelivered);
      delivery.last_error.clear();
      delivery.finished_at = attempt_time;
      ++round.delivered;
    } else if (delivery.attempts >= options_.max_attempts) {
      delivery.status = std::string(store::kDeliveryStatusFailed);
      delivery.last_error = attempt.error;
      delivery.finished_at = attempt_time;
      ++round.given_up;
      spdlog::error("webhook delivery={} subscription={} event={} given up after {} attempts: {}",
                    delivery.delivery_id, delivery.subscription_id, delivery.event,
                    delivery.attempts, attempt.error);
    } else {
      delivery.last_error = attempt.error;
      delivery.next_attempt_at = attempt_time + retryDelay(delivery.attempts, options_);
      ++round.retried;
      spdlog::warn(
          "webhook delivery={} subscription={} event={} attempt {} failed, retrying at "
          "{}: {}",
          delivery.delivery_id, delivery.subscription_id, delivery.event, delivery.attempts,
          formatRfc3339(delivery.next_attempt_at), attempt.error);
    }

    // The whole delivery row is written as computed above, so a replayed
    // write stores the same values again.
    auto written = database_.write(
        [&](store::Session& session) { return store::updateDelivery(session, delivery); });
    if (!written && written.error().code != ErrorCode::kNotFound) {
      return tl::unexpected(written.error());
    }
  }
  return round;
}

}  // namespace pk::server
