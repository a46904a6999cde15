// Runs the real patchkeeper binary's `windows preview` and checks its output
// and exit status.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.h"
#include "cli/tests/admin_fake_transport.h"
#include "cli/windows_command.h"

namespace {

struct CommandResult {
  int exit_status = -1;
  std::string output;  // stdout, and stderr too when asked
};

CommandResult runPatchkeeper(const std::string& arguments, bool with_stderr = true) {
  std::string command =
      std::string(PK_CLI_BINARY) + " " + arguments + (with_stderr ? " 2>&1" : " 2>/dev/null");
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    result.output += buffer.data();
  }
  int status = pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

const std::string kPatchSunday =
    "windows preview --rrule 'FREQ=MONTHLY;BYDAY=2TU' --start 2027-01-01T02:00 "
    "--tz America/New_York --duration 4h --offset-days 5 ";

TEST(WindowsPreviewCommand, JsonShowsDstDayWithThreeHours) {
  auto result = runPatchkeeper(kPatchSunday + "--from 2027-02-01 --count 3 --format json", false);
  ASSERT_EQ(result.exit_status, 0) << result.output;
  auto json = nlohmann::json::parse(result.output);
  ASSERT_EQ(json["occurrences"].size(), 3u);
  const auto& dst_day = json["occurrences"][1];
  EXPECT_EQ(dst_day["start_local"], "2027-03-14T03:00:00-04:00");
  EXPECT_EQ(dst_day["end_local"], "2027-03-14T06:00:00-04:00");
  EXPECT_EQ(dst_day["start_utc"], "2027-03-14T07:00:00Z");
  EXPECT_EQ(dst_day["end_utc"], "2027-03-14T10:00:00Z");
  EXPECT_EQ(dst_day["duration_s"], 10800);
  EXPECT_EQ(json["occurrences"][0]["start_local"], "2027-02-14T02:00:00-05:00");
  EXPECT_EQ(json["occurrences"][0]["duration_s"], 14400);
  EXPECT_EQ(json["occurrences"][2]["start_local"], "2027-04-18T02:00:00-04:00");
  EXPECT_EQ(json["occurrences"][0].size(), 5u);
}

TEST(WindowsPreviewCommand, TablePrintsOneLinePerOccurrence) {
  auto result = runPatchkeeper(kPatchSunday + "--from 2027-03-01 --count 1");
  ASSERT_EQ(result.exit_status, 0) << result.output;
  EXPECT_EQ(result.output,
            "START (LOCAL)               END (LOCAL)                 START (UTC)           END "
            "(UTC)             LENGTH\n"
            "2027-03-14T03:00:00-04:00   2027-03-14T06:00:00-04:00   2027-03-14T07:00:00Z  "
            "2027-03-14T10:00:00Z  3h\n");
}

TEST(WindowsPreviewCommand, ExcludeAndFallBackNight) {
  auto result = runPatchkeeper(
      "windows preview --rrule FREQ=DAILY --start 2026-10-01T01:00 --tz America/New_York "
      "--duration 5h --exclude 2026-10-31 --from 2026-10-30 --count 2 --format json",
      false);
  ASSERT_EQ(result.exit_status, 0) << result.output;
  auto json = nlohmann::json::parse(result.output);
  ASSERT_EQ(json["occurrences"].size(), 2u);
  EXPECT_EQ(json["occurrences"][0]["start_local"], "2026-10-30T01:00:00-04:00");
  // 31 October is excluded; 1 November 01:00-06:00 lasts 6 real hours.
  EXPECT_EQ(json["occurrences"][1]["start_local"], "2026-11-01T01:00:00-04:00");
  EXPECT_EQ(json["occurrences"][1]["end_local"], "2026-11-01T06:00:00-05:00");
  EXPECT_EQ(json["occurrences"][1]["duration_s"], 21600);
}

struct BadInputCase {
  const char* arguments;
  const char* message_part;
};

TEST(WindowsPreviewCommand, BadInputExitsTwoWithReason) {
  const BadInputCase cases[] = {
      {"--rrule 'FREQ=MONTHLY;BYDAY=9XX' --start 2027-01-01T02:00 --tz America/New_York "
       "--duration 4h --from 2027-01-01 --count 1",
       "patchkeeper: invalid RRULE 'FREQ=MONTHLY;BYDAY=9XX'"},
      {"--rrule FREQ=DAILY --start 2027-01-01T02:00 --tz Mars/Olympus_Mons --duration 4h "
       "--from 2027-01-01 --count 1",
       "patchkeeper: unknown time zone 'Mars/Olympus_Mons'"},
      {"--rrule FREQ=DAILY --start 2027-01-01T02:00 --tz UTC --duration 0h --from 2027-01-01 "
       "--count 1",
       "patchkeeper: --duration: invalid window length '0h': the length must be positive"},
      {"--rrule FREQ=DAILY --start 2027-01-01T02:00 --tz UTC --duration=-4h --from 2027-01-01 "
       "--count 1",
       "patchkeeper: --duration: invalid window length '-4h': the length must be positive"},
      {"--rrule FREQ=DAILY --start 2027-02-30T02:00 --tz UTC --duration 4h --from 2027-01-01 "
       "--count 1",
       "patchkeeper: --start: invalid date '2027-02-30T02:00'"},
      {"--rrule FREQ=DAILY --start 2027-01-01T02:00 --tz UTC --duration 4h --from 2027-01-01 "
       "--count 0",
       "patchkeeper: --count: invalid count 0"},
      {"--rrule FREQ=DAILY --start 2027-01-01T02:00 --tz UTC --duration 4h --from tomorrow "
       "--count 1",
       "patchkeeper: --from: invalid local date-time 'tomorrow'"},
      {"--rrule FREQ=DAILY --start 2027-01-01T02:00 --tz UTC --duration 4h --from 2027-01-01 "
       "--count 1 --exclude 2027-13-01",
       "patchkeeper: --exclude: invalid date '2027-13-01'"},
  };
  for (const BadInputCase& test : cases) {
    auto result = runPatchkeeper(std::string("windows preview ") + test.arguments);
    EXPECT_EQ(result.exit_status, 2) << test.arguments;
    EXPECT_NE(result.output.find(test.message_part), std::string::npos) << test.arguments << "\n"
                                                                        << result.output;
  }
}

TEST(WindowsPreviewCommand, MissingOptionExitsTwo) {
  auto result = runPatchkeeper("windows preview --rrule FREQ=DAILY");
  EXPECT_EQ(result.exit_status, 2);
}

// The API subcommands, with a fake transport in place of the server.

using pk::cli::test::FakeContext;

TEST(WindowAdminCommands, CreateSendsEveryGivenField) {
  FakeContext fake;
  fake.transport.respond(201, R"({"id": "w-0123456789abcdef", "name": "pt"})");
  pk::cli::WindowFieldsOptions options;
  options.name = "pt";
  options.rrule = "FREQ=MONTHLY;BYDAY=2TU";
  options.start = "2026-01-01T02:00";
  options.zone = "America/New_York";
  options.duration = "4h";
  options.offset_days = 5;
  options.excludes = std::vector<std::string>{"2026-12-18"};
  options.blackouts = std::vector<std::string>{"2026-12-20T00:00/2027-01-03T00:00"};
  EXPECT_EQ(pk::cli::runWindowsSave(std::nullopt, options, fake.ctx), pk::cli::kExitOk);
  ASSERT_EQ(fake.transport.requests.size(), 1u);
  EXPECT_EQ(fake.transport.requests[0].method, "POST");
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/windows");
  const auto body = nlohmann::json::parse(fake.transport.requests[0].body);
  EXPECT_EQ(body["length"], "4h");
  EXPECT_EQ(body["offset_days"], 5);
  EXPECT_EQ(body["exclusions"], nlohmann::json::array({"2026-12-18"}));
  EXPECT_EQ(body["blackouts"][0]["start"], "2026-12-20T00:00");
  EXPECT_EQ(body["blackouts"][0]["end"], "2027-01-03T00:00");
  EXPECT_FALSE(body.contains("description"));
}

TEST(WindowAdminCommands, UpdateSendsOnlyGivenFields) {
  FakeContext fake;
  fake.transport.respond(200, R"({"id": "w-0123456789abcdef"})");
  pk::cli::WindowFieldsOptions options;
  options.duration = "3h";
  EXPECT_EQ(pk::cli::runWindowsSave(std::string("w-0123456789abcdef"), options, fake.ctx),
            pk::cli::kExitOk);
  ASSERT_EQ(fake.transport.requests.size(), 1u);
  EXPECT_EQ(fake.transport.requests[0].method, "PUT");
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/windows/w-0123456789abcdef");
  EXPECT_EQ(nlohmann::json::parse(fake.transport.requests[0].body),
            nlohmann::json({{"length", "3h"}}));
}

TEST(WindowAdminCommands, EmptyUpdateAndBadBlackoutSendNothing) {
  FakeContext fake;
  EXPECT_EQ(pk::cli::runWindowsSave(std::string("w-0123456789abcdef"), {}, fake.ctx),
            pk::cli::kExitInvalidInput);
  pk::cli::WindowFieldsOptions options;
  options.blackouts = std::vector<std::string>{"2026-12-20T00:00"};
  EXPECT_EQ(pk::cli::runWindowsSave(std::nullopt, options, fake.ctx), pk::cli::kExitInvalidInput);
  EXPECT_TRUE(fake.transport.requests.empty());
}

TEST(WindowAdminCommands, AssignPrintsWhenTheMoveApplies) {
  FakeContext fake;
  fake.transport.respond(
      200, R"({"move": {"applied_now": false, "effective_at": "2026-12-13T11:00:00Z"}})");
  EXPECT_EQ(pk::cli::runWindowsAssign("h-0123456789abcdef", std::string("w-0123456789abcdef"),
                                      "db tier", fake.ctx),
            pk::cli::kExitOk);
  ASSERT_EQ(fake.transport.requests.size(), 1u);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/hosts/h-0123456789abcdef/window");
  EXPECT_EQ(nlohmann::json::parse(fake.transport.requests[0].body),
            nlohmann::json({{"window", "w-0123456789abcdef"}, {"reason", "db tier"}}));
  EXPECT_NE(fake.out.str().find("2026-12-13T11:00:00Z"), std::string::npos) << fake.out.str();
}

TEST(WindowAdminCommands, AssignNoneSendsNull) {
  FakeContext fake;
  fake.transport.respond(200, R"({"move": {"applied_now": true}})");
  EXPECT_EQ(pk::cli::runWindowsAssign("h-0123456789abcdef", std::nullopt, "", fake.ctx),
            pk::cli::kExitOk);
  EXPECT_TRUE(nlohmann::json::parse(fake.transport.requests[0].body)["window"].is_null());
}

TEST(WindowAdminCommands, OccurrencesSendRangeAndListThem) {
  FakeContext fake;
  fake.transport.respond(
      200,
      R"({"occurrences": [{"start_local": "2027-03-14T03:00:00-04:00", "duration_s": 10800}]})");
  pk::cli::WindowOccurrencesOptions options;
  options.window_id = "w-0123456789abcdef";
  options.from = "2027-03-01";
  options.count = 3;
  EXPECT_EQ(pk::cli::runWindowsOccurrences(options, fake.ctx), pk::cli::kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target,
            "/api/v1/windows/w-0123456789abcdef/occurrences?from=2027-03-01&count=3");
  EXPECT_NE(fake.out.str().find("2027-03-14T03:00:00-04:00"), std::string::npos);
}

TEST(WindowAdminCommands, ReportPrintsTheBodyAsSent) {
  FakeContext fake;
  fake.transport.respond(200, "hostname,host_id\r\nweb-1,h-1\r\n");
  EXPECT_EQ(pk::cli::runReport("servers-without-window", "csv", fake.ctx), pk::cli::kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/reports/servers-without-window?format=csv");
  EXPECT_EQ(fake.out.str(), "hostname,host_id\r\nweb-1,h-1\r\n");
}

TEST(WindowAdminCommands, ReportErrorIsAnError) {
  FakeContext fake;
  fake.transport.respond(403, R"({"error": {"code": "forbidden", "message": "no"}})");
  EXPECT_EQ(pk::cli::runReport("windows", "json", fake.ctx), pk::cli::kExitError);
}

}  // namespace
