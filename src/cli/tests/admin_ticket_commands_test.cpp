// Checks that each `patchkeeper tickets` command sends the request its API
// route expects and prints the response, with a FakeTransport in place of
// the server.

#include "cli/admin_ticket_commands.h"

#include <gtest/gtest.h>

#include "cli/exit_codes.h"
#include "cli/tests/admin_fake_transport.h"

namespace pk::cli {
namespace {

using test::FakeContext;

nlohmann::json sentBody(const FakeContext& fake, std::size_t index = 0) {
  return nlohmann::json::parse(fake.transport.requests.at(index).body);
}

const char* kTicket = R"({"id": 7, "type": "move_server_window", "status": "open"})";

TEST(AdminTicketCommands, ListSendsOnlyGivenFilters) {
  FakeContext fake;
  fake.transport.respond(200, R"({"items": []})");
  TicketListOptions options;
  options.status = "open";
  options.mine = true;

  EXPECT_EQ(runTicketsList(options, fake.ctx), kExitOk);
  ASSERT_EQ(fake.transport.requests.size(), 1u);
  EXPECT_EQ(fake.transport.requests[0].method, "GET");
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/tickets?status=open&mine=true");
  EXPECT_EQ(fake.out.str(), "no tickets\n");
}

TEST(AdminTicketCommands, ListPrintsTicketColumns) {
  FakeContext fake;
  const nlohmann::json ticket = {{"id", 7},
                                 {"type", "report_access"},
                                 {"status", "open"},
                                 {"requester", "olivia"},
                                 {"subject_hosts", nlohmann::json::array()},
                                 {"external_reference", nullptr},
                                 {"created_at", "2026-12-05T00:00:00Z"},
                                 {"updated_at", "2026-12-05T00:00:00Z"}};
  fake.transport.respond(200, nlohmann::json({{"items", {ticket}}}).dump());

  EXPECT_EQ(runTicketsList({}, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/tickets");
  EXPECT_NE(fake.out.str().find("report_access"), std::string::npos) << fake.out.str();
  EXPECT_NE(fake.out.str().find("olivia"), std::string::npos) << fake.out.str();
}

TEST(AdminTicketCommands, FileMoveSendsHostAndWindow) {
  FakeContext fake;
  fake.transport.respond(201, kTicket);
  TicketFileOptions options;
  options.type = "move_server_window";
  options.host = "h-0123456789abcdef";
  options.window = "w-0123456789abcdef";
  options.justification = "evening patching";
  options.external_reference = "HD-9";

  EXPECT_EQ(runTicketsFile(options, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].method, "POST");
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/tickets");
  EXPECT_EQ(sentBody(fake), (nlohmann::json{{"type", "move_server_window"},
                                            {"host", "h-0123456789abcdef"},
                                            {"window", "w-0123456789abcdef"},
                                            {"justification", "evening patching"},
                                            {"external_reference", "HD-9"}}));
}

TEST(AdminTicketCommands, FileMoveWithoutWindowIsUsageError) {
  FakeContext fake;
  TicketFileOptions options;
  options.type = "move_server_window";
  options.host = "h-0123456789abcdef";
  options.justification = "x";

  EXPECT_EQ(runTicketsFile(options, fake.ctx), kExitInvalidInput);
  EXPECT_TRUE(fake.transport.requests.empty());
  EXPECT_NE(fake.err.str().find("--window"), std::string::npos) << fake.err.str();
}

TEST(AdminTicketCommands, FileReportAccessSendsNoHost) {
  FakeContext fake;
  fake.transport.respond(201, kTicket);
  TicketFileOptions options;
  options.type = "report_access";
  options.justification = "quarterly review";

  EXPECT_EQ(runTicketsFile(options, fake.ctx), kExitOk);
  EXPECT_EQ(sentBody(fake),
            (nlohmann::json{{"type", "report_access"}, {"justification", "quarterly review"}}));

  FakeContext with_host;
  options.host = "h-0123456789abcdef";
  EXPECT_EQ(runTicketsFile(options, with_host.ctx), kExitInvalidInput);
  EXPECT_TRUE(with_host.transport.requests.empty());
}

TEST(AdminTicketCommands, CommentNeedsText) {
  FakeContext fake;
  TicketCommentOptions options;
  options.id = 7;
  EXPECT_EQ(runTicketsComment(options, fake.ctx), kExitInvalidInput);
  EXPECT_TRUE(fake.transport.requests.empty());

  fake.transport.respond(200, kTicket);
  options.comment = "confirmed by phone";
  EXPECT_EQ(runTicketsComment(options, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/tickets/7/comments");
  EXPECT_EQ(sentBody(fake), (nlohmann::json{{"comment", "confirmed by phone"}}));
}

TEST(AdminTicketCommands, ApproveAndRefuse) {
  FakeContext fake;
  fake.transport.respond(200, kTicket);
  fake.transport.respond(200, kTicket);

  EXPECT_EQ(runTicketsApprove(7, "", fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/tickets/7/approve");
  EXPECT_EQ(sentBody(fake, 0), nlohmann::json::object());

  EXPECT_EQ(runTicketsRefuse(8, "not this month", fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[1].target, "/api/v1/tickets/8/refuse");
  EXPECT_EQ(sentBody(fake, 1), (nlohmann::json{{"comment", "not this month"}}));
}

TEST(AdminTicketCommands, RefuseWithoutCommentIsUsageError) {
  FakeContext fake;
  EXPECT_EQ(runTicketsRefuse(7, "", fake.ctx), kExitInvalidInput);
  EXPECT_TRUE(fake.transport.requests.empty());
}

TEST(AdminTicketCommands, ForbiddenApprovalIsError) {
  FakeContext fake;
  fake.transport.respond(
      403, R"({"error": {"code": "own_ticket", "message": "You filed this ticket."}})");
  EXPECT_EQ(runTicketsApprove(7, "", fake.ctx), kExitError);
  EXPECT_NE(fake.err.str().find("own_ticket"), std::string::npos) << fake.err.str();
}

}  // namespace
}  // namespace pk::cli
