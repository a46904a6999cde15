#pragma once

// `patchkeeper login`, `logout` and `whoami`: starting and ending a session
// on a server and saving it in the client configuration (admin_config.h).

#include <string>

#include <CLI/CLI.hpp>

#include "cli/admin_api.h"
#include "cli/admin_commands.h"

namespace pk::cli {

struct LoginOptions {
  std::string username;
  std::string password;
};

// POST /api/v1/sessions {username, password}. On 201 saves the server URL,
// pin or CA file, username and the returned token and expiry to
// loaded.path, and prints where it logged in. `ctx.api` must send no
// token. Returns kExitOk, or kExitError after a failed request (a wrong
// password is the server's 401) or a failed save.
int runLogin(const LoginOptions& options, const LoadedConfig& loaded, AdminContext& ctx);

// DELETE /api/v1/sessions/current, then removes the saved token from
// loaded.path when the session used was the saved one. A 401 means the
// session had already ended; the saved token is removed all the same and
// the result is kExitOk.
int runLogout(const LoadedConfig& loaded, AdminContext& ctx);

// GET /api/v1/me
int runWhoami(AdminContext& ctx);

// Adds `login`, `logout` and `whoami` to `app`.
void addSessionCommands(CLI::App& app, AdminRunner& runner);

}  // namespace pk::cli
