#include "server/ticket_routes.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "server/tests/ticket_fixture.h"
#include "store/ticket_repository.h"
#include "store/webhook_repository.h"

namespace pk::server::ticket_tests {
namespace {

using json = nlohmann::json;

TEST_F(TicketServerTest, OwnerFilesMoveTicket) {
  const auto response = call("POST", "/api/v1/tickets", owner_, moveBody(server_, window_b_));
  ASSERT_EQ(response.status, 201) << response.body;
  const json ticket = bodyOf(response);
  EXPECT_EQ(ticket["type"], "move_server_window");
  EXPECT_EQ(ticket["status"], "open");
  EXPECT_EQ(ticket["requester"], "olivia");
  EXPECT_EQ(ticket["assignee_group"], "security");
  EXPECT_EQ(ticket["subject_hosts"], json::array({server_}));
  EXPECT_EQ(ticket["requested_change"]["window"], window_b_);
  EXPECT_EQ(ticket["comments"], json::array());

  const auto events = auditOf("ticket", std::to_string(ticket["id"].get<std::int64_t>()));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "ticket.create");
  EXPECT_EQ(events[0].actor, "user:olivia");
}

TEST_F(TicketServerTest, OperatorFilesForAnyServer) {
  const auto response =
      call("POST", "/api/v1/tickets", operator_, moveBody(others_server_, window_b_));
  EXPECT_EQ(response.status, 201) << response.body;
}

TEST_F(TicketServerTest, OwnerCannotFileForAnothersHost) {
  const auto response =
      call("POST", "/api/v1/tickets", owner_, moveBody(others_server_, window_b_));
  EXPECT_EQ(response.status, 404) << response.body;
  EXPECT_EQ(errorCode(response), "not_found");
  EXPECT_NE(response.body.find("your own servers"), std::string::npos) << response.body;
}

TEST_F(TicketServerTest, EndpointTicketIsRejected) {
  const auto response = call("POST", "/api/v1/tickets", owner_, moveBody(endpoint_, window_b_));
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_EQ(errorCode(response), "not_a_server");
}

TEST_F(TicketServerTest, UnknownWindowIsRejected) {
  const auto response =
      call("POST", "/api/v1/tickets", owner_, moveBody(server_, "w-00000000000000ff"));
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_EQ(errorCode(response), "unknown_window");
}

TEST_F(TicketServerTest, CurrentWindowIsRejected) {
  const auto response = call("POST", "/api/v1/tickets", owner_, moveBody(server_, window_a_));
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_EQ(errorCode(response), "already_in_window");
}

TEST_F(TicketServerTest, MalformedBodiesAreRejected) {
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"type", "reboot_everything"}, {"justification", "x"}}, "invalid_field"},
      {{{"type", "move_server_window"}, {"host", server_}, {"window", window_b_}}, "invalid_field"},
      {{{"type", "move_server_window"},
        {"host", "not-a-host"},
        {"window", window_b_},
        {"justification", "x"}},
       "invalid_field"},
      {{{"type", "move_server_window"},
        {"host", server_},
        {"window", window_b_},
        {"justification", "x"},
        {"priority", "high"}},
       "unknown_field"},
      {{{"type", "report_access"}, {"justification", std::string(9000, 'x')}}, "invalid_field"},
  };
  for (const auto& [body, code] : cases) {
    const auto response = call("POST", "/api/v1/tickets", owner_, body);
    EXPECT_EQ(response.status, 400) << body.dump();
    EXPECT_EQ(errorCode(response), code) << body.dump();
  }
}

TEST_F(TicketServerTest, ViewerCannotFileOrApprove) {
  const std::int64_t id = fileMove(owner_);
  EXPECT_EQ(call("POST", "/api/v1/tickets", viewer_, moveBody(server_, window_b_)).status, 403);
  const auto approve = call("POST", ticketPath(id, "/approve"), viewer_, json::object());
  EXPECT_EQ(approve.status, 403) << approve.body;
}

TEST_F(TicketServerTest, HelpdeskCannotApproveOrRefuse) {
  const std::int64_t id = fileMove(owner_);
  const auto approve = call("POST", ticketPath(id, "/approve"), helpdesk_, json::object());
  EXPECT_EQ(approve.status, 403) << approve.body;
  const auto refuse = call("POST", ticketPath(id, "/refuse"), helpdesk_, json{{"comment", "no"}});
  EXPECT_EQ(refuse.status, 403) << refuse.body;
  EXPECT_EQ(bodyOf(call("GET", ticketPath(id), admin_))["status"], "open");
}

TEST_F(TicketServerTest, HelpdeskFilesCommentsAndLinks) {
  auto body = moveBody(server_, window_b_);
  body["external_reference"] = "HD-1001";
  const auto filed = call("POST", "/api/v1/tickets", helpdesk_, body);
  ASSERT_EQ(filed.status, 201) << filed.body;
  const std::int64_t id = bodyOf(filed)["id"];
  EXPECT_EQ(bodyOf(filed)["external_reference"], "HD-1001");
  EXPECT_EQ(bodyOf(filed)["requester"], "desk");

  const auto commented = call("POST", ticketPath(id, "/comments"), helpdesk_,
                              json{{"comment", "the caller confirmed the change"}});
  ASSERT_EQ(commented.status, 200) << commented.body;
  EXPECT_EQ(bodyOf(commented)["comments"].size(), 1u);

  const auto linked = call("PUT", ticketPath(id, "/external-reference"), helpdesk_,
                           json{{"external_reference", "HD-1002"}});
  ASSERT_EQ(linked.status, 200) << linked.body;
  EXPECT_EQ(bodyOf(linked)["external_reference"], "HD-1002");

  // The help-desk can read every ticket, including those it did not file.
  const std::int64_t owners = fileMove(owner_);
  EXPECT_EQ(call("GET", ticketPath(owners), helpdesk_).status, 200);
}

TEST_F(TicketServerTest, OwnerCannotSetExternalReference) {
  auto body = moveBody(server_, window_b_);
  body["external_reference"] = "HD-1";
  const auto response = call("POST", "/api/v1/tickets", owner_, body);
  EXPECT_EQ(response.status, 403) << response.body;
  const std::int64_t id = fileMove(owner_);
  EXPECT_EQ(call("PUT", ticketPath(id, "/external-reference"), owner_,
                 json{{"external_reference", "HD-2"}})
                .status,
            403);
}

TEST_F(TicketServerTest, NobodyDecidesOwnTicket) {
  const auto filed = call("POST", "/api/v1/tickets", admin_, moveBody(server_, window_b_));
  ASSERT_EQ(filed.status, 201) << filed.body;
  const std::int64_t id = bodyOf(filed)["id"];
  const auto approve = call("POST", ticketPath(id, "/approve"), admin_, json::object());
  EXPECT_EQ(approve.status, 403) << approve.body;
  EXPECT_EQ(errorCode(approve), "own_ticket");
  const auto refuse = call("POST", ticketPath(id, "/refuse"), admin_, json{{"comment", "no"}});
  EXPECT_EQ(refuse.status, 403) << refuse.body;
  EXPECT_EQ(call("POST", ticketPath(id, "/approve"), second_admin_, json::object()).status, 200);
}

TEST_F(TicketServerTest, RefusalNeedsComment) {
  const std::int64_t id = fileMove(owner_);
  const auto bare = call("POST", ticketPath(id, "/refuse"), admin_, json::object());
  EXPECT_EQ(bare.status, 400) << bare.body;
  const auto refused =
      call("POST", ticketPath(id, "/refuse"), admin_, json{{"comment", "freeze until January"}});
  ASSERT_EQ(refused.status, 200) << refused.body;
  const json ticket = bodyOf(refused);
  EXPECT_EQ(ticket["status"], "refused");
  EXPECT_EQ(ticket["decided_by"], "alice");
  ASSERT_EQ(ticket["comments"].size(), 1u);
  EXPECT_EQ(ticket["comments"][0]["kind"], "refusal");
  EXPECT_EQ(ticket["comments"][0]["body"], "freeze until January");
  EXPECT_EQ(windowOf(server_), window_a_);

  const auto again = call("POST", ticketPath(id, "/approve"), admin_, json::object());
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(errorCode(again), "not_open");
}

TEST_F(TicketServerTest, ApprovalInClosedWindowAppliesAtOnce) {
  // Saturday 00:00: window A (02:00-06:00) is closed.
  const std::int64_t id = fileMove(owner_);
  const auto approved = call("POST", ticketPath(id, "/approve"), admin_, json{{"comment", "fine"}});
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(bodyOf(approved)["status"], "applied");
  EXPECT_EQ(windowOf(server_), window_b_);

  const auto events = auditOf("ticket", std::to_string(id));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].action, "ticket.create");
  EXPECT_EQ(events[1].action, "ticket.approve");
  EXPECT_EQ(events[1].actor, "user:alice");
  EXPECT_EQ(events[2].action, "ticket.apply");
}

TEST_F(TicketServerTest, MoveWaitsForOpenWindowToClose) {
  const std::int64_t id = fileMove(owner_);
  // Saturday 03:00: window A is open until 06:00.
  clock_.setNow(saturdayMidnight() + std::chrono::hours(3));
  const auto approved = call("POST", ticketPath(id, "/approve"), admin_, json::object());
  ASSERT_EQ(approved.status, 200) << approved.body;
  const json ticket = bodyOf(approved);
  EXPECT_EQ(ticket["status"], "approved");
  EXPECT_EQ(ticket["effective_at"], "2026-12-05T06:00:00Z");
  EXPECT_EQ(windowOf(server_), window_a_);
  EXPECT_TRUE(runWindowJob().empty());

  clock_.setNow(saturdayMidnight() + std::chrono::hours(5) + std::chrono::minutes(59));
  EXPECT_TRUE(runWindowJob().empty());
  EXPECT_EQ(windowOf(server_), window_a_);
  EXPECT_EQ(bodyOf(call("GET", ticketPath(id), owner_))["status"], "approved");

  clock_.setNow(saturdayMidnight() + std::chrono::hours(6) + std::chrono::minutes(1));
  EXPECT_EQ(runWindowJob(), std::vector<std::int64_t>{id});
  EXPECT_EQ(windowOf(server_), window_b_);
  const json applied = bodyOf(call("GET", ticketPath(id), owner_));
  EXPECT_EQ(applied["status"], "applied");
  EXPECT_EQ(applied["applied_at"], "2026-12-05T06:01:00Z");

  const auto events = auditOf("ticket", std::to_string(id));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].action, "ticket.apply");
  EXPECT_EQ(events[2].actor, "system");
  // Running the job again applies nothing twice.
  EXPECT_TRUE(runWindowJob().empty());
}

// Two approved moves while window A is open: the later one replaces the
// pending earlier one, whose ticket is superseded instead of waiting for
// a move that never comes.
TEST_F(TicketServerTest, LaterApprovedMoveSupersedesPendingOne) {
  const std::string window_c =
      addWindow("monday-early", "FREQ=WEEKLY;BYDAY=MO", "2026-11-09T02:00:00");
  clock_.setNow(saturdayMidnight() + std::chrono::hours(3));
  const std::int64_t first = fileMove(owner_);
  ASSERT_EQ(call("POST", ticketPath(first, "/approve"), admin_, json::object()).status, 200);

  const auto filed = call("POST", "/api/v1/tickets", operator_, moveBody(server_, window_c));
  ASSERT_EQ(filed.status, 201) << filed.body;
  const std::int64_t second = bodyOf(filed)["id"];
  const auto approved = call("POST", ticketPath(second, "/approve"), admin_, json::object());
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(bodyOf(approved)["status"], "approved");

  const json superseded = bodyOf(call("GET", ticketPath(first), owner_));
  EXPECT_EQ(superseded["status"], "superseded");
  EXPECT_TRUE(superseded["effective_at"].is_null());
  const auto events = auditOf("ticket", std::to_string(first));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].action, "ticket.supersede");
  EXPECT_EQ(events[2].actor, "user:alice");
  const auto listed = call("GET", "/api/v1/tickets", admin_, nullptr, {{"status", "superseded"}});
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(bodyOf(listed)["items"].size(), 1u);
  EXPECT_EQ(bodyOf(listed)["items"][0]["id"], first);

  clock_.setNow(saturdayMidnight() + std::chrono::hours(6) + std::chrono::minutes(1));
  EXPECT_EQ(runWindowJob(), std::vector<std::int64_t>{second});
  EXPECT_EQ(windowOf(server_), window_c);
  EXPECT_EQ(bodyOf(call("GET", ticketPath(first), owner_))["status"], "superseded");
}

// Lengthening the open window postpones the move out of it to the new end,
// and shortening it until it has closed lets the move take effect now.
TEST_F(TicketServerTest, EditedWindowReschedulesPendingMove) {
  clock_.setNow(saturdayMidnight() + std::chrono::hours(3));
  const std::int64_t id = fileMove(owner_);
  ASSERT_EQ(call("POST", ticketPath(id, "/approve"), admin_, json::object()).status, 200);

  const auto longer =
      call("PUT", "/api/v1/windows/" + window_a_, second_admin_, json{{"length", "6h"}});
  ASSERT_EQ(longer.status, 200) << longer.body;
  EXPECT_EQ(bodyOf(call("GET", ticketPath(id), owner_))["effective_at"], "2026-12-05T08:00:00Z");
  clock_.setNow(saturdayMidnight() + std::chrono::hours(6) + std::chrono::minutes(30));
  EXPECT_TRUE(runWindowJob().empty());
  EXPECT_EQ(windowOf(server_), window_a_);

  const auto shorter =
      call("PUT", "/api/v1/windows/" + window_a_, second_admin_, json{{"length", "4h"}});
  ASSERT_EQ(shorter.status, 200) << shorter.body;
  const json ticket = bodyOf(call("GET", ticketPath(id), owner_));
  EXPECT_EQ(ticket["effective_at"], "2026-12-05T06:30:00Z");
  EXPECT_EQ(runWindowJob(), std::vector<std::int64_t>{id});
  EXPECT_EQ(windowOf(server_), window_b_);

  std::vector<std::string> actions;
  for (const auto& event : auditOf("host", server_)) actions.push_back(event.action);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"host.window_assign", "host.window_move_scheduled",
                                      "host.window_move_rescheduled",
                                      "host.window_move_rescheduled", "host.window_move_applied"}));
  std::vector<std::string> ticket_actions;
  for (const auto& event : auditOf("ticket", std::to_string(id))) {
    ticket_actions.push_back(event.action);
  }
  EXPECT_EQ(ticket_actions,
            (std::vector<std::string>{"ticket.create", "ticket.approve", "ticket.reschedule",
                                      "ticket.reschedule", "ticket.apply"}));
}

// An administrator keeps the server in its open window: the pending move
// is cancelled and its ticket superseded, with a webhook event.
TEST_F(TicketServerTest, AdministratorCancellingMoveSupersedesTicket) {
  const auto hook = call("POST", "/api/v1/webhooks", admin_,
                         json{{"url", "http://127.0.0.1:9/hook"}, {"events", ticketEventNames()}});
  ASSERT_EQ(hook.status, 201) << hook.body;
  clock_.setNow(saturdayMidnight() + std::chrono::hours(3));
  const std::int64_t id = fileMove(owner_);
  ASSERT_EQ(call("POST", ticketPath(id, "/approve"), admin_, json::object()).status, 200);

  const auto kept = call("PUT", "/api/v1/hosts/" + server_ + "/window", second_admin_,
                         json{{"window", window_a_}, {"reason", "the move was premature"}});
  ASSERT_EQ(kept.status, 200) << kept.body;
  EXPECT_EQ(bodyOf(call("GET", ticketPath(id), owner_))["status"], "superseded");
  const auto events = auditOf("ticket", std::to_string(id));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().action, "ticket.supersede");
  EXPECT_EQ(events.back().actor, "user:adam");

  const json deliveries = bodyOf(call(
      "GET",
      "/api/v1/webhooks/" + std::to_string(bodyOf(hook)["id"].get<std::int64_t>()) + "/deliveries",
      admin_));
  ASSERT_FALSE(deliveries["items"].empty());
  EXPECT_EQ(deliveries["items"][0]["event"], "ticket.superseded");

  clock_.setNow(saturdayMidnight() + std::chrono::hours(7));
  EXPECT_TRUE(runWindowJob().empty());
  EXPECT_EQ(windowOf(server_), window_a_);
}

// A move that is due but not yet folded by the job is applied, with its
// ticket, before an administrator's move that follows it.
TEST_F(TicketServerTest, DueMoveIsAppliedBeforeTheNextMove) {
  clock_.setNow(saturdayMidnight() + std::chrono::hours(3));
  const std::int64_t id = fileMove(owner_);
  ASSERT_EQ(call("POST", ticketPath(id, "/approve"), admin_, json::object()).status, 200);

  clock_.setNow(saturdayMidnight() + std::chrono::hours(6) + std::chrono::minutes(1));
  const auto moved = call("PUT", "/api/v1/hosts/" + server_ + "/window", second_admin_,
                          json{{"window", window_a_}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(windowOf(server_), window_a_);
  const json ticket = bodyOf(call("GET", ticketPath(id), owner_));
  EXPECT_EQ(ticket["status"], "applied");
  EXPECT_EQ(ticket["effective_at"], "2026-12-05T06:00:00Z");

  std::vector<std::string> actions;
  for (const auto& event : auditOf("host", server_)) actions.push_back(event.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"host.window_assign", "host.window_move_scheduled",
                                               "host.window_move_applied", "host.window_assign"}));
  EXPECT_TRUE(runWindowJob().empty());
}

// A server that becomes an endpoint leaves its window at once, open or
// not, and the approved move waiting for the window is superseded.
TEST_F(TicketServerTest, ServerBecomingEndpointLeavesItsWindow) {
  clock_.setNow(saturdayMidnight() + std::chrono::hours(3));
  const std::int64_t id = fileMove(owner_);
  ASSERT_EQ(call("POST", ticketPath(id, "/approve"), admin_, json::object()).status, 200);

  const auto changed =
      call("PATCH", "/api/v1/hosts/" + server_, second_admin_, json{{"kind", "endpoint"}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(windowOf(server_), std::nullopt);
  EXPECT_EQ(bodyOf(call("GET", ticketPath(id), owner_))["status"], "superseded");
  const auto host_events = auditOf("host", server_);
  ASSERT_GE(host_events.size(), 2u);
  EXPECT_EQ(host_events[host_events.size() - 2].action, "host.window_release");
  EXPECT_EQ(host_events.back().action, "host.update");

  clock_.setNow(saturdayMidnight() + std::chrono::hours(7));
  EXPECT_TRUE(runWindowJob().empty());
  EXPECT_EQ(windowOf(server_), std::nullopt);
}

TEST_F(TicketServerTest, ReportAccessGrantsViewer) {
  const auto filed = call("POST", "/api/v1/tickets", owner_,
                          json{{"type", "report_access"}, {"justification", "quarterly review"}});
  ASSERT_EQ(filed.status, 201) << filed.body;
  const std::int64_t id = bodyOf(filed)["id"];
  EXPECT_EQ(bodyOf(filed)["requested_change"]["role"], "viewer");

  const auto approved = call("POST", ticketPath(id, "/approve"), admin_, json::object());
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(bodyOf(approved)["status"], "applied");

  std::optional<store::UserRecord> user;
  auto read = database_->read([&](store::Session& session) -> Result<void> {
    auto found = store::findUserByName(session, "olivia");
    if (!found) return tl::unexpected(found.error());
    user = *found;
    return {};
  });
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->roles, (std::vector<std::string>{"owner", "viewer"}));
  const auto user_events = auditOf("user", std::to_string(user->id));
  ASSERT_FALSE(user_events.empty());
  EXPECT_EQ(user_events.back().action, "user.update");
  EXPECT_EQ(user_events.back().actor, "user:alice");
}

TEST_F(TicketServerTest, ReportAccessForReaderIsRejected) {
  const auto response = call("POST", "/api/v1/tickets", operator_,
                             json{{"type", "report_access"}, {"justification", "x"}});
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_EQ(errorCode(response), "already_granted");
}

TEST_F(TicketServerTest, ListShowsOnlyVisibleTickets) {
  const std::int64_t owners = fileMove(owner_);
  const auto by_operator =
      call("POST", "/api/v1/tickets", operator_, moveBody(others_server_, window_b_));
  ASSERT_EQ(by_operator.status, 201);

  const json mine = bodyOf(call("GET", "/api/v1/tickets", owner_));
  ASSERT_EQ(mine["items"].size(), 1u);
  EXPECT_EQ(mine["items"][0]["id"], owners);
  EXPECT_EQ(call("GET", ticketPath(bodyOf(by_operator)["id"]), owner_).status, 404);

  const json all = bodyOf(call("GET", "/api/v1/tickets", admin_));
  EXPECT_EQ(all["items"].size(), 2u);
  const json admins_own =
      bodyOf(call("GET", "/api/v1/tickets", admin_, nullptr, {{"mine", "true"}}));
  EXPECT_EQ(admins_own["items"].size(), 0u);

  call("POST", ticketPath(owners, "/refuse"), admin_, json{{"comment", "no"}});
  const json refused =
      bodyOf(call("GET", "/api/v1/tickets", admin_, nullptr, {{"status", "refused"}}));
  ASSERT_EQ(refused["items"].size(), 1u);
  EXPECT_EQ(refused["items"][0]["id"], owners);
  EXPECT_EQ(call("GET", "/api/v1/tickets", admin_, nullptr, {{"status", "maybe"}}).status, 400);
}

TEST_F(TicketServerTest, EveryStepQueuesWebhookEvent) {
  const auto created = call("POST", "/api/v1/webhooks", admin_,
                            json{{"url", "http://127.0.0.1:9/hook"},
                                 {"events", ticketEventNames()},
                                 {"description", "help desk"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const json webhook = bodyOf(created);
  EXPECT_EQ(webhook["secret"].get<std::string>().rfind("whsec_", 0), 0u);
  const std::int64_t webhook_id = webhook["id"];
  // The secret is shown once: neither the list nor the audit log has it.
  EXPECT_EQ(call("GET", "/api/v1/webhooks", admin_).body.find("whsec_"), std::string::npos);
  const auto webhook_events = auditOf("webhook", std::to_string(webhook_id));
  ASSERT_EQ(webhook_events.size(), 1u);
  EXPECT_EQ(webhook_events[0].after_json.find("whsec_"), std::string::npos);

  const std::int64_t id = fileMove(owner_);
  call("POST", ticketPath(id, "/comments"), owner_, json{{"comment", "please"}});
  call("POST", ticketPath(id, "/approve"), admin_, json::object());

  const json deliveries =
      bodyOf(call("GET", "/api/v1/webhooks/" + std::to_string(webhook_id) + "/deliveries", admin_));
  std::vector<std::string> events;
  for (const auto& item : deliveries["items"]) events.push_back(item["event"]);
  // Newest first.
  EXPECT_EQ(events, (std::vector<std::string>{"ticket.applied", "ticket.approved",
                                              "ticket.commented", "ticket.created"}));
}

TEST_F(TicketServerTest, WebhookUrlsAreChecked) {
  const std::vector<std::string> bad = {"ftp://example.org/", "http://192.0.2.1/hook",
                                        "https://user:pw@example.org/", "https://", "not a url"};
  for (const auto& url : bad) {
    const auto response = call("POST", "/api/v1/webhooks", admin_,
                               json{{"url", url}, {"events", {"ticket.created"}}});
    EXPECT_EQ(response.status, 400) << url;
  }
  const auto unknown_event = call("POST", "/api/v1/webhooks", admin_,
                                  json{{"url", "https://example.org/"}, {"events", {"x"}}});
  EXPECT_EQ(unknown_event.status, 400);
  EXPECT_EQ(call("POST", "/api/v1/webhooks", owner_,
                 json{{"url", "https://example.org/"}, {"events", {"ticket.created"}}})
                .status,
            403);
}

}  // namespace
}  // namespace pk::server::ticket_tests
