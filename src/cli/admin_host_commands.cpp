#include "cli/admin_host_commands.h"

#include <memory>
#include <ostream>

#include <fmt/format.h>

#include "cli/admin_arguments.h"
#include "cli/admin_commands.h"
#include "cli/exit_codes.h"

namespace pk::cli {
namespace {

const std::vector<Column> kHostColumns = {
    {"ID", "id"},
    {"HOSTNAME", "hostname"},
    {"KIND", "kind"},
    {"OWNER", "owner"},
    {"STATUS", "status"},
    {"OS", "os.pretty_name"},
    {"COMPLIANCE", "compliance.status"},
    {"LAST SEEN", "last_seen_at"},
};

const std::vector<Column> kEnrolmentSecretColumns = {
    {"ID", "id"},
    {"NAME", "name"},
    {"KIND", "kind"},
    {"OWNER", "owner"},
    {"COLLECTIONS", "collections"},
    {"STATUS", "status"},
    {"EXPIRES", "expires_at"},
    {"USES", "use_count"},
    {"CREATED BY", "created_by"},
};

std::string hostPath(const std::string& host_id) {
  return "/api/v1/hosts/" + percentEncode(host_id);
}

}  // namespace

int runHostsList(const HostListOptions& options, AdminContext& ctx) {
  return showList(ctx, "/api/v1/hosts",
                  {{"owner", options.owner},
                   {"kind", options.kind},
                   {"status", options.status},
                   {"collection", options.collection},
                   {"compliance", options.compliance}},
                  kHostColumns, "no hosts");
}

int runHostsShow(const std::string& host_id, AdminContext& ctx) {
  return showObject(ctx, "GET", hostPath(host_id));
}

int runHostsSet(const HostSetOptions& options, AdminContext& ctx) {
  nlohmann::json changes = nlohmann::json::object();
  if (options.kind) changes["kind"] = *options.kind;
  if (options.owner) changes["owner"] = *options.owner;
  if (options.collections) {
    auto collections = parseList(*options.collections);
    if (!collections) {
      printError(ctx.err, collections.error().message, "invalid_argument");
      return kExitInvalidInput;
    }
    changes["collections"] = *collections;
  }
  if (changes.empty()) {
    printError(ctx.err, "nothing to change: give --kind, --owner or --collections",
               "invalid_argument");
    return kExitInvalidInput;
  }
  return showObject(ctx, "PATCH", hostPath(options.host_id), changes);
}

int runHostsRevoke(const std::string& host_id, AdminContext& ctx) {
  if (!callApi(ctx, "POST", hostPath(host_id) + "/revoke")) return kExitError;
  ctx.out << fmt::format("host {} revoked: its token no longer works and it must enrol again\n",
                         host_id);
  return kExitOk;
}

int runHostsApproveReenrolment(const std::string& host_id, AdminContext& ctx) {
  auto response = callApi(ctx, "POST", hostPath(host_id) + "/approve-reenrolment");
  if (!response) return kExitError;
  std::string until = cellText(*response, "reenrolment_approved_until");
  ctx.out << fmt::format("host {} may enrol again{}\n", host_id,
                         until.empty() ? "" : " until " + until);
  return kExitOk;
}

int runEnrolmentSecretsList(AdminContext& ctx) {
  return showList(ctx, "/api/v1/enrolment-secrets", {}, kEnrolmentSecretColumns,
                  "no enrolment secrets");
}

int runEnrolmentSecretsCreate(const EnrolmentSecretCreateOptions& options, AdminContext& ctx) {
  auto collections = parseList(options.collections);
  if (!collections) {
    printError(ctx.err, collections.error().message, "invalid_argument");
    return kExitInvalidInput;
  }
  nlohmann::json request = {
      {"name", options.name},
      {"kind", options.kind},
      {"collections", *collections},
      {"expires_in_hours", options.expires_in_hours},
  };
  if (!options.owner.empty()) request["owner"] = options.owner;
  int status = showObject(ctx, "POST", "/api/v1/enrolment-secrets", request);
  if (status == kExitOk) {
    ctx.err << "note: the server shows this secret only once; store it now, for example in "
               "the agents' configuration\n";
  }
  return status;
}

int runEnrolmentSecretsDelete(std::int64_t id, AdminContext& ctx) {
  if (!callApi(ctx, "DELETE", fmt::format("/api/v1/enrolment-secrets/{}", id))) return kExitError;
  ctx.out << fmt::format("enrolment secret {} revoked: hosts can no longer enrol with it\n", id);
  return kExitOk;
}

void addHostCommands(CLI::App& app, AdminRunner& runner) {
  auto* hosts = app.add_subcommand("hosts", "List, show and change enrolled hosts");
  hosts->require_subcommand(1);
  auto host_id_check = checkedBy(validateHostId, "HOST_ID");
  auto kind_check = checkedBy(validateHostKind, "KIND");

  auto list_options = std::make_shared<HostListOptions>();
  auto* list = hosts->add_subcommand("list", "List hosts, optionally filtered");
  list->add_option("--owner", list_options->owner, "only hosts owned by this username");
  list->add_option("--kind", list_options->kind, "only servers or only endpoints")
      ->check(kind_check);
  list->add_option("--status", list_options->status, "only active or only revoked hosts")
      ->check(checkedBy(validateHostStatus, "STATUS"));
  list->add_option("--collection", list_options->collection, "only hosts in this collection");
  list->add_option("--compliance", list_options->compliance,
                   "only hosts with this compliance: compliant, not_compliant, unknown")
      ->check(checkedBy(validateComplianceStatus, "COMPLIANCE"));
  runner.addConnectionOptions(list);
  runner.addFormatOption(list);
  list->callback([&runner, list_options] {
    runner.run([list_options](AdminContext& ctx) { return runHostsList(*list_options, ctx); });
  });

  auto show_id = std::make_shared<std::string>();
  auto* show = hosts->add_subcommand("show", "Show one host: OS, kernel, restart, data ages");
  show->add_option("HOST_ID", *show_id, "the host's id, h-...")->required()->check(host_id_check);
  runner.addConnectionOptions(show);
  runner.addFormatOption(show);
  show->callback([&runner, show_id] {
    runner.run([show_id](AdminContext& ctx) { return runHostsShow(*show_id, ctx); });
  });

  auto set_options = std::make_shared<HostSetOptions>();
  auto* set = hosts->add_subcommand("set", "Change a host's kind, owner or collections");
  set->add_option("HOST_ID", set_options->host_id, "the host's id, h-...")
      ->required()
      ->check(host_id_check);
  set->add_option("--kind", set_options->kind, "server or endpoint")->check(kind_check);
  set->add_option("--owner", set_options->owner, "the owner's username; \"\" for none");
  set->add_option("--collections", set_options->collections,
                  "comma-separated collections, replacing the current ones; \"\" for none");
  runner.addConnectionOptions(set);
  runner.addFormatOption(set);
  set->callback([&runner, set_options] {
    runner.run([set_options](AdminContext& ctx) { return runHostsSet(*set_options, ctx); });
  });

  auto revoke_id = std::make_shared<std::string>();
  auto* revoke = hosts->add_subcommand("revoke", "Revoke a host: its token stops working at once");
  revoke->add_option("HOST_ID", *revoke_id, "the host's id, h-...")
      ->required()
      ->check(host_id_check);
  runner.addConnectionOptions(revoke);
  revoke->callback([&runner, revoke_id] {
    runner.run([revoke_id](AdminContext& ctx) { return runHostsRevoke(*revoke_id, ctx); });
  });

  auto approve_id = std::make_shared<std::string>();
  auto* approve = hosts->add_subcommand(
      "approve-reenrolment",
      "Let an enrolled host's machine enrol again (after a reinstall) and keep its id");
  approve->add_option("HOST_ID", *approve_id, "the host's id, h-...")
      ->required()
      ->check(host_id_check);
  runner.addConnectionOptions(approve);
  approve->callback([&runner, approve_id] {
    runner.run(
        [approve_id](AdminContext& ctx) { return runHostsApproveReenrolment(*approve_id, ctx); });
  });

  auto* secrets = app.add_subcommand("enrolment-secrets",
                                     "Manage the secrets that hosts exchange for a host token");
  secrets->require_subcommand(1);

  auto* secrets_list = secrets->add_subcommand("list", "List enrolment secrets");
  runner.addConnectionOptions(secrets_list);
  runner.addFormatOption(secrets_list);
  secrets_list->callback([&runner] { runner.run(runEnrolmentSecretsList); });

  auto create_options = std::make_shared<EnrolmentSecretCreateOptions>();
  auto* create = secrets->add_subcommand(
      "create", "Create a secret; hosts enrolling with it get its kind, owner and collections");
  create->add_option("--name", create_options->name, "a name for people, \"web servers\"")
      ->required();
  create->add_option("--kind", create_options->kind, "server or endpoint")
      ->required()
      ->check(kind_check);
  create->add_option("--owner", create_options->owner,
                     "the username owning the enrolled hosts (default: none)");
  create->add_option("--collections", create_options->collections,
                     "comma-separated collections for the enrolled hosts");
  create
      ->add_option("--expires-in-hours", create_options->expires_in_hours,
                   "hours until the secret stops working")
      ->required()
      ->check(CLI::PositiveNumber);
  runner.addConnectionOptions(create);
  runner.addFormatOption(create);
  create->callback([&runner, create_options] {
    runner.run([create_options](AdminContext& ctx) {
      return runEnrolmentSecretsCreate(*create_options, ctx);
    });
  });

  auto delete_id = std::make_shared<std::int64_t>();
  auto* remove =
      secrets->add_subcommand("delete", "Revoke a secret so that no host enrols with it any more");
  remove->add_option("ID", *delete_id, "the secret's id, from `enrolment-secrets list`")
      ->required()
      ->check(CLI::PositiveNumber);
  runner.addConnectionOptions(remove);
  remove->callback([&runner, delete_id] {
    runner.run(
        [delete_id](AdminContext& ctx) { return runEnrolmentSecretsDelete(*delete_id, ctx); });
  });
}

}  // namespace pk::cli
