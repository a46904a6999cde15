// Reads the real Rocky Linux CSAF archive: about 6 s in a release build and
// 45 s under the sanitizers, so it carries the "slow" label.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "advisory/csaf_files.h"
#include "advisory/tests/affected_lookup.h"

namespace pk::advisory {
namespace {

namespace fs = std::filesystem;
using lookup::findAffected;
using lookup::fixedOf;

const fs::path kRockyArchive =
    fs::path(PK_SHARED_DATA_DIR) / "rocky-csaf" / "ciq-advisories-rocky-2025-2026.tar.xz";

// Expected numbers were counted from the archive with a separate script: 2,253
// advisories, 59,428 distinct (ecosystem, name, kind, fixed) entries, and one
// JSON member (mapping/cpe-product-keys.json) that is not an advisory.
TEST(CsafRealData, RockyArchive) {
  LoadReport report;
  std::size_t affected = 0;
  std::map<std::string, std::size_t> per_ecosystem;
  std::vector<Advisory> kept;
  auto read = readCsaf(
      kRockyArchive,
      [&](Advisory&& advisory) {
        affected += advisory.affected.size();
        for (const auto& entry : advisory.affected) ++per_ecosystem[entry.ecosystem];
        if (advisory.id == "CRLSA-2026:1472") kept.push_back(std::move(advisory));
      },
      report);

  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(report.records_loaded, 2253u);
  EXPECT_EQ(affected, 59428u);
  EXPECT_EQ(per_ecosystem["Rocky Linux:8"], 28586u);
  EXPECT_EQ(per_ecosystem["Rocky Linux:9"], 17571u);
  EXPECT_EQ(per_ecosystem["Rocky Linux:10"], 13271u);
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_NE(report.issues[0].file.find("mapping/cpe-product-keys.json"), std::string::npos);

  ASSERT_EQ(kept.size(), 1u);
  const Advisory& openssl = kept[0];
  EXPECT_EQ(openssl.summary, "Important: openssl security update");
  EXPECT_EQ(openssl.severity, Severity::kHigh);
  EXPECT_EQ(openssl.published, "2026-01-30T22:11:19.202965+00:00");
  ASSERT_EQ(openssl.aliases.size(), 12u);
  EXPECT_EQ(openssl.aliases.front(), "CVE-2025-11187");
  EXPECT_EQ(openssl.aliases.back(), "CVE-2026-22796");
  EXPECT_DOUBLE_EQ(openssl.cvss_score.value_or(0), 9.8);
  EXPECT_EQ(openssl.cvss_vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
  // 29 fixed products over four arches: seven binary rpms and the source rpm.
  ASSERT_EQ(openssl.affected.size(), 8u);
  for (const auto& entry : openssl.affected) {
    EXPECT_EQ(entry.ecosystem, "Rocky Linux:10");
    EXPECT_EQ(fixedOf(entry), "1:3.5.1-7.el10_1");
  }
  EXPECT_NE(findAffected(openssl, "openssl-libs", PackageNameKind::kBinary), nullptr);
  EXPECT_NE(findAffected(openssl, "openssl", PackageNameKind::kSource), nullptr);
}

}  // namespace
}  // namespace pk::advisory
