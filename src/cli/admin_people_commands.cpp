#include "cli/admin_people_commands.h"

#include <algorithm>
#include <memory>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

#include "cli/admin_arguments.h"
#include "cli/admin_commands.h"
#include "cli/admin_password.h"
#include "cli/exit_codes.h"

namespace pk::cli {
namespace {

const std::vector<Column> kUserColumns = {
    {"USERNAME", "username"},
    {"ROLES", "roles"},
    {"DISABLED", "disabled"},
    {"CREATED", "created_at"},
};

const std::vector<Column> kTokenColumns = {
    {"ID", "id"},
    {"NAME", "name"},
    {"STATUS", "status"},
    {"CREATED", "created_at"},
    {"EXPIRES", "expires_at"},
    {"LAST USED", "last_used_at"},
};

const std::vector<Column> kAuditColumns = {
    {"ID", "id"},         {"TIME", "at"},          {"ACTOR", "actor"},
    {"ACTION", "action"}, {"TYPE", "object_type"}, {"OBJECT", "object_id"},
};

// The page size of audit list and export requests: the server's default,
// which every server accepts.
constexpr std::size_t kAuditPageSize = 500;

std::string userPath(const std::string& username) {
  return "/api/v1/users/" + percentEncode(username);
}

Result<void> checkRoles(std::string_view text) {
  auto roles = parseRoles(text);
  if (!roles) return tl::unexpected(roles.error());
  return {};
}

CLI::Validator sinceValidator(const Clock& clock) {
  return CLI::Validator(
      [&clock](std::string& value) -> std::string {
        auto since = parseSince(value, clock.now());
        return since ? std::string() : since.error().message;
      },
      "TIME");
}

// Returns the "id" of the last non-blank line of a JSON lines page, or
// nullopt when the page has no line. Fails when that line has no integer id.
Result<std::optional<std::int64_t>> lastEventId(const std::string& page) {
  std::istringstream lines(page);
  std::string line;
  std::string last;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  if (last.empty()) return std::optional<std::int64_t>();

  auto event = nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object() || !event.contains("id") || !event["id"].is_number_integer()) {
    return fail(ErrorCode::kMalformedInput,
                "the server's audit export has a line without an integer \"id\"");
  }
  return std::optional<std::int64_t>(event["id"].get<std::int64_t>());
}

}  // namespace

int runUsersList(AdminContext& ctx) {
  return showList(ctx, "/api/v1/users", {}, kUserColumns, "no users");
}

int runUsersCreate(const UserCreateOptions& options, AdminContext& ctx) {
  nlohmann::json request = {
      {"username", options.username},
      {"password", options.password},
      {"roles", options.roles},
  };
  return showObject(ctx, "POST", "/api/v1/users", request);
}

int runUsersSetRoles(const std::string& username, const std::vector<std::string>& roles,
                     AdminContext& ctx) {
  return showObject(ctx, "PATCH", userPath(username), {{"roles", roles}});
}

int runUsersSetDisabled(const std::string& username, bool disabled, AdminContext& ctx) {
  if (!callApi(ctx, "PATCH", userPath(username), {{"disabled", disabled}})) return kExitError;
  ctx.out << fmt::format(
      "user {} {}\n", username,
      disabled ? "disabled: their sessions and tokens no longer work" : "enabled");
  return kExitOk;
}

int runTokensList(AdminContext& ctx) {
  return showList(ctx, "/api/v1/tokens", {}, kTokenColumns, "no API tokens");
}

int runTokensCreate(const TokenCreateOptions& options, AdminContext& ctx) {
  nlohmann::json request = {{"name", options.name}, {"expires_in_days", options.expires_in_days}};
  int status = showObject(ctx, "POST", "/api/v1/tokens", request);
  if (status == kExitOk) {
    ctx.err << "note: the server shows this token only once; store it now, for example in a "
               "password manager, and pass it with --token or PATCHKEEPER_TOKEN\n";
  }
  return status;
}

int runTokensRevoke(std::int64_t id, AdminContext& ctx) {
  if (!callApi(ctx, "DELETE", fmt::format("/api/v1/tokens/{}", id))) return kExitError;
  ctx.out << fmt::format("API token {} revoked\n", id);
  return kExitOk;
}

int runAuditList(const AuditListOptions& options, AdminContext& ctx) {
  // Pages of the server's default size, or smaller when the limit is.
  std::size_t page_size = kAuditPageSize;
  if (options.limit != 0) page_size = std::min(page_size, options.limit);
  return showList(ctx, "/api/v1/audit",
                  {{"since", options.since},
                   {"actor", options.actor},
                   {"object_type", options.object_type},
                   {"limit", std::to_string(page_size)}},
                  kAuditColumns, "no audit events", options.limit);
}

int runAuditExport(const std::string& since, AdminContext& ctx) {
  std::optional<std::int64_t> after_id;
  while (true) {
    std::vector<std::pair<std::string, std::string>> parameters = {
        {"format", "jsonl"},
        {"since", since},
        {"limit", std::to_string(kAuditPageSize)},
        {"after_id", after_id ? std::to_string(*after_id) : ""},
    };
    auto page = callApiText(ctx, "GET", "/api/v1/audit" + queryString(parameters));
    if (!page) return kExitError;

    auto last_id = lastEventId(*page);
    if (!last_id) {
      printError(ctx.err, last_id.error().message, "invalid_response");
      return kExitError;
    }
    if (!*last_id) return kExitOk;
    // A server that ignores after_id would send the same page forever.
    if (after_id && **last_id <= *after_id) {
      printError(ctx.err,
                 "the server's audit export did not move past event " + std::to_string(*after_id),
                 "invalid_response");
      return kExitError;
    }

    ctx.out << *page;
    if (page->back() != '\n') ctx.out << '\n';
    ctx.out.flush();
    after_id = *last_id;
  }
}

void addPeopleCommands(CLI::App& app, AdminRunner& runner, const Clock& clock) {
  auto roles_check = checkedBy(checkRoles, "ROLES");

  auto* users = app.add_subcommand("users", "Manage users and their roles");
  users->require_subcommand(1);

  auto* users_list = users->add_subcommand("list", "List users with their roles");
  runner.addConnectionOptions(users_list);
  runner.addFormatOption(users_list);
  users_list->callback([&runner] { runner.run(runUsersList); });

  struct CreateArguments {
    std::string username;
    std::string roles;
    std::string password_file;
  };
  auto create_arguments = std::make_shared<CreateArguments>();
  auto* create = users->add_subcommand(
      "create", "Create a user; the password comes from --password-file, a prompt or stdin");
  create->add_option("--username", create_arguments->username, "the new user's name")->required();
  create
      ->add_option("--roles", create_arguments->roles,
                   "comma-separated roles: admin, operator, owner, viewer, auditor, helpdesk")
      ->required()
      ->check(roles_check);
  create->add_option("--password-file", create_arguments->password_file,
                     "read the password from the first line of this file");
  runner.addConnectionOptions(create);
  runner.addFormatOption(create);
  create->callback([&runner, create_arguments] {
    runner.run([create_arguments](AdminContext& ctx) {
      auto password = readPassword(create_arguments->password_file,
                                   "Password for " + create_arguments->username + ": ",
                                   /*confirm=*/true);
      if (!password) {
        printError(ctx.err, password.error().message, "invalid_argument");
        return kExitInvalidInput;
      }
      UserCreateOptions options;
      options.username = create_arguments->username;
      options.roles = *parseRoles(create_arguments->roles);
      options.password = std::move(*password);
      return runUsersCreate(options, ctx);
    });
  });

  struct SetRolesArguments {
    std::string username;
    std::string roles;
  };
  auto set_roles_arguments = std::make_shared<SetRolesArguments>();
  auto* set_roles = users->add_subcommand("set-roles", "Replace a user's roles");
  set_roles->add_option("USERNAME", set_roles_arguments->username, "the user")->required();
  set_roles
      ->add_option("--roles", set_roles_arguments->roles,
                   "comma-separated roles: admin, operator, owner, viewer, auditor, helpdesk")
      ->required()
      ->check(roles_check);
  runner.addConnectionOptions(set_roles);
  runner.addFormatOption(set_roles);
  set_roles->callback([&runner, set_roles_arguments] {
    runner.run([set_roles_arguments](AdminContext& ctx) {
      return runUsersSetRoles(set_roles_arguments->username,
                              *parseRoles(set_roles_arguments->roles), ctx);
    });
  });

  for (bool disabled : {true, false}) {
    auto username = std::make_shared<std::string>();
    auto* command = users->add_subcommand(
        disabled ? "disable" : "enable",
        disabled ? "Disable a user: their sessions and API tokens stop working"
                 : "Enable a disabled user again");
    command->add_option("USERNAME", *username, "the user")->required();
    runner.addConnectionOptions(command);
    command->callback([&runner, username, disabled] {
      runner.run([username, disabled](AdminContext& ctx) {
        return runUsersSetDisabled(*username, disabled, ctx);
      });
    });
  }

  auto* tokens = app.add_subcommand("tokens", "Manage your own API tokens, for scripts");
  tokens->require_subcommand(1);

  auto* tokens_list = tokens->add_subcommand("list", "List your API tokens");
  runner.addConnectionOptions(tokens_list);
  runner.addFormatOption(tokens_list);
  tokens_list->callback([&runner] { runner.run(runTokensList); });

  auto token_options = std::make_shared<TokenCreateOptions>();
  auto* token_create = tokens->add_subcommand("create", "Create an API token and print it once");
  token_create
      ->add_option("--name", token_options->name, "what the token is for, \"nightly report\"")
      ->required();
  token_create
      ->add_option("--expires-in-days", token_options->expires_in_days,
                   "days until the token stops working")
      ->required()
      ->check(CLI::PositiveNumber);
  runner.addConnectionOptions(token_create);
  runner.addFormatOption(token_create);
  token_create->callback([&runner, token_options] {
    runner.run([token_options](AdminContext& ctx) { return runTokensCreate(*token_options, ctx); });
  });

  auto revoke_id = std::make_shared<std::int64_t>();
  auto* token_revoke = tokens->add_subcommand("revoke", "Revoke one of your API tokens");
  token_revoke->add_option("ID", *revoke_id, "the token's id, from `tokens list`")
      ->required()
      ->check(CLI::PositiveNumber);
  runner.addConnectionOptions(token_revoke);
  token_revoke->callback([&runner, revoke_id] {
    runner.run([revoke_id](AdminContext& ctx) { return runTokensRevoke(*revoke_id, ctx); });
  });

  auto* audit = app.add_subcommand("audit", "Read and export the audit log");
  audit->require_subcommand(1);

  auto audit_options = std::make_shared<AuditListOptions>();
  auto* audit_list = audit->add_subcommand("list", "List audit events, oldest first");
  audit_list
      ->add_option("--since", audit_options->since,
                   "only events at or after this RFC 3339 time, or this age (36h, 7d)")
      ->check(sinceValidator(clock));
  audit_list->add_option("--actor", audit_options->actor,
                         "only events by this actor, \"user:alice\" or \"host:h-...\"");
  audit_list->add_option("--object-type", audit_options->object_type,
                         "only events on this kind of object: host, user, feed, ...");
  audit_list->add_option("--limit", audit_options->limit, "print at most this many events; 0: all")
      ->capture_default_str();
  runner.addConnectionOptions(audit_list);
  runner.addFormatOption(audit_list);
  audit_list->callback([&runner, audit_options, &clock] {
    runner.run([audit_options, &clock](AdminContext& ctx) {
      AuditListOptions options = *audit_options;
      if (!options.since.empty()) options.since = *parseSince(options.since, clock.now());
      return runAuditList(options, ctx);
    });
  });

  auto export_since = std::make_shared<std::string>();
  auto* audit_export = audit->add_subcommand(
      "export", "Write the audit log as JSON lines, one event per line, for a SIEM");
  audit_export
      ->add_option("--since", *export_since,
                   "only events at or after this RFC 3339 time, or this age (36h, 7d)")
      ->check(sinceValidator(clock));
  runner.addConnectionOptions(audit_export);
  audit_export->callback([&runner, export_since, &clock] {
    runner.run([export_since, &clock](AdminContext& ctx) {
      std::string since = export_since->empty() ? "" : *parseSince(*export_since, clock.now());
      return runAuditExport(since, ctx);
    });
  });
}

}  // namespace pk::cli
