#include "protocol/messages.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace pk::protocol {
namespace {

using Json = nlohmann::json;

SystemTime at(std::string_view text) {
  return *parseRfc3339(text);
}

InventoryPayload sampleInventory() {
  InventoryPayload inventory;
  inventory.scheme = version::Scheme::kDpkg;
  inventory.packages = {
      {"openssl", "3.0.15-1~deb12u1", "amd64", "openssl", "3.0.15-1~deb12u1", "installed"},
      {"libssl3", "3.0.15-1~deb12u1", "amd64", "openssl", "3.0.15-1~deb12u1", "installed"},
      {"bash", "5.2.15-2+b7", "amd64", "bash", "5.2.15-2", "installed"},
  };
  return inventory;
}

Report sampleReport() {
  Report report;
  report.report_id = "0123456789abcdef0123456789abcdef";
  report.collected_at = at("2026-12-04T23:24:08Z");
  report.hostname = "web-01";
  report.os = {"debian", "", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)", "Debian:12"};
  report.kernel = "6.1.0-28-amd64";
  report.last_boot = at("2026-11-30T06:00:00Z");
  report.restart = {true, {"linux-image-6.1.0-28-amd64"}, "a package asked for a restart"};
  report.inventory = sampleInventory();
  report.inventory_hash = inventoryHash(*report.inventory);
  report.security_updates = {{"libssl3",
                              "amd64",
                              "openssl",
                              "3.0.15-1~deb12u1",
                              "3.0.16-1~deb12u1",
                              "bookworm-security",
                              {"CVE-2024-13176"}}};
  report.package_lists_updated_at = at("2026-12-04T22:00:00Z");
  return report;
}

void expectSamePackages(const std::vector<inventory::Package>& a,
                        const std::vector<inventory::Package>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(a[i].name);
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].version, b[i].version);
    EXPECT_EQ(a[i].architecture, b[i].architecture);
    EXPECT_EQ(a[i].source_name, b[i].source_name);
    EXPECT_EQ(a[i].source_version, b[i].source_version);
    EXPECT_EQ(a[i].state, b[i].state);
  }
}

TEST(Messages, EnrolRequestRoundTrips) {
  const EnrolRequest request{"s3cret-value", "laptop-7", "4c4c4544004a3510804cb2c04f4b3332"};
  auto parsed = parseEnrolRequest(toJson(request).dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->secret, request.secret);
  EXPECT_EQ(parsed->hostname, request.hostname);
  EXPECT_EQ(parsed->machine_id, request.machine_id);
}

TEST(Messages, EnrolResponseRoundTrips) {
  const EnrolResponse response{"h-0123456789abcdef", std::string(64, 'a')};
  auto parsed = parseEnrolResponse(toJson(response).dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->host_id, response.host_id);
  EXPECT_EQ(parsed->token, response.token);
}

TEST(Messages, ReportResponseRoundTrips) {
  const ReportResponse response{true, true, 1800};
  auto parsed = parseReportResponse(toJson(response).dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->duplicate);
  EXPECT_TRUE(parsed->inventory_needed);
  EXPECT_EQ(parsed->next_checkin_seconds, 1800);
}

TEST(Messages, ReportRoundTripsWithEveryField) {
  const Report report = sampleReport();
  auto parsed = parseReport(toJson(report).dump());
  ASSERT_TRUE(parsed) << parsed.error().message;

  EXPECT_EQ(parsed->report_id, report.report_id);
  EXPECT_EQ(parsed->collected_at, report.collected_at);
  EXPECT_EQ(parsed->hostname, report.hostname);
  EXPECT_EQ(parsed->os.id, "debian");
  EXPECT_EQ(parsed->os.version_id, "12");
  EXPECT_EQ(parsed->os.version_codename, "bookworm");
  EXPECT_EQ(parsed->os.pretty_name, report.os.pretty_name);
  EXPECT_EQ(parsed->os.ecosystem, "Debian:12");
  EXPECT_EQ(parsed->kernel, report.kernel);
  EXPECT_EQ(parsed->last_boot, report.last_boot);
  EXPECT_TRUE(parsed->restart.required);
  EXPECT_EQ(parsed->restart.packages, report.restart.packages);
  EXPECT_EQ(parsed->restart.reason, report.restart.reason);
  EXPECT_EQ(parsed->inventory_hash, report.inventory_hash);
  ASSERT_TRUE(parsed->inventory.has_value());
  EXPECT_EQ(parsed->inventory->scheme, version::Scheme::kDpkg);
  expectSamePackages(parsed->inventory->packages, report.inventory->packages);
  ASSERT_EQ(parsed->security_updates.size(), 1u);
  const PendingUpdate& update = parsed->security_updates[0];
  EXPECT_EQ(update.package, "libssl3");
  EXPECT_EQ(update.architecture, "amd64");
  EXPECT_EQ(update.source_package, "openssl");
  EXPECT_EQ(update.installed_version, "3.0.15-1~deb12u1");
  EXPECT_EQ(update.candidate_version, "3.0.16-1~deb12u1");
  EXPECT_EQ(update.archive, "bookworm-security");
  EXPECT_EQ(update.cve_ids, std::vector<std::string>{"CVE-2024-13176"});
  EXPECT_EQ(parsed->package_lists_updated_at, report.package_lists_updated_at);
}

TEST(Messages, ReportWithoutOptionalPartsRoundTrips) {
  Report report = sampleReport();
  report.inventory.reset();
  report.last_boot.reset();
  report.package_lists_updated_at.reset();
  report.security_updates.clear();
  report.restart = {};

  const Json json = toJson(report);
  EXPECT_FALSE(json.contains("inventory"));
  EXPECT_TRUE(json["last_boot"].is_null());

  auto parsed = parseReport(json.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_FALSE(parsed->inventory.has_value());
  EXPECT_FALSE(parsed->last_boot.has_value());
  EXPECT_FALSE(parsed->package_lists_updated_at.has_value());
  EXPECT_TRUE(parsed->security_updates.empty());
  EXPECT_FALSE(parsed->restart.required);
  EXPECT_EQ(parsed->inventory_hash, report.inventory_hash);
}

TEST(Messages, InventoryJsonHasTheDocumentedShape) {
  const Json json = toJson(sampleReport());
  const Json& inventory = json.at("inventory");
  EXPECT_EQ(inventory.at("scheme"), "dpkg");
  const Json& first = inventory.at("packages").at(0);
  for (const char* key :
       {"name", "version", "architecture", "source_name", "source_version", "state"}) {
    EXPECT_TRUE(first.contains(key)) << key;
  }
  EXPECT_EQ(first.at("name"), "openssl");
}

TEST(Messages, UnknownFieldsAreIgnored) {
  Json json = toJson(sampleReport());
  json["added_by_a_newer_agent"] = {{"anything", 1}};
  json["os"]["variant"] = "server";
  EXPECT_TRUE(parseReport(json.dump()));
}

TEST(InventoryHash, IsStableUnderReorder) {
  InventoryPayload inventory = sampleInventory();
  const std::string hash = inventoryHash(inventory);
  std::reverse(inventory.packages.begin(), inventory.packages.end());
  EXPECT_EQ(inventoryHash(inventory), hash);
  std::rotate(inventory.packages.begin(), inventory.packages.begin() + 1, inventory.packages.end());
  EXPECT_EQ(inventoryHash(inventory), hash);
}

// The server stores acknowledged hashes, so the encoding must never change
// silently. The expected value was computed independently, in Python, from
// the encoding the header describes.
TEST(InventoryHash, MatchesAKnownAnswer) {
  InventoryPayload inventory;
  inventory.packages = {{"bash", "5.2.15-2+b7", "amd64", "bash", "5.2.15-2", "installed"}};
  EXPECT_EQ(inventoryHash(inventory),
            "d90d8fb3a0ee4d026d86b349840148f3d50654450e0acff22c390a25f6377cd7");
}

TEST(InventoryHash, IsLowerCaseHexSha256) {
  const std::string hash = inventoryHash(sampleInventory());
  ASSERT_EQ(hash.size(), 64u);
  EXPECT_TRUE(std::all_of(hash.begin(), hash.end(),
                          [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
}

TEST(InventoryHash, ChangesWithEveryField) {
  const std::string base = inventoryHash(sampleInventory());
  using Field = std::string inventory::Package::*;
  for (Field field : {&inventory::Package::name, &inventory::Package::version,
                      &inventory::Package::architecture, &inventory::Package::source_name,
                      &inventory::Package::source_version, &inventory::Package::state}) {
    InventoryPayload changed = sampleInventory();
    changed.packages[1].*field += "x";
    EXPECT_NE(inventoryHash(changed), base);
  }
  InventoryPayload other_scheme = sampleInventory();
  other_scheme.scheme = version::Scheme::kRpm;
  EXPECT_NE(inventoryHash(other_scheme), base);
}

TEST(InventoryHash, FieldBoundariesMatter) {
  // Without length prefixes "ab"+"c" and "a"+"bc" would hash the same.
  InventoryPayload a;
  a.packages = {{"ab", "1", "c", "", "", ""}};
  InventoryPayload b;
  b.packages = {{"a", "1", "bc", "", "", ""}};
  EXPECT_NE(inventoryHash(a), inventoryHash(b));
}

TEST(InventoryHash, EmptyInventoryHashesDifferentlyPerScheme) {
  InventoryPayload dpkg;
  InventoryPayload rpm;
  rpm.scheme = version::Scheme::kRpm;
  EXPECT_NE(inventoryHash(dpkg), inventoryHash(rpm));
}

TEST(Messages, ReportWithMismatchedHashIsRejected) {
  Json json = toJson(sampleReport());
  json["inventory"]["packages"][0]["version"] = "3.0.16-1~deb12u1";
  auto parsed = parseReport(json.dump());
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(parsed.error().message.find("inventory_hash"), std::string::npos)
      << parsed.error().message;
}

// One malformed report: a change to the valid sample, and the field the
// error message must name.
struct MalformedReportCase {
  const char* name;
  void (*mutate)(Json&);
  const char* field;
};

const MalformedReportCase kMalformedReports[] = {
    {"missing report id", [](Json& j) { j.erase("report_id"); }, "\"report_id\" is missing"},
    {"short report id", [](Json& j) { j["report_id"] = "abc"; }, "\"report_id\""},
    {"upper-case report id", [](Json& j) { j["report_id"] = "0123456789ABCDEF0123456789ABCDEF"; },
     "\"report_id\""},
    {"report id is a number", [](Json& j) { j["report_id"] = 12; },
     "\"report_id\" must be a string"},
    {"time not RFC 3339", [](Json& j) { j["collected_at"] = "yesterday"; }, "\"collected_at\""},
    {"missing time", [](Json& j) { j.erase("collected_at"); }, "\"collected_at\" is missing"},
    {"last boot not a time", [](Json& j) { j["last_boot"] = "2026-13-40"; }, "\"last_boot\""},
    {"lists time wrong type", [](Json& j) { j["package_lists_updated_at"] = 5; },
     "\"package_lists_updated_at\" must be a string"},
    {"missing hostname", [](Json& j) { j.erase("hostname"); }, "\"hostname\" is missing"},
    {"os not an object", [](Json& j) { j["os"] = "debian"; }, "\"os\" must be a JSON object"},
    {"os id wrong type", [](Json& j) { j["os"]["id"] = true; }, "\"os.id\" must be a string"},
    {"kernel wrong type", [](Json& j) { j["kernel"] = 6; }, "\"kernel\" must be a string"},
    {"restart required missing", [](Json& j) { j["restart"].erase("required"); },
     "\"restart.required\" is missing"},
    {"restart required a string", [](Json& j) { j["restart"]["required"] = "yes"; },
     "\"restart.required\" must be true or false"},
    {"restart packages not a list", [](Json& j) { j["restart"]["packages"] = "linux"; },
     "\"restart.packages\" must be a list"},
    {"restart package a number", [](Json& j) { j["restart"]["packages"][0] = 1; },
     "\"restart.packages[0]\" must be a string"},
    {"hash missing", [](Json& j) { j.erase("inventory_hash"); }, "\"inventory_hash\" is missing"},
    {"hash not hex", [](Json& j) { j["inventory_hash"] = std::string(64, 'z'); },
     "\"inventory_hash\""},
    {"inventory not an object", [](Json& j) { j["inventory"] = Json::array(); },
     "\"inventory\" must be a JSON object"},
    {"unknown scheme", [](Json& j) { j["inventory"]["scheme"] = "msi"; }, "\"inventory.scheme\""},
    {"packages missing", [](Json& j) { j["inventory"].erase("packages"); },
     "\"inventory.packages\" is missing"},
    {"packages not a list", [](Json& j) { j["inventory"]["packages"] = Json::object(); },
     "\"inventory.packages\" must be a list"},
    {"package not an object", [](Json& j) { j["inventory"]["packages"][1] = "bash"; },
     "\"inventory.packages[1]\" must be a JSON object"},
    {"package name empty", [](Json& j) { j["inventory"]["packages"][2]["name"] = ""; },
     "\"inventory.packages[2].name\" must not be empty"},
    {"package version wrong type", [](Json& j) { j["inventory"]["packages"][0]["version"] = 3; },
     "\"inventory.packages[0].version\" must be a string"},
    {"package version invalid", [](Json& j) { j["inventory"]["packages"][0]["version"] = "1:"; },
     "\"inventory.packages[0].version\" is not a valid dpkg version"},
    {"package architecture missing",
     [](Json& j) { j["inventory"]["packages"][0].erase("architecture"); },
     "\"inventory.packages[0].architecture\" is missing"},
    {"updates not a list", [](Json& j) { j["security_updates"] = 1; },
     "\"security_updates\" must be a list"},
    {"update package missing", [](Json& j) { j["security_updates"][0].erase("package"); },
     "\"security_updates[0].package\" is missing"},
    {"update candidate empty", [](Json& j) { j["security_updates"][0]["candidate_version"] = ""; },
     "\"security_updates[0].candidate_version\" must not be empty"},
    {"update cve not a string", [](Json& j) { j["security_updates"][0]["cve_ids"][0] = 7; },
     "\"security_updates[0].cve_ids[0]\" must be a string"},
    {"string too long", [](Json& j) { j["hostname"] = std::string(kMaxStringLength + 1, 'a'); },
     "\"hostname\" is 4097 bytes long"},
};

TEST(Messages, MalformedReportsAreRejectedNamingTheField) {
  for (const auto& test_case : kMalformedReports) {
    SCOPED_TRACE(test_case.name);
    Json json = toJson(sampleReport());
    test_case.mutate(json);
    auto parsed = parseReport(json.dump());
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedInput);
    EXPECT_NE(parsed.error().message.find(test_case.field), std::string::npos)
        << parsed.error().message;
  }
}

TEST(Messages, StringAtTheLengthLimitIsAccepted) {
  Json json = toJson(sampleReport());
  json["hostname"] = std::string(kMaxStringLength, 'a');
  EXPECT_TRUE(parseReport(json.dump()));
}

// Returns a JSON list of `count` copies of `element`, built as text because
// nlohmann objects of this size are slow to build.
std::string jsonList(std::size_t count, std::string_view element) {
  std::string text = "[";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) text += ',';
    text += element;
  }
  return text + "]";
}

// Returns the sample report's JSON text with the value that `set` writes
// replaced by the JSON text `raw`.
std::string reportWith(void (*set)(Json&, const std::string&), const std::string& raw) {
  Json json = toJson(sampleReport());
  set(json, "@PLACEHOLDER@");
  std::string text = json.dump();
  text.replace(text.find("\"@PLACEHOLDER@\""), 15, raw);
  return text;
}

struct BoundCase {
  const char* field;
  void (*set)(Json&, const std::string&);
  std::size_t bound;
  const char* element;
};

const BoundCase kBounds[] = {
    {"inventory.packages", [](Json& j, const std::string& v) { j["inventory"]["packages"] = v; },
     kMaxPackages, "0"},
    {"security_updates", [](Json& j, const std::string& v) { j["security_updates"] = v; },
     kMaxSecurityUpdates, "0"},
    {"restart.packages", [](Json& j, const std::string& v) { j["restart"]["packages"] = v; },
     kMaxPackages, "\"p\""},
    {"security_updates[0].cve_ids",
     [](Json& j, const std::string& v) { j["security_updates"][0]["cve_ids"] = v; },
     kMaxCveIdsPerUpdate, "\"CVE-2024-1\""},
};

TEST(Messages, ListsBeyondTheirBoundAreRejected) {
  for (const auto& bound : kBounds) {
    SCOPED_TRACE(bound.field);
    auto parsed = parseReport(reportWith(bound.set, jsonList(bound.bound + 1, bound.element)));
    ASSERT_FALSE(parsed);
    const std::string expected = fmt::format("\"{}\" has {} entries, more than the limit of {}",
                                             bound.field, bound.bound + 1, bound.bound);
    EXPECT_NE(parsed.error().message.find(expected), std::string::npos) << parsed.error().message;
  }
}

TEST(Messages, ListsAtTheirBoundAreAccepted) {
  // The string lists only: a full package list would need valid packages
  // matching the hash, which the round-trip tests cover at a smaller size.
  for (const auto& bound : {kBounds[2], kBounds[3]}) {
    SCOPED_TRACE(bound.field);
    auto parsed = parseReport(reportWith(bound.set, jsonList(bound.bound, bound.element)));
    EXPECT_TRUE(parsed) << parsed.error().message;
  }
}

TEST(Messages, NotJsonIsRejected) {
  for (std::string_view text : {"", "{", "not json", "{\"report_id\": }", "[1, 2"}) {
    SCOPED_TRACE(text);
    auto parsed = parseReport(text);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedInput);
    EXPECT_NE(parsed.error().message.find("not valid JSON"), std::string::npos);
  }
}

TEST(Messages, TopLevelMustBeAnObject) {
  for (std::string_view text : {"[]", "42", "\"report\"", "null"}) {
    SCOPED_TRACE(text);
    auto parsed = parseEnrolRequest(text);
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find("must be a JSON object"), std::string::npos)
        << parsed.error().message;
  }
}

TEST(Messages, DeepNestingIsRejectedBeforeParsing) {
  const std::string deep = "{\"x\":" + std::string(100, '[') + std::string(100, ']') + "}";
  auto parsed = parseReport(deep);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("nests deeper"), std::string::npos);

  // Brackets inside strings do not count.
  Json json = toJson(sampleReport());
  json["hostname"] = std::string(100, '[');
  EXPECT_TRUE(parseReport(json.dump()));
}

struct MalformedTextCase {
  const char* text;
  const char* expected;
};

TEST(Messages, MalformedEnrolRequestsAreRejected) {
  const MalformedTextCase cases[] = {
      {R"({"hostname":"a","machine_id":"m"})", "\"secret\" is missing"},
      {R"({"secret":"","hostname":"a","machine_id":"m"})", "\"secret\" must not be empty"},
      {R"({"secret":"s","hostname":1,"machine_id":"m"})", "\"hostname\" must be a string"},
      {R"({"secret":"s","hostname":"a","machine_id":""})", "\"machine_id\" must not be empty"},
      {R"({"secret":"s","hostname":"a"})", "\"machine_id\" is missing"},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.text);
    auto parsed = parseEnrolRequest(test_case.text);
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find(test_case.expected), std::string::npos)
        << parsed.error().message;
    EXPECT_EQ(parsed.error().message.rfind("enrol request: ", 0), 0u);
  }
}

TEST(Messages, MalformedEnrolResponsesAreRejected) {
  const std::string token(64, 'f');
  const std::string cases[][2] = {
      {R"({"host_id":"h-0123","token":")" + token + "\"}", "\"host_id\""},
      {R"({"host_id":"x-0123456789abcdef","token":")" + token + "\"}", "\"host_id\""},
      {R"({"host_id":"h-0123456789abcdef","token":"abc"})", "\"token\""},
      {R"({"host_id":"h-0123456789abcdef"})", "\"token\" is missing"},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case[0]);
    auto parsed = parseEnrolResponse(test_case[0]);
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find(test_case[1]), std::string::npos)
        << parsed.error().message;
  }
}

TEST(Messages, MalformedReportResponsesAreRejected) {
  const MalformedTextCase cases[] = {
      {R"({"duplicate":false})", "\"next_checkin_seconds\" is missing"},
      {R"({"next_checkin_seconds":"60"})", "must be a whole number"},
      {R"({"next_checkin_seconds":1.5})", "must be a whole number"},
      {R"({"next_checkin_seconds":-1})", "outside 0 to 604800"},
      {R"({"next_checkin_seconds":604801})", "outside 0 to 604800"},
      {R"({"next_checkin_seconds":18446744073709551615})", "outside 0 to 604800"},
      {R"({"next_checkin_seconds":60,"duplicate":"no"})", "\"duplicate\" must be true or false"},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.text);
    auto parsed = parseReportResponse(test_case.text);
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find(test_case.expected), std::string::npos)
        << parsed.error().message;
  }
}

TEST(Messages, ReportResponseFlagsDefaultToFalse) {
  auto parsed = parseReportResponse(R"({"next_checkin_seconds":0})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_FALSE(parsed->duplicate);
  EXPECT_FALSE(parsed->inventory_needed);
  EXPECT_EQ(parsed->next_checkin_seconds, 0);
}

TEST(Messages, IdsAreRecognised) {
  EXPECT_TRUE(isReportId("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(isReportId("0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(isReportId("0123456789abcdef0123456789abcdeg"));
  EXPECT_TRUE(isHostId("h-0123456789abcdef"));
  EXPECT_FALSE(isHostId("h-0123456789ABCDEF"));
  EXPECT_FALSE(isHostId("0123456789abcdef"));
}

}  // namespace
}  // namespace pk::protocol

namespace pk::protocol {
namespace {

inventory::WindowsInventory sampleWindows() {
  inventory::WindowsInventory document;
  document.hostname = "WS-0042";
  document.collected_at = at("2026-03-20T09:00:00Z");
  document.facts.edition = "Windows 11 Enterprise";
  document.facts.release = "24H2";
  document.facts.build = "10.0.26100.4061";
  document.facts.installation_type = "Client";
  document.facts.architecture = "x64";
  document.facts.installed_kbs = {"5055523", "5058411"};
  inventory::WindowsPendingUpdate update;
  update.kb = "5060842";
  update.title = "2025-06 Cumulative Update for Windows 11, version 24H2";
  update.classification = "Security Updates";
  update.severity = "Critical";
  update.cve_ids = {"CVE-2025-33073"};
  update.supersedes = {"5058411"};
  update.restart_required = true;
  document.facts.pending_updates = {update};
  document.programs = {{"7-Zip 24.09 (x64)", "24.09", "Igor Pavlov"}};
  document.restart.required = true;
  document.restart.reason = "Windows Update";
  return document;
}

Report windowsReport() {
  Report report = sampleReport();
  report.os = {"windows", "", "24H2", "", "Windows 11 Enterprise", ""};
  report.security_updates.clear();
  report.windows = sampleWindows();
  report.inventory = windowsPayload(*report.windows);
  report.inventory_hash = inventoryHash(*report.inventory);
  return report;
}

TEST(WindowsReport, DocumentBecomesTheInventory) {
  Report sent = windowsReport();
  nlohmann::json json = toJson(sent);
  EXPECT_FALSE(json.contains("inventory"));
  EXPECT_EQ(json["windows"]["format"], "patchkeeper-windows-inventory");
  EXPECT_EQ(json["windows"]["installed_kbs"], (nlohmann::json{"KB5055523", "KB5058411"}));

  auto parsed = parseReport(json.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_TRUE(parsed->windows);
  EXPECT_EQ(*parsed->windows, sampleWindows());
  ASSERT_TRUE(parsed->inventory);
  EXPECT_EQ(parsed->inventory->scheme, version::Scheme::kWindows);
  ASSERT_EQ(parsed->inventory->packages.size(), 1u);
  EXPECT_EQ(parsed->inventory->packages[0].name, "7-Zip 24.09 (x64)");
  EXPECT_EQ(parsed->inventory->packages[0].version, "24.09");
  ASSERT_TRUE(parsed->inventory->windows);
  EXPECT_EQ(*parsed->inventory->windows, sampleWindows().facts);
}

TEST(WindowsReport, HashCoversTheWindowsFacts) {
  const std::string base = inventoryHash(windowsPayload(sampleWindows()));
  std::vector<std::function<void(inventory::WindowsInventory&)>> changes = {
      [](auto& d) { d.facts.build = "10.0.26100.4062"; },
      [](auto& d) { d.facts.release = "23H2"; },
      [](auto& d) { d.facts.edition = "Windows 11 Pro"; },
      [](auto& d) { d.facts.installation_type = "Server"; },
      [](auto& d) { d.facts.architecture = "ARM64"; },
      [](auto& d) { d.facts.installed_kbs.push_back("5060842"); },
      [](auto& d) { d.facts.pending_updates.clear(); },
      [](auto& d) { d.facts.pending_updates[0].restart_required = false; },
      [](auto& d) { d.facts.pending_updates[0].cve_ids.push_back("CVE-2025-1"); },
      [](auto& d) { d.facts.pending_updates[0].supersedes.clear(); },
      [](auto& d) { d.facts.pending_updates[0].severity = "Important"; },
      [](auto& d) { d.programs[0].version = "24.10"; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    auto document = sampleWindows();
    changes[i](document);
    EXPECT_NE(inventoryHash(windowsPayload(document)), base) << "change " << i;
  }
  // Collection time and host name are not inventory.
  auto later = sampleWindows();
  later.collected_at = at("2026-03-21T09:00:00Z");
  later.hostname = "ws-0042.example.org";
  EXPECT_EQ(inventoryHash(windowsPayload(later)), base);
}

TEST(WindowsReport, BadReportsAreRejected) {
  nlohmann::json json = toJson(windowsReport());

  nlohmann::json wrong_hash = json;
  wrong_hash["inventory_hash"] = std::string(64, 'a');
  auto rejected = parseReport(wrong_hash.dump());
  ASSERT_FALSE(rejected);
  EXPECT_NE(rejected.error().message.find("inventory_hash"), std::string::npos)
      << rejected.error().message;

  nlohmann::json both = json;
  both["inventory"] = {{"scheme", "dpkg"}, {"packages", nlohmann::json::array()}};
  rejected = parseReport(both.dump());
  ASSERT_FALSE(rejected);
  EXPECT_NE(rejected.error().message.find("cannot come with \"inventory\""), std::string::npos)
      << rejected.error().message;

  // The reader would skip the update; a report is refused whole instead.
  nlohmann::json bad_update = json;
  bad_update["windows"]["pending_updates"][0]["kb"] = "KB-none";
  rejected = parseReport(bad_update.dump());
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(rejected.error().message.find("windows/pending_updates/0"), std::string::npos)
      << rejected.error().message;

  nlohmann::json bad_build = json;
  bad_build["windows"]["os"]["build"] = "ten";
  rejected = parseReport(bad_build.dump());
  ASSERT_FALSE(rejected);
  EXPECT_NE(rejected.error().message.find("build"), std::string::npos) << rejected.error().message;
}

}  // namespace
}  // namespace pk::protocol
