#include "store/setting_repository.h"

#include <charconv>

#include <fmt/format.h>

namespace pk::store {
namespace {

Setting settingFromRow(const Row& row) {
  return Setting{
      .key = row.text(0),
      .value = row.text(1),
      .updated_at = timeFromColumn(row.integer(2)),
  };
}

}  // namespace

Result<std::optional<Setting>> getSetting(Session& session, std::string_view key) {
  auto row = session.queryOne("SELECT key, value, updated_at FROM settings WHERE key = ?",
                              {std::string(key)});
  if (!row) return tl::unexpected(row.error());
  if (!row->has_value()) return std::optional<Setting>();
  return std::optional<Setting>(settingFromRow(**row));
}

Result<std::vector<Setting>> listSettings(Session& session) {
  auto rows = session.query("SELECT key, value, updated_at FROM settings ORDER BY key");
  if (!rows) return tl::unexpected(rows.error());
  std::vector<Setting> settings;
  settings.reserve(rows->size());
  for (const Row& row : *rows) settings.push_back(settingFromRow(row));
  return settings;
}

Result<void> setSetting(Session& session, std::string_view key, std::string_view value,
                        SystemTime now) {
  if (key.empty()) return fail(ErrorCode::kInvalidArgument, "a setting needs a non-empty key");
  return session.execute(
      "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      {std::string(key), std::string(value), timeToColumn(now)});
}

Result<bool> deleteSetting(Session& session, std::string_view key) {
  if (auto done = session.execute("DELETE FROM settings WHERE key = ?", {std::string(key)});
      !done) {
    return tl::unexpected(done.error());
  }
  return session.changedRows() > 0;
}

Result<std::optional<std::int64_t>> getIntegerSetting(Session& session, std::string_view key) {
  auto setting = getSetting(session, key);
  if (!setting) return tl::unexpected(setting.error());
  if (!setting->has_value()) return std::optional<std::int64_t>();

  const std::string& text = (*setting)->value;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return fail(
        ErrorCode::kMalformedInput,
        fmt::format("the setting \"{}\" contains \"{}\", which is not a 64-bit integer; set "
                    "it again with a whole number",
                    key, text));
  }
  return std::optional<std::int64_t>(value);
}

Result<void> setIntegerSetting(Session& session, std::string_view key, std::int64_t value,
                               SystemTime now) {
  return setSetting(session, key, std::to_string(value), now);
}

Result<std::optional<bool>> getBooleanSetting(Session& session, std::string_view key) {
  auto setting = getSetting(session, key);
  if (!setting) return tl::unexpected(setting.error());
  if (!setting->has_value()) return std::optional<bool>();

  const std::string& text = (*setting)->value;
  if (text == "true") return std::optional<bool>(true);
  if (text == "false") return std::optional<bool>(false);
  return fail(
      ErrorCode::kMalformedInput,
      fmt::format("the setting \"{}\" contains \"{}\"; set it again to true or false", key, text));
}

Result<void> setBooleanSetting(Session& session, std::string_view key, bool value, SystemTime now) {
  return setSetting(session, key, value ? "true" : "false", now);
}

}  // namespace pk::store
