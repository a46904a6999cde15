#include "server/collections.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace pk::server {
namespace {

CollectionHostFacts webServer() {
  return CollectionHostFacts{.id = "h-0000000000000001",
                             .hostname = "web-01.example.org",
                             .kind = "server",
                             .owner = "olivia",
                             .os_ecosystem = "Debian:12"};
}

TEST(Slug, AcceptsLowerDigitsAndDash) {
  EXPECT_TRUE(isSlug("test"));
  EXPECT_TRUE(isSlug("web-2"));
  EXPECT_TRUE(isSlug(std::string(64, 'a')));
}

TEST(Slug, RejectsOtherText) {
  EXPECT_FALSE(isSlug(""));
  EXPECT_FALSE(isSlug("Test"));
  EXPECT_FALSE(isSlug("web_2"));
  EXPECT_FALSE(isSlug("a b"));
  EXPECT_FALSE(isSlug("../x"));
  EXPECT_FALSE(isSlug(std::string(65, 'a')));
}

struct GlobCase {
  const char* pattern;
  const char* text;
  bool matches;
};

TEST(Glob, MatchesTable) {
  const std::vector<GlobCase> cases = {
      {"web-*", "web-01", true},
      {"web-*", "web-", true},
      {"web-*", "db-01", false},
      {"*", "", true},
      {"", "", true},
      {"", "a", false},
      {"web-??", "web-01", true},
      {"web-??", "web-1", false},
      {"web-??", "web-001", false},
      {"*.example.org", "web-01.example.org", true},
      {"*.example.org", "web-01.example.com", false},
      {"*-*-*", "a-b-c", true},
      {"*-*-*", "a-b", false},
      {"a*b*c", "aXbYbZc", true},
      {"a*b*c", "aXbYbZ", false},
      {"WEB-*", "web-01", true},
      {"web-*", "WEB-01", true},
      {"web", "web-01", false},
      {"**a", "bbba", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(matchesGlob(c.pattern, c.text), c.matches)
        << "pattern \"" << c.pattern << "\" against \"" << c.text << "\"";
  }
}

TEST(Glob, LongStarPatternIsFast) {
  // Many stars against a long near-match text: exponential backtracking
  // would not finish.
  const std::string pattern = std::string(30, '*') + "b";
  const std::string text(100000, 'a');
  EXPECT_FALSE(matchesGlob(pattern, text));
}

TEST(Ecosystem, ExactMatch) {
  EXPECT_TRUE(matchesEcosystem("Debian:12", "Debian:12"));
  EXPECT_FALSE(matchesEcosystem("Debian:12", "Debian:11"));
  EXPECT_FALSE(matchesEcosystem("Debian", "Debian:12"));
}

TEST(Ecosystem, PrefixEndsWithColon) {
  EXPECT_TRUE(matchesEcosystem("Debian:", "Debian:12"));
  EXPECT_TRUE(matchesEcosystem("Debian:", "Debian:11"));
  EXPECT_FALSE(matchesEcosystem("Debian:", "Debian:"));
  EXPECT_FALSE(matchesEcosystem("Debian:", "Ubuntu:22.04"));
  EXPECT_FALSE(matchesEcosystem("Debian:", "DebianX:1"));
}

TEST(Rule, EmptyRuleMatchesAll) {
  EXPECT_TRUE(matchesRule(CollectionRule{}, webServer()));
}

TEST(Rule, EveryFieldMustMatch) {
  const CollectionRule rule{
      .os_ecosystem = "Debian:", .kind = "server", .owner = "olivia", .hostname = "web-*"};
  EXPECT_TRUE(matchesRule(rule, webServer()));

  auto other_kind = webServer();
  other_kind.kind = "endpoint";
  EXPECT_FALSE(matchesRule(rule, other_kind));

  auto other_owner = webServer();
  other_owner.owner = "bob";
  EXPECT_FALSE(matchesRule(rule, other_owner));

  auto other_os = webServer();
  other_os.os_ecosystem = "Ubuntu:22.04";
  EXPECT_FALSE(matchesRule(rule, other_os));

  auto other_name = webServer();
  other_name.hostname = "db-01";
  EXPECT_FALSE(matchesRule(rule, other_name));
}

TEST(Rule, UnknownEcosystemFailsEcosystemRule) {
  auto host = webServer();
  host.os_ecosystem = "";
  EXPECT_FALSE(matchesRule(CollectionRule{.os_ecosystem = "Debian:"}, host));
}

TEST(RuleCheck, EmptyRuleRejected) {
  auto checked = checkCollectionRule(CollectionRule{});
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("at least one"), std::string::npos);
}

TEST(RuleCheck, UnknownKindRejected) {
  auto checked = checkCollectionRule(CollectionRule{.kind = "laptop"});
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("rule.kind"), std::string::npos);
}

TEST(RuleCheck, ControlCharacterRejected) {
  auto checked = checkCollectionRule(CollectionRule{.hostname = "web\n*"});
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("rule.hostname"), std::string::npos);
}

TEST(RuleCheck, ValidRuleAccepted) {
  EXPECT_TRUE(checkCollectionRule(CollectionRule{.os_ecosystem = "Debian:", .kind = "endpoint"}));
}

TEST(PolicyCheck, DefaultsFitDefaultBounds) {
  EXPECT_TRUE(checkRestartPolicy(RestartPolicy{}, RestartPolicyBounds{}));
}

TEST(PolicyCheck, LongDeadlineNamesBound) {
  RestartPolicy policy;
  policy.restart_deadline_seconds = 25 * 3600;
  auto checked = checkRestartPolicy(policy, RestartPolicyBounds{});
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("restart_deadline_seconds"), std::string::npos);
  EXPECT_NE(checked.error().message.find("86400"), std::string::npos);
}

TEST(PolicyCheck, ShortCountdownNamesBound) {
  RestartPolicy policy;
  policy.countdown_seconds = 600;
  auto checked = checkRestartPolicy(policy, RestartPolicyBounds{});
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("countdown_seconds"), std::string::npos);
  EXPECT_NE(checked.error().message.find("5400"), std::string::npos);
}

TEST(PolicyCheck, CountdownLongerThanDeadlineRejected) {
  const RestartPolicy policy{
      .restart_deadline_seconds = 3600, .countdown_seconds = 5400, .reminder_seconds = 600};
  EXPECT_FALSE(checkRestartPolicy(policy, RestartPolicyBounds{.max_restart_deadline_seconds = 86400,
                                                              .min_countdown_seconds = 60}));
}

TEST(PolicyCheck, ZeroReminderRejected) {
  RestartPolicy policy;
  policy.reminder_seconds = 0;
  auto checked = checkRestartPolicy(policy, RestartPolicyBounds{});
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("reminder_seconds"), std::string::npos);
}

TEST(PolicyCheck, OwnBoundsApply) {
  RestartPolicy policy;
  policy.restart_deadline_seconds = 48 * 3600;
  EXPECT_TRUE(
      checkRestartPolicy(policy, RestartPolicyBounds{.max_restart_deadline_seconds = 72 * 3600,
                                                     .min_countdown_seconds = 5400}));
}

TEST(BoundsCheck, CountdownAboveDeadlineRejected) {
  EXPECT_FALSE(checkRestartPolicyBounds(
      RestartPolicyBounds{.max_restart_deadline_seconds = 3600, .min_countdown_seconds = 7200}));
  EXPECT_FALSE(checkRestartPolicyBounds(
      RestartPolicyBounds{.max_restart_deadline_seconds = 0, .min_countdown_seconds = 0}));
  EXPECT_TRUE(checkRestartPolicyBounds(RestartPolicyBounds{}));
}

TEST(EffectivePolicy, NoCollectionGivesDefaults) {
  const auto policy = effectiveRestartPolicy({}, std::nullopt);
  EXPECT_EQ(policy.restart_deadline_seconds, 86400);
  EXPECT_EQ(policy.countdown_seconds, 5400);
  EXPECT_EQ(policy.reminder_seconds, 14400);
}

TEST(EffectivePolicy, StrictestWinsFieldByField) {
  const RestartPolicy loose{
      .restart_deadline_seconds = 86400, .countdown_seconds = 7200, .reminder_seconds = 3600};
  const RestartPolicy tight{
      .restart_deadline_seconds = 14400, .countdown_seconds = 5400, .reminder_seconds = 7200};
  const auto policy = effectiveRestartPolicy({loose, tight}, std::nullopt);
  EXPECT_EQ(policy.restart_deadline_seconds, 14400);
  EXPECT_EQ(policy.countdown_seconds, 7200);
  EXPECT_EQ(policy.reminder_seconds, 3600);
}

TEST(EffectivePolicy, OrderDoesNotMatter) {
  const RestartPolicy a{
      .restart_deadline_seconds = 86400, .countdown_seconds = 7200, .reminder_seconds = 3600};
  const RestartPolicy b{
      .restart_deadline_seconds = 14400, .countdown_seconds = 5400, .reminder_seconds = 7200};
  EXPECT_EQ(effectiveRestartPolicy({a, b}, std::nullopt),
            effectiveRestartPolicy({b, a}, std::nullopt));
}

TEST(EffectivePolicy, OverrideShortensDeadline) {
  RestartPolicy shorter;
  shorter.restart_deadline_seconds = 4 * 3600;
  const auto policy = effectiveRestartPolicy({RestartPolicy{}}, shorter);
  EXPECT_EQ(policy.restart_deadline_seconds, 4 * 3600);
}

TEST(EffectivePolicy, LongerOverrideIgnored) {
  RestartPolicy longer;
  longer.restart_deadline_seconds = 72 * 3600;
  longer.countdown_seconds = 60;
  longer.reminder_seconds = 86400;
  const auto policy = effectiveRestartPolicy({RestartPolicy{}}, longer);
  EXPECT_EQ(policy, RestartPolicy{});
}

TEST(EffectivePolicy, CountdownCutToShortDeadline) {
  RestartPolicy override_policy;
  override_policy.restart_deadline_seconds = 1800;
  const auto policy = effectiveRestartPolicy({RestartPolicy{}}, override_policy);
  EXPECT_EQ(policy.restart_deadline_seconds, 1800);
  EXPECT_EQ(policy.countdown_seconds, 1800);
}

TEST(Hooks, NoHooksGivesNone) {
  auto hooks = effectiveHooks({{"test", "", ""}, {"web", "", ""}});
  ASSERT_TRUE(hooks);
  EXPECT_EQ(*hooks, HookChoice{});
}

TEST(Hooks, OneNamedHookWins) {
  auto hooks = effectiveHooks({{"test", "", ""}, {"web", "stop-nginx", "check-nginx"}});
  ASSERT_TRUE(hooks);
  EXPECT_EQ(hooks->pre_hook, "stop-nginx");
  EXPECT_EQ(hooks->post_hook, "check-nginx");
}

TEST(Hooks, SameHookTwiceAccepted) {
  auto hooks = effectiveHooks({{"a", "stop-nginx", ""}, {"b", "stop-nginx", "check"}});
  ASSERT_TRUE(hooks);
  EXPECT_EQ(hooks->pre_hook, "stop-nginx");
  EXPECT_EQ(hooks->post_hook, "check");
}

TEST(Hooks, DifferentHooksRejected) {
  auto hooks = effectiveHooks({{"web", "stop-nginx", ""}, {"db", "stop-postgres", ""}});
  ASSERT_FALSE(hooks);
  EXPECT_NE(hooks.error().message.find("web and db"), std::string::npos);
  EXPECT_NE(hooks.error().message.find("stop-postgres"), std::string::npos);
}

TEST(Hooks, DifferentPostHooksRejected) {
  auto hooks = effectiveHooks({{"web", "", "check-a"}, {"db", "", "check-b"}});
  ASSERT_FALSE(hooks);
  EXPECT_NE(hooks.error().message.find("post-install"), std::string::npos);
}

std::vector<store::Ring> rings(const std::vector<std::string>& collections) {
  std::vector<store::Ring> result;
  for (const auto& collection : collections) {
    result.push_back(store::Ring{collection, store::RingGate{86400, 0.9, 0}});
  }
  return result;
}

TEST(RingCheck, DefaultShapeAccepted) {
  EXPECT_TRUE(checkRingSequence(rings({"test", "pilot", "production"})));
}

TEST(RingCheck, EmptyRejected) {
  auto checked = checkRingSequence({});
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("at least one ring"), std::string::npos);
}

TEST(RingCheck, LoopNamesPath) {
  auto checked = checkRingSequence(rings({"test", "pilot", "test"}));
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message.rfind("ring sequence loops: test -> pilot -> test", 0), 0u)
      << checked.error().message;
}

TEST(RingCheck, AdjacentRepeatIsLoop) {
  auto checked = checkRingSequence(rings({"test", "test"}));
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("loops: test -> test"), std::string::npos);
}

TEST(RingCheck, ImpossibleRatiosRejected) {
  for (const double ratio : {1.5, -0.1, std::nan("")}) {
    auto sequence = rings({"test", "pilot"});
    sequence[1].gate.min_success_ratio = ratio;
    auto checked = checkRingSequence(sequence);
    ASSERT_FALSE(checked) << ratio;
    EXPECT_NE(checked.error().message.find("ring 2 (pilot): min_success_ratio"), std::string::npos)
        << checked.error().message;
  }
}

TEST(RingCheck, RatioBoundsAccepted) {
  auto sequence = rings({"test", "pilot"});
  sequence[0].gate.min_success_ratio = 0.0;
  sequence[1].gate.min_success_ratio = 1.0;
  EXPECT_TRUE(checkRingSequence(sequence));
}

TEST(RingCheck, NegativeSoakRejected) {
  auto sequence = rings({"test"});
  sequence[0].gate.min_soak_seconds = -1;
  auto checked = checkRingSequence(sequence);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("min_soak_seconds"), std::string::npos);
}

TEST(RingCheck, NegativeFailuresRejected) {
  auto sequence = rings({"test"});
  sequence[0].gate.max_failures = -2;
  auto checked = checkRingSequence(sequence);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("max_failures"), std::string::npos);
}

TEST(RingCheck, BadCollectionIdRejected) {
  auto checked = checkRingSequence(rings({"Test"}));
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("ring 1"), std::string::npos);
}

TEST(RingCheck, TooManyRingsRejected) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i <= kMaxRings; ++i) names.push_back("c" + std::to_string(i));
  EXPECT_FALSE(checkRingSequence(rings(names)));
}

}  // namespace
}  // namespace pk::server
