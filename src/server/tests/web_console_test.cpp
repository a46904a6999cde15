#include "server/web_console.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/credentials.h"
#include "server/passwords.h"
#include "server/people_routes.h"
#include "store/migrations.h"
#include "store/user_repository.h"
#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

using nlohmann::json;

constexpr const char* kPassword = "correct horse battery staple";

const std::string& passwordHash() {
  static const std::string hash = [] {
    auto made = hashPassword(kPassword, "");
    return made ? *made : std::string();
  }();
  return hash;
}

std::string errorCode(const Response& response) {
  const json body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("error")) return "(no error: " + response.body + ")";
  return body["error"].value("code", "");
}

std::string headerValue(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

std::vector<std::string> setCookies(const Response& response) {
  std::vector<std::string> cookies;
  for (const auto& [key, value] : response.headers) {
    if (key == "Set-Cookie") cookies.push_back(value);
  }
  return cookies;
}

std::string cookieOf(const Response& response, std::string_view name) {
  for (const std::string& cookie : setCookies(response)) {
    if (cookie.rfind(std::string(name) + "=", 0) == 0) return cookie;
  }
  return "";
}

// The value of a Set-Cookie line, "pk_session=abc; Path=/" -> "abc".
std::string cookieToken(const std::string& line) {
  const auto equals = line.find('=');
  const auto end = line.find(';');
  return line.substr(equals + 1, end - equals - 1);
}

void writeFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A real SQLite file behind a Router with the people routes, the web
// console's routes and the cookie authenticator, and a console folder with
// a few files. A secret file sits beside the folder, where no request may
// reach it.
class WebConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = test_support::TemporaryDirectory::create("web-console");
    ASSERT_TRUE(directory);
    directory_.emplace(std::move(*directory));
    auto database =
        store::openDatabase("sqlite://" + (directory_->path() / "patchkeeper.db").string());
    ASSERT_TRUE(database);
    database_ = std::move(*database);
    ASSERT_TRUE(store::migrate(*database_, clock_));
    context_.emplace(ServerContext{*database_, clock_, metrics_});

    web_dir_ = directory_->path() / "web";
    writeFile(web_dir_ / "index.html", "<!doctype html><title>patchkeeper</title>");
    writeFile(web_dir_ / "js" / "app.js", "export const x = 1;");
    writeFile(web_dir_ / "css" / "console.css", "body { margin: 0; }");
    writeFile(web_dir_ / ".hidden.txt", "hidden");
    writeFile(web_dir_ / "notes.unknownext", "odd");
    writeFile(directory_->path() / "secret.txt", "top secret");
    std::filesystem::create_symlink(directory_->path() / "secret.txt", web_dir_ / "link.txt");

    ASSERT_FALSE(passwordHash().empty());
    addUser("alice", {"admin"});
    addUser("vera", {"viewer"});
    buildRouter(true);
  }

  void buildRouter(bool secure) {
    router_.emplace(withSessionCookies(makeAuthenticator(*context_)));
    addPeopleRoutes(*router_, *context_, PeopleOptions{});
    addWebConsoleRoutes(*router_, WebConsoleOptions{.web_dir = web_dir_,
                                                    .secure_cookies = secure,
                                                    .session_ttl = std::chrono::hours(12)});
  }

  void addUser(const std::string& username, std::vector<std::string> roles) {
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      store::UserRecord user;
      user.username = username;
      user.password_hash = passwordHash();
      user.roles = roles;
      user.created_at = clock_.now();
      user.updated_at = clock_.now();
      auto inserted = store::insertUser(session, user);
      if (!inserted) return tl::unexpected(inserted.error());
      return {};
    });
    ASSERT_TRUE(written);
  }

  Response send(const std::string& method, const std::string& path,
                std::map<std::string, std::string> headers = {}, const std::string& body = "") {
    Request request;
    request.method = method;
    request.path = path;
    request.headers = std::move(headers);
    request.body = body;
    request.remote_address = "127.0.0.1";
    return router_->dispatch(request);
  }

  Response login(const std::string& username) {
    return send("POST", "/api/v1/web/login", {{"x-requested-with", "patchkeeper"}},
                json{{"username", username}, {"password", kPassword}}.dump());
  }

  // Logs in and returns the session cookie's token and the CSRF token.
  std::pair<std::string, std::string> loggedIn(const std::string& username) {
    const Response response = login(username);
    EXPECT_EQ(response.status, 201) << response.body;
    return {cookieToken(cookieOf(response, kSessionCookie)),
            cookieToken(cookieOf(response, kCsrfCookie))};
  }

  std::size_t userCount() {
    std::size_t count = 0;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      auto users = store::listUsers(session);
      if (!users) return tl::unexpected(users.error());
      count = users->size();
      return {};
    });
    EXPECT_TRUE(read);
    return count;
  }

  FakeClock clock_{SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1))};
  Metrics metrics_;
  std::optional<test_support::TemporaryDirectory> directory_;
  std::unique_ptr<store::Database> database_;
  std::optional<ServerContext> context_;
  std::optional<Router> router_;
  std::filesystem::path web_dir_;
};

// ---------------------------------------------------------------------------
// Static files

TEST_F(WebConsoleTest, RootServesIndex) {
  const Response response = send("GET", "/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_NE(response.body.find("<title>patchkeeper</title>"), std::string::npos);
}

TEST_F(WebConsoleTest, ModulesAndStylesGetTheirTypes) {
  EXPECT_EQ(send("GET", "/js/app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(send("GET", "/css/console.css").content_type, "text/css; charset=utf-8");
}

TEST_F(WebConsoleTest, HeadServesNoBodyButTheType) {
  const Response response = send("HEAD", "/js/app.js");
  EXPECT_EQ(response.status, 200);
}

TEST_F(WebConsoleTest, PolicyForbidsInlineScript) {
  const std::string policy = headerValue(send("GET", "/"), "Content-Security-Policy");
  EXPECT_NE(policy.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos);
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos);
}

TEST_F(WebConsoleTest, FilesForbidSniffingAndFraming) {
  const Response response = send("GET", "/js/app.js");
  EXPECT_EQ(headerValue(response, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(headerValue(response, "X-Frame-Options"), "DENY");
}

TEST_F(WebConsoleTest, FoldersAreNotListed) {
  EXPECT_EQ(send("GET", "/js").status, 404);
  EXPECT_EQ(send("GET", "/js/").status, 404);
  EXPECT_EQ(send("GET", "/css/").body.find("console.css"), std::string::npos);
}

TEST_F(WebConsoleTest, TraversalIsRefused) {
  for (const char* path : {"/../secret.txt", "/js/../../secret.txt", "/js/./app.js",
                           "/%2e%2e/secret.txt", "/js//app.js", "/..", "/.hidden.txt"}) {
    SCOPED_TRACE(path);
    const Response response = send("GET", path);
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.body.find("top secret"), std::string::npos);
  }
}

TEST_F(WebConsoleTest, LinkOutOfTheFolderIsRefused) {
  const Response response = send("GET", "/link.txt");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body.find("top secret"), std::string::npos);
}

TEST_F(WebConsoleTest, UnknownExtensionIsNotServed) {
  EXPECT_EQ(send("GET", "/notes.unknownext").status, 404);
}

TEST_F(WebConsoleTest, ApiPathsStayApiErrors) {
  const Response response = send("GET", "/api/v1/nothing-here");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(errorCode(response), "not_found");
}

TEST_F(WebConsoleTest, MissingFolderAnswers404) {
  std::filesystem::remove_all(web_dir_);
  EXPECT_EQ(send("GET", "/").status, 404);
}

// ---------------------------------------------------------------------------
// Login, cookies and CSRF

TEST_F(WebConsoleTest, LoginSetsHttpOnlyStrictSecureCookie) {
  const std::string cookie = cookieOf(login("alice"), kSessionCookie);
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
}

TEST_F(WebConsoleTest, CsrfCookieIsReadableByThePage) {
  const std::string cookie = cookieOf(login("alice"), kCsrfCookie);
  EXPECT_FALSE(cookie.empty());
  EXPECT_EQ(cookie.find("HttpOnly"), std::string::npos) << cookie;
}

TEST_F(WebConsoleTest, LoginBodyHidesTheSessionToken) {
  const Response response = login("alice");
  const json body = json::parse(response.body);
  EXPECT_FALSE(body.contains("token"));
  EXPECT_EQ(body.at("csrf_token"), cookieToken(cookieOf(response, kCsrfCookie)));
}

TEST_F(WebConsoleTest, PlainHttpCookieIsNotSecure) {
  buildRouter(false);
  const std::string cookie = cookieOf(login("alice"), kSessionCookie);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << cookie;
}

TEST_F(WebConsoleTest, LoginNeedsTheWebHeader) {
  const Response response = send("POST", "/api/v1/web/login", {},
                                 json{{"username", "alice"}, {"password", kPassword}}.dump());
  EXPECT_EQ(response.status, 403);
  EXPECT_TRUE(setCookies(response).empty());
}

TEST_F(WebConsoleTest, WrongPasswordSetsNoCookie) {
  const Response response =
      send("POST", "/api/v1/web/login", {{"x-requested-with", "patchkeeper"}},
           json{{"username", "alice"}, {"password", "not the password"}}.dump());
  EXPECT_EQ(response.status, 401);
  EXPECT_TRUE(setCookies(response).empty());
}

TEST_F(WebConsoleTest, CookieAndCsrfHeaderAuthenticate) {
  const auto [session, csrf] = loggedIn("alice");
  const Response response =
      send("GET", "/api/v1/me", {{"cookie", "pk_session=" + session}, {"x-csrf-token", csrf}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body).at("username"), "alice");
}

TEST_F(WebConsoleTest, CookieWithoutCsrfHeaderIsRejected) {
  const auto [session, csrf] = loggedIn("alice");
  const Response response = send("GET", "/api/v1/me", {{"cookie", "pk_session=" + session}});
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(errorCode(response), "csrf_token_missing");
}

TEST_F(WebConsoleTest, StateChangeWithoutCsrfChangesNothing) {
  const auto [session, csrf] = loggedIn("alice");
  const std::size_t before = userCount();
  const Response response =
      send("POST", "/api/v1/users", {{"cookie", "pk_session=" + session}},
           json{{"username", "mallory"}, {"password", "a long enough password 1"}}.dump());
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(userCount(), before);
}

TEST_F(WebConsoleTest, WrongCsrfHeaderIsRejected) {
  const auto [session, csrf] = loggedIn("alice");
  const auto [other_session, other_csrf] = loggedIn("vera");
  const Response response = send(
      "GET", "/api/v1/me", {{"cookie", "pk_session=" + session}, {"x-csrf-token", other_csrf}});
  EXPECT_EQ(errorCode(response), "csrf_token_invalid");
}

TEST_F(WebConsoleTest, CsrfCookieAloneIsNoCredential) {
  const auto [session, csrf] = loggedIn("alice");
  const Response response =
      send("GET", "/api/v1/me", {{"cookie", "pk_csrf=" + csrf}, {"x-csrf-token", csrf}});
  EXPECT_EQ(response.status, 401);
}

TEST_F(WebConsoleTest, CookieAmongOthersIsFound) {
  const auto [session, csrf] = loggedIn("alice");
  const Response response =
      send("GET", "/api/v1/me",
           {{"cookie", "theme=dark; pk_session=" + session + "; pk_csrf=" + csrf},
            {"x-csrf-token", csrf}});
  EXPECT_EQ(response.status, 200);
}

TEST_F(WebConsoleTest, BearerTokenStillWorks) {
  const Response login_response = send("POST", "/api/v1/sessions", {},
                                       json{{"username", "alice"}, {"password", kPassword}}.dump());
  const std::string token = json::parse(login_response.body).at("token");
  const Response response = send("GET", "/api/v1/me", {{"authorization", "Bearer " + token}});
  EXPECT_EQ(response.status, 200);
}

TEST_F(WebConsoleTest, ViewerCookieCannotManageUsers) {
  const auto [session, csrf] = loggedIn("vera");
  const Response response =
      send("POST", "/api/v1/users", {{"cookie", "pk_session=" + session}, {"x-csrf-token", csrf}},
           json{{"username", "mallory"}, {"password", "a long enough password 1"}}.dump());
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(errorCode(response), "forbidden");
}

TEST_F(WebConsoleTest, LogoutClearsCookies) {
  const auto [session, csrf] = loggedIn("alice");
  const Response response = send("POST", "/api/v1/web/logout",
                                 {{"cookie", "pk_session=" + session},
                                  {"x-csrf-token", csrf},
                                  {"x-requested-with", "patchkeeper"}});
  EXPECT_EQ(response.status, 204);
  EXPECT_NE(cookieOf(response, kSessionCookie).find("Max-Age=0"), std::string::npos);
}

TEST_F(WebConsoleTest, LogoutEndsTheSession) {
  const auto [session, csrf] = loggedIn("alice");
  send("POST", "/api/v1/web/logout",
       {{"cookie", "pk_session=" + session},
        {"x-csrf-token", csrf},
        {"x-requested-with", "patchkeeper"}});
  const Response response =
      send("GET", "/api/v1/me", {{"cookie", "pk_session=" + session}, {"x-csrf-token", csrf}});
  EXPECT_EQ(response.status, 401);
}

TEST_F(WebConsoleTest, CsrfTokenDependsOnTheSession) {
  EXPECT_NE(csrfTokenFor("a"), csrfTokenFor("b"));
  EXPECT_EQ(csrfTokenFor("a").size(), 64u);
}

}  // namespace
}  // namespace pk::server
