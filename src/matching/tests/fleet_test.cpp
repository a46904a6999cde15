#include "matching/fleet.h"

#include <gtest/gtest.h>

#include "matching/tests/match_fixtures.h"

namespace pk::matching {
namespace {

using advisory::PackageNameKind;
using testing::advisoryWith;
using testing::fixedIn;
using testing::host;
using testing::package;

std::vector<std::string> describe(const std::vector<Finding>& findings) {
  std::vector<std::string> lines;
  for (const auto& finding : findings) {
    lines.push_back(finding.package + " " + finding.advisory_id + " " + finding.fixed_version);
  }
  return lines;
}

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    advisory::LoadReport report;
    index_.add(advisoryWith("DSA-1", {fixedIn("Debian:12", "openssl", PackageNameKind::kSource,
                                              "3.0.11-1~deb12u2")}),
               report);
    index_.add(advisoryWith("DSA-2", {fixedIn("Debian:12", "curl", PackageNameKind::kSource,
                                              "7.88.1-10+deb12u5")}),
               report);
  }

  AdvisoryIndex index_;
};

TEST_F(FleetTest, SameFindingsAsSingleHostMatch) {
  FleetMatcher matcher(index_);
  auto server = host("Debian:12", version::Scheme::kDpkg,
                     {package("libssl3", "3.0.11-1~deb12u1", "openssl"),
                      package("curl", "7.88.1-10+deb12u4"), package("bash", "5.2.15-2+b2")});
  auto expanded = matcher.expand(server, matcher.evaluate(server));
  EXPECT_EQ(describe(expanded), describe(index_.match(server)));
  EXPECT_EQ(expanded.size(), 2U);
}

TEST_F(FleetTest, SharedVersionsEvaluatedOnce) {
  FleetMatcher matcher(index_);
  auto first = host(
      "Debian:12", version::Scheme::kDpkg,
      {package("libssl3", "3.0.11-1~deb12u1", "openssl"), package("curl", "7.88.1-10+deb12u4")});
  auto second = first;
  second.packages[1].version = "7.88.1-10+deb12u5";  // drift: curl already fixed here

  EXPECT_EQ(matcher.expand(first, matcher.evaluate(first)).size(), 2U);
  EXPECT_EQ(matcher.cachedVersions(), 2U);
  EXPECT_EQ(matcher.expand(second, matcher.evaluate(second)).size(), 1U);
  // libssl3 was reused; only the new curl version was evaluated.
  EXPECT_EQ(matcher.cachedVersions(), 3U);
}

TEST_F(FleetTest, InvalidateAfterAdvisoryChange) {
  FleetMatcher matcher(index_);
  auto server = host("Debian:12", version::Scheme::kDpkg, {package("bash", "5.2.15-2")});
  EXPECT_TRUE(matcher.evaluate(server).empty());

  advisory::LoadReport report;
  index_.add(advisoryWith("DSA-3", {fixedIn("Debian:12", "bash", PackageNameKind::kSource,
                                            "5.2.15-2+deb12u1")}),
             report);
  // The cached verdict is kept until the package is invalidated. Then the host is affected.
  EXPECT_TRUE(matcher.evaluate(server).empty());
  matcher.invalidatePackage("bash");
  auto findings = matcher.expand(server, matcher.evaluate(server));
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].advisory_id, "DSA-3");
}

TEST_F(FleetTest, InvalidateBySourceName) {
  FleetMatcher matcher(index_);
  auto server = host("Debian:12", version::Scheme::kDpkg,
                     {package("libssl3", "3.0.11-1~deb12u2", "openssl")});
  EXPECT_TRUE(matcher.evaluate(server).empty());
  EXPECT_EQ(matcher.cachedVersions(), 1U);
  matcher.invalidatePackage("openssl");
  EXPECT_EQ(matcher.cachedVersions(), 0U);
}

}  // namespace
}  // namespace pk::matching
