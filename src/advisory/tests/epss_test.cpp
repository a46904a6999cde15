#include "advisory/epss.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace pk::advisory {
namespace {

const std::filesystem::path kEpss2021 =
    std::filesystem::path(PK_SHARED_DATA_DIR) / "epss" / "2021" / "2021-08-31.json";

constexpr std::string_view kCsvHeader =
    "#model_version:v2023.03.01,score_date:2023-03-07T00:00:00+0000\ncve,epss,percentile\n";

TEST(EpssCsv, ReadsRowsAfterCommentAndHeader) {
  LoadReport report;
  auto scores = parseEpss(
      std::string(kCsvHeader) + "CVE-1999-0001,0.01100,0.82622\r\ncve-2021-44228,0.97565,1.00000\n",
      "epss.csv", report);
  ASSERT_TRUE(scores.has_value()) << scores.error().message;
  ASSERT_EQ(scores->size(), 2u);
  EXPECT_DOUBLE_EQ(scores->at("CVE-1999-0001").probability, 0.011);
  EXPECT_DOUBLE_EQ(scores->at("CVE-1999-0001").percentile, 0.82622);
  EXPECT_DOUBLE_EQ(scores->at("CVE-2021-44228").probability, 0.97565);
  EXPECT_EQ(report.records_loaded, 2u);
}

TEST(EpssCsv, ReportsBadRows) {
  struct Case {
    std::string row;
    std::string record_id;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"CVE-2020-0001,1.5,0.5", "CVE-2020-0001", "line 4, epss"},
      {"CVE-2020-0001,abc,0.5", "CVE-2020-0001", "line 4, epss"},
      {"CVE-2020-0001,,0.5", "CVE-2020-0001", "line 4, epss"},
      {"CVE-2020-0001,0.5,-0.1", "CVE-2020-0001", "line 4, percentile"},
      {"CVE-2020-0001,0.5,nan", "CVE-2020-0001", "line 4, percentile"},
      {"CVE-2020-0001,0.5", "CVE-2020-0001", "line 4"},
      {"GHSA-1,0.5,0.5", "GHSA-1", "line 4"},
      {"CVE-1999-0001,0.5,0.5", "CVE-1999-0001", "line 4"},
  };
  for (const auto& c : cases) {
    LoadReport report;
    auto scores = parseEpssCsv(std::string(kCsvHeader) + "CVE-1999-0001,0.1,0.2\n" + c.row + "\n",
                               "epss.csv", report);
    ASSERT_TRUE(scores.has_value()) << c.row;
    EXPECT_EQ(scores->size(), 1u) << c.row;
    ASSERT_EQ(report.issues.size(), 1u) << c.row;
    EXPECT_EQ(report.issues[0].record_id, c.record_id) << c.row;
    EXPECT_EQ(report.issues[0].field, c.field) << c.row;
    EXPECT_DOUBLE_EQ(scores->at("CVE-1999-0001").probability, 0.1) << c.row;
  }
}

TEST(EpssCsv, HeaderWithoutPercentile) {
  LoadReport report;
  auto scores = parseEpssCsv("cve,epss\nCVE-2020-0001,0.25\n", "epss.csv", report);
  ASSERT_TRUE(scores.has_value());
  EXPECT_DOUBLE_EQ(scores->at("CVE-2020-0001").probability, 0.25);
  EXPECT_DOUBLE_EQ(scores->at("CVE-2020-0001").percentile, 0.0);
}

TEST(EpssCsv, RejectsMissingHeader) {
  for (std::string_view csv : {"", "#model_version:v1\n", "CVE-2020-0001,0.25,0.5\n"}) {
    LoadReport report;
    auto scores = parseEpssCsv(csv, "epss.csv", report);
    ASSERT_FALSE(scores.has_value()) << csv;
    EXPECT_EQ(scores.error().code, ErrorCode::kMalformedInput);
  }
}

TEST(EpssJson, AcceptsNumbersAndApiStrings) {
  LoadReport report;
  auto scores = parseEpss(
      R"( {"data":[{"id":"CVE-2020-0001","epss":0.5},
                  {"cve":"CVE-2020-0002","epss":"0.000430000","percentile":"0.081"},
                  {"id":"CVE-2020-0003","epss":2},
                  {"id":7,"epss":0.1},
                  "x"]})",
      "epss.json", report);
  ASSERT_TRUE(scores.has_value());
  EXPECT_EQ(scores->size(), 2u);
  EXPECT_DOUBLE_EQ(scores->at("CVE-2020-0001").probability, 0.5);
  EXPECT_DOUBLE_EQ(scores->at("CVE-2020-0002").probability, 0.00043);
  EXPECT_DOUBLE_EQ(scores->at("CVE-2020-0002").percentile, 0.081);
  ASSERT_EQ(report.issues.size(), 3u);
  EXPECT_EQ(report.issues[0].field, "/data/2/epss");
  EXPECT_EQ(report.issues[0].record_id, "CVE-2020-0003");
  EXPECT_EQ(report.issues[1].field, "/data/3/id");
  EXPECT_EQ(report.issues[2].field, "/data/4");
}

TEST(EpssJson, RejectsDocumentsWithoutData) {
  for (std::string_view json : {"{", R"({"data":{}})", R"({"score_date":"x"})"}) {
    LoadReport report;
    EXPECT_FALSE(parseEpssJson(json, "epss.json", report).has_value()) << json;
  }
}

TEST(EpssFile, ReadsGzipCsv) {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("pk-epss-" + std::to_string(::getpid()) + ".csv.gz");
  std::string csv = std::string(kCsvHeader) + "CVE-2020-0001,0.25,0.5\n";
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, csv.data(), static_cast<unsigned>(csv.size())),
            static_cast<int>(csv.size()));
  ASSERT_EQ(gzclose(file), Z_OK);

  LoadReport report;
  auto scores = readEpss(path, report);
  std::filesystem::remove(path);
  ASSERT_TRUE(scores.has_value()) << scores.error().message;
  EXPECT_DOUBLE_EQ(scores->at("CVE-2020-0001").percentile, 0.5);
}

TEST(EpssFile, MissingFileIsNotFound) {
  LoadReport report;
  auto scores = readEpss("/nonexistent/epss.csv", report);
  ASSERT_FALSE(scores.has_value());
  EXPECT_EQ(scores.error().code, ErrorCode::kNotFound);
}

TEST(EpssRealFile, Count2021AndOneScore) {
  LoadReport report;
  auto scores = readEpss(kEpss2021, report);
  ASSERT_TRUE(scores.has_value()) << scores.error().message;
  EXPECT_EQ(scores->size(), 72272u);
  EXPECT_TRUE(report.issues.empty());
  const EpssScore& score = scores->at("CVE-2017-3248");
  EXPECT_DOUBLE_EQ(score.probability, 0.34199);
  // The 2021 files carry no percentile.
  EXPECT_DOUBLE_EQ(score.percentile, 0.0);
}

}  // namespace
}  // namespace pk::advisory
