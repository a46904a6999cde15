#include <gtest/gtest.h>

#include "advisory/advisory.h"
#include "advisory/ecosystem.h"

namespace pk::advisory {
namespace {

TEST(SeverityWord, MapsVendorVocabularies) {
  EXPECT_EQ(parseSeverityWord("Important"), Severity::kHigh);
  EXPECT_EQ(parseSeverityWord("Moderate"), Severity::kMedium);
  EXPECT_EQ(parseSeverityWord("CRITICAL"), Severity::kCritical);
  EXPECT_EQ(parseSeverityWord("unimportant"), Severity::kLow);
  EXPECT_EQ(parseSeverityWord("negligible"), Severity::kLow);
  EXPECT_EQ(parseSeverityWord("not yet assigned"), Severity::kUnknown);
  EXPECT_EQ(parseSeverityWord("severe"), Severity::kUnknown);
}

TEST(EcosystemScheme, KnownFamilies) {
  EXPECT_EQ(schemeForEcosystem("Debian:12"), version::Scheme::kDpkg);
  EXPECT_EQ(schemeForEcosystem("Ubuntu:24.04:LTS"), version::Scheme::kDpkg);
  EXPECT_EQ(schemeForEcosystem("AlmaLinux:9"), version::Scheme::kRpm);
  EXPECT_EQ(schemeForEcosystem("Rocky Linux:8"), version::Scheme::kRpm);
  EXPECT_EQ(schemeForEcosystem("Alpine:v3.20"), version::Scheme::kApk);
  EXPECT_FALSE(schemeForEcosystem("npm").has_value());
  EXPECT_FALSE(schemeForEcosystem("Debianish:12").has_value());
}

}  // namespace
}  // namespace pk::advisory
