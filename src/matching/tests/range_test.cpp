#include "matching/range.h"

#include <gtest/gtest.h>

namespace pk::matching {
namespace {

using advisory::RangeEvent;
using Type = advisory::RangeEvent::Type;

std::vector<PreparedRange> prepared(version::Scheme scheme, std::vector<RangeEvent> events) {
  auto ranges = prepareRanges(scheme, {std::move(events)});
  EXPECT_TRUE(ranges.has_value()) << ranges.error().message;
  return ranges.value_or(std::vector<PreparedRange>{});
}

struct RangeCase {
  const char* installed;
  bool affected;
  const char* fixed;
};

TEST(Range, EventsOutOfOrder) {
  // Listed fix-first; evaluated in version order.
  auto ranges = prepared(version::Scheme::kDpkg, {{Type::kFixed, "2.0-1"},
                                                  {Type::kIntroduced, "1.0-1"},
                                                  {Type::kFixed, "4.0-1"},
                                                  {Type::kIntroduced, "3.0-1"}});
  for (const auto& test : std::vector<RangeCase>{{"0.9-1", false, ""},
                                                 {"1.0-1", true, "2.0-1"},
                                                 {"1.5-1", true, "2.0-1"},
                                                 {"2.0-1", false, ""},
                                                 {"2.5-1", false, ""},
                                                 {"3.0-1", true, "4.0-1"},
                                                 {"4.0-1", false, ""},
                                                 {"5.0-1", false, ""}}) {
    Verdict verdict = evaluate(version::Scheme::kDpkg, ranges, {}, test.installed);
    EXPECT_EQ(verdict.affected, test.affected) << test.installed;
    EXPECT_EQ(verdict.fixed_version, test.fixed) << test.installed;
  }
}

TEST(Range, LastAffectedIsInclusive) {
  auto ranges =
      prepared(version::Scheme::kRpm, {{Type::kLastAffected, "1.2-3"}, {Type::kIntroduced, "0"}});
  EXPECT_TRUE(evaluate(version::Scheme::kRpm, ranges, {}, "1.2-3").affected);
  EXPECT_TRUE(evaluate(version::Scheme::kRpm, ranges, {}, "1.0-1").affected);
  EXPECT_FALSE(evaluate(version::Scheme::kRpm, ranges, {}, "1.2-4").affected);
  // last_affected names no fix.
  EXPECT_EQ(evaluate(version::Scheme::kRpm, ranges, {}, "1.0-1").fixed_version, "");
}

TEST(Range, IntroducedZeroCoversTildeVersions) {
  // "0" is a marker for "every version", so even 0~rc1 (which dpkg orders
  // below "0") is affected.
  auto ranges = prepared(version::Scheme::kDpkg, {{Type::kIntroduced, "0"}, {Type::kFixed, "1.0"}});
  Verdict verdict = evaluate(version::Scheme::kDpkg, ranges, {}, "0~rc1");
  EXPECT_TRUE(verdict.affected);
  EXPECT_EQ(verdict.fixed_version, "1.0");
}

TEST(Range, EqualToFixedIsNotAffected) {
  auto ranges = prepared(version::Scheme::kDpkg,
                         {{Type::kIntroduced, "0"}, {Type::kFixed, "3.0.11-1~deb12u2"}});
  EXPECT_FALSE(evaluate(version::Scheme::kDpkg, ranges, {}, "3.0.11-1~deb12u2").affected);
  EXPECT_FALSE(evaluate(version::Scheme::kDpkg, ranges, {}, "3.0.11-1").affected);
  // A backport with '~' below the fix is still affected.
  EXPECT_TRUE(evaluate(version::Scheme::kDpkg, ranges, {}, "3.0.11-1~deb12u1").affected);
}

TEST(Range, NoFixedEventMeansNoFixYet) {
  auto ranges = prepared(version::Scheme::kDpkg, {{Type::kIntroduced, "0"}});
  Verdict verdict = evaluate(version::Scheme::kDpkg, ranges, {}, "99:9.9");
  EXPECT_TRUE(verdict.affected);
  EXPECT_EQ(verdict.fixed_version, "");
}

TEST(Range, LimitBoundsRange) {
  auto ranges =
      prepared(version::Scheme::kApk, {{Type::kLimit, "2.0-r0"}, {Type::kIntroduced, "1.0-r0"}});
  EXPECT_TRUE(evaluate(version::Scheme::kApk, ranges, {}, "1.5-r0").affected);
  EXPECT_FALSE(evaluate(version::Scheme::kApk, ranges, {}, "2.0-r0").affected);
  // A limit is not a fix, so no fixed version is reported.
  EXPECT_EQ(evaluate(version::Scheme::kApk, ranges, {}, "1.5-r0").fixed_version, "");
}

TEST(Range, ExplicitVersionsList) {
  Verdict verdict = evaluate(version::Scheme::kApk, {}, {"1.2.3-r0", "1.2.4-r1"}, "1.2.4-r1");
  EXPECT_TRUE(verdict.affected);
  EXPECT_FALSE(evaluate(version::Scheme::kApk, {}, {"1.2.3-r0"}, "1.2.4-r0").affected);
}

TEST(Range, InvalidEventVersionRejected) {
  auto ranges = prepareRanges(version::Scheme::kDpkg,
                              {{{Type::kIntroduced, "0"}, {Type::kFixed, "not-a-version"}}});
  ASSERT_FALSE(ranges.has_value());
  EXPECT_NE(ranges.error().message.find("not-a-version"), std::string::npos);
}

}  // namespace
}  // namespace pk::matching
