#include "store/postgresql_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace pk::store {
namespace {

constexpr std::size_t kSqlExcerptLength = 200;

// Type OIDs from PostgreSQL's catalogue (pg_type.dat); libpq does not
// export them and they never change.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

std::string sqlExcerpt(std::string_view sql) {
  if (sql.size() <= kSqlExcerptLength) return std::string(sql);
  return std::string(sql.substr(0, kSqlExcerptLength)) + "...";
}

// ---------------------------------------------------------------------------
// Connection strings

bool isUnreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

// `keep` is one more character left as it is (":" inside an IPv6 host).
std::string percentEncode(std::string_view text, char keep = '\0') {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (isUnreserved(c) || (keep != '\0' && c == keep)) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `part` names the piece in the error ("the password"), never its value.
Result<std::string> percentDecode(std::string_view text, std::string_view part) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int high = i + 2 < text.size() ? hexValue(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hexValue(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{} in the PostgreSQL connection string has a \"%\" that is not "
                              "followed by two hexadecimal digits; write a literal \"%\" as %25",
                              part));
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

bool isAllowedOption(std::string_view key) {
  constexpr std::string_view kAllowed[] = {
      "sslmode",          "sslrootcert",         "sslcert", "sslkey", "connect_timeout",
      "application_name", "target_session_attrs"};
  return std::find(std::begin(kAllowed), std::end(kAllowed), key) != std::end(kAllowed);
}

Result<std::size_t> parsePoolSize(std::string_view text) {
  std::size_t size = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), size);
  if (error != std::errc() || end != text.data() + text.size() || size < 1 ||
      size > kMaxPostgresqlPoolSize) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("pool_size in the PostgreSQL connection string must be a number from "
                            "1 to {}",
                            kMaxPostgresqlPoolSize));
  }
  return size;
}

Result<void> parseQuery(std::string_view query, PostgresqlConnectionString& out) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;

    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  "a query parameter of the PostgreSQL connection string has no \"=\"; write "
                  "key=value");
    }
    auto key = percentDecode(pair.substr(0, eq), "a query parameter name");
    if (!key) return tl::unexpected(key.error());
    auto value = percentDecode(pair.substr(eq + 1), "a query parameter value");
    if (!value) return tl::unexpected(value.error());

    if (*key == "pool_size") {
      auto size = parsePoolSize(*value);
      if (!size) return tl::unexpected(size.error());
      out.pool_size = *size;
    } else if (isAllowedOption(*key)) {
      out.options.emplace_back(std::move(*key), std::move(*value));
    } else {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("the PostgreSQL connection string has an unknown parameter \"{}\"; "
                              "accepted are pool_size, sslmode, sslrootcert, sslcert, sslkey, "
                              "connect_timeout, application_name and target_session_attrs",
                              sqlExcerpt(*key)));
    }
  }
  return {};
}

Result<void> parseHostAndPort(std::string_view host_port, PostgresqlConnectionString& out) {
  std::string_view host = host_port;
  std::string_view port;
  if (host_port.starts_with('[')) {
    const std::size_t close = host_port.find(']');
    if (close == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  "the IPv6 address in the PostgreSQL connection string has no closing \"]\"");
    }
    host = host_port.substr(1, close - 1);
    const std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) {
        return fail(ErrorCode::kInvalidArgument,
                    "the PostgreSQL connection string has text after the IPv6 address; write "
                    "[address]:port");
      }
      port = after.substr(1);
    }
  } else if (const std::size_t colon = host_port.rfind(':'); colon != std::string_view::npos) {
    host = host_port.substr(0, colon);
    port = host_port.substr(colon + 1);
  }

  auto decoded = percentDecode(host, "the host");
  if (!decoded) return tl::unexpected(decoded.error());
  out.host = std::move(*decoded);

  if (!port.empty()) {
    unsigned number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (error != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
      return fail(ErrorCode::kInvalidArgument,
                  "the port in the PostgreSQL connection string must be a number from 1 to 65535");
    }
    out.port = std::string(port);
  }
  return {};
}

}  // namespace

Result<PostgresqlConnectionString> parsePostgresqlConnectionString(std::string_view text) {
  std::string_view rest;
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (text.starts_with(scheme)) rest = text.substr(scheme.size());
  }
  if (rest.data() == nullptr) {
    return fail(ErrorCode::kInvalidArgument,
                "a PostgreSQL connection string starts with postgresql:// or postgres://");
  }

  PostgresqlConnectionString out;
  const std::size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    if (auto parsed = parseQuery(rest.substr(question + 1), out); !parsed) {
      return tl::unexpected(parsed.error());
    }
    rest = rest.substr(0, question);
  }

  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    auto dbname = percentDecode(rest.substr(slash + 1), "the database name");
    if (!dbname) return tl::unexpected(dbname.error());
    out.dbname = std::move(*dbname);
  }

  // The last "@" ends the user part: an unencoded "@" in a password is
  // common enough to accept.
  std::string_view host_port = authority;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    host_port = authority.substr(at + 1);
    const std::size_t colon = user_info.find(':');
    auto user = percentDecode(user_info.substr(0, colon), "the user name");
    if (!user) return tl::unexpected(user.error());
    out.user = std::move(*user);
    if (colon != std::string_view::npos) {
      auto password = percentDecode(user_info.substr(colon + 1), "the password");
      if (!password) return tl::unexpected(password.error());
      out.password = std::move(*password);
    }
  }
  if (auto parsed = parseHostAndPort(host_port, out); !parsed) {
    return tl::unexpected(parsed.error());
  }
  return out;
}

namespace {

std::string formatConnectionString(const PostgresqlConnectionString& parts,
                                   std::string_view password) {
  std::string out = "postgresql://";
  if (!parts.user.empty() || !password.empty()) {
    out += percentEncode(parts.user);
    if (!password.empty()) out += ":" + std::string(password);
    out += "@";
  }
  if (parts.host.find(':') != std::string::npos) {
    out += "[" + percentEncode(parts.host, ':') + "]";
  } else {
    out += percentEncode(parts.host);
  }
  if (!parts.port.empty()) out += ":" + parts.port;
  out += "/" + percentEncode(parts.dbname);

  char separator = '?';
  if (parts.pool_size != kDefaultPostgresqlPoolSize) {
    out += fmt::format("{}pool_size={}", separator, parts.pool_size);
    separator = '&';
  }
  for (const auto& [key, value] : parts.options) {
    out += separator + percentEncode(key) + "=" + percentEncode(value);
    separator = '&';
  }
  return out;
}

}  // namespace

std::string PostgresqlConnectionString::format() const {
  return formatConnectionString(*this, percentEncode(password));
}

std::string PostgresqlConnectionString::redacted() const {
  return formatConnectionString(*this, password.empty() ? "" : "***");
}

// ---------------------------------------------------------------------------
// SQL text

namespace {

enum class SegmentKind { kCode, kLiteral, kComment };

struct Segment {
  SegmentKind kind;
  std::size_t begin;
  std::size_t end;
};

bool isWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The length of a dollar-quote tag ("$$" or "$name$") starting at `at`,
// or 0 when the "$" there does not open one ($1 is a parameter).
std::size_t dollarTagLength(std::string_view sql, std::size_t at) {
  if (at > 0 && isWordChar(sql[at - 1])) return 0;
  std::size_t i = at + 1;
  if (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i])) != 0) return 0;
  while (i < sql.size() && isWordChar(sql[i]) && sql[i] != '$') ++i;
  if (i < sql.size() && sql[i] == '$') return i - at + 1;
  return 0;
}

// Splits `sql` into code, literals (strings, quoted identifiers, dollar
// quotes) and comments, so that "?" and ";" are looked for in code only.
Result<std::vector<Segment>> splitSql(std::string_view sql) {
  std::vector<Segment> segments;
  std::size_t code_start = 0;
  std::size_t i = 0;

  auto unterminated = [&](std::string_view what) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the SQL text \"{}\" ends inside {}", sqlExcerpt(sql), what));
  };
  auto closeCode = [&](std::size_t at) {
    if (at > code_start) segments.push_back({SegmentKind::kCode, code_start, at});
  };

  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    std::size_t end = 0;
    SegmentKind kind = SegmentKind::kLiteral;

    if (c == '\'' || c == '"') {
      // E'...' strings take backslash escapes; standard strings do not.
      const bool backslashes = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                               (i < 2 || !isWordChar(sql[i - 2]));
      std::size_t j = i + 1;
      while (true) {
        if (j >= sql.size()) return unterminated(c == '"' ? "a quoted name" : "a string");
        if (backslashes && sql[j] == '\\') {
          j += 2;
          continue;
        }
        if (sql[j] == c) {
          if (j + 1 < sql.size() && sql[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      end = j + 1;
    } else if (c == '-' && next == '-') {
      const std::size_t newline = sql.find('\n', i);
      end = newline == std::string_view::npos ? sql.size() : newline + 1;
      kind = SegmentKind::kComment;
    } else if (c == '/' && next == '*') {
      // PostgreSQL nests block comments.
      int depth = 0;
      std::size_t j = i;
      do {
        if (j + 1 >= sql.size()) return unterminated("a comment");
        if (sql[j] == '/' && sql[j + 1] == '*') {
          ++depth;
          j += 2;
        } else if (sql[j] == '*' && sql[j + 1] == '/') {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      } while (depth > 0);
      end = j;
      kind = SegmentKind::kComment;
    } else if (c == '$') {
      const std::size_t tag_length = dollarTagLength(sql, i);
      if (tag_length == 0) {
        ++i;
        continue;
      }
      const std::string_view tag = sql.substr(i, tag_length);
      const std::size_t close = sql.find(tag, i + tag_length);
      if (close == std::string_view::npos) return unterminated("a dollar-quoted string");
      end = close + tag_length;
    } else {
      ++i;
      continue;
    }

    closeCode(i);
    segments.push_back({kind, i, end});
    i = end;
    code_start = end;
  }
  closeCode(sql.size());
  return segments;
}

bool onlyBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

Result<PostgresqlStatement> rewritePlaceholders(std::string_view sql) {
  auto segments = splitSql(sql);
  if (!segments) return tl::unexpected(segments.error());

  PostgresqlStatement out;
  out.text.reserve(sql.size() + 16);
  bool ended = false;
  for (const Segment& segment : *segments) {
    const std::string_view piece = sql.substr(segment.begin, segment.end - segment.begin);
    if (ended) {
      // After the statement's ";" only blanks and comments may follow.
      if (segment.kind == SegmentKind::kComment ||
          (segment.kind == SegmentKind::kCode && onlyBlank(piece))) {
        continue;
      }
      if (segment.kind == SegmentKind::kCode &&
          piece.find_first_not_of(" \t\r\n;") == std::string_view::npos) {
        continue;
      }
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("the SQL text \"{}\" contains more than one statement; run each "
                              "with its own call",
                              sqlExcerpt(sql)));
    }
    // Comments are dropped: one left at the end would swallow the
    // " RETURNING id" that insertReturningId() appends.
    if (segment.kind == SegmentKind::kComment) {
      out.text.push_back(' ');
      continue;
    }
    if (segment.kind != SegmentKind::kCode) {
      out.text += piece;
      continue;
    }
    for (std::size_t i = 0; i < piece.size(); ++i) {
      const char c = piece[i];
      if (c == '?') {
        ++out.parameter_count;
        out.text += fmt::format("${}", out.parameter_count);
      } else if (c == ';') {
        ended = true;
        const std::string_view after = piece.substr(i + 1);
        if (after.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
          return fail(ErrorCode::kInvalidArgument,
                      fmt::format("the SQL text \"{}\" contains more than one statement; run "
                                  "each with its own call",
                                  sqlExcerpt(sql)));
        }
        break;
      } else {
        out.text.push_back(c);
      }
    }
  }
  while (!out.text.empty() && std::isspace(static_cast<unsigned char>(out.text.back())) != 0) {
    out.text.pop_back();
  }
  if (out.text.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the SQL text \"{}\" contains no statement", sqlExcerpt(sql)));
  }
  return out;
}

namespace {

struct Word {
  std::size_t begin;
  std::size_t end;
};

bool wordIs(std::string_view sql, const Word& word, std::string_view expected) {
  const std::string_view text = sql.substr(word.begin, word.end - word.begin);
  return text.size() == expected.size() &&
         std::equal(text.begin(), text.end(), expected.begin(), [](char a, char b) {
           return std::toupper(static_cast<unsigned char>(a)) == b;
         });
}

}  // namespace

std::string translateSchemaTypes(std::string_view sql) {
  auto segments = splitSql(sql);
  if (!segments) return std::string(sql);

  std::vector<Word> words;
  for (const Segment& segment : *segments) {
    if (segment.kind != SegmentKind::kCode) continue;
    std::size_t i = segment.begin;
    while (i < segment.end) {
      if (!isWordChar(sql[i])) {
        ++i;
        continue;
      }
      const std::size_t start = i;
      while (i < segment.end && isWordChar(sql[i])) ++i;
      words.push_back({start, i});
    }
  }
  const bool is_table_statement =
      words.size() >= 2 && (wordIs(sql, words[0], "CREATE") || wordIs(sql, words[0], "ALTER")) &&
      wordIs(sql, words[1], "TABLE");
  if (!is_table_statement) return std::string(sql);

  // The text between word `w` and the next one.
  auto between = [&](std::size_t w) {
    return sql.substr(words[w].end, words[w + 1].begin - words[w].end);
  };

  std::string out;
  out.reserve(sql.size() + 64);
  std::size_t copied = 0;
  for (std::size_t w = 0; w < words.size(); ++w) {
    const std::size_t begin = words[w].begin;
    std::string_view replacement;
    if (wordIs(sql, words[w], "INTEGER")) {
      if (w + 2 < words.size() && wordIs(sql, words[w + 1], "PRIMARY") &&
          wordIs(sql, words[w + 2], "KEY") && onlyBlank(between(w)) && onlyBlank(between(w + 1))) {
        replacement = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
        w += 2;
      } else {
        replacement = "BIGINT";
      }
    } else if (wordIs(sql, words[w], "REAL")) {
      replacement = "DOUBLE PRECISION";
    } else {
      continue;
    }
    out += sql.substr(copied, begin - copied);
    out += replacement;
    copied = words[w].end;
  }
  out += sql.substr(copied);
  return out;
}

// ---------------------------------------------------------------------------
// Connections, sessions and the pool

namespace {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
using PgConn = std::unique_ptr<PGconn, ConnDeleter>;

// Server notices (for example "there is no transaction in progress") are
// expected in normal operation and would otherwise go to stderr.
void ignoreNotice(void* /*unused*/, const char* /*message*/) {}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.pop_back();
  }
  return text;
}

// libpq's messages name the user and host, not the password; this removes
// it anyway in case a future message quotes the connection settings.
std::string withoutPassword(std::string message, const std::string& password) {
  if (password.size() < 2) return message;
  for (std::size_t at = message.find(password); at != std::string::npos;
       at = message.find(password, at)) {
    message.replace(at, password.size(), "***");
  }
  return message;
}

Result<PgConn> connect(const PostgresqlConnectionString& parts) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    keys.push_back(key);
    values.push_back(value.c_str());
  };
  add("host", parts.host);
  add("port", parts.port);
  add("user", parts.user);
  add("password", parts.password);
  add("dbname", parts.dbname);
  for (const auto& [key, value] : parts.options) add(key.c_str(), value);
  static const std::string kUtf8 = "UTF8";
  static const std::string kApplication = "patchkeeper";
  add("client_encoding", kUtf8);
  add("fallback_application_name", kApplication);
  keys.push_back(nullptr);
  values.push_back(nullptr);

  PgConn connection(PQconnectdbParams(keys.data(), values.data(), 0));
  if (!connection) {
    return fail(ErrorCode::kIoError, "libpq could not allocate a PostgreSQL connection");
  }
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return fail(
        ErrorCode::kIoError,
        fmt::format("failed to connect to PostgreSQL at {}: {}", parts.redacted(),
                    withoutPassword(trimmed(PQerrorMessage(connection.get())), parts.password)));
  }
  PQsetNoticeProcessor(connection.get(), ignoreNotice, nullptr);
  return connection;
}

bool isRetryableState(std::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

// Turns a failed result into the store's error: class 23 (integrity
// constraint violation) is the caller's data, the rest the database's.
Error resultError(PGconn* connection, const PGresult* result, std::string_view sql,
                  std::string& sqlstate) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  sqlstate = state != nullptr ? state : "";
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary != nullptr ? primary : trimmed(PQerrorMessage(connection));
  if (const char* detail =
          result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL) : nullptr) {
    message += fmt::format(" ({})", detail);
  }
  if (PQstatus(connection) != CONNECTION_OK) {
    message = "the connection to the server was lost: " + message;
  } else if (isRetryableState(sqlstate)) {
    message += "; the transaction can be retried";
  }
  const ErrorCode code =
      sqlstate.starts_with("23") ? ErrorCode::kInvalidArgument : ErrorCode::kIoError;
  return Error{code, fmt::format("PostgreSQL failed to run \"{}\": {}", sqlExcerpt(sql), message)};
}

bool succeeded(const PGresult* result) {
  if (result == nullptr) return false;
  const ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

// One server connection and its prepared statements. Used by one thread
// at a time: the pool hands it out to one caller.
class Connection {
 public:
  explicit Connection(PgConn connection) : connection_(std::move(connection)) {}

  PGconn* handle() const { return connection_.get(); }
  bool lost() const { return PQstatus(connection_.get()) != CONNECTION_OK; }

  // Reconnects with the same settings. Prepared statements died with the
  // old server session, so the cache goes too.
  bool reset() {
    statements_.clear();
    PQreset(connection_.get());
    return !lost();
  }

  struct Prepared {
    std::string name;
    std::size_t parameter_count = 0;
  };

  // Returns the statement prepared for `key`, or nullptr.
  const Prepared* find(const std::string& key) const {
    const auto found = statements_.find(key);
    return found == statements_.end() ? nullptr : &found->second;
  }

  // Dynamic SQL (optional filters, IN lists) could grow the cache without
  // bound; past the limit the server's statements are dropped too.
  Result<const Prepared*> prepare(const std::string& key, const PostgresqlStatement& statement,
                                  const std::vector<Oid>& types, std::string_view sql,
                                  std::string& sqlstate) {
    if (statements_.size() >= kMaxPostgresqlCachedStatements) {
      PgResult dropped(PQexec(handle(), "DEALLOCATE ALL"));
      if (!succeeded(dropped.get())) {
        return tl::unexpected(resultError(handle(), dropped.get(), "DEALLOCATE ALL", sqlstate));
      }
      statements_.clear();
    }
    std::string name = fmt::format("pk{}", next_statement_++);
    PgResult prepared(PQprepare(handle(), name.c_str(), statement.text.c_str(),
                                static_cast<int>(types.size()), types.data()));
    if (!succeeded(prepared.get())) {
      return tl::unexpected(resultError(handle(), prepared.get(), sql, sqlstate));
    }
    const auto entry =
        statements_.emplace(key, Prepared{std::move(name), statement.parameter_count}).first;
    return &entry->second;
  }

  // Runs a command without parameters or rows (BEGIN, COMMIT).
  Result<void> run(std::string_view sql, std::string& sqlstate) {
    const std::string text(sql);
    PgResult result(PQexec(handle(), text.c_str()));
    if (!succeeded(result.get())) {
      return tl::unexpected(resultError(handle(), result.get(), sql, sqlstate));
    }
    return {};
  }

  // Ends any open transaction; errors are ignored because a failed
  // ROLLBACK leaves nothing to undo.
  void rollback() {
    if (lost()) return;
    if (PQtransactionStatus(handle()) == PQTRANS_IDLE) return;
    PgResult result(PQexec(handle(), "ROLLBACK"));
  }

 private:
  PgConn connection_;
  std::unordered_map<std::string, Prepared> statements_;
  std::uint64_t next_statement_ = 0;
};

Value columnValue(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column) != 0) return std::monostate{};
  const char* text = PQgetvalue(result, row, column);
  const auto length = static_cast<std::size_t>(PQgetlength(result, row, column));
  const std::string_view value(text, length);

  switch (PQftype(result, column)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      std::int64_t number = 0;
      std::from_chars(value.data(), value.data() + value.size(), number);
      return number;
    }
    case kBoolOid:
      return std::int64_t{value == "t" ? 1 : 0};
    case kNumericOid: {
      // SUM() of a BIGINT column is NUMERIC; whole numbers stay integers
      // as SQLite returns them.
      std::int64_t number = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (error == std::errc() && end == value.data() + value.size()) return number;
      [[fallthrough]];
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      try {
        return std::stod(std::string(value));
      } catch (const std::exception&) {
        return std::string(value);
      }
    }
    default:
      return std::string(value);
  }
}

class PgSession final : public Session {
 public:
  explicit PgSession(Connection& connection) : connection_(connection) {}

  Result<void> execute(std::string_view sql, const std::vector<Value>& params) override {
    auto result = run(sql, params, false);
    if (!result) return tl::unexpected(result.error());
    changed_rows_ = 0;
    const char* tuples = PQcmdTuples(result->get());
    if (tuples != nullptr && *tuples != '\0') {
      std::from_chars(tuples, tuples + std::strlen(tuples), changed_rows_);
    }
    return {};
  }

  Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    auto result = run(sql, params, false);
    if (!result) return tl::unexpected(result.error());
    return rowsOf(result->get());
  }

  Result<std::int64_t> insertReturningId(std::string_view sql,
                                         const std::vector<Value>& params) override {
    auto result = run(sql, params, true);
    if (!result) return tl::unexpected(result.error());
    if (PQntuples(result->get()) != 1 || PQnfields(result->get()) != 1) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("\"{}\" did not insert exactly one row with an id", sqlExcerpt(sql)));
    }
    return Row({columnValue(result->get(), 0, 0)}).integer(0);
  }

  std::int64_t changedRows() const override { return changed_rows_; }

  // Whether a statement failed, which aborts the transaction on
  // PostgreSQL, and with which SQLSTATE.
  bool failed() const { return failed_; }
  const std::string& failedState() const { return sqlstate_; }

 private:
  static std::vector<Row> rowsOf(const PGresult* result) {
    const int rows = PQntuples(result);
    const int columns = PQnfields(result);
    std::vector<Row> out;
    out.reserve(static_cast<std::size_t>(rows));
    for (int row = 0; row < rows; ++row) {
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(columns));
      for (int column = 0; column < columns; ++column) {
        values.push_back(columnValue(result, row, column));
      }
      out.emplace_back(std::move(values));
    }
    return out;
  }

  // Integers and reals are sent typed, so that "? IS NULL" and arithmetic
  // on parameters resolve; text and NULL are left for the server to infer
  // from the column they meet.
  static Oid typeOf(const Value& value) {
    if (std::holds_alternative<std::int64_t>(value)) return kInt8Oid;
    if (std::holds_alternative<double>(value)) return kFloat8Oid;
    return 0;
  }

  Result<PgResult> run(std::string_view sql, const std::vector<Value>& params, bool returning_id) {
    if (failed_) {
      return fail(ErrorCode::kIoError,
                  fmt::format("PostgreSQL refused \"{}\" because an earlier statement of this "
                              "transaction failed; return that error instead of going on",
                              sqlExcerpt(sql)));
    }
    for (const Value& param : params) {
      const auto* text = std::get_if<std::string>(&param);
      if (text != nullptr && text->find('\0') != std::string::npos) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("a parameter of \"{}\" contains a NUL character, which PostgreSQL "
                                "text cannot store",
                                sqlExcerpt(sql)));
      }
    }

    std::vector<Oid> types;
    types.reserve(params.size());
    std::string key;
    key.reserve(sql.size() + params.size() + 2);
    key.push_back(returning_id ? 'R' : '-');
    for (const Value& param : params) {
      types.push_back(typeOf(param));
      key.push_back(static_cast<char>('0' + param.index()));
    }
    key.push_back('\n');
    key += sql;

    const Connection::Prepared* prepared = connection_.find(key);
    if (prepared == nullptr) {
      auto statement = rewritePlaceholders(sql);
      if (!statement) return tl::unexpected(statement.error());
      if (statement->parameter_count != params.size()) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("\"{}\" expects {} parameter(s) but was given {}", sqlExcerpt(sql),
                                statement->parameter_count, params.size()));
      }
      statement->text = translateSchemaTypes(statement->text);
      if (returning_id) statement->text += " RETURNING id";
      auto made = connection_.prepare(key, *statement, types, sql, sqlstate_);
      if (!made) {
        failed_ = true;
        return tl::unexpected(made.error());
      }
      prepared = *made;
    }

    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& param = params[i];
      if (const auto* integer = std::get_if<std::int64_t>(&param)) {
        texts[i] = std::to_string(*integer);
      } else if (const auto* real = std::get_if<double>(&param)) {
        texts[i] = fmt::format("{}", *real);
      } else if (const auto* text = std::get_if<std::string>(&param)) {
        values[i] = text->c_str();
        continue;
      } else {
        continue;
      }
      values[i] = texts[i].c_str();
    }

    PgResult result(PQexecPrepared(connection_.handle(), prepared->name.c_str(),
                                   static_cast<int>(params.size()), values.data(), nullptr, nullptr,
                                   0));
    if (!succeeded(result.get())) {
      failed_ = true;
      return tl::unexpected(resultError(connection_.handle(), result.get(), sql, sqlstate_));
    }
    return result;
  }

  Connection& connection_;
  std::int64_t changed_rows_ = 0;
  bool failed_ = false;
  std::string sqlstate_;
};

// Connections opened on demand up to a maximum, shared by read() and
// write().
class Pool {
 public:
  Pool(PostgresqlConnectionString parts, std::size_t max_open)
      : parts_(std::move(parts)), max_open_(max_open) {}

  void add(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    ++open_;
    idle_.push_back(std::move(connection));
  }

  Result<std::unique_ptr<Connection>> acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < max_open_; });
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    ++open_;
    lock.unlock();

    auto opened = connect(parts_);
    if (!opened) {
      lock.lock();
      --open_;
      available_.notify_one();
      return tl::unexpected(opened.error());
    }
    return std::make_unique<Connection>(std::move(*opened));
  }

  // Takes a connection back; one that was lost is closed instead, and the
  // next acquire() opens a fresh one.
  void release(std::unique_ptr<Connection> connection) {
    {
      std::lock_guard lock(mutex_);
      if (connection->lost()) {
        --open_;
        connection.reset();
      } else {
        idle_.push_back(std::move(connection));
      }
    }
    available_.notify_one();
  }

  const PostgresqlConnectionString& parts() const { return parts_; }

 private:
  const PostgresqlConnectionString parts_;
  const std::size_t max_open_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

// Returns a pooled connection when the call ends, however it ends.
class Lease {
 public:
  Lease(Pool& pool, std::unique_ptr<Connection> connection)
      : pool_(pool), connection_(std::move(connection)) {}
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { pool_.release(std::move(connection_)); }
  Connection& operator*() { return *connection_; }

 private:
  Pool& pool_;
  std::unique_ptr<Connection> connection_;
};

// Writers of one Database normally run side by side (shared). One that
// lost a serialization conflict retries alone (exclusive), so it cannot
// lose again to a writer of the same process. Waiting exclusive writers
// hold back new shared ones, so they are not starved.
class WriterGate {
 public:
  void lock(bool exclusive) {
    std::unique_lock guard(mutex_);
    if (exclusive) {
      ++exclusive_waiting_;
      changed_.wait(guard, [&] { return !exclusive_ && shared_ == 0; });
      --exclusive_waiting_;
      exclusive_ = true;
    } else {
      changed_.wait(guard, [&] { return !exclusive_ && exclusive_waiting_ == 0; });
      ++shared_;
    }
  }

  void unlock(bool exclusive) {
    {
      std::lock_guard guard(mutex_);
      if (exclusive) {
        exclusive_ = false;
      } else {
        --shared_;
      }
    }
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int shared_ = 0;
  int exclusive_waiting_ = 0;
  bool exclusive_ = false;
};

class GateHold {
 public:
  GateHold(WriterGate& gate, bool exclusive) : gate_(gate), exclusive_(exclusive) {
    gate_.lock(exclusive_);
  }
  GateHold(const GateHold&) = delete;
  GateHold& operator=(const GateHold&) = delete;
  ~GateHold() { gate_.unlock(exclusive_); }

 private:
  WriterGate& gate_;
  bool exclusive_;
};

// The databases whose write() is running on this thread, so that a nested
// write() fails instead of waiting on its own row locks.
thread_local std::vector<const void*> writes_on_this_thread;

class WriteMark {
 public:
  explicit WriteMark(const void* database) { writes_on_this_thread.push_back(database); }
  WriteMark(const WriteMark&) = delete;
  WriteMark& operator=(const WriteMark&) = delete;
  ~WriteMark() { writes_on_this_thread.pop_back(); }

  static bool active(const void* database) {
    return std::find(writes_on_this_thread.begin(), writes_on_this_thread.end(), database) !=
           writes_on_this_thread.end();
  }
};

struct Attempt {
  Result<void> outcome;
  bool retryable = false;
};

// BEGIN on a connection that may have been closed by the server since its
// last use: a lost connection is re-opened once, since nothing has run yet.
Result<void> begin(Connection& connection, std::string_view begin_sql, std::string& sqlstate) {
  if (connection.lost() && !connection.reset()) {
    return fail(ErrorCode::kIoError, fmt::format("failed to reconnect to PostgreSQL: {}",
                                                 trimmed(PQerrorMessage(connection.handle()))));
  }
  auto begun = connection.run(begin_sql, sqlstate);
  if (begun || !connection.lost()) return begun;
  if (!connection.reset()) return begun;
  return connection.run(begin_sql, sqlstate);
}

// Runs `work` once between `begin_sql` and COMMIT. A failure from `work`
// or from COMMIT rolls back; an exception rolls back and goes on to the
// caller. `before_work` runs first inside the transaction (a lock).
Attempt runTransaction(Connection& connection, std::string_view begin_sql,
                       const std::function<Result<void>(Session&)>& before_work,
                       const std::function<Result<void>(Session&)>& work) {
  std::string sqlstate;
  if (auto begun = begin(connection, begin_sql, sqlstate); !begun) {
    return {begun, isRetryableState(sqlstate)};
  }

  PgSession session(connection);
  Result<void> outcome;
  try {
    if (before_work) outcome = before_work(session);
    if (outcome) outcome = work(session);
  } catch (...) {
    connection.rollback();
    throw;
  }
  if (!outcome) {
    connection.rollback();
    return {outcome, session.failed() && isRetryableState(session.failedState())};
  }
  if (session.failed()) {
    connection.rollback();
    return {fail(ErrorCode::kIoError,
                 "a statement failed and PostgreSQL rolled the transaction back, but the error "
                 "was not passed on; nothing was saved"),
            isRetryableState(session.failedState())};
  }

  if (auto committed = connection.run("COMMIT", sqlstate); !committed) {
    connection.rollback();
    return {committed, isRetryableState(sqlstate)};
  }
  return {Result<void>(), false};
}

// A random pause before retrying a serialization failure, growing with
// each attempt, so that writers that collided do not collide again.
void pauseBeforeRetry(int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  const int ceiling_ms = std::min(100, 2 << std::min(attempt, 10));
  std::uniform_int_distribution<int> pick(0, ceiling_ms * 1000);
  std::this_thread::sleep_for(std::chrono::microseconds(pick(random)));
}

Error nestedWriteError() {
  return Error{ErrorCode::kInternal,
               "a database transaction was started inside another one on the same thread; "
               "pass the Session you already have instead"};
}

class PostgresqlDatabase final : public Database {
 public:
  PostgresqlDatabase(PostgresqlConnectionString parts, std::unique_ptr<Connection> first)
      : pool_(parts, parts.pool_size) {
    pool_.add(std::move(first));
  }

  Backend backend() const override { return Backend::kPostgresql; }

  Result<void> write(const std::function<Result<void>(Session&)>& work) override {
    if (WriteMark::active(this)) return tl::unexpected(nestedWriteError());
    WriteMark mark(this);

    bool exclusive = false;
    Result<void> last;
    for (int attempt = 1; attempt <= kPostgresqlWriteAttempts; ++attempt) {
      Attempt result;
      {
        GateHold hold(gate_, exclusive);
        auto connection = pool_.acquire();
        if (!connection) return tl::unexpected(connection.error());
        Lease lease(pool_, std::move(*connection));
        result = runTransaction(*lease, "BEGIN ISOLATION LEVEL SERIALIZABLE", nullptr, work);
      }
      if (!result.retryable) return result.outcome;
      last = std::move(result.outcome);
      exclusive = true;
      if (attempt < kPostgresqlWriteAttempts) pauseBeforeRetry(attempt);
    }
    return fail(ErrorCode::kIoError,
                fmt::format("the transaction lost to concurrent writers {} times and was given "
                            "up; it can be retried later: {}",
                            kPostgresqlWriteAttempts, last.error().message));
  }

  Result<void> read(const std::function<Result<void>(Session&)>& work) override {
    auto connection = pool_.acquire();
    if (!connection) return tl::unexpected(connection.error());
    Lease lease(pool_, std::move(*connection));
    return runTransaction(*lease, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", nullptr, work)
        .outcome;
  }

  Result<void> writeLocked(std::int64_t key, const std::function<Result<void>(Session&)>& work) {
    if (WriteMark::active(this)) return tl::unexpected(nestedWriteError());
    WriteMark mark(this);
    auto connection = pool_.acquire();
    if (!connection) return tl::unexpected(connection.error());
    Lease lease(pool_, std::move(*connection));
    auto lock = [key](Session& session) -> Result<void> {
      return session.query("SELECT pg_advisory_xact_lock(?)", {key}).map([](auto&&) {});
    };
    return runTransaction(*lease, "BEGIN ISOLATION LEVEL READ COMMITTED", lock, work).outcome;
  }

 private:
  Pool pool_;
  WriterGate gate_;
};

}  // namespace

Result<std::unique_ptr<Database>> openPostgresql(std::string_view connection_string) {
  auto parts = parsePostgresqlConnectionString(connection_string);
  if (!parts) return tl::unexpected(parts.error());
  auto first = connect(*parts);
  if (!first) return tl::unexpected(first.error());
  return std::make_unique<PostgresqlDatabase>(std::move(*parts),
                                              std::make_unique<Connection>(std::move(*first)));
}

Result<void> runPostgresqlStatementOutsideTransaction(std::string_view connection_string,
                                                      std::string_view sql) {
  auto parts = parsePostgresqlConnectionString(connection_string);
  if (!parts) return tl::unexpected(parts.error());
  auto connection = connect(*parts);
  if (!connection) return tl::unexpected(connection.error());
  std::string sqlstate;
  return Connection(std::move(*connection)).run(sql, sqlstate);
}

Result<void> writeUnderAdvisoryLock(Database& database, std::int64_t key,
                                    const std::function<Result<void>(Session&)>& work) {
  if (auto* postgresql = dynamic_cast<PostgresqlDatabase*>(&database)) {
    return postgresql->writeLocked(key, work);
  }
  return database.write(work);
}

}  // namespace pk::store
