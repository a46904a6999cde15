#pragma once

// `patchkeeper tickets ...`: change requests for the security team (see
// docs/TICKETS.md). Each run function makes one API call (listed beside
// it) and prints the result in ctx.output's format. It returns kExitOk, or
// kExitError after printing the server's error. Options that cannot make a
// valid request return kExitInvalidInput, and nothing is sent then.

#include <cstdint>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/admin_api.h"

namespace pk::cli {

class AdminRunner;

struct TicketListOptions {
  std::string status;  // "open", "approved", "refused" or "applied"; "" for any
  std::string type;    // "move_server_window" or "report_access"; "" for any
  bool mine = false;   // only tickets the caller filed
};

struct TicketFileOptions {
  std::string type;    // "move_server_window" or "report_access"
  std::string host;    // move_server_window: the server's id
  std::string window;  // move_server_window: the requested window's id
  std::string justification;
  std::string external_reference;  // "" leaves it out
};

struct TicketCommentOptions {
  std::int64_t id = 0;
  std::string comment;
  std::string external_reference;  // "" leaves it out
};

// GET /api/v1/tickets?status=&type=&mine=true
int runTicketsList(const TicketListOptions& options, AdminContext& ctx);
// GET /api/v1/tickets/{id}
int runTicketsShow(std::int64_t id, AdminContext& ctx);
// POST /api/v1/tickets. Returns kExitInvalidInput when a move lacks --host
// or --window, or report access has either.
int runTicketsFile(const TicketFileOptions& options, AdminContext& ctx);
// POST /api/v1/tickets/{id}/comments. Returns kExitInvalidInput when
// neither a comment nor a reference is given.
int runTicketsComment(const TicketCommentOptions& options, AdminContext& ctx);
// POST /api/v1/tickets/{id}/approve, with the comment when not "".
int runTicketsApprove(std::int64_t id, const std::string& comment, AdminContext& ctx);
// POST /api/v1/tickets/{id}/refuse. Returns kExitInvalidInput without a
// comment, which the server requires.
int runTicketsRefuse(std::int64_t id, const std::string& comment, AdminContext& ctx);

// Adds the `tickets` command to `app`.
void addTicketCommands(CLI::App& app, AdminRunner& runner);

}  // namespace pk::cli
