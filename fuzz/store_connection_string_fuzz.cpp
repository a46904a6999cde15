// Feeds arbitrary text to the PostgreSQL connection string parser.
// Properties: a rejected string is kInvalidArgument; an accepted one
// formats to a string that parses back to the same parts, and its redacted
// form parses to the same parts with the password "***".

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/postgresql_database.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

bool sameExceptPassword(const pk::store::PostgresqlConnectionString& a,
                        const pk::store::PostgresqlConnectionString& b) {
  return a.user == b.user && a.host == b.host && a.port == b.port && a.dbname == b.dbname &&
         a.pool_size == b.pool_size && a.options == b.options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = pk::store::parsePostgresqlConnectionString(text);
  if (!parsed) {
    require(parsed.error().code == pk::ErrorCode::kInvalidArgument);
    return 0;
  }

  auto again = pk::store::parsePostgresqlConnectionString(parsed->format());
  require(again.has_value());
  require(sameExceptPassword(*parsed, *again));
  require(again->password == parsed->password);

  auto redacted = pk::store::parsePostgresqlConnectionString(parsed->redacted());
  require(redacted.has_value());
  require(sameExceptPassword(*parsed, *redacted));
  require(redacted->password == (parsed->password.empty() ? "" : "***"));
  return 0;
}
