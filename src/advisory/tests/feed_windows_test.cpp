// Recognition of Windows KB data by the feed loader.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

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
  EXPECT_EQ(sniffFeedFormat("cve,epss,percentile\n"), FeedFormat::kEpss);
  EXPECT_EQ(feedFormatName(FeedFormat::kMsrcCvrf), "msrc-cvrf");
  EXPECT_EQ(feedFormatName(FeedFormat::kKbMapping), "kb-mapping");
}

TEST(FeedLoadWindows, NamedFileIsUnsupported) {
  Enrichment enrichment;
  LoadReport report;
  std::size_t advisories = 0;
  auto loaded = loadFeed(
      kWindowsData / "kb-cve-feed" / "kb_cve_data.csv", [&](Advisory&&) { ++advisories; },
      enrichment, report);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(loaded.error().message.find("is Windows KB data (kb-mapping)"), std::string::npos)
      << loaded.error().message;
  EXPECT_EQ(advisories, 0u);
}

TEST(FeedLoadWindows, FolderReportsEachFile) {
  Enrichment enrichment;
  LoadReport report;
  std::size_t advisories = 0;
  auto loaded = loadFeed(
      kWindowsData / "msrc-cvrf", [&](Advisory&&) { ++advisories; }, enrichment, report);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(advisories, 0u);
  // Eight monthly documents; README.md is passed over without an issue.
  ASSERT_EQ(report.issues.size(), 8u);
  for (const auto& issue : report.issues) {
    EXPECT_NE(issue.message.find("(msrc-cvrf)"), std::string::npos) << issue.message;
  }
}

}  // namespace
}  // namespace pk::advisory
