// Feeds arbitrary bytes to the web console's untrusted inputs: the first
// line as a Cookie header, the rest as a request path. Checks that a
// cookie value found is a part of the header without a separator, and
// that no path reaches a file outside the console's folder: the secret
// file beside the folder never appears in a response to a path that does
// not contain it. A violated property
// traps, so libFuzzer records the input.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "server/web_console.h"

namespace {

constexpr std::string_view kSecret = "secret-beside-the-console";

void require(bool property) {
  if (!property) __builtin_trap();
}

pk::server::Router& router() {
  static pk::server::Router* made = [] {
    const auto folder =
        std::filesystem::temp_directory_path() / ("pk-web-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder / "web" / "js");
    std::ofstream(folder / "web" / "index.html") << "<!doctype html><title>console</title>";
    std::ofstream(folder / "web" / "js" / "app.js") << "export {};";
    std::ofstream(folder / "secret.txt") << kSecret;
    std::error_code error;
    std::filesystem::create_symlink(folder / "secret.txt", folder / "web" / "link.txt", error);
    auto* built = new pk::server::Router([](const pk::server::Request&) {
      return std::variant<pk::server::Principal, pk::server::Response>(
          pk::server::errorResponse(401, "missing_credential", "No credential."));
    });
    pk::server::addWebConsoleRoutes(*built, {.web_dir = folder / "web"});
    return built;
  }();
  return *made;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto newline = text.find('\n');
  const std::string cookie(text.substr(0, newline));
  const std::string path(newline == std::string_view::npos ? "/" : text.substr(newline + 1));

  pk::server::Request with_cookie;
  with_cookie.headers["cookie"] = cookie;
  const std::string value = pk::server::cookieValue(with_cookie, pk::server::kSessionCookie);
  require(value.find(';') == std::string::npos);
  require(cookie.find(value) != std::string::npos);

  pk::server::Request request;
  request.method = "GET";
  request.path = path;
  const pk::server::Response response = router().dispatch(request);
  // A 404 names the requested path, so only a path without the secret
  // shows that no file outside the folder was read.
  if (path.find(kSecret) == std::string::npos) {
    require(response.body.find(kSecret) == std::string::npos);
  }
  require(response.status == 200 || response.status == 404 || response.status == 405 ||
          response.status == 414);
  return 0;
}
