#include "store/setting_repository.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>

#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

class SettingRepositoryTest : public conformance::StoreTest {
 protected:
  Result<void> write(const std::function<Result<void>(Session&)>& work) {
    return database().write(work);
  }

  template <typename T>
  Result<T> readValue(const std::function<Result<T>(Session&)>& work) {
    std::optional<Result<T>> result;
    auto done = database().read([&](Session& session) -> Result<void> {
      result = work(session);
      return {};
    });
    if (!done) return tl::unexpected(done.error());
    return std::move(*result);
  }
};
PK_STORE_CONFORMANCE_SUITE(SettingRepositoryTest);

TEST_P(SettingRepositoryTest, MissingSettingIsEmpty) {
  auto setting = readValue<std::optional<Setting>>(
      [](Session& session) { return getSetting(session, "never.set"); });
  ASSERT_TRUE(setting) << errorText(setting);
  EXPECT_FALSE(setting->has_value());
}

TEST_P(SettingRepositoryTest, SetThenGet) {
  auto set = write([&](Session& session) {
    return setSetting(session, "feeds.max_removal_share", "0.25", clock_.now());
  });
  ASSERT_TRUE(set) << errorText(set);

  auto setting = readValue<std::optional<Setting>>(
      [](Session& session) { return getSetting(session, "feeds.max_removal_share"); });
  ASSERT_TRUE(setting) << errorText(setting);
  ASSERT_TRUE(setting->has_value());
  EXPECT_EQ((*setting)->key, "feeds.max_removal_share");
  EXPECT_EQ((*setting)->value, "0.25");
  EXPECT_EQ((*setting)->updated_at, clock_.now());
}

TEST_P(SettingRepositoryTest, SetAgainReplacesValueAndTime) {
  const SystemTime first_time = clock_.now();
  ASSERT_TRUE(write([&](Session& session) { return setSetting(session, "k", "old", first_time); }));
  clock_.advance(std::chrono::hours(2));
  ASSERT_TRUE(
      write([&](Session& session) { return setSetting(session, "k", "new", clock_.now()); }));

  auto all =
      readValue<std::vector<Setting>>([](Session& session) { return listSettings(session); });
  ASSERT_TRUE(all) << errorText(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().value, "new");
  EXPECT_EQ(all->front().updated_at, first_time + std::chrono::hours(2));
}

TEST_P(SettingRepositoryTest, EmptyValueIsKept) {
  ASSERT_TRUE(write([&](Session& session) { return setSetting(session, "k", "", clock_.now()); }));
  auto setting =
      readValue<std::optional<Setting>>([](Session& session) { return getSetting(session, "k"); });
  ASSERT_TRUE(setting) << errorText(setting);
  ASSERT_TRUE(setting->has_value());
  EXPECT_EQ((*setting)->value, "");
}

TEST_P(SettingRepositoryTest, EmptyKeyIsRejected) {
  auto set = write([&](Session& session) { return setSetting(session, "", "x", clock_.now()); });
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(SettingRepositoryTest, ListIsOrderedByKey) {
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    for (const char* key : {"b", "c", "a"}) {
      if (auto set = setSetting(session, key, key, clock_.now()); !set) return set;
    }
    return {};
  }));
  auto all =
      readValue<std::vector<Setting>>([](Session& session) { return listSettings(session); });
  ASSERT_TRUE(all) << errorText(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].key, "a");
  EXPECT_EQ((*all)[1].key, "b");
  EXPECT_EQ((*all)[2].key, "c");
}

TEST_P(SettingRepositoryTest, DeleteReportsWhetherItExisted) {
  ASSERT_TRUE(write([&](Session& session) { return setSetting(session, "k", "v", clock_.now()); }));
  bool first = false;
  bool second = true;
  auto done = write([&](Session& session) -> Result<void> {
    auto removed = deleteSetting(session, "k");
    if (!removed) return tl::unexpected(removed.error());
    first = *removed;
    removed = deleteSetting(session, "k");
    if (!removed) return tl::unexpected(removed.error());
    second = *removed;
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
}

TEST_P(SettingRepositoryTest, IntegerRoundTrips) {
  for (std::int64_t value :
       {std::int64_t{0}, std::int64_t{-42}, std::int64_t{90},
        std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
    ASSERT_TRUE(write(
        [&](Session& session) { return setIntegerSetting(session, "n", value, clock_.now()); }));
    auto read = readValue<std::optional<std::int64_t>>(
        [](Session& session) { return getIntegerSetting(session, "n"); });
    ASSERT_TRUE(read) << errorText(read);
    EXPECT_EQ(*read, value);
  }
}

TEST_P(SettingRepositoryTest, MalformedIntegerIsReported) {
  for (const char* stored : {"", "12abc", " 12", "1.5", "99999999999999999999"}) {
    ASSERT_TRUE(
        write([&](Session& session) { return setSetting(session, "n", stored, clock_.now()); }));
    auto read = readValue<std::optional<std::int64_t>>(
        [](Session& session) { return getIntegerSetting(session, "n"); });
    ASSERT_FALSE(read) << "stored \"" << stored << "\"";
    EXPECT_EQ(read.error().code, ErrorCode::kMalformedInput);
    EXPECT_NE(read.error().message.find("\"n\""), std::string::npos) << read.error().message;
  }
}

TEST_P(SettingRepositoryTest, MissingIntegerIsEmpty) {
  auto read = readValue<std::optional<std::int64_t>>(
      [](Session& session) { return getIntegerSetting(session, "absent"); });
  ASSERT_TRUE(read) << errorText(read);
  EXPECT_FALSE(read->has_value());
}

TEST_P(SettingRepositoryTest, BooleanRoundTrips) {
  for (bool value : {true, false}) {
    ASSERT_TRUE(write(
        [&](Session& session) { return setBooleanSetting(session, "b", value, clock_.now()); }));
    auto read = readValue<std::optional<bool>>(
        [](Session& session) { return getBooleanSetting(session, "b"); });
    ASSERT_TRUE(read) << errorText(read);
    EXPECT_EQ(*read, value);
  }
}

TEST_P(SettingRepositoryTest, MalformedBooleanIsReported) {
  for (const char* stored : {"yes", "1", "TRUE", ""}) {
    ASSERT_TRUE(
        write([&](Session& session) { return setSetting(session, "b", stored, clock_.now()); }));
    auto read = readValue<std::optional<bool>>(
        [](Session& session) { return getBooleanSetting(session, "b"); });
    ASSERT_FALSE(read) << "stored \"" << stored << "\"";
    EXPECT_EQ(read.error().code, ErrorCode::kMalformedInput);
  }
}

}  // namespace
}  // namespace pk::store
