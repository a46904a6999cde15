#include "server/patch_catalog.h"

#include <gtest/gtest.h>

#include <set>

#include "server/patch_routes.h"

namespace pk::server {
namespace {

using advisory::Severity;
using json = nlohmann::json;

store::StoredFinding finding(std::string ecosystem, std::string advisory_id, std::string source,
                             std::string fixed_version, std::string fix_kb = "") {
  store::StoredFinding result;
  result.host_id = "h-0000000000000001";
  result.ecosystem = std::move(ecosystem);
  result.advisory_id = std::move(advisory_id);
  result.package = source + "-bin";
  result.source_package = std::move(source);
  result.fixed_version = std::move(fixed_version);
  result.fix_kb = std::move(fix_kb);
  return result;
}

TEST(PatchIdentity, DebianIsSourcePackageAtFixedVersion) {
  const auto patch = patchOf(finding("Debian:12", "DSA-5678-1", "curl", "7.88.1-10+deb12u5"));
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(patch->kind, kPatchKindSourcePackage);
  EXPECT_EQ(patch->ecosystem, "Debian:12");
  EXPECT_EQ(patch->name, "curl");
  EXPECT_EQ(patch->version, "7.88.1-10+deb12u5");
}

TEST(PatchIdentity, TwoAdvisoriesShareOneSourcePatch) {
  const auto first = patchOf(finding("Debian:12", "DSA-5678-1", "curl", "7.88.1-10+deb12u5"));
  const auto second = patchOf(finding("Debian:12", "CVE-2024-2398", "curl", "7.88.1-10+deb12u5"));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->id, second->id);
}

TEST(PatchIdentity, AlpineIsSourcePackage) {
  const auto patch = patchOf(finding("Alpine:v3.20", "CVE-2024-1", "openssl", "3.3.2-r0"));
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(patch->kind, kPatchKindSourcePackage);
}

TEST(PatchIdentity, RpmIsAdvisoryWithoutVersion) {
  const auto xz = patchOf(finding("AlmaLinux:9", "ALSA-2022:4940", "xz", "5.2.5-8.el9_0"));
  const auto xz_libs =
      patchOf(finding("AlmaLinux:9", "ALSA-2022:4940", "xz-libs", "5.2.5-8.el9_0"));
  ASSERT_TRUE(xz.has_value());
  ASSERT_TRUE(xz_libs.has_value());
  EXPECT_EQ(xz->kind, kPatchKindAdvisory);
  EXPECT_EQ(xz->name, "ALSA-2022:4940");
  EXPECT_EQ(xz->version, "");
  EXPECT_EQ(xz->id, xz_libs->id);
}

TEST(PatchIdentity, RpmHostUpdateKeepsCandidateVersion) {
  const auto patch =
      patchOf(finding("Rocky Linux:9", "security-update:openssl", "openssl", "1:3.0.7-27.el9"));
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(patch->kind, kPatchKindAdvisory);
  EXPECT_EQ(patch->version, "1:3.0.7-27.el9");
}

TEST(PatchIdentity, WindowsIsKb) {
  const auto patch = patchOf(finding("Windows", "CVE-2025-21333", "", "", "5050021"));
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(patch->kind, kPatchKindKb);
  EXPECT_EQ(patch->ecosystem, "Windows");
  EXPECT_EQ(patch->name, "5050021");
}

TEST(PatchIdentity, NoFixMeansNoPatch) {
  EXPECT_FALSE(patchOf(finding("Debian:12", "CVE-2024-1", "curl", "")).has_value());
  EXPECT_FALSE(patchOf(finding("AlmaLinux:9", "ALSA-1", "xz", "")).has_value());
  EXPECT_FALSE(patchOf(finding("Windows", "CVE-2025-1", "", "", "")).has_value());
}

TEST(PatchIdentity, UnknownEcosystemHasNoPatch) {
  EXPECT_FALSE(patchOf(finding("npm", "GHSA-1", "left-pad", "1.3.0")).has_value());
}

TEST(PatchId, IsStableAndShaped) {
  const std::string id = patchIdOf("source-package", "Debian:12", "curl", "7.88.1-10+deb12u5");
  EXPECT_EQ(id, patchIdOf("source-package", "Debian:12", "curl", "7.88.1-10+deb12u5"));
  EXPECT_TRUE(isPatchId(id));
  EXPECT_EQ(id.size(), 18U);
}

TEST(PatchId, KnownValue) {
  // The first 8 bytes of SHA-256("kb|Windows|5050021|"), computed with
  // `printf 'kb|Windows|5050021|' | sha256sum`.
  EXPECT_EQ(patchIdOf("kb", "Windows", "5050021", ""), "p-808a22e798351a3d");
}

TEST(PatchId, DiffersByEachPart) {
  std::set<std::string> ids = {
      patchIdOf("source-package", "Debian:12", "curl", "1"),
      patchIdOf("advisory", "Debian:12", "curl", "1"),
      patchIdOf("source-package", "Debian:11", "curl", "1"),
      patchIdOf("source-package", "Debian:12", "wget", "1"),
      patchIdOf("source-package", "Debian:12", "curl", "2"),
  };
  EXPECT_EQ(ids.size(), 5U);
}

TEST(PatchId, RejectsMalformedText) {
  EXPECT_FALSE(isPatchId("p-0123"));
  EXPECT_FALSE(isPatchId("q-0123456789abcdef"));
  EXPECT_FALSE(isPatchId("p-0123456789ABCDEF"));
  EXPECT_TRUE(isPatchId("p-0123456789abcdef"));
}

PatchFacts facts(std::string ecosystem, Severity severity, bool kev = false,
                 bool from_advisory = true, bool from_host_repository = false) {
  return PatchFacts{std::move(ecosystem), severity, kev, from_advisory, from_host_repository};
}

TEST(RuleMatching, EcosystemAndSeverity) {
  ApprovalRule rule;
  rule.ecosystem = "Debian:12";
  rule.minimum_severity = Severity::kHigh;
  EXPECT_TRUE(ruleMatches(rule, facts("Debian:12", Severity::kHigh)));
  EXPECT_TRUE(ruleMatches(rule, facts("Debian:12", Severity::kCritical)));
  EXPECT_FALSE(ruleMatches(rule, facts("Debian:12", Severity::kMedium)));
  EXPECT_FALSE(ruleMatches(rule, facts("Debian:11", Severity::kCritical)));
}

TEST(RuleMatching, EmptyEcosystemMatchesAll) {
  ApprovalRule rule;
  EXPECT_TRUE(ruleMatches(rule, facts("Windows", Severity::kUnknown)));
  EXPECT_TRUE(ruleMatches(rule, facts("AlmaLinux:9", Severity::kLow)));
}

TEST(RuleMatching, KevOnly) {
  ApprovalRule rule;
  rule.known_exploited_only = true;
  EXPECT_TRUE(ruleMatches(rule, facts("Debian:12", Severity::kLow, true)));
  EXPECT_FALSE(ruleMatches(rule, facts("Debian:12", Severity::kCritical, false)));
}

TEST(RuleMatching, HostRepositoryNeedsFlag) {
  ApprovalRule rule;
  const PatchFacts host_only = facts("Debian:12", Severity::kHigh, false, false, true);
  EXPECT_FALSE(ruleMatches(rule, host_only));
  rule.include_host_repository = true;
  EXPECT_TRUE(ruleMatches(rule, host_only));
}

TEST(RuleMatching, DisabledMatchesNothing) {
  ApprovalRule rule;
  rule.enabled = false;
  EXPECT_FALSE(ruleMatches(rule, facts("Debian:12", Severity::kCritical, true)));
}

TEST(RuleMatching, PatchWithoutFindingsMatchesNothing) {
  ApprovalRule rule;
  rule.include_host_repository = true;
  EXPECT_FALSE(ruleMatches(rule, facts("Debian:12", Severity::kCritical, true, false, false)));
}

std::string rejectedField(const std::variant<PatchDecisionBody, PatchBodyRejection>& parsed) {
  const auto* rejection = std::get_if<PatchBodyRejection>(&parsed);
  return rejection ? rejection->message : "";
}

TEST(DecisionBody, AcceptsApproval) {
  const auto parsed = parsePatchDecisionBody(json{{"decision", "approved"}});
  ASSERT_TRUE(std::holds_alternative<PatchDecisionBody>(parsed));
  EXPECT_EQ(std::get<PatchDecisionBody>(parsed).decision, "approved");
}

TEST(DecisionBody, DeclineNeedsReason) {
  EXPECT_NE(
      rejectedField(parsePatchDecisionBody(json{{"decision", "declined"}})).find("\"reason\""),
      std::string::npos);
}

TEST(DecisionBody, RejectsBadShapes) {
  EXPECT_NE(rejectedField(parsePatchDecisionBody(json{{"decision", "maybe"}})).find("\"decision\""),
            std::string::npos);
  EXPECT_NE(rejectedField(parsePatchDecisionBody(json{{"decision", "approved"}, {"reason", 4}}))
                .find("\"reason\""),
            std::string::npos);
  EXPECT_NE(rejectedField(parsePatchDecisionBody(json{{"decision", "approved"}, {"by", "me"}}))
                .find("\"by\""),
            std::string::npos);
  EXPECT_FALSE(rejectedField(parsePatchDecisionBody(json::array())).empty());
}

TEST(RuleBody, Defaults) {
  const auto parsed = parseApprovalRuleBody(json{{"name", "everything"}});
  ASSERT_TRUE(std::holds_alternative<store::ApprovalRuleRecord>(parsed));
  const auto& rule = std::get<store::ApprovalRuleRecord>(parsed);
  EXPECT_EQ(rule.ecosystem, "");
  EXPECT_EQ(rule.minimum_severity, "unknown");
  EXPECT_FALSE(rule.known_exploited_only);
  EXPECT_FALSE(rule.include_host_repository);
  EXPECT_TRUE(rule.enabled);
}

TEST(RuleBody, RejectsEachBadField) {
  const std::vector<std::pair<json, std::string>> cases = {
      {json{{"ecosystem", "Debian:12"}}, "\"name\""},
      {json{{"name", ""}}, "\"name\""},
      {json{{"name", "r"}, {"minimum_severity", "severe"}}, "\"minimum_severity\""},
      {json{{"name", "r"}, {"kev_only", "yes"}}, "\"kev_only\""},
      {json{{"name", "r"}, {"enabled", 1}}, "\"enabled\""},
      {json{{"name", "r"}, {"include_host_repository", "true"}}, "\"include_host_repository\""},
      {json{{"name", "r"}, {"ecosystem", 12}}, "\"ecosystem\""},
      {json{{"name", "r"}, {"colour", "red"}}, "\"colour\""},
  };
  for (const auto& [body, field] : cases) {
    const auto parsed = parseApprovalRuleBody(body);
    const auto* rejection = std::get_if<PatchBodyRejection>(&parsed);
    ASSERT_NE(rejection, nullptr) << body.dump();
    EXPECT_EQ(rejection->status, 400) << body.dump();
    EXPECT_NE(rejection->message.find(field), std::string::npos) << body.dump();
  }
}

}  // namespace
}  // namespace pk::server
