#include "store/ticket_repository.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

class TicketRepositoryTest : public conformance::StoreTest {
 protected:
  TicketRecord moveTicket(const std::string& requester) {
    TicketRecord ticket;
    ticket.type = "move_server_window";
    ticket.requester = requester;
    ticket.subject_hosts = {"h-0123456789abcdef"};
    ticket.requested_change_json = R"({"window":"w-00000000000000aa"})";
    ticket.justification = "the database team patches on Sundays";
    ticket.created_at = clock_.now();
    ticket.updated_at = clock_.now();
    return ticket;
  }

  std::int64_t insert(const TicketRecord& ticket) {
    std::int64_t id = 0;
    auto written = database().write([&](Session& session) -> Result<void> {
      auto inserted = insertTicket(session, ticket);
      if (!inserted) return tl::unexpected(inserted.error());
      id = *inserted;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return id;
  }

  std::optional<TicketRecord> get(std::int64_t id) {
    std::optional<TicketRecord> ticket;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto found = getTicket(session, id);
      if (!found) return tl::unexpected(found.error());
      ticket = *found;
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return ticket;
  }

  std::vector<TicketRecord> list(const TicketFilter& filter) {
    std::vector<TicketRecord> tickets;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto found = listTickets(session, filter);
      if (!found) return tl::unexpected(found.error());
      tickets = *found;
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return tickets;
  }
};
PK_STORE_CONFORMANCE_SUITE(TicketRepositoryTest);

TEST_P(TicketRepositoryTest, InsertThenGetRoundTrips) {
  TicketRecord ticket = moveTicket("olivia");
  ticket.external_reference = "HD-4711";
  const std::int64_t id = insert(ticket);
  ASSERT_GT(id, 0);

  const auto stored = get(id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->id, id);
  EXPECT_EQ(stored->type, "move_server_window");
  EXPECT_EQ(stored->status, "open");
  EXPECT_EQ(stored->requester, "olivia");
  EXPECT_EQ(stored->subject_hosts, std::vector<std::string>{"h-0123456789abcdef"});
  EXPECT_EQ(stored->requested_change_json, ticket.requested_change_json);
  EXPECT_EQ(stored->justification, ticket.justification);
  EXPECT_EQ(stored->assignee_group, "security");
  EXPECT_EQ(stored->external_reference, std::optional<std::string>("HD-4711"));
  EXPECT_FALSE(stored->decided_by.has_value());
  EXPECT_FALSE(stored->decided_at.has_value());
  EXPECT_FALSE(stored->applied_at.has_value());
  EXPECT_EQ(stored->created_at, clock_.now());
}

TEST_P(TicketRepositoryTest, UnknownTicketIsEmpty) {
  EXPECT_FALSE(get(9999).has_value());
}

TEST_P(TicketRepositoryTest, UpdateWritesDecision) {
  const std::int64_t id = insert(moveTicket("olivia"));
  TicketRecord ticket = *get(id);
  clock_.advance(std::chrono::minutes(5));
  ticket.status = "approved";
  ticket.decided_by = "alice";
  ticket.decided_at = clock_.now();
  ticket.effective_at = clock_.now() + std::chrono::hours(2);
  ticket.updated_at = clock_.now();
  auto written = database().write([&](Session& session) { return updateTicket(session, ticket); });
  ASSERT_TRUE(written) << errorText(written);

  const auto stored = get(id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->status, "approved");
  EXPECT_EQ(stored->decided_by, std::optional<std::string>("alice"));
  EXPECT_EQ(stored->decided_at, std::optional<SystemTime>(clock_.now()));
  EXPECT_EQ(stored->effective_at, std::optional<SystemTime>(clock_.now() + std::chrono::hours(2)));
  EXPECT_EQ(stored->updated_at, clock_.now());
}

TEST_P(TicketRepositoryTest, UpdateOfUnknownTicketFails) {
  TicketRecord ticket = moveTicket("olivia");
  ticket.id = 4242;
  auto written = database().write([&](Session& session) { return updateTicket(session, ticket); });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
}

TEST_P(TicketRepositoryTest, UnknownStatusIsRejected) {
  TicketRecord ticket = moveTicket("olivia");
  ticket.status = "pending";
  auto written = database().write([&](Session& session) -> Result<void> {
    return insertTicket(session, ticket).map([](auto) {});
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(TicketRepositoryTest, ListFiltersAndSortsNewestFirst) {
  const std::int64_t first = insert(moveTicket("olivia"));
  TicketRecord access = moveTicket("victor");
  access.type = "report_access";
  access.subject_hosts.clear();
  access.requested_change_json = R"({"role":"viewer"})";
  const std::int64_t second = insert(access);
  TicketRecord refused = moveTicket("olivia");
  refused.status = "refused";
  const std::int64_t third = insert(refused);

  const auto all = list({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, third);
  EXPECT_EQ(all[2].id, first);

  const auto by_olivia = list({.requester = "olivia"});
  ASSERT_EQ(by_olivia.size(), 2u);

  const auto open_moves = list({.status = "open", .type = "move_server_window"});
  ASSERT_EQ(open_moves.size(), 1u);
  EXPECT_EQ(open_moves[0].id, first);

  const auto access_tickets = list({.type = "report_access"});
  ASSERT_EQ(access_tickets.size(), 1u);
  EXPECT_EQ(access_tickets[0].id, second);
  EXPECT_TRUE(access_tickets[0].subject_hosts.empty());

  const auto limited = list({.limit = 1});
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0].id, third);
}

TEST_P(TicketRepositoryTest, CommentsComeBackInOrder) {
  const std::int64_t id = insert(moveTicket("olivia"));
  auto written = database().write([&](Session& session) -> Result<void> {
    for (const char* body : {"first", "second"}) {
      TicketComment comment;
      comment.ticket_id = id;
      comment.author = "olivia";
      comment.body = body;
      comment.created_at = clock_.now();
      auto added = addTicketComment(session, comment);
      if (!added) return tl::unexpected(added.error());
    }
    TicketComment refusal;
    refusal.ticket_id = id;
    refusal.author = "alice";
    refusal.kind = "refusal";
    refusal.body = "not this month";
    refusal.created_at = clock_.now();
    auto added = addTicketComment(session, refusal);
    if (!added) return tl::unexpected(added.error());
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);

  std::vector<TicketComment> comments;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto listed = listTicketComments(session, id);
    if (!listed) return tl::unexpected(listed.error());
    comments = *listed;
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(comments.size(), 3u);
  EXPECT_EQ(comments[0].body, "first");
  EXPECT_EQ(comments[1].body, "second");
  EXPECT_EQ(comments[2].kind, "refusal");
  EXPECT_EQ(comments[2].author, "alice");
}

TEST_P(TicketRepositoryTest, CommentOnUnknownTicketFails) {
  auto written = database().write([&](Session& session) -> Result<void> {
    TicketComment comment;
    comment.ticket_id = 777;
    comment.author = "olivia";
    comment.body = "hello";
    comment.created_at = clock_.now();
    auto added = addTicketComment(session, comment);
    if (!added) return tl::unexpected(added.error());
    return {};
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

// Migration 6 rebuilds user_roles so that it accepts the help-desk role and
// keeps the rows it had.
TEST_P(TicketRepositoryTest, UserRolesAcceptHelpdesk) {
  auto written = database().write([&](Session& session) -> Result<void> {
    auto id = session.insertReturningId(
        "INSERT INTO users (username, password_hash, disabled, created_at, updated_at) "
        "VALUES ('desk', 'x', 0, 0, 0)");
    if (!id) return tl::unexpected(id.error());
    return session.execute("INSERT INTO user_roles (user_id, role) VALUES (?, 'helpdesk')", {*id});
  });
  EXPECT_TRUE(written) << errorText(written);

  auto rejected = database().write([&](Session& session) -> Result<void> {
    return session.execute(
        "INSERT INTO user_roles (user_id, role) SELECT id, 'root' FROM users WHERE username = "
        "'desk'");
  });
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace pk::store
