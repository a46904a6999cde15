#include "cli/admin_session_commands.h"

#include <memory>
#include <ostream>

#include <fmt/format.h>

#include "cli/admin_password.h"
#include "cli/exit_codes.h"

namespace pk::cli {

int runLogin(const LoginOptions& options, const LoadedConfig& loaded, AdminContext& ctx) {
  nlohmann::json request = {{"username", options.username}, {"password", options.password}};
  auto session = callApi(ctx, "POST", "/api/v1/sessions", request);
  if (!session) return kExitError;
  if (!session->is_object() || !(*session)["token"].is_string()) {
    printError(ctx.err, "the server's login response has no \"token\"", "invalid_response");
    return kExitError;
  }

  ClientConfig config = loaded.effective;
  config.token = (*session)["token"].get<std::string>();
  config.username = options.username;
  config.token_expires_at = cellText(*session, "expires_at");
  if (auto saved = saveClientConfig(loaded.path, config); !saved) {
    printError(ctx.err, saved.error().message, errorCodeName(saved.error().code));
    return kExitError;
  }

  ctx.out << fmt::format("logged in to {} as {}", config.server_url, options.username);
  if (!config.token_expires_at.empty()) {
    ctx.out << fmt::format("; the session expires at {}", config.token_expires_at);
  }
  ctx.out << fmt::format("\nsession saved in {}\n", loaded.path.string());
  return kExitOk;
}

int runLogout(const LoadedConfig& loaded, AdminContext& ctx) {
  if (loaded.effective.token.empty()) {
    ctx.out << "not logged in: no session token is saved or given\n";
    return kExitOk;
  }

  // A 401 means the session has already expired or been revoked, which is
  // the state logout wants; only other failures are errors.
  auto response = ctx.api.send("DELETE", "/api/v1/sessions/current", "");
  if (!response) {
    printError(ctx.err, response.error().message, errorCodeName(response.error().code));
    return kExitError;
  }
  bool ended_now = response->status >= 200 && response->status < 300;
  if (!ended_now && response->status != 401) {
    ApiError error = describeErrorResponse(*response);
    printError(ctx.err, error.message, error.code);
    return kExitError;
  }

  if (loaded.saved.token == loaded.effective.token) {
    ClientConfig config = loaded.saved;
    config.token.clear();
    config.token_expires_at.clear();
    if (auto saved = saveClientConfig(loaded.path, config); !saved) {
      printError(ctx.err, saved.error().message, errorCodeName(saved.error().code));
      return kExitError;
    }
  }
  ctx.out << (ended_now ? "logged out\n" : "the session had already ended; logged out\n");
  return kExitOk;
}

int runWhoami(AdminContext& ctx) {
  return showObject(ctx, "GET", "/api/v1/me");
}

void addSessionCommands(CLI::App& app, AdminRunner& runner) {
  struct LoginArguments {
    std::string username;
    std::string password_file;
  };
  auto arguments = std::make_shared<LoginArguments>();
  auto* login = app.add_subcommand(
      "login",
      "Log in to a server and save the session for the other commands.\n"
      "The password comes from --password-file, else a prompt without echo, else one line of "
      "standard input.");
  login->add_option("--username", arguments->username, "your username")->required();
  login->add_option("--password-file", arguments->password_file,
                    "read the password from the first line of this file");
  runner.addConnectionOptions(login);
  login->callback([&runner, arguments] {
    runner.runWithConfig(
        [arguments](AdminContext& ctx, const LoadedConfig& loaded) {
          auto password = readPassword(arguments->password_file, "Password: ", /*confirm=*/false);
          if (!password) {
            printError(ctx.err, password.error().message, "invalid_argument");
            return kExitInvalidInput;
          }
          return runLogin({arguments->username, std::move(*password)}, loaded, ctx);
        },
        /*for_login=*/true);
  });

  auto* logout =
      app.add_subcommand("logout", "End the saved session on the server and forget its token");
  runner.addConnectionOptions(logout);
  logout->callback([&runner] {
    runner.runWithConfig(
        [](AdminContext& ctx, const LoadedConfig& loaded) { return runLogout(loaded, ctx); });
  });

  auto* whoami = app.add_subcommand("whoami", "Show who the saved session or token belongs to");
  runner.addConnectionOptions(whoami);
  runner.addFormatOption(whoami);
  whoami->callback([&runner] { runner.run(runWhoami); });
}

}  // namespace pk::cli
