#include "protocol/api_client.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <csignal>
#include <filesystem>
#include <utility>

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sodium.h>

namespace pk::protocol {
namespace {

constexpr std::string_view kPinPrefix = "sha256:";

std::string lowerHex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(size * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = kDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return hex;
}

// Returns the pin of `certificate`'s public key, or an empty string when
// OpenSSL cannot encode it.
std::string pinOfCertificate(X509* certificate) {
  X509_PUBKEY* public_key = X509_get_X509_PUBKEY(certificate);
  if (public_key == nullptr) return {};
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(public_key, &der);
  if (length <= 0) return {};

  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), der, static_cast<unsigned long long>(length));
  OPENSSL_free(der);
  return std::string(kPinPrefix) + lowerHex(digest.data(), digest.size());
}

// What the pin check saw during the last handshake, kept so that a failed
// request can report which key the server presented.
struct PinCheck {
  std::string expected;
  std::string presented;
};

// Replaces OpenSSL's chain verification when a pin is configured: the leaf
// certificate's key must match the pin, and nothing else is checked.
// Returning 0 makes the handshake fail, because the context's verify mode
// is SSL_VERIFY_PEER.
int verifyPinnedKey(X509_STORE_CTX* store, void* argument) {
  auto* check = static_cast<PinCheck*>(argument);
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  check->presented = leaf == nullptr ? std::string() : pinOfCertificate(leaf);
  if (!check->presented.empty() && check->presented == check->expected) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

struct ParsedUrl {
  bool tls = true;
  std::string host;
  int port = 0;
  std::string prefix;      // "" or "/something", no trailing slash
  std::string normalized;  // scheme://host:port/prefix
};

Result<ParsedUrl> parseBaseUrl(std::string_view url) {
  auto invalid = [&](std::string_view why) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("server URL \"{}\" is invalid: {}; expected https://host[:port]", url, why));
  };

  ParsedUrl parsed;
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
    parsed.port = 443;
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
    parsed.tls = false;
    parsed.port = 80;
  } else {
    return invalid("it does not start with https://");
  }
  if (rest.find_first_of("?#@ ") != std::string_view::npos) {
    return invalid("it contains a query, fragment, user name or space");
  }

  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  parsed.prefix = std::string(path);

  // Split host and port; an IPv6 literal is bracketed and contains colons.
  std::string_view port_text;
  std::string host_for_url;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("an IPv6 address lacks its closing ']'");
    parsed.host = std::string(authority.substr(1, close - 1));
    host_for_url = std::string(authority.substr(0, close + 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("unexpected text after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return invalid("the port is empty");
    }
  } else {
    const std::size_t colon = authority.find(':');
    parsed.host = std::string(authority.substr(0, colon));
    host_for_url = parsed.host;
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return invalid("the port is empty");
    }
  }
  if (parsed.host.empty()) return invalid("the host is empty");

  if (!port_text.empty()) {
    int port = 0;
    auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return invalid(fmt::format("port \"{}\" is not a number from 1 to 65535", port_text));
    }
    parsed.port = port;
  }

  parsed.normalized = fmt::format("{}://{}:{}{}", parsed.tls ? "https" : "http", host_for_url,
                                  parsed.port, parsed.prefix);
  return parsed;
}

// Checks that `path` is a readable PEM file with at least one certificate,
// so a bad ca_file is reported at start rather than on the first request.
Result<void> checkCaFile(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return fail(ErrorCode::kNotFound, fmt::format("CA file {} does not exist or is not a file; "
                                                  "set ca_file to a PEM file of trusted CAs",
                                                  path));
  }
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr) return fail(ErrorCode::kIoError, "OpenSSL could not allocate a store");
  const int loaded = X509_STORE_load_file(store, path.c_str());
  X509_STORE_free(store);
  if (loaded != 1) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("CA file {} contains no readable PEM certificate", path));
  }
  return {};
}

}  // namespace

bool isPublicKeyPin(std::string_view pin) {
  if (!pin.starts_with(kPinPrefix)) return false;
  const std::string_view hex = pin.substr(kPinPrefix.size());
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<std::string> publicKeyPinFromPem(std::string_view certificate_pem) {
  BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  if (bio == nullptr) return fail(ErrorCode::kIoError, "OpenSSL could not allocate a buffer");
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (certificate == nullptr) {
    return fail(ErrorCode::kMalformedInput, "the text contains no PEM certificate");
  }
  std::string pin = pinOfCertificate(certificate);
  X509_free(certificate);
  if (pin.empty()) {
    return fail(ErrorCode::kMalformedInput, "the certificate's public key cannot be encoded");
  }
  return pin;
}

struct ApiClient::State {
  ApiClientOptions options;
  ParsedUrl url;
  std::unique_ptr<httplib::ClientImpl> client;
  httplib::SSLClient* tls_client = nullptr;  // the same object as `client` when TLS is used
  PinCheck pin_check;                        // read by verifyPinnedKey during handshakes
};

Result<ApiClient> ApiClient::create(ApiClientOptions options) {
  // OpenSSL writes with write(2), which raises SIGPIPE on a closed socket.
  std::signal(SIGPIPE, SIG_IGN);
  auto url = parseBaseUrl(options.base_url);
  if (!url) return tl::unexpected(url.error());
  if (!url->tls && !options.allow_plain_http) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("server URL {} uses plain http://, which sends tokens unencrypted; "
                            "use https:// or set allow_plain_http for a loopback test",
                            options.base_url));
  }
  if (!options.server_pin.empty() && !isPublicKeyPin(options.server_pin)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("server pin \"{}\" is invalid: expected \"sha256:\" followed by 64 "
                            "lower-case hex digits, as the server prints at its first start",
                            options.server_pin));
  }
  if (!options.server_pin.empty() && !options.ca_file.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "both a server pin and a CA file are set; configure only one of them");
  }
  if (url->tls && !options.ca_file.empty()) {
    if (auto checked = checkCaFile(options.ca_file); !checked) {
      return tl::unexpected(checked.error());
    }
  }

  auto state = std::make_unique<State>();
  state->options = std::move(options);
  state->url = std::move(*url);
  const ApiClientOptions& settings = state->options;

  if (state->url.tls) {
    auto tls_client = std::make_unique<httplib::SSLClient>(state->url.host, state->url.port);
    SSL_CTX* context = tls_client->ssl_context();
    if (!tls_client->is_valid() || context == nullptr) {
      return fail(ErrorCode::kIoError, "OpenSSL could not create a TLS client context");
    }
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);

    if (!settings.server_pin.empty()) {
      // httplib's own verification checks the chain and host name, which a
      // self-signed certificate fails. When it is on, httplib 0.11.4 also
      // sets each connection's verify mode to SSL_VERIFY_NONE and checks the
      // result only after the handshake. With it off, every connection
      // inherits this context's mode and callback, so a wrong key aborts the
      // handshake before any request byte is sent.
      tls_client->enable_server_certificate_verification(false);
      state->pin_check.expected = settings.server_pin;
      SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
      SSL_CTX_set_cert_verify_callback(context, verifyPinnedKey, &state->pin_check);
    } else {
      tls_client->enable_server_certificate_verification(true);
      if (!settings.ca_file.empty()) tls_client->set_ca_cert_path(settings.ca_file);
    }
    state->tls_client = tls_client.get();
    state->client = std::move(tls_client);
  } else {
    state->client = std::make_unique<httplib::ClientImpl>(state->url.host, state->url.port);
  }

  httplib::ClientImpl& client = *state->client;
  client.set_connection_timeout(static_cast<time_t>(settings.connect_timeout.count()), 0);
  client.set_read_timeout(static_cast<time_t>(settings.read_timeout.count()), 0);
  client.set_write_timeout(static_cast<time_t>(settings.write_timeout.count()), 0);
  // One connection per request. httplib 0.11.4 reuses a kept-alive
  // connection without noticing that the server closed it (after its idle
  // timeout, or a restart), and the next request then fails with a write
  // error. The agent sends a few requests per check-in, so the extra TLS
  // handshakes cost little.
  client.set_keep_alive(false);
  if (!settings.bearer_token.empty()) client.set_bearer_token_auth(settings.bearer_token);
  return ApiClient(std::move(state));
}

ApiClient::ApiClient(std::unique_ptr<State> state) : state_(std::move(state)) {}
ApiClient::ApiClient(ApiClient&&) noexcept = default;
ApiClient& ApiClient::operator=(ApiClient&&) noexcept = default;
ApiClient::~ApiClient() = default;

void ApiClient::setBearerToken(std::string token) {
  state_->options.bearer_token = std::move(token);
  // httplib 0.11 keeps the token in a member that it only adds when
  // non-empty, so an empty string stops sending the header.
  state_->client->set_bearer_token_auth(state_->options.bearer_token);
}

const std::string& ApiClient::baseUrl() const {
  return state_->url.normalized;
}

namespace {

// Turns httplib's failure into a message that tells what to check.
Error describeFailure(const std::string& url, httplib::Error error, const PinCheck& pin_check,
                      const httplib::SSLClient* tls_client) {
  if (!pin_check.expected.empty() && !pin_check.presented.empty() &&
      pin_check.presented != pin_check.expected) {
    return Error{ErrorCode::kIoError,
                 fmt::format("TLS handshake with {} failed: the server's public key pin is {} "
                             "but the configured pin is {}; if the server's key was replaced, "
                             "update server_pin, otherwise the connection may be intercepted",
                             url, pin_check.presented, pin_check.expected)};
  }
  if (error == httplib::Error::SSLServerVerification && tls_client != nullptr) {
    const long result = tls_client->get_openssl_verify_result();
    if (result != X509_V_OK) {
      return Error{ErrorCode::kIoError,
                   fmt::format("the certificate of {} was not trusted: {}; check ca_file or "
                               "configure server_pin",
                               url, X509_verify_cert_error_string(result))};
    }
    return Error{ErrorCode::kIoError,
                 fmt::format("the certificate of {} does not name the URL's host; connect by a "
                             "name the certificate lists",
                             url)};
  }
  if (error == httplib::Error::SSLLoadingCerts) {
    return Error{ErrorCode::kIoError,
                 fmt::format("could not load the trusted CA certificates for {}", url)};
  }
  if (error == httplib::Error::Connection) {
    return Error{ErrorCode::kIoError,
                 fmt::format("could not connect to {}: the connection was refused or timed out; "
                             "check that the server is running and that the URL's host and port "
                             "are right",
                             url)};
  }
  return Error{ErrorCode::kIoError,
               fmt::format("request to {} failed: {}", url, httplib::to_string(error))};
}

}  // namespace

Result<ApiResponse> ApiClient::get(std::string_view path) {
  return send("GET", path, {});
}

Result<ApiResponse> ApiClient::post(std::string_view path, std::string_view json_body) {
  return send("POST", path, json_body);
}

Result<ApiResponse> ApiClient::put(std::string_view path, std::string_view json_body) {
  return send("PUT", path, json_body);
}

Result<ApiResponse> ApiClient::fetchJobs(std::string_view host_id) {
  return get(fmt::format("/api/v1/hosts/{}/jobs", host_id));
}

Result<ApiResponse> ApiClient::postJobEvent(std::string_view host_id, std::string_view job_id,
                                            std::string_view event_json) {
  return post(fmt::format("/api/v1/hosts/{}/jobs/{}/events", host_id, job_id), event_json);
}

Result<ApiResponse> ApiClient::patch(std::string_view path, std::string_view json_body) {
  return send("PATCH", path, json_body);
}

Result<ApiResponse> ApiClient::del(std::string_view path) {
  return send("DELETE", path, {});
}

Result<ApiResponse> ApiClient::send(std::string_view method, std::string_view path,
                                    std::string_view body) {
  State& state = *state_;
  if (!path.starts_with('/')) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("request path \"{}\" must start with '/'", path));
  }
  const std::string target = state.url.prefix + std::string(path);
  const std::string url = state.url.normalized + std::string(path);
  const httplib::Headers headers = {{"Accept", "application/json"}};
  const std::string payload(body);
  httplib::ClientImpl& client = *state.client;

  state.pin_check.presented.clear();
  httplib::Result result = [&] {
    if (method == "POST") return client.Post(target, headers, payload, "application/json");
    if (method == "PATCH") return client.Patch(target, headers, payload, "application/json");
    if (method == "PUT") return client.Put(target, headers, payload, "application/json");
    if (method == "DELETE") return client.Delete(target, headers);
    return client.Get(target, headers);
  }();
  if (!result) {
    return tl::unexpected(describeFailure(url, result.error(), state.pin_check, state.tls_client));
  }

  ApiResponse response;
  response.status = result->status;
  response.body = std::move(result->body);
  response.content_type = result->get_header_value("Content-Type");
  return response;
}

}  // namespace pk::protocol
