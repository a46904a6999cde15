#include "apt/changelog.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pk::apt {
namespace {

constexpr std::string_view kChangelog =
    "jq (1.6-2.1+deb12u3) bookworm-security; urgency=medium\n"
    "\n"
    "  * CVE-2026-32316: repeat bound. Also CVE-2026-40164.\n"
    "\n"
    " -- Simon Quigley <tsimonq2@debian.org>  Fri, 16 Oct 2026 13:54:26 -0500\n"
    "\n"
    "jq (1.6-2.1+deb12u2) bookworm-security; urgency=high, binary-only=yes\n"
    "\n"
    "  * CVE-2026-33947 (Closes: #1133921)\n"
    "  * CVE-2026-32316\n"
    "\n"
    " -- Andreas Henriksson <andreas@fatal.se>  Wed, 01 Jul 2026 10:47:59 +0200\n"
    "\n"
    "jq (1.6-2.1+deb12u1) bookworm; urgency=medium\n"
    "\n"
    "  * Fix CVE-2025-48060.\n"
    "\n"
    " -- ChangZhuo Chen <czchen@debian.org>  Wed, 09 Jul 2025 22:23:15 +0800\n"
    "\n"
    "jq (1.6-2.1~bpo11+1) bullseye-backports; urgency=low\n"
    "\n"
    "  * Backport naming CVE-2024-1111.\n"
    "\n"
    " -- Backporter <b@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n"
    "\n"
    "Old Changelog:\n"
    "jq (0.1) unstable; urgency=low\n"
    "  * CVE-2000-0001 must not be read.\n";

TEST(ParseChangelog, Entries) {
  auto entries = parseChangelog(kChangelog);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 4U);
  const auto& first = (*entries)[0];
  EXPECT_EQ(first.source, "jq");
  EXPECT_EQ(first.version, "1.6-2.1+deb12u3");
  EXPECT_EQ(first.distributions, "bookworm-security");
  EXPECT_EQ(first.urgency, "medium");
  EXPECT_EQ(first.body, "\n  * CVE-2026-32316: repeat bound. Also CVE-2026-40164.\n\n");
  EXPECT_EQ(first.maintainer, "Simon Quigley <tsimonq2@debian.org>");
  EXPECT_EQ(first.date, "Fri, 16 Oct 2026 13:54:26 -0500");
  EXPECT_EQ((*entries)[1].urgency, "high");
  EXPECT_EQ((*entries)[3].version, "1.6-2.1~bpo11+1");
  EXPECT_EQ((*entries)[3].distributions, "bullseye-backports");
}

TEST(ParseChangelog, EntryWithoutTrailer) {
  auto entries = parseChangelog("hello (2.0-1) unstable; urgency=low\n\n  * CVE-2020-12345\n");
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 1U);
  EXPECT_EQ((*entries)[0].maintainer, "");
  EXPECT_EQ((*entries)[0].body, "\n  * CVE-2020-12345\n");
}

TEST(ParseChangelog, RejectsTextWithoutHeader) {
  const std::string_view texts[] = {
      "",
      "2021-08-29 Daniel Stenberg\n  * version 1.10.0\n",
      "Hello (1.0) unstable; urgency=low\n",
      "hello 1.0 unstable; urgency=low\n",
      "hello (1.0) unstable urgency=low\n",
  };
  for (const auto text : texts) {
    auto entries = parseChangelog(text);
    ASSERT_FALSE(entries.has_value()) << text;
    EXPECT_EQ(entries.error().code, ErrorCode::kMalformedInput);
  }
}

TEST(FindCveIds, Table) {
  struct Case {
    std::string_view text;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      {"CVE-2026-7598 and CVE-2025-15661", {"CVE-2025-15661", "CVE-2026-7598"}},
      {"CVE-2023-12345, CVE-2023-5678, CVE-2023-5678", {"CVE-2023-5678", "CVE-2023-12345"}},
      {"(CVE-2022-37434)", {"CVE-2022-37434"}},
      {"CVE-2022-123 CVE-22-12345 CVE-2022- XCVE-2022-1234 cve-2022-1234", {}},
      {"CVE-2022-1234.patch", {"CVE-2022-1234"}},
      {"CVE-2024-1234567", {"CVE-2024-1234567"}},
  };
  for (const auto& c : cases) EXPECT_EQ(findCveIds(c.text), c.expected) << c.text;
}

TEST(CveIdsBetween, Table) {
  auto entries = parseChangelog(kChangelog);
  ASSERT_TRUE(entries.has_value());
  struct Case {
    std::string_view installed;
    std::string_view target;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      {"1.6-2.1+deb12u1",
       "1.6-2.1+deb12u3",
       {"CVE-2026-32316", "CVE-2026-33947", "CVE-2026-40164"}},
      {"1.6-2.1+deb12u2", "1.6-2.1+deb12u3", {"CVE-2026-32316", "CVE-2026-40164"}},
      {"1.6-2.1+deb12u1", "1.6-2.1+deb12u2", {"CVE-2026-32316", "CVE-2026-33947"}},
      {"1.6-2.1+deb12u3", "1.6-2.1+deb12u3", {}},
      // A backport below the security version gets every newer entry.
      {"1.6-2.1~bpo11+1",
       "1.6-2.1+deb12u3",
       {"CVE-2025-48060", "CVE-2026-32316", "CVE-2026-33947", "CVE-2026-40164"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(cveIdsBetween(*entries, c.installed, c.target), c.expected)
        << c.installed << " -> " << c.target;
  }
}

}  // namespace
}  // namespace pk::apt
