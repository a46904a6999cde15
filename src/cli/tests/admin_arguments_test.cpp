#include "cli/admin_arguments.h"

#include <gtest/gtest.h>

namespace pk::cli {
namespace {

SystemTime at(std::string_view text) {
  return parseRfc3339(text).value();
}

TEST(AdminArguments, HostIdFormat) {
  EXPECT_TRUE(validateHostId("h-0123456789abcdef"));
  const std::string_view rejected[] = {"",
                                       "h-",
                                       "0123456789abcdef",
                                       "h-0123456789abcde",
                                       "h-0123456789abcdef0",
                                       "h-0123456789ABCDEF",
                                       "x-0123456789abcdef",
                                       "h-0123456789abcdeg"};
  for (auto id : rejected) {
    auto result = validateHostId(id);
    ASSERT_FALSE(result) << id;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_NE(validateHostId("web-01").error().message.find("'web-01'"), std::string::npos);
}

TEST(AdminArguments, HostKindSeverityAndStatus) {
  EXPECT_TRUE(validateHostKind("server"));
  EXPECT_TRUE(validateHostKind("endpoint"));
  EXPECT_FALSE(validateHostKind("Server"));
  EXPECT_FALSE(validateHostKind("laptop"));

  for (auto severity : {"critical", "high", "medium", "low", "none", "unknown"}) {
    EXPECT_TRUE(validateSeverity(severity)) << severity;
  }
  auto bad_severity = validateSeverity("severe");
  ASSERT_FALSE(bad_severity);
  EXPECT_EQ(bad_severity.error().message,
            "invalid severity 'severe': use one of critical, high, medium, low, none, unknown");

  EXPECT_TRUE(validateHostStatus("active"));
  EXPECT_TRUE(validateHostStatus("revoked"));
  EXPECT_FALSE(validateHostStatus("compliant"));
  EXPECT_TRUE(validateComplianceStatus("compliant"));
  EXPECT_TRUE(validateComplianceStatus("not_compliant"));
  EXPECT_TRUE(validateComplianceStatus("unknown"));
  EXPECT_FALSE(validateComplianceStatus("not compliant"));

  EXPECT_TRUE(validateFindingStatus("open"));
  EXPECT_TRUE(validateFindingStatus("fixed"));
  EXPECT_TRUE(validateFindingStatus("all"));
  EXPECT_FALSE(validateFindingStatus("closed"));
}

TEST(AdminArguments, NumericIdFromOne) {
  EXPECT_EQ(parseNumericId("1").value(), 1);
  EXPECT_EQ(parseNumericId("9007199254740993").value(), 9007199254740993);
  for (auto text : {"0", "-3", "", "12a", "1.5", " 7", "99999999999999999999"}) {
    EXPECT_FALSE(parseNumericId(text)) << text;
  }
}

TEST(AdminArguments, ListSplitsAndTrims) {
  EXPECT_EQ(parseList("web, dmz ,db").value(), (std::vector<std::string>{"web", "dmz", "db"}));
  EXPECT_EQ(parseList("single").value(), std::vector<std::string>{"single"});
  EXPECT_TRUE(parseList("").value().empty());
  EXPECT_TRUE(parseList("  ").value().empty());
  for (auto text : {"a,,b", "a,", ",a", "a, ,b"}) {
    auto result = parseList(text);
    ASSERT_FALSE(result) << text;
    EXPECT_EQ(result.error().message, "invalid list '" + std::string(text) +
                                          "': it has an empty entry; separate names with "
                                          "single commas");
  }
}

TEST(AdminArguments, RolesAreKnownNamesWithoutRepeats) {
  EXPECT_EQ(parseRoles("admin").value(), std::vector<std::string>{"admin"});
  EXPECT_EQ(parseRoles("viewer,auditor,viewer").value(),
            (std::vector<std::string>{"viewer", "auditor"}));
  EXPECT_EQ(parseRoles("operator, owner").value(), (std::vector<std::string>{"operator", "owner"}));
  EXPECT_EQ(parseRoles("helpdesk").value(), std::vector<std::string>{"helpdesk"});

  auto unknown = parseRoles("admin,root");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "unknown role 'root': use admin, operator, owner, viewer, auditor, helpdesk");
  auto empty = parseRoles("");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("at least one role"), std::string::npos);
  EXPECT_FALSE(parseRoles("Admin"));
}

TEST(AdminArguments, SinceAcceptsTimesAndAges) {
  SystemTime now = at("2026-12-04T12:00:00Z");
  EXPECT_EQ(parseSince("2026-12-01T00:00:00Z", now).value(), "2026-12-01T00:00:00Z");
  EXPECT_EQ(parseSince("2026-12-01T02:00:00+02:00", now).value(), "2026-12-01T00:00:00Z");
  EXPECT_EQ(parseSince("90m", now).value(), "2026-12-04T10:30:00Z");
  EXPECT_EQ(parseSince("36h", now).value(), "2026-12-03T00:00:00Z");
  EXPECT_EQ(parseSince("7d", now).value(), "2026-11-27T12:00:00Z");
  EXPECT_EQ(parseSince("0d", now).value(), "2026-12-04T12:00:00Z");

  for (auto text : {"", "d", "7", "7w", "-1d", "1.5h", "yesterday", "2026-12-01", "99999999999d"}) {
    auto result = parseSince(text, now);
    ASSERT_FALSE(result) << text;
    EXPECT_NE(result.error().message.find("RFC 3339"), std::string::npos);
  }
}

TEST(AdminArguments, PercentEncodeKeepsUnreservedOnly) {
  EXPECT_EQ(percentEncode("abc-XYZ_0.9~"), "abc-XYZ_0.9~");
  EXPECT_EQ(percentEncode("a b/c?d&e=f%"), "a%20b%2Fc%3Fd%26e%3Df%25");
  EXPECT_EQ(percentEncode("user:alice"), "user%3Aalice");
  EXPECT_EQ(percentEncode("Zoë"), "Zo%C3%AB");
  EXPECT_EQ(percentEncode(".."), "..");
}

TEST(AdminArguments, QueryStringSkipsEmptyValues) {
  EXPECT_EQ(queryString({}), "");
  EXPECT_EQ(queryString({{"owner", ""}, {"kind", ""}}), "");
  EXPECT_EQ(queryString({{"owner", "alice"}, {"kind", ""}, {"collection", "web dmz"}}),
            "?owner=alice&collection=web%20dmz");
  EXPECT_EQ(queryString({{"since", "2026-12-01T00:00:00Z"}}), "?since=2026-12-01T00%3A00%3A00Z");
}

TEST(AdminArguments, CheckedByRejectsThroughCli11) {
  CLI::App app;
  std::string host;
  app.add_option("--host", host)->check(checkedBy(validateHostId, "HOST_ID"));

  EXPECT_NO_THROW(app.parse(std::vector<std::string>{"h-0123456789abcdef", "--host"}));
  EXPECT_EQ(host, "h-0123456789abcdef");
  try {
    app.parse(std::vector<std::string>{"web-01", "--host"});
    ADD_FAILURE() << "expected a validation error";
  } catch (const CLI::ValidationError& error) {
    EXPECT_NE(std::string(error.what()).find("invalid host id 'web-01'"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace pk::cli
