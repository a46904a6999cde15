#pragma once

// Calendar feed tokens: each user's revocable secrets that calendar apps
// put in a feed's URL, since they cannot send a session cookie or a bearer
// token. As with API tokens, only the token's hash is stored
// (server/credentials.h makes and hashes tokens).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct CalendarFeedTokenRecord {
  std::int64_t id = 0;  // assigned by insertCalendarFeedToken()
  std::int64_t user_id = 0;
  std::string token_hash;  // 64 lower-case hex digits
  std::string name;        // what the user called it, "phone"
  SystemTime created_at{};
  std::optional<SystemTime> revoked_at;

  bool isLive() const { return !revoked_at.has_value(); }
};

// Inserts `token` and returns its id. Fails with kInvalidArgument when the
// hash is already stored or the user does not exist.
Result<std::int64_t> insertCalendarFeedToken(Session& session,
                                             const CalendarFeedTokenRecord& token);

// Returns the token whose hash is `token_hash`, revoked or not, or nullopt.
Result<std::optional<CalendarFeedTokenRecord>> findCalendarFeedTokenByHash(
    Session& session, std::string_view token_hash);

// Returns the tokens of user `user_id`, revoked ones included, newest first.
Result<std::vector<CalendarFeedTokenRecord>> listCalendarFeedTokens(Session& session,
                                                                    std::int64_t user_id);

// Revokes token `id` of user `user_id` at `now`. Returns false, changing
// nothing, when the user has no such live token.
Result<bool> revokeCalendarFeedToken(Session& session, std::int64_t user_id, std::int64_t id,
                                     SystemTime now);

}  // namespace pk::store
