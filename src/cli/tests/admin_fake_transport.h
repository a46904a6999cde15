#pragma once

// An ApiTransport for unit tests: it records each request and returns the
// next of a queue of prepared responses, so that a command's requests can be
// checked without a server. The slow tests run the same commands against a
// real patchkeeper-server.

#include <deque>
#include <sstream>
#include <string>
#include <vector>

#include "cli/admin_api.h"

namespace pk::cli::test {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string body;
};

class FakeTransport final : public ApiTransport {
 public:
  // Queues a response for the next request.
  void respond(int status, std::string body) {
    responses_.push_back(ApiResponse{status, std::move(body)});
  }
  // Queues a failure with no response, such as a refused connection.
  void failNext(std::string message) { failures_.push_back(std::move(message)); }

  Result<ApiResponse> send(std::string_view method, const std::string& target,
                           const std::string& body) override {
    requests.push_back({std::string(method), target, body});
    if (!failures_.empty()) {
      std::string message = failures_.front();
      failures_.pop_front();
      return fail(ErrorCode::kIoError, message);
    }
    if (responses_.empty()) {
      return fail(ErrorCode::kInternal, "the test queued no response for " + target);
    }
    ApiResponse response = responses_.front();
    responses_.pop_front();
    return response;
  }

  std::vector<RecordedRequest> requests;

 private:
  std::deque<ApiResponse> responses_;
  std::deque<std::string> failures_;
};

// A context over a FakeTransport with captured output streams.
struct FakeContext {
  FakeTransport transport;
  std::ostringstream out;
  std::ostringstream err;
  AdminContext ctx{transport, OutputOptions{}, out, err};
};

}  // namespace pk::cli::test
