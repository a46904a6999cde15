#include "cli/admin_api.h"

#include <ostream>

#include <fmt/format.h>

#include "cli/admin_arguments.h"
#include "cli/exit_codes.h"

namespace pk::cli {
namespace {

bool isSuccess(int status) {
  return status >= 200 && status < 300;
}

// Sends and reports a failed exchange; returns the response only for a 2xx.
std::optional<ApiResponse> exchange(AdminContext& ctx, std::string_view method,
                                    const std::string& target, const std::string& body) {
  auto response = ctx.api.send(method, target, body);
  if (!response) {
    printError(ctx.err, response.error().message, errorCodeName(response.error().code));
    return std::nullopt;
  }
  if (isSuccess(response->status)) return std::move(*response);

  ApiError error = describeErrorResponse(*response);
  printError(ctx.err, error.message, error.code);
  if (response->status == 401 && ctx.suggest_login) {
    ctx.err << "hint: run `patchkeeper login` to start a new session, or pass a valid --token\n";
  }
  return std::nullopt;
}

}  // namespace

void printError(std::ostream& err, std::string_view message, std::string_view code) {
  err << fmt::format("error: {} ({})\n", message, code);
}

ApiError describeErrorResponse(const ApiResponse& response) {
  auto document = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (document.is_object()) {
    auto error = document.find("error");
    if (error != document.end() && error->is_object()) {
      auto code = error->find("code");
      auto message = error->find("message");
      // An empty code or message would leave the user with nothing to act
      // on, so it falls back to the status, as a missing one does.
      if (code != error->end() && code->is_string() && !code->get<std::string>().empty() &&
          message != error->end() && message->is_string() && !message->get<std::string>().empty()) {
        return {code->get<std::string>(), message->get<std::string>()};
      }
    }
  }
  return {fmt::format("http_{}", response.status),
          fmt::format("the server answered HTTP status {} without an error description",
                      response.status)};
}

std::optional<nlohmann::json> callApi(AdminContext& ctx, std::string_view method,
                                      const std::string& target, const nlohmann::json& body) {
  // Replacing invalid UTF-8 from the command line keeps dump() from throwing.
  std::string text = body.is_null()
                         ? std::string()
                         : body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto response = exchange(ctx, method, target, text);
  if (!response) return std::nullopt;
  if (response->body.empty()) return nlohmann::json(nullptr);

  auto document = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    printError(ctx.err, fmt::format("the server's response to {} {} is not JSON", method, target),
               "invalid_response");
    return std::nullopt;
  }
  return document;
}

std::optional<std::string> callApiText(AdminContext& ctx, std::string_view method,
                                       const std::string& target) {
  auto response = exchange(ctx, method, target, {});
  if (!response) return std::nullopt;
  return std::move(response->body);
}

std::optional<nlohmann::json> fetchList(AdminContext& ctx, const std::string& path,
                                        std::vector<std::pair<std::string, std::string>> parameters,
                                        std::size_t limit) {
  nlohmann::json items = nlohmann::json::array();
  std::string after_id;
  while (true) {
    auto page_parameters = parameters;
    if (!after_id.empty()) page_parameters.emplace_back("after_id", after_id);
    std::string target = path + queryString(page_parameters);

    auto page = callApi(ctx, "GET", target);
    if (!page) return std::nullopt;
    if (!page->is_object() || !page->contains("items") || !(*page)["items"].is_array()) {
      printError(ctx.err,
                 fmt::format("the server's response to GET {} has no \"items\" list", target),
                 "invalid_response");
      return std::nullopt;
    }

    for (auto& item : (*page)["items"]) {
      if (limit != 0 && items.size() >= limit) return items;
      items.push_back(std::move(item));
    }
    if (limit != 0 && items.size() >= limit) return items;

    // A page without a next id ends the list. So does a page whose next id
    // does not move forward, because a buggy server would otherwise loop.
    auto next = page->find("next_after_id");
    if (next == page->end() || next->is_null()) return items;
    std::string next_id = next->is_string() ? next->get<std::string>() : next->dump();
    if (next_id.empty() || next_id == after_id || (*page)["items"].empty()) return items;
    after_id = next_id;
  }
}

int showList(AdminContext& ctx, const std::string& path,
             std::vector<std::pair<std::string, std::string>> parameters,
             const std::vector<Column>& columns, std::string_view empty_message,
             std::size_t limit) {
  auto items = fetchList(ctx, path, std::move(parameters), limit);
  if (!items) return kExitError;
  writeList(*items, columns, ctx.output, empty_message, ctx.out);
  return kExitOk;
}

int showObject(AdminContext& ctx, std::string_view method, const std::string& target,
               const nlohmann::json& body) {
  auto object = callApi(ctx, method, target, body);
  if (!object) return kExitError;
  writeObject(*object, ctx.output, ctx.out);
  return kExitOk;
}

}  // namespace pk::cli
