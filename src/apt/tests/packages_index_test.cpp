#include "apt/packages_index.h"

#include <gtest/gtest.h>

#include <string>

#include "apt/tests/sandbox.h"

namespace pk::apt {
namespace {

constexpr std::string_view kIndex =
    "Package: libssl3\n"
    "Source: openssl\n"
    "Version: 3.0.22-1~deb12u2\n"
    "Architecture: amd64\n"
    "Description: Secure Sockets Layer toolkit\n"
    " with a continuation: Version: 9\n"
    "Filename: pool/updates/main/o/openssl/libssl3_3.0.22-1~deb12u2_amd64.deb\n"
    "\n"
    "Package: zlib1g\n"
    "Source: zlib (1:1.2.13.dfsg-1+deb12u1)\n"
    "Version: 1:1.2.13.dfsg-1+deb12u1+b1\n"
    "Architecture: amd64\n"
    "\n"
    "\n"
    "Package: broken-no-version\n"
    "Architecture: all\n"
    "\n"
    "package: ca-certificates\r\n"
    "version: 20250419~deb12u2\r\n"
    "architecture: all";

void expectEntries(const std::vector<IndexEntry>& entries) {
  ASSERT_EQ(entries.size(), 3U);
  EXPECT_EQ(entries[0].package, "libssl3");
  EXPECT_EQ(entries[0].source, "openssl");
  EXPECT_EQ(entries[0].version, "3.0.22-1~deb12u2");
  EXPECT_EQ(entries[0].source_version, "3.0.22-1~deb12u2");
  EXPECT_EQ(entries[0].architecture, "amd64");
  EXPECT_EQ(entries[0].filename, "pool/updates/main/o/openssl/libssl3_3.0.22-1~deb12u2_amd64.deb");
  EXPECT_EQ(entries[1].package, "zlib1g");
  EXPECT_EQ(entries[1].source, "zlib");
  EXPECT_EQ(entries[1].version, "1:1.2.13.dfsg-1+deb12u1+b1");
  EXPECT_EQ(entries[1].source_version, "1:1.2.13.dfsg-1+deb12u1");
  EXPECT_EQ(entries[1].filename, "");
  EXPECT_EQ(entries[2].package, "ca-certificates");
  EXPECT_EQ(entries[2].source, "ca-certificates");
  EXPECT_EQ(entries[2].version, "20250419~deb12u2");
  EXPECT_EQ(entries[2].architecture, "all");
}

TEST(PackagesParser, WholeText) {
  std::vector<IndexEntry> entries;
  PackagesParser parser([&](IndexEntry&& entry) { entries.push_back(std::move(entry)); });
  parser.feed(kIndex);
  parser.finish();
  expectEntries(entries);
  EXPECT_EQ(parser.skippedStanzas(), 1U);
}

TEST(PackagesParser, AnyChunkSize) {
  for (std::size_t chunk_size : {1U, 2U, 7U, 64U}) {
    std::vector<IndexEntry> entries;
    PackagesParser parser([&](IndexEntry&& entry) { entries.push_back(std::move(entry)); });
    for (std::size_t at = 0; at < kIndex.size(); at += chunk_size) {
      parser.feed(kIndex.substr(at, chunk_size));
    }
    parser.finish();
    SCOPED_TRACE(chunk_size);
    expectEntries(entries);
  }
}

TEST(PackagesParser, SourceFieldForms) {
  struct Case {
    std::string_view field;
    std::string_view source;
    std::string_view source_version;
  };
  const Case cases[] = {
      {"Source: openssl", "openssl", "2.0"},
      {"Source: zlib (1:1.2.13)", "zlib", "1:1.2.13"},
      {"Source: gcc-12   ( 12.2.0-14 )", "gcc-12", "12.2.0-14"},
      {"Source: broken (1.0", "broken", "1.0"},
  };
  for (const auto& c : cases) {
    const std::string text =
        "Package: bin\nVersion: 2.0\nArchitecture: amd64\n" + std::string(c.field) + "\n";
    const auto entries = parsePackages(text);
    ASSERT_EQ(entries.size(), 1U) << c.field;
    EXPECT_EQ(entries[0].source, c.source) << c.field;
    EXPECT_EQ(entries[0].source_version, c.source_version) << c.field;
  }
}

TEST(PackagesParser, RealBookwormSecurityIndex) {
  const auto path =
      testing::sharedData() /
      "debian/bookworm-security/apt-lists/bookworm-security_main_binary-amd64_Packages";
  const auto entries = parsePackages(testing::readFile(path));
  ASSERT_EQ(entries.size(), 3097U);
  const auto jq = std::find_if(entries.begin(), entries.end(),
                               [](const IndexEntry& e) { return e.package == "libjq1"; });
  ASSERT_NE(jq, entries.end());
  EXPECT_EQ(jq->source, "jq");
  EXPECT_EQ(jq->version, "1.6-2.1+deb12u3");
  EXPECT_EQ(jq->architecture, "amd64");
}

}  // namespace
}  // namespace pk::apt
