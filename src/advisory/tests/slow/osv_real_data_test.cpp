// Loads every AlmaLinux 8 and 9 advisory; slow under sanitizers, so it runs
// with the "slow" label.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "advisory/ecosystem.h"
#include "advisory/osv_files.h"
#include "version/version.h"

namespace pk::advisory {
namespace {

const std::filesystem::path kAlmaLinux =
    std::filesystem::path(PK_SHARED_DATA_DIR) / "osv" / "almalinux" / "advisories";

struct Loaded {
  std::map<std::string, Advisory> by_id;
  LoadReport report;
};

Loaded load(const std::string& release) {
  Loaded loaded;
  auto result = readOsv(
      kAlmaLinux / release,
      [&](Advisory&& advisory) {
        std::string id = advisory.id;
        loaded.by_id.emplace(std::move(id), std::move(advisory));
      },
      loaded.report);
  EXPECT_TRUE(result.has_value()) << result.error().message;
  return loaded;
}

TEST(OsvAlmaLinux, LoadsOnlySecurityAdvisories8) {
  Loaded loaded = load("almalinux8");
  // 2,040 ALSA files; the 975 ALBA and 222 ALEA files are not security fixes.
  EXPECT_EQ(loaded.by_id.size(), 2040u);
  EXPECT_EQ(loaded.report.records_loaded, 2040u);
  EXPECT_EQ(loaded.report.records_withdrawn, 975u + 222u);
  EXPECT_TRUE(loaded.report.issues.empty())
      << loaded.report.issues[0].file << " " << loaded.report.issues[0].field << ": "
      << loaded.report.issues[0].message;
  for (const auto& [id, advisory] : loaded.by_id) {
    EXPECT_TRUE(id.starts_with("ALSA-")) << id;
    EXPECT_NE(advisory.severity, Severity::kUnknown) << id << ": " << advisory.summary;
  }
}

TEST(OsvAlmaLinux, LoadsOnlySecurityAdvisories9) {
  Loaded loaded = load("almalinux9");
  EXPECT_EQ(loaded.by_id.size(), 1780u);
  EXPECT_EQ(loaded.report.records_withdrawn, 3u);
  EXPECT_TRUE(loaded.report.issues.empty());
}

TEST(OsvAlmaLinux, SeveritiesOfAlmaLinux8) {
  Loaded loaded = load("almalinux8");
  std::map<Severity, std::size_t> counts;
  for (const auto& [id, advisory] : loaded.by_id) ++counts[advisory.severity];
  EXPECT_EQ(counts[Severity::kCritical], 15u);
  EXPECT_EQ(counts[Severity::kHigh] + counts[Severity::kMedium] + counts[Severity::kLow] +
                counts[Severity::kCritical],
            2040u);
}

TEST(OsvAlmaLinux, SquidRecordWithEpoch) {
  Loaded loaded = load("almalinux9");
  const Advisory& squid = loaded.by_id.at("ALSA-2024:0071");
  EXPECT_EQ(squid.source, "osv");
  EXPECT_EQ(squid.summary, "Important: squid security update");
  EXPECT_EQ(squid.severity, Severity::kHigh);
  EXPECT_FALSE(squid.cvss_score.has_value());
  EXPECT_EQ(squid.aliases, (std::vector<std::string>{"CVE-2023-46724", "CVE-2023-46728",
                                                     "CVE-2023-49285", "CVE-2023-49286"}));
  EXPECT_EQ(squid.published, "2024-01-08T00:00:00Z");
  EXPECT_EQ(squid.modified, "2024-01-08T13:54:39Z");
  ASSERT_EQ(squid.affected.size(), 1u);
  const AffectedPackage& package = squid.affected[0];
  EXPECT_EQ(package.ecosystem, "AlmaLinux:9");
  EXPECT_EQ(package.name, "squid");
  EXPECT_EQ(package.name_kind, PackageNameKind::kBinary);
  EXPECT_FALSE(package.severity.has_value());
  ASSERT_EQ(package.ranges.size(), 1u);
  ASSERT_EQ(package.ranges[0].size(), 2u);
  EXPECT_EQ(package.ranges[0][0].type, RangeEvent::Type::kIntroduced);
  EXPECT_EQ(package.ranges[0][0].version, "0");
  EXPECT_EQ(package.ranges[0][1].type, RangeEvent::Type::kFixed);
  EXPECT_EQ(package.ranges[0][1].version, "7:5.5-6.el9_3.5");
}

TEST(OsvAlmaLinux, KernelRecordOfAlmaLinux8) {
  Loaded loaded = load("almalinux8");
  const Advisory& kernel = loaded.by_id.at("ALSA-2026:A008");
  EXPECT_EQ(kernel.severity, Severity::kHigh);
  EXPECT_EQ(kernel.aliases, (std::vector<std::string>{"CVE-2026-46300", "CVE-2026-46333"}));
  ASSERT_EQ(kernel.affected.size(), 30u);
  EXPECT_EQ(kernel.affected.front().name, "bpftool");
  EXPECT_EQ(kernel.affected.back().name, "python3-perf");
  EXPECT_EQ(kernel.affected.back().ranges[0][1].version, "4.18.0-553.124.4.el8_10");

  // The one ALSA whose rating is a trailing "(Important)".
  EXPECT_EQ(loaded.by_id.at("ALSA-2022:5468").severity, Severity::kHigh);
}

TEST(OsvAlmaLinux, EveryFixedVersionIsValidRpm) {
  for (const std::string release : {"almalinux8", "almalinux9"}) {
    Loaded loaded = load(release);
    std::size_t with_epoch = 0;
    for (const auto& [id, advisory] : loaded.by_id) {
      for (const auto& package : advisory.affected) {
        ASSERT_EQ(schemeForEcosystem(package.ecosystem), version::Scheme::kRpm) << id;
        for (const auto& range : package.ranges) {
          for (const auto& event : range) {
            if (event.version == "0") continue;
            EXPECT_TRUE(version::validate(version::Scheme::kRpm, event.version)) << id;
            if (event.version.find(':') != std::string::npos) ++with_epoch;
          }
        }
      }
    }
    EXPECT_GT(with_epoch, 0u) << release;
  }
}

}  // namespace
}  // namespace pk::advisory
