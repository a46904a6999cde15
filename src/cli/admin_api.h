#pragma once

// How the administration commands call the server: one request at a time
// through an ApiTransport, with the API's error shape turned into the one
// message format every command prints,
//   error: <message> (<code>)
// and exit status 3 (kExitError).

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/admin_output.h"
#include "common/error.h"

namespace pk::cli {

struct ApiResponse {
  int status = 0;
  std::string body;
};

// Sends requests to the server. The real transport wraps
// protocol::ApiClient (admin_transport.h); unit tests pass a fake that
// records requests.
class ApiTransport {
 public:
  virtual ~ApiTransport() = default;
  // Sends `method` to `target` (the path and query string, "/api/v1/hosts?kind=server")
  // with `body` as a JSON request body, or no body when it is empty.
  // Returns the response whatever its status. Fails only when no response
  // arrived: connection refused, timeout, TLS or pin mismatch.
  virtual Result<ApiResponse> send(std::string_view method, const std::string& target,
                                   const std::string& body) = 0;
};

// The API's error, taken from {"error": {"code": ..., "message": ...}}.
// A body without that shape gives code "http_<status>" and a message naming
// the status, so the user still learns what happened.
struct ApiError {
  std::string code;
  std::string message;
};
ApiError describeErrorResponse(const ApiResponse& response);

// The transport, output settings and streams of one command run. `suggest_login` adds a hint to run
// `patchkeeper login` after a 401; `login` itself turns it off.
struct AdminContext {
  ApiTransport& api;
  OutputOptions output;
  std::ostream& out;
  std::ostream& err;
  bool suggest_login = true;
};

// Sends one request. On a 2xx status returns the response body parsed as
// JSON (null for an empty body). Otherwise writes "error: <message>
// (<code>)" to ctx.err, plus the login hint after a 401, and returns
// nullopt. A 2xx body that is not JSON is reported the same way, with code
// "invalid_response".
std::optional<nlohmann::json> callApi(AdminContext& ctx, std::string_view method,
                                      const std::string& target,
                                      const nlohmann::json& body = nullptr);

// Like callApi, but returns the 2xx body as raw text, for exports that are
// not one JSON document (JSON lines).
std::optional<std::string> callApiText(AdminContext& ctx, std::string_view method,
                                       const std::string& target);

// GETs a paged list: `path` with `parameters` (empty values left out), then
// again with after_id set to the previous page's "next_after_id" until a
// page has none or `limit` items are gathered (0: no limit). Returns the
// items, at most `limit` of them, or nullopt after printing the error of a
// failed page. A page that is not {"items": [...]} fails with code
// "invalid_response".
std::optional<nlohmann::json> fetchList(AdminContext& ctx, const std::string& path,
                                        std::vector<std::pair<std::string, std::string>> parameters,
                                        std::size_t limit = 0);

// Writes "error: <message> (<code>)" to `err`.
void printError(std::ostream& err, std::string_view message, std::string_view code);

// Fetches a list as fetchList does and writes it with writeList. Returns
// kExitOk, or kExitError after a failed request.
int showList(AdminContext& ctx, const std::string& path,
             std::vector<std::pair<std::string, std::string>> parameters,
             const std::vector<Column>& columns, std::string_view empty_message,
             std::size_t limit = 0);

// Sends one request and writes the object it returns with writeObject.
// Returns kExitOk, or kExitError after a failed request.
int showObject(AdminContext& ctx, std::string_view method, const std::string& target,
               const nlohmann::json& body = nullptr);

}  // namespace pk::cli
