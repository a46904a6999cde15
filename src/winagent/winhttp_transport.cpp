#include "winagent/winhttp_transport.h"

#include <windows.h>
#include <winhttp.h>

#include <fmt/format.h>

#include "winagent/pin.h"

namespace pk::winagent {
namespace {

// WINHTTP_CALLBACK_FLAG_SENDING_REQUEST of the Windows SDK, which
// mingw-w64's winhttp.h lacks; the SDK defines it as the status value.
constexpr DWORD kSendingRequestFlag = WINHTTP_CALLBACK_STATUS_SENDING_REQUEST;

// Closes a WinHTTP handle when it goes out of scope.
class Handle {
 public:
  explicit Handle(HINTERNET handle) : handle_(handle) {}
  ~Handle() {
    if (handle_ != nullptr) WinHttpCloseHandle(handle_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  HINTERNET get() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  HINTERNET handle_;
};

// The result of the pin check, shared with the status callback through the
// request's context value.
struct PinCheck {
  std::string expected;
  std::string presented;
  bool checked = false;
  bool matched = false;
  bool closed = false;  // the callback closed the request handle
};

// Closes a request handle unless the pin check already closed it.
class RequestHandle {
 public:
  RequestHandle(HINTERNET handle, const PinCheck& check) : handle_(handle), check_(check) {}
  ~RequestHandle() {
    if (handle_ != nullptr && !check_.closed) WinHttpCloseHandle(handle_);
  }
  RequestHandle(const RequestHandle&) = delete;
  RequestHandle& operator=(const RequestHandle&) = delete;

 private:
  HINTERNET handle_;
  const PinCheck& check_;
};

// Reads the pin of the certificate the server presented on `request`.
std::string presentedPin(HINTERNET request) {
  const CERT_CONTEXT* certificate = nullptr;
  DWORD size = sizeof certificate;
  if (!WinHttpQueryOption(request, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &certificate, &size) ||
      certificate == nullptr) {
    return {};
  }
  auto pin = pinOfCertificate(*certificate);
  CertFreeCertificateContext(certificate);
  return pin ? *pin : std::string();
}

void CALLBACK onStatus(HINTERNET request, DWORD_PTR context, DWORD status, LPVOID, DWORD) {
  if (status != WINHTTP_CALLBACK_STATUS_SENDING_REQUEST || context == 0) return;
  auto* check = reinterpret_cast<PinCheck*>(context);
  check->presented = presentedPin(request);
  check->checked = true;
  check->matched = pinsMatch(check->expected, check->presented);
  // Closing the request here is meant to stop it before the headers are
  // written. Wine 8 writes them anyway, so send() probes first.
  if (!check->matched) {
    check->closed = true;
    WinHttpCloseHandle(request);
  }
}

Error winHttpError(std::string_view step, std::string_view url) {
  return Error{ErrorCode::kIoError, fmt::format("Could not reach the server at {}: {} failed with "
                                                "WinHTTP error {}.",
                                                url, step, GetLastError())};
}

Error pinMismatch(const PinCheck& check, std::string_view url) {
  return Error{ErrorCode::kIoError,
               fmt::format("The server at {} presented the key {}, but the agent is configured to "
                           "trust only {}. Check server_pin in the agent configuration.",
                           url, check.presented.empty() ? "(none readable)" : check.presented,
                           check.expected)};
}

DWORD toMilliseconds(std::chrono::seconds seconds) {
  return static_cast<DWORD>(std::chrono::milliseconds(seconds).count());
}

}  // namespace

Result<std::unique_ptr<WinHttpTransport>> WinHttpTransport::create(TransportOptions options) {
  auto probe = buildRequestSpec(options, HttpRequest{"GET", "/", ""});
  if (!probe) return tl::unexpected(probe.error());

  HINTERNET session = WinHttpOpen(L"patchkeeper-agent", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY,
                                  WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
  if (session == nullptr) {
    return tl::unexpected(winHttpError("WinHttpOpen", options.base_url));
  }
  const DWORD connect = toMilliseconds(options.connect_timeout);
  const DWORD read = toMilliseconds(options.read_timeout);
  WinHttpSetTimeouts(session, static_cast<int>(connect), static_cast<int>(connect),
                     static_cast<int>(read), static_cast<int>(read));
  return std::unique_ptr<WinHttpTransport>(new WinHttpTransport(std::move(options), session));
}

WinHttpTransport::WinHttpTransport(TransportOptions options, void* session)
    : options_(std::move(options)), session_(session) {}

WinHttpTransport::~WinHttpTransport() {
  WinHttpCloseHandle(static_cast<HINTERNET>(session_));
}

Result<HttpResponse> WinHttpTransport::send(const HttpRequest& request) {
  auto spec = buildRequestSpec(options_, request);
  if (!spec) return tl::unexpected(spec.error());

  // Where WinHTTP sends the request before the status callback can stop it
  // (Wine 8 does), a request with the host token or a body would reach a
  // server with another key. A probe without either checks the pin first;
  // WinHTTP then normally reuses the probe's connection for the request.
  if (!spec->pin.empty() && (spec->has_token || !request.body.empty())) {
    TransportOptions probe_options = options_;
    probe_options.bearer_token.clear();
    auto probe = buildRequestSpec(probe_options, HttpRequest{"GET", std::string(kProbePath), ""});
    if (!probe) return tl::unexpected(probe.error());
    auto probed = exchange(*probe);
    if (!probed) return tl::unexpected(probed.error());
  }
  return exchange(*spec);
}

Result<HttpResponse> WinHttpTransport::exchange(const WinHttpRequestSpec& request_spec) {
  const WinHttpRequestSpec* spec = &request_spec;
  const std::string& url = options_.base_url;

  Handle connection(
      WinHttpConnect(static_cast<HINTERNET>(session_), spec->host.c_str(), spec->port, 0));
  if (!connection) return tl::unexpected(winHttpError("WinHttpConnect", url));

  HINTERNET raw_request = WinHttpOpenRequest(
      connection.get(), spec->verb.c_str(), spec->object_name.c_str(), nullptr, WINHTTP_NO_REFERER,
      WINHTTP_DEFAULT_ACCEPT_TYPES, spec->secure ? WINHTTP_FLAG_SECURE : 0);
  if (raw_request == nullptr) return tl::unexpected(winHttpError("WinHttpOpenRequest", url));

  PinCheck check;
  check.expected = spec->pin;
  RequestHandle request_handle(raw_request, check);
  if (spec->ignore_certificate_errors) {
    DWORD flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID |
                  SECURITY_FLAG_IGNORE_CERT_CN_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
    WinHttpSetOption(raw_request, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof flags);
  }
  if (!spec->pin.empty()) {
    WinHttpSetStatusCallback(raw_request, onStatus, kSendingRequestFlag, 0);
  }

  // WinHttpSendRequest takes a non-const pointer but only reads the body.
  void* body = spec->body.empty() ? WINHTTP_NO_REQUEST_DATA : const_cast<char*>(spec->body.data());
  const auto body_size = static_cast<DWORD>(spec->body.size());
  const DWORD_PTR context = spec->pin.empty() ? 0 : reinterpret_cast<DWORD_PTR>(&check);
  if (!WinHttpSendRequest(raw_request, spec->headers.c_str(),
                          static_cast<DWORD>(spec->headers.size()), body, body_size, body_size,
                          context)) {
    if (check.closed) return tl::unexpected(pinMismatch(check, url));
    return tl::unexpected(winHttpError("WinHttpSendRequest", url));
  }
  // Wine 8 runs the callback but sends the request all the same; the
  // closed handle then fails here.
  if (check.closed) return tl::unexpected(pinMismatch(check, url));
  if (!WinHttpReceiveResponse(raw_request, nullptr)) {
    if (check.closed) return tl::unexpected(pinMismatch(check, url));
    return tl::unexpected(winHttpError("WinHttpReceiveResponse", url));
  }
  if (!spec->pin.empty()) {
    // The callback may not have run (an older WinHTTP), so the key is
    // checked again before anything of the response is used.
    check.presented = presentedPin(raw_request);
    if (!pinsMatch(check.expected, check.presented)) {
      return tl::unexpected(pinMismatch(check, url));
    }
  }

  HttpResponse response;
  DWORD status = 0;
  DWORD size = sizeof status;
  WinHttpQueryHeaders(raw_request, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                      WINHTTP_HEADER_NAME_BY_INDEX, &status, &size, WINHTTP_NO_HEADER_INDEX);
  response.status = static_cast<int>(status);

  wchar_t content_type[256] = {};
  size = sizeof content_type;
  if (WinHttpQueryHeaders(raw_request, WINHTTP_QUERY_CONTENT_TYPE, WINHTTP_HEADER_NAME_BY_INDEX,
                          content_type, &size, WINHTTP_NO_HEADER_INDEX)) {
    response.content_type = toUtf8(content_type);
  }

  for (;;) {
    DWORD available = 0;
    if (!WinHttpQueryDataAvailable(raw_request, &available)) {
      return tl::unexpected(winHttpError("WinHttpQueryDataAvailable", url));
    }
    if (available == 0) break;
    const std::size_t old_size = response.body.size();
    response.body.resize(old_size + available);
    DWORD read = 0;
    if (!WinHttpReadData(raw_request, response.body.data() + old_size, available, &read)) {
      return tl::unexpected(winHttpError("WinHttpReadData", url));
    }
    response.body.resize(old_size + read);
  }
  return response;
}

}  // namespace pk::winagent
