#include "cli/admin_ticket_commands.h"

#include <memory>
#include <ostream>

#include <fmt/format.h>

#include "cli/admin_arguments.h"
#include "cli/admin_commands.h"
#include "cli/exit_codes.h"

namespace pk::cli {
namespace {

constexpr std::string_view kMoveType = "move_server_window";
constexpr std::string_view kReportAccessType = "report_access";

const std::vector<Column> kTicketColumns = {
    {"ID", "id"},
    {"TYPE", "type"},
    {"STATUS", "status"},
    {"REQUESTER", "requester"},
    {"HOSTS", "subject_hosts"},
    {"EXTERNAL", "external_reference"},
    {"CREATED", "created_at"},
    {"UPDATED", "updated_at"},
};

std::string ticketPath(std::int64_t id) {
  return fmt::format("/api/v1/tickets/{}", id);
}

int invalidInput(AdminContext& ctx, std::string_view message) {
  printError(ctx.err, message, "invalid_argument");
  return kExitInvalidInput;
}

}  // namespace

int runTicketsList(const TicketListOptions& options, AdminContext& ctx) {
  return showList(
      ctx, "/api/v1/tickets",
      {{"status", options.status}, {"type", options.type}, {"mine", options.mine ? "true" : ""}},
      kTicketColumns, "no tickets");
}

int runTicketsShow(std::int64_t id, AdminContext& ctx) {
  return showObject(ctx, "GET", ticketPath(id));
}

int runTicketsFile(const TicketFileOptions& options, AdminContext& ctx) {
  nlohmann::json request = {{"type", options.type}, {"justification", options.justification}};
  if (options.type == kMoveType) {
    if (options.host.empty() || options.window.empty()) {
      return invalidInput(ctx, "a move_server_window ticket needs --host and --window");
    }
    request["host"] = options.host;
    request["window"] = options.window;
  } else if (options.type == kReportAccessType) {
    if (!options.host.empty() || !options.window.empty()) {
      return invalidInput(ctx, "a report_access ticket takes neither --host nor --window");
    }
  } else {
    return invalidInput(ctx, fmt::format("unknown ticket type \"{}\"; use move_server_window or "
                                         "report_access",
                                         options.type));
  }
  if (!options.external_reference.empty()) {
    request["external_reference"] = options.external_reference;
  }
  return showObject(ctx, "POST", "/api/v1/tickets", request);
}

int runTicketsComment(const TicketCommentOptions& options, AdminContext& ctx) {
  nlohmann::json request = nlohmann::json::object();
  if (!options.comment.empty()) request["comment"] = options.comment;
  if (!options.external_reference.empty()) {
    request["external_reference"] = options.external_reference;
  }
  if (request.empty()) return invalidInput(ctx, "give --comment, --external-reference or both");
  return showObject(ctx, "POST", ticketPath(options.id) + "/comments", request);
}

int runTicketsApprove(std::int64_t id, const std::string& comment, AdminContext& ctx) {
  nlohmann::json request = nlohmann::json::object();
  if (!comment.empty()) request["comment"] = comment;
  return showObject(ctx, "POST", ticketPath(id) + "/approve", request);
}

int runTicketsRefuse(std::int64_t id, const std::string& comment, AdminContext& ctx) {
  if (comment.empty()) return invalidInput(ctx, "a refusal needs --comment saying why");
  return showObject(ctx, "POST", ticketPath(id) + "/refuse", {{"comment", comment}});
}

void addTicketCommands(CLI::App& app, AdminRunner& runner) {
  auto* tickets =
      app.add_subcommand("tickets", "File, list and decide change requests for the security team");
  tickets->require_subcommand(1);

  auto list_options = std::make_shared<TicketListOptions>();
  auto* list = tickets->add_subcommand("list", "List the tickets you may see, newest first");
  list->add_option("--status", list_options->status, "only tickets with this status")
      ->check(CLI::IsMember({"open", "approved", "refused", "applied", "superseded"}));
  list->add_option("--type", list_options->type, "only tickets of this type")
      ->check(CLI::IsMember({std::string(kMoveType), std::string(kReportAccessType)}));
  list->add_flag("--mine", list_options->mine, "only tickets you filed");
  runner.addConnectionOptions(list);
  runner.addFormatOption(list);
  list->callback([&runner, list_options] {
    runner.run([list_options](AdminContext& ctx) { return runTicketsList(*list_options, ctx); });
  });

  auto show_id = std::make_shared<std::int64_t>();
  auto* show = tickets->add_subcommand("show", "Show one ticket with its comments");
  show->add_option("ID", *show_id, "the ticket's id")->required()->check(CLI::PositiveNumber);
  runner.addConnectionOptions(show);
  runner.addFormatOption(show);
  show->callback([&runner, show_id] {
    runner.run([show_id](AdminContext& ctx) { return runTicketsShow(*show_id, ctx); });
  });

  auto file_options = std::make_shared<TicketFileOptions>();
  auto* file = tickets->add_subcommand(
      "file", "File a ticket: move a server to another window, or request report access");
  file->add_option("TYPE", file_options->type, "move_server_window or report_access")
      ->required()
      ->check(CLI::IsMember({std::string(kMoveType), std::string(kReportAccessType)}));
  file->add_option("--host", file_options->host, "move_server_window: the server's id, h-...")
      ->check(checkedBy(validateHostId, "HOST_ID"));
  file->add_option("--window", file_options->window,
                   "move_server_window: the requested window's id, w-...");
  file->add_option("--justification", file_options->justification, "why the change is needed")
      ->required();
  file->add_option("--external-reference", file_options->external_reference,
                   "a help-desk system's own ticket id (admin or helpdesk role)");
  runner.addConnectionOptions(file);
  runner.addFormatOption(file);
  file->callback([&runner, file_options] {
    runner.run([file_options](AdminContext& ctx) { return runTicketsFile(*file_options, ctx); });
  });

  auto comment_options = std::make_shared<TicketCommentOptions>();
  auto* comment = tickets->add_subcommand("comment", "Comment on a ticket");
  comment->add_option("ID", comment_options->id, "the ticket's id")
      ->required()
      ->check(CLI::PositiveNumber);
  comment->add_option("--comment", comment_options->comment, "the comment's text");
  comment->add_option("--external-reference", comment_options->external_reference,
                      "set the help-desk system's ticket id (admin or helpdesk role)");
  runner.addConnectionOptions(comment);
  runner.addFormatOption(comment);
  comment->callback([&runner, comment_options] {
    runner.run(
        [comment_options](AdminContext& ctx) { return runTicketsComment(*comment_options, ctx); });
  });

  for (const bool approve : {true, false}) {
    auto id = std::make_shared<std::int64_t>();
    auto text = std::make_shared<std::string>();
    auto* decide = tickets->add_subcommand(
        approve ? "approve" : "refuse",
        approve ? "Approve a ticket filed by someone else (admin); a move takes effect when the "
                  "server's window is closed"
                : "Refuse a ticket filed by someone else (admin), saying why");
    decide->add_option("ID", *id, "the ticket's id")->required()->check(CLI::PositiveNumber);
    auto* comment_option = decide->add_option("--comment", *text, "the decision's comment");
    if (!approve) comment_option->required();
    runner.addConnectionOptions(decide);
    runner.addFormatOption(decide);
    decide->callback([&runner, id, text, approve] {
      runner.run([id, text, approve](AdminContext& ctx) {
        return approve ? runTicketsApprove(*id, *text, ctx) : runTicketsRefuse(*id, *text, ctx);
      });
    });
  }
}

}  // namespace pk::cli
