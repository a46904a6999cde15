#include "store/database.h"

#include <charconv>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "store/postgresql_database.h"
#include "store/sqlite_database.h"

namespace pk::store {

bool Row::isNull(std::size_t column) const {
  return std::holds_alternative<std::monostate>(values_.at(column));
}

std::string Row::text(std::size_t column) const {
  const Value& value = values_.at(column);
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return std::to_string(*integer);
  if (const auto* real = std::get_if<double>(&value)) return fmt::format("{}", *real);
  return {};
}

std::int64_t Row::integer(std::size_t column) const {
  const Value& value = values_.at(column);
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return *integer;
  if (const auto* real = std::get_if<double>(&value)) return static_cast<std::int64_t>(*real);
  if (const auto* text = std::get_if<std::string>(&value)) {
    // PostgreSQL's text protocol returns every column as text.
    std::int64_t parsed = 0;
    std::from_chars(text->data(), text->data() + text->size(), parsed);
    return parsed;
  }
  return 0;
}

double Row::real(std::size_t column) const {
  const Value& value = values_.at(column);
  if (const auto* real = std::get_if<double>(&value)) return *real;
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return static_cast<double>(*integer);
  if (const auto* text = std::get_if<std::string>(&value)) {
    try {
      return std::stod(*text);
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

std::optional<std::string> Row::optionalText(std::size_t column) const {
  if (isNull(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> Row::optionalInteger(std::size_t column) const {
  if (isNull(column)) return std::nullopt;
  return integer(column);
}

Result<std::optional<Row>> Session::queryOne(std::string_view sql,
                                             const std::vector<Value>& params) {
  auto rows = query(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows->front()));
}

Result<std::unique_ptr<Database>> openDatabase(std::string_view connection_string) {
  constexpr std::string_view kSqliteMemory = "sqlite::memory:";
  constexpr std::string_view kSqliteFile = "sqlite://";

  if (connection_string == kSqliteMemory) return openSqliteMemory();

  if (connection_string.starts_with(kSqliteFile)) {
    const std::string_view path = connection_string.substr(kSqliteFile.size());
    if (path.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "the connection string \"sqlite://\" names no file; write "
                  "sqlite:///absolute/path.db or sqlite://relative/path.db");
    }
    return openSqliteFile(std::filesystem::path(std::string(path)));
  }

  if (connection_string.starts_with("postgresql://") ||
      connection_string.starts_with("postgres://")) {
    return openPostgresql(connection_string);
  }

  // Only the scheme is repeated: the rest may hold a password.
  const std::string_view scheme = connection_string.substr(0, connection_string.find(':'));
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("unknown database connection string scheme \"{}\"; use "
                          "sqlite:///absolute/path.db, sqlite://relative/path.db, "
                          "sqlite::memory: or postgresql://user:password@host:port/dbname",
                          scheme));
}

}  // namespace pk::store
