// Recognition and loading of Windows KB data by the feed loader.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "advisory/feed.h"

namespace pk::advisory {
namespace {

const std::filesystem::path kWindowsData = std::filesystem::path(PK_SHARED_DATA_DIR) / "windows";

std::string fileHead(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

TEST(FeedSniffWindows, RecognisesRealFiles) {
  EXPECT_EQ(sniffFeedFormat(fileHead(kWindowsData / "msrc-cvrf" / "2025" / "xml-cvrf-document" /
                                     "cvrfDocument-2025-Jun.xml")),
            FeedFormat::kMsrcCvrf);
  EXPECT_EQ(
      sniffFeedFormat(fileHead(kWindowsData / "kb-cve-feed" / "CVE_KB_Mapping_2025-Jun.json")),
      FeedFormat::kKbMapping);
  EXPECT_EQ(sniffFeedFormat(fileHead(kWindowsData / "kb-cve-feed" / "kb_cve_data.csv")),
            FeedFormat::kKbMapping);
  // The build list has no CVEs, so it is not a KB mapping.
  EXPECT_EQ(sniffFeedFormat(fileHead(kWindowsData / "kb-cve-feed" / "windows-versions.json")),
            FeedFormat::kUnknown);
}

TEST(FeedSniffWindows, RecognisesSmallInputs) {
  EXPECT_EQ(sniffFeedFormat("<?xml version=\"1.0\"?>\n<cvrfdoc></cvrfdoc>"), FeedFormat::kMsrcCvrf);
  EXPECT_EQ(sniffFeedFormat("<rss><channel/></rss>"), FeedFormat::kUnknown);
  EXPECT_EQ(
      sniffFeedFormat(R"([{"cve":"CVE-2025-1","patches":[{"kb":"KB1","fixedBuild":"1.1"}]}])"),
      FeedFormat::kKbMapping);
  EXPECT_EQ(sniffFeedFormat("CVE,KB,ProductName,FixedBuild\n"), FeedFormat::kKbMapping);
  // Columns in another order, quoted, after a byte order mark.
  EXPECT_EQ(sniffFeedFormat("\xEF\xBB\xBF\"ProductName\",\"FixedBuild\",\"KB\",\"CVE\"\r\n"),
            FeedFormat::kKbMapping);
  EXPECT_EQ(sniffFeedFormat("CVE,KB,ProductName\n"), FeedFormat::kUnknown);
  EXPECT_EQ(sniffFeedFormat("cve,epss,percentile\n"), FeedFormat::kEpss);
  EXPECT_EQ(feedFormatName(FeedFormat::kMsrcCvrf), "msrc-cvrf");
  EXPECT_EQ(feedFormatName(FeedFormat::kKbMapping), "kb-mapping");
}

TEST(FeedLoadWindows, KbTableGivesAdvisories) {
  Enrichment enrichment;
  LoadReport report;
  std::vector<Advisory> advisories;
  auto loaded = loadFeed(
      kWindowsData / "kb-cve-feed" / "kb_cve_data.csv",
      [&](Advisory&& advisory) { advisories.push_back(std::move(advisory)); }, enrichment, report);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  ASSERT_FALSE(advisories.empty());
  // Rows for .NET Framework and other products outside Windows are left
  // out by design, not reported.
  EXPECT_GT(report.records_withdrawn, 0u);
  for (const auto& advisory : advisories) {
    EXPECT_EQ(advisory.source, "kb-mapping");
    ASSERT_FALSE(advisory.affected.empty()) << advisory.id;
    for (const auto& entry : advisory.affected) {
      EXPECT_EQ(entry.ecosystem, "Windows");
      EXPECT_FALSE(entry.kb_fixes.empty()) << advisory.id;
    }
  }
  // A row from the file: CVE-2026-42976, KB5120238, Windows Server 2019 at
  // 10.0.17763.9121, CVSS 7.8.
  auto found = std::find_if(advisories.begin(), advisories.end(), [](const Advisory& advisory) {
    return advisory.id == "CVE-2026-42976";
  });
  ASSERT_NE(found, advisories.end());
  EXPECT_EQ(found->cvss_score, 7.8);
  EXPECT_EQ(found->severity, Severity::kHigh);
  auto server = std::find_if(found->affected.begin(), found->affected.end(),
                             [](const auto& entry) { return entry.name == "Windows Server 2019"; });
  ASSERT_NE(server, found->affected.end());
  ASSERT_EQ(server->kb_fixes.size(), 1u);
  EXPECT_EQ(server->kb_fixes.front().kb, "5120238");
  EXPECT_EQ(server->kb_fixes.front().fixed_build, "10.0.17763.9121");
}

TEST(FeedLoadWindows, CvrfFolderLoadsEveryMonth) {
  Enrichment enrichment;
  LoadReport report;
  std::set<std::string> published;
  std::size_t advisories = 0;
  auto loaded = loadFeed(
      kWindowsData / "msrc-cvrf",
      [&](Advisory&& advisory) {
        ++advisories;
        published.insert(advisory.published.substr(0, 7));
        EXPECT_EQ(advisory.source, "msrc-cvrf");
      },
      enrichment, report);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_GT(advisories, 300u);
  // Eight monthly documents, each published in its own month.
  EXPECT_EQ(published.size(), 8u);
  // README.md is passed over; no document is reported as unknown.
  for (const auto& issue : report.issues) {
    EXPECT_EQ(issue.message.find("not a recognised"), std::string::npos) << issue.message;
  }
}

TEST(FeedLoadWindows, BuildListIsReported) {
  Enrichment enrichment;
  LoadReport report;
  std::size_t advisories = 0;
  auto loaded = loadFeed(
      kWindowsData / "kb-cve-feed", [&](Advisory&&) { ++advisories; }, enrichment, report);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_GT(advisories, 0u);
  // windows-versions.json lists builds, not CVEs: reported, not loaded.
  bool build_list_reported =
      std::any_of(report.issues.begin(), report.issues.end(), [](const LoadIssue& issue) {
        return issue.file.find("windows-versions") != std::string::npos &&
               issue.message.find("not a recognised advisory feed") != std::string::npos;
      });
  EXPECT_TRUE(build_list_reported);
}

}  // namespace
}  // namespace pk::advisory
