// Expands generated RRULEs with libical (through RecurrenceRule, in
// floating local time) and with python-dateutil's rrule in a child process,
// and requires the same occurrences. Set PK_DIFFERENTIAL_SEED to replay a
// failing run.

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/child_process.h"
#include "schedule/recurrence.h"
#include "schedule/tests/test_times.h"
#include "tests/support/temporary_directory.h"

namespace pk::schedule {
namespace {

constexpr std::size_t kRuleCount = 1500;
constexpr std::size_t kOccurrencesPerRule = 40;
// Both libraries are compared before this year: libical stops at 2582.
constexpr int kBeforeYear = 2400;

struct GeneratedCase {
  std::string rrule;
  LocalSeconds dtstart;
  LocalSeconds from;
};

class RuleGenerator {
 public:
  explicit RuleGenerator(unsigned seed) : random_(seed) {}

  GeneratedCase next() {
    GeneratedCase generated;
    generated.dtstart =
        test_times::local(pick(2020, 2030), static_cast<unsigned>(pick(1, 12)),
                          static_cast<unsigned>(pick(1, 28)), pick(0, 23), pick(0, 3) * 15);
    generated.from = generated.dtstart + date::days{pick(0, 3000)};

    static const char* kFrequencies[] = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"};
    std::string frequency = kFrequencies[pick(0, 3)];
    std::vector<std::string> parts = {"FREQ=" + frequency};
    if (chance(30)) parts.push_back(fmt::format("INTERVAL={}", pick(2, 5)));

    bool yearly = frequency == "YEARLY";
    bool monthly = frequency == "MONTHLY";
    bool by_month = chance(yearly ? 60 : 20);
    if (by_month)
      parts.push_back("BYMONTH=" + list(1, 3, [&] { return std::to_string(pick(1, 12)); }));
    // RecurrenceRule refuses BYWEEKNO, which libical 3.0 expands wrongly.
    bool by_week_no = false;

    // A BYDAY list is either all numbered or all plain weekdays: dateutil
    // 2.8 intersects the two kinds when a list mixes them ("TH,5FR" matches
    // nothing), while RFC 5545 and libical take their union.
    bool ordinals = (monthly || yearly) && !by_week_no && chance(60);
    int max_ordinal = (monthly || by_month) ? 5 : 53;
    int plain_days = 0;
    if (chance(monthly || yearly ? 55 : 40)) {
      parts.push_back("BYDAY=" + list(1, 3, [&] {
                        return ordinals ? std::to_string(signedPick(1, max_ordinal)) + weekday()
                                        : weekday();
                      }));
      if (!ordinals)
        plain_days =
            static_cast<int>(std::count(parts.back().begin(), parts.back().end(), ',')) + 1;
    }
    // No BYMONTHDAY beside numbered weekdays or week numbers, and days 29 to
    // 31 only without BYMONTH. Such rules can ask for dates that never come
    // (the 10th that is a first Monday, 30 February), and dateutil then
    // searches to the year 9999.
    //
    // RecurrenceRule refuses the rules libical expands wrongly (see
    // recurrence.h); the generator leaves those out: BYMONTHDAY under YEARLY
    // without BYMONTH, a negative BYMONTHDAY under DAILY with INTERVAL, and
    // BYSETPOS under WEEKLY.
    bool month_day_allowed =
        frequency != "WEEKLY" && !ordinals && !by_week_no && !(yearly && !by_month);
    bool interval = parts.size() > 1 && parts[1].rfind("INTERVAL", 0) == 0;
    bool negative_allowed = !(frequency == "DAILY" && interval);
    if (month_day_allowed && chance(plain_days > 0 ? 15 : 40)) {
      int max_day = by_month ? 28 : 31;
      parts.push_back("BYMONTHDAY=" + list(1, 3, [&] {
                        return std::to_string(negative_allowed ? signedPick(1, max_day)
                                                               : pick(1, max_day));
                      }));
    }
    // BYSETPOS only picks from sets of plain weekdays, which are never
    // smaller than the position asked for.
    bool has_month_day = parts.back().rfind("BYMONTHDAY", 0) == 0;
    if (plain_days > 0 && !has_month_day && (monthly || yearly) && chance(30)) {
      int largest = by_week_no ? plain_days : 4 * plain_days;
      parts.push_back("BYSETPOS=" +
                      list(1, 2, [&] { return std::to_string(signedPick(1, largest)); }));
    }
    if (chance(15)) parts.push_back("WKST=" + weekday());

    int end = pick(0, 2);
    if (end == 1) {
      parts.push_back(fmt::format("COUNT={}", pick(1, 30)));
    } else if (end == 2) {
      LocalSeconds until =
          generated.dtstart + date::days{pick(0, 4000)} + std::chrono::hours(pick(0, 23));
      parts.push_back("UNTIL=" + date::format("%Y%m%dT%H%M%S", until));
    }

    for (const std::string& part : parts) {
      generated.rrule += (generated.rrule.empty() ? "" : ";") + part;
    }
    return generated;
  }

 private:
  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  int signedPick(int low, int high) { return chance(25) ? -pick(low, high) : pick(low, high); }
  bool chance(int percent) { return pick(1, 100) <= percent; }
  std::string weekday() {
    static const char* kDays[] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};
    return kDays[pick(0, 6)];
  }
  template <typename Item>
  std::string list(int low, int high, Item item) {
    std::vector<std::string> items;
    int size = pick(low, high);
    while (static_cast<int>(items.size()) < size) {
      std::string value = item();
      // RFC 5545 lists do not repeat values; dateutil and libical agree on sets.
      if (std::find(items.begin(), items.end(), value) == items.end()) items.push_back(value);
    }
    std::string text;
    for (const std::string& value : items) text += (text.empty() ? "" : ",") + value;
    return text;
  }

  std::mt19937 random_;
};

std::vector<std::string> expandOurs(const RecurrenceRule& rule, LocalSeconds from) {
  std::vector<std::string> found;
  LocalSeconds before = test_times::local(kBeforeYear, 1, 1);
  RecurrenceCursor cursor = rule.cursorFrom(from);
  while (found.size() < kOccurrencesPerRule) {
    auto next = cursor.next();
    if (!next || *next >= before) break;
    found.push_back(formatLocal(*next));
  }
  return found;
}

std::vector<std::string> asStrings(const nlohmann::json& list) {
  std::vector<std::string> strings;
  for (const auto& item : list) strings.push_back(item.get<std::string>());
  return strings;
}

unsigned chooseSeed() {
  const char* from_environment = std::getenv("PK_DIFFERENTIAL_SEED");
  if (from_environment != nullptr) return static_cast<unsigned>(std::stoul(from_environment));
  return 20270314;
}

TEST(RecurrenceDifferential, MatchesDateutil) {
  unsigned seed = chooseSeed();
  SCOPED_TRACE(fmt::format("seed {} (replay with PK_DIFFERENTIAL_SEED={})", seed, seed));
  RuleGenerator generator(seed);
  std::vector<GeneratedCase> cases;
  nlohmann::json requests = nlohmann::json::array();
  for (std::size_t i = 0; i < kRuleCount; ++i) {
    cases.push_back(generator.next());
    requests.push_back({{"rrule", cases.back().rrule},
                        {"dtstart", formatLocal(cases.back().dtstart)},
                        {"from", formatLocal(cases.back().from)},
                        {"count", kOccurrencesPerRule},
                        {"before", fmt::format("{}-01-01T00:00:00", kBeforeYear)}});
  }

  auto folder = test_support::TemporaryDirectory::create("schedule-differential");
  ASSERT_TRUE(folder.has_value()) << folder.error().message;
  auto written = test_support::writeFile(folder->path(), "cases.json", requests.dump());
  ASSERT_TRUE(written.has_value()) << written.error().message;
  std::vector<std::string> argv = {"python3", PK_DATEUTIL_SCRIPT,
                                   (folder->path() / "cases.json").string()};
  auto output = runCommand(argv);
  ASSERT_TRUE(output.has_value()) << output.error().message;
  ASSERT_EQ(output->exit_code, 0) << describeFailure(argv, *output);

  std::istringstream lines(output->standard_output);
  std::string line;
  std::size_t compared = 0;
  std::size_t timed_out = 0;
  std::size_t refused = 0;
  std::size_t occurrences = 0;
  for (const GeneratedCase& test : cases) {
    ASSERT_TRUE(std::getline(lines, line)) << "dateutil printed fewer lines than cases";
    SCOPED_TRACE(fmt::format("RRULE {} DTSTART {} from {}", test.rrule, formatLocal(test.dtstart),
                             formatLocal(test.from)));
    nlohmann::json theirs = nlohmann::json::parse(line);
    if (theirs.contains("timeout")) {
      std::cout << "dateutil timed out on " << test.rrule << '\n';
      ++timed_out;
      continue;
    }
    ASSERT_FALSE(theirs.contains("error")) << theirs.dump();

    auto rule = RecurrenceRule::parse(test.rrule, test.dtstart);
    if (!rule && rule.error().code == ErrorCode::kUnsupported) {
      // A documented refusal of a rule libical expands wrongly.
      ++refused;
      continue;
    }
    if (!rule) {
      // libical refuses only rules it proves can never match.
      EXPECT_TRUE(theirs["all"].empty()) << rule.error().message;
      ++compared;
      continue;
    }
    std::vector<std::string> all = expandOurs(*rule, test.dtstart);
    EXPECT_EQ(all, asStrings(theirs["all"]));
    EXPECT_EQ(expandOurs(*rule, test.from), asStrings(theirs["from"]));
    occurrences += all.size();
    ++compared;
  }

  std::cout << fmt::format(
      "seed {}: compared {} rules ({} occurrences), {} refused as unsupported, {} timed out in "
      "dateutil\n",
      seed, compared, occurrences, refused, timed_out);
  EXPECT_GE(compared, 1000u);
  EXPECT_LE(timed_out, kRuleCount / 50);
}

}  // namespace
}  // namespace pk::schedule
