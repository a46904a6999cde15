#include "inventory/windows_inventory.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pk::inventory {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kOrigin = "ws-0042.json";

// A document with every field set, as a Windows 11 24H2 client reports it.
constexpr std::string_view kFullDocument = R"json({
  "format": "patchkeeper-windows-inventory",
  "format_version": 1,
  "hostname": "WS-0042",
  "collected_at": "2026-06-10T09:12:00Z",
  "os": {"edition": "Windows 11 Enterprise", "release": "24H2",
         "build": "10.0.26100.4061", "installation_type": "Client",
         "architecture": "x64"},
  "installed_kbs": ["KB5058411", "KB5055523", "KB890830"],
  "pending_updates": [
    {"kb": "KB5060842", "title": "2025-06 Cumulative Update for Windows 11 Version 24H2",
     "classification": "Security Updates", "severity": "Critical",
     "cve_ids": ["CVE-2025-33073", "cve-2025-33053"], "supersedes": ["KB5058411"],
     "restart_required": true},
    {"kb": "2267602", "title": "Security Intelligence Update for Microsoft Defender Antivirus",
     "classification": "Definition Updates", "severity": null,
     "cve_ids": [], "supersedes": [], "restart_required": false}
  ],
  "programs": [
    {"name": "7-Zip 24.09 (x64)", "version": "24.09", "publisher": "Igor Pavlov"},
    {"name": "Mozilla Firefox (x64 en-US)", "version": "139.0.4", "publisher": "Mozilla"}
  ],
  "restart": {"pending": true, "reasons": ["Windows Update", "Component Based Servicing"]}
})json";

Json fullJson() {
  return Json::parse(kFullDocument);
}

struct Parsed {
  Result<WindowsInventory> inventory;
  std::vector<WindowsInventoryIssue> issues;
};

Parsed parse(std::string_view text) {
  std::vector<WindowsInventoryIssue> issues;
  auto inventory = parseWindowsInventory(text, kOrigin, issues);
  return Parsed{std::move(inventory), std::move(issues)};
}

Parsed parseJson(const Json& document) {
  return parse(document.dump());
}

// The smallest document the reader accepts.
Json minimalJson() {
  return Json{{"format", "patchkeeper-windows-inventory"},
              {"format_version", 1},
              {"hostname", "SRV-DB1"},
              {"os",
               {{"edition", "Windows Server 2019 Datacenter"},
                {"build", "10.0.17763.7314"},
                {"installation_type", "Server Core"}}}};
}

TEST(WindowsInventory, ParsesFullDocument) {
  Parsed parsed = parse(kFullDocument);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_TRUE(parsed.issues.empty());
  const WindowsInventory& inventory = *parsed.inventory;

  EXPECT_EQ(inventory.hostname, "WS-0042");
  ASSERT_TRUE(inventory.collected_at);
  EXPECT_EQ(formatRfc3339(*inventory.collected_at), "2026-06-10T09:12:00Z");

  const WindowsFacts& facts = inventory.facts;
  EXPECT_EQ(facts.edition, "Windows 11 Enterprise");
  EXPECT_EQ(facts.release, "24H2");
  EXPECT_EQ(facts.build, "10.0.26100.4061");
  EXPECT_EQ(facts.installation_type, "Client");
  EXPECT_EQ(facts.architecture, "x64");
  EXPECT_EQ(facts.installed_kbs, (std::vector<std::string>{"890830", "5055523", "5058411"}));

  ASSERT_EQ(facts.pending_updates.size(), 2u);
  const WindowsPendingUpdate& cumulative = facts.pending_updates[0];
  EXPECT_EQ(cumulative.kb, "5060842");
  EXPECT_EQ(cumulative.title, "2025-06 Cumulative Update for Windows 11 Version 24H2");
  EXPECT_EQ(cumulative.classification, "Security Updates");
  EXPECT_EQ(cumulative.severity, "Critical");
  EXPECT_EQ(cumulative.cve_ids, (std::vector<std::string>{"CVE-2025-33073", "CVE-2025-33053"}));
  EXPECT_EQ(cumulative.supersedes, (std::vector<std::string>{"5058411"}));
  EXPECT_TRUE(cumulative.restart_required);
  const WindowsPendingUpdate& definitions = facts.pending_updates[1];
  EXPECT_EQ(definitions.kb, "2267602");
  EXPECT_EQ(definitions.severity, "");
  EXPECT_TRUE(definitions.cve_ids.empty());
  EXPECT_FALSE(definitions.restart_required);

  ASSERT_EQ(inventory.programs.size(), 2u);
  EXPECT_EQ(inventory.programs[0], (WindowsProgram{"7-Zip 24.09 (x64)", "24.09", "Igor Pavlov"}));
  EXPECT_EQ(inventory.programs[1],
            (WindowsProgram{"Mozilla Firefox (x64 en-US)", "139.0.4", "Mozilla"}));

  EXPECT_TRUE(inventory.restart.required);
  EXPECT_EQ(inventory.restart.reason, "Windows Update; Component Based Servicing");
  EXPECT_TRUE(inventory.restart.packages.empty());
}

TEST(WindowsInventory, RoundTripsFullDocument) {
  Parsed first = parse(kFullDocument);
  ASSERT_TRUE(first.inventory) << first.inventory.error().message;

  std::string text = toJsonText(*first.inventory);
  Parsed second = parse(text);
  ASSERT_TRUE(second.inventory) << second.inventory.error().message << "\n" << text;
  EXPECT_TRUE(second.issues.empty());
  EXPECT_EQ(*second.inventory, *first.inventory);
  EXPECT_EQ(toJsonText(*second.inventory), text);
}

TEST(WindowsInventory, WritesKbPrefixAndFormat) {
  Parsed parsed = parse(kFullDocument);
  ASSERT_TRUE(parsed.inventory);
  Json written = Json::parse(toJsonText(*parsed.inventory));

  EXPECT_EQ(written["format"], "patchkeeper-windows-inventory");
  EXPECT_EQ(written["format_version"], 1);
  EXPECT_EQ(written["installed_kbs"], (Json{"KB890830", "KB5055523", "KB5058411"}));
  EXPECT_EQ(written["pending_updates"][0]["kb"], "KB5060842");
  EXPECT_EQ(written["pending_updates"][0]["supersedes"], (Json{"KB5058411"}));
  EXPECT_EQ(written["collected_at"], "2026-06-10T09:12:00Z");
  EXPECT_EQ(written["restart"]["reasons"], (Json{"Windows Update; Component Based Servicing"}));
}

TEST(WindowsInventory, RoundTripsFractionalAndOffsetTimes) {
  Json document = minimalJson();
  document["collected_at"] = "2026-06-10T11:12:00.250001+02:00";
  Parsed first = parseJson(document);
  ASSERT_TRUE(first.inventory) << first.inventory.error().message;
  ASSERT_TRUE(first.inventory->collected_at);
  EXPECT_EQ(*first.inventory->collected_at,
            *parseRfc3339("2026-06-10T09:12:00Z") + std::chrono::microseconds(250001));

  std::string text = toJsonText(*first.inventory);
  EXPECT_NE(text.find("\"2026-06-10T09:12:00.250001Z\""), std::string::npos) << text;
  Parsed second = parse(text);
  ASSERT_TRUE(second.inventory) << second.inventory.error().message;
  EXPECT_EQ(*second.inventory, *first.inventory);
}

TEST(WindowsInventory, RoundTripsMinimalDocument) {
  Parsed first = parseJson(minimalJson());
  ASSERT_TRUE(first.inventory) << first.inventory.error().message;
  Parsed second = parse(toJsonText(*first.inventory));
  ASSERT_TRUE(second.inventory) << second.inventory.error().message;
  EXPECT_EQ(*second.inventory, *first.inventory);
}

TEST(WindowsInventory, AbsentOptionalFieldsReadAsEmpty) {
  Parsed parsed = parseJson(minimalJson());
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_TRUE(parsed.issues.empty());
  const WindowsInventory& inventory = *parsed.inventory;
  EXPECT_FALSE(inventory.collected_at);
  EXPECT_EQ(inventory.facts.release, "");
  EXPECT_EQ(inventory.facts.architecture, "");
  EXPECT_TRUE(inventory.facts.installed_kbs.empty());
  EXPECT_TRUE(inventory.facts.pending_updates.empty());
  EXPECT_TRUE(inventory.programs.empty());
  EXPECT_FALSE(inventory.restart.required);
  EXPECT_EQ(inventory.restart.reason, "");
}

TEST(WindowsInventory, NullOptionalFieldsReadAsEmpty) {
  Json document = minimalJson();
  for (const char* key :
       {"collected_at", "installed_kbs", "pending_updates", "programs", "restart"}) {
    document[key] = nullptr;
  }
  document["os"]["release"] = nullptr;
  document["os"]["architecture"] = nullptr;
  Parsed parsed = parseJson(document);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_TRUE(parsed.issues.empty());
  EXPECT_FALSE(parsed.inventory->collected_at);
  EXPECT_EQ(parsed.inventory->facts.release, "");
  EXPECT_TRUE(parsed.inventory->facts.installed_kbs.empty());
  EXPECT_FALSE(parsed.inventory->restart.required);
}

TEST(WindowsInventory, IgnoresUnknownFields) {
  Json document = minimalJson();
  document["agent_version"] = "2.1.0";
  document["os"]["install_date"] = "2024-10-01";
  document["programs"] = Json::array({{{"name", "Git"}, {"install_location", "C:\\Git"}}});
  Parsed parsed = parseJson(document);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_TRUE(parsed.issues.empty());
  ASSERT_EQ(parsed.inventory->programs.size(), 1u);
  EXPECT_EQ(parsed.inventory->programs[0].name, "Git");
}

TEST(WindowsInventory, AcceptsByteOrderMark) {
  Parsed parsed = parse("\xEF\xBB\xBF" + minimalJson().dump());
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_EQ(parsed.inventory->hostname, "SRV-DB1");
}

struct FailureCase {
  const char* name;
  std::function<void(Json&)> change;
  const char* element;  // expected in the message after the origin
};

TEST(WindowsInventory, RejectsInvalidRequiredFields) {
  const std::vector<FailureCase> cases = {
      {"format missing", [](Json& d) { d.erase("format"); }, "/format"},
      {"format other", [](Json& d) { d["format"] = "patchkeeper-linux-inventory"; }, "/format"},
      {"format not a string", [](Json& d) { d["format"] = 1; }, "/format"},
      {"version missing", [](Json& d) { d.erase("format_version"); }, "/format_version"},
      {"version 2", [](Json& d) { d["format_version"] = 2; }, "/format_version"},
      {"version as text", [](Json& d) { d["format_version"] = "1"; }, "/format_version"},
      {"version as float", [](Json& d) { d["format_version"] = 1.5; }, "/format_version"},
      {"hostname missing", [](Json& d) { d.erase("hostname"); }, "/hostname"},
      {"hostname null", [](Json& d) { d["hostname"] = nullptr; }, "/hostname"},
      {"hostname empty", [](Json& d) { d["hostname"] = ""; }, "/hostname"},
      {"hostname number", [](Json& d) { d["hostname"] = 42; }, "/hostname"},
      {"os missing", [](Json& d) { d.erase("os"); }, "/os"},
      {"os a string", [](Json& d) { d["os"] = "Windows"; }, "/os"},
      {"edition missing", [](Json& d) { d["os"].erase("edition"); }, "/os/edition"},
      {"edition empty", [](Json& d) { d["os"]["edition"] = ""; }, "/os/edition"},
      {"build missing", [](Json& d) { d["os"].erase("build"); }, "/os/build"},
      {"build two parts", [](Json& d) { d["os"]["build"] = "10.0"; }, "/os/build"},
      {"build letters", [](Json& d) { d["os"]["build"] = "10.0.x"; }, "/os/build"},
      {"build number", [](Json& d) { d["os"]["build"] = 19045; }, "/os/build"},
      {"type missing", [](Json& d) { d["os"].erase("installation_type"); },
       "/os/installation_type"},
      {"type unknown", [](Json& d) { d["os"]["installation_type"] = "Workstation"; },
       "/os/installation_type"},
      {"type wrong case", [](Json& d) { d["os"]["installation_type"] = "client"; },
       "/os/installation_type"},
      {"release number", [](Json& d) { d["os"]["release"] = 2009; }, "/os/release"},
      {"architecture bool", [](Json& d) { d["os"]["architecture"] = true; }, "/os/architecture"},
      {"time text", [](Json& d) { d["collected_at"] = "yesterday"; }, "/collected_at"},
      {"time empty", [](Json& d) { d["collected_at"] = ""; }, "/collected_at"},
      {"time number", [](Json& d) { d["collected_at"] = 1781082720; }, "/collected_at"},
      {"time before year 0", [](Json& d) { d["collected_at"] = "0000-01-01T00:00:00+01:00"; },
       "/collected_at"},
      {"time after 9999", [](Json& d) { d["collected_at"] = "9999-12-31T23:00:00-02:00"; },
       "/collected_at"},
      {"kbs not a list", [](Json& d) { d["installed_kbs"] = "KB5058411"; }, "/installed_kbs"},
      {"updates not a list", [](Json& d) { d["pending_updates"] = Json::object(); },
       "/pending_updates"},
      {"programs not a list", [](Json& d) { d["programs"] = 3; }, "/programs"},
  };
  for (const FailureCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    Json document = minimalJson();
    // An invalid KB that would be an issue, to check that a rejected
    // document adds no issues.
    document["installed_kbs"] = Json{"not-a-kb"};
    test_case.change(document);

    Parsed parsed = parseJson(document);
    ASSERT_FALSE(parsed.inventory);
    EXPECT_EQ(parsed.inventory.error().code, ErrorCode::kMalformedInput);
    const std::string& message = parsed.inventory.error().message;
    EXPECT_EQ(message.rfind(std::string(kOrigin) + ": " + test_case.element + ": ", 0), 0u)
        << message;
    EXPECT_TRUE(parsed.issues.empty());
  }
}

TEST(WindowsInventory, RejectsDocumentsThatAreNotInventories) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not valid JSON"},
      {"{\"format\": ", "not valid JSON"},
      {"{} trailing", "not valid JSON"},
      {"{\"format_version\": 1e400}", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {"\"patchkeeper-windows-inventory\"", "must be a JSON object"},
      {"null", "must be a JSON object"},
  };
  for (const auto& [text, problem] : cases) {
    SCOPED_TRACE(text);
    Parsed parsed = parse(text);
    ASSERT_FALSE(parsed.inventory);
    EXPECT_EQ(parsed.inventory.error().code, ErrorCode::kMalformedInput);
    const std::string& message = parsed.inventory.error().message;
    EXPECT_EQ(message.rfind(std::string(kOrigin) + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(problem), std::string::npos) << message;
  }
}

struct SkipCase {
  const char* name;
  std::function<void(Json&)> change;
  const char* element;
  std::function<void(const WindowsInventory&)> check;  // what still loads
};

TEST(WindowsInventory, SkipsWrongElementsAndLoadsTheRest) {
  const std::vector<SkipCase> cases = {
      {"installed kb with letters", [](Json& d) { d["installed_kbs"][1] = "KB50555x23"; },
       "/installed_kbs/1",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.installed_kbs, (std::vector<std::string>{"890830", "5058411"}));
       }},
      {"installed kb number", [](Json& d) { d["installed_kbs"][0] = 5058411; }, "/installed_kbs/0",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.installed_kbs, (std::vector<std::string>{"890830", "5055523"}));
       }},
      {"installed kb empty", [](Json& d) { d["installed_kbs"][2] = ""; }, "/installed_kbs/2",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.installed_kbs.size(), 2u);
       }},
      {"installed kb prefix only", [](Json& d) { d["installed_kbs"][2] = "KB"; },
       "/installed_kbs/2",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.installed_kbs.size(), 2u);
       }},
      {"installed kb 11 digits", [](Json& d) { d["installed_kbs"][2] = "KB12345678901"; },
       "/installed_kbs/2",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.installed_kbs.size(), 2u);
       }},
      {"installed kb with blank", [](Json& d) { d["installed_kbs"][2] = "KB 890830"; },
       "/installed_kbs/2",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.installed_kbs.size(), 2u);
       }},
      {"update not an object", [](Json& d) { d["pending_updates"][0] = "KB5060842"; },
       "/pending_updates/0",
       [](const WindowsInventory& inventory) {
         ASSERT_EQ(inventory.facts.pending_updates.size(), 1u);
         EXPECT_EQ(inventory.facts.pending_updates[0].kb, "2267602");
       }},
      {"update kb missing", [](Json& d) { d["pending_updates"][0].erase("kb"); },
       "/pending_updates/0/kb",
       [](const WindowsInventory& inventory) {
         ASSERT_EQ(inventory.facts.pending_updates.size(), 1u);
         EXPECT_EQ(inventory.facts.pending_updates[0].kb, "2267602");
       }},
      {"update kb invalid", [](Json& d) { d["pending_updates"][1]["kb"] = "Defender"; },
       "/pending_updates/1/kb",
       [](const WindowsInventory& inventory) {
         ASSERT_EQ(inventory.facts.pending_updates.size(), 1u);
         EXPECT_EQ(inventory.facts.pending_updates[0].kb, "5060842");
       }},
      {"update kb number", [](Json& d) { d["pending_updates"][1]["kb"] = 2267602; },
       "/pending_updates/1/kb",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.pending_updates.size(), 1u);
       }},
      {"update cve invalid", [](Json& d) { d["pending_updates"][0]["cve_ids"][1] = "CVE-25-1"; },
       "/pending_updates/0/cve_ids/1",
       [](const WindowsInventory& inventory) {
         ASSERT_EQ(inventory.facts.pending_updates.size(), 2u);
         EXPECT_EQ(inventory.facts.pending_updates[0].cve_ids,
                   (std::vector<std::string>{"CVE-2025-33073"}));
       }},
      {"update cve short sequence",
       [](Json& d) { d["pending_updates"][0]["cve_ids"][0] = "CVE-2025-123"; },
       "/pending_updates/0/cve_ids/0",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.pending_updates[0].cve_ids,
                   (std::vector<std::string>{"CVE-2025-33053"}));
       }},
      {"update cve not a string", [](Json& d) { d["pending_updates"][0]["cve_ids"][0] = 33073; },
       "/pending_updates/0/cve_ids/0",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.pending_updates[0].cve_ids.size(), 1u);
       }},
      {"update cves not a list",
       [](Json& d) { d["pending_updates"][0]["cve_ids"] = "CVE-2025-33073"; },
       "/pending_updates/0/cve_ids",
       [](const WindowsInventory& inventory) {
         ASSERT_EQ(inventory.facts.pending_updates.size(), 2u);
         EXPECT_TRUE(inventory.facts.pending_updates[0].cve_ids.empty());
         EXPECT_EQ(inventory.facts.pending_updates[0].kb, "5060842");
       }},
      {"update supersedes invalid",
       [](Json& d) {
         d["pending_updates"][0]["supersedes"] = Json{"{d5f1...}", "KB5055523"};
       },
       "/pending_updates/0/supersedes/0",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.pending_updates[0].supersedes,
                   (std::vector<std::string>{"5055523"}));
       }},
      {"update title number", [](Json& d) { d["pending_updates"][0]["title"] = 5; },
       "/pending_updates/0/title",
       [](const WindowsInventory& inventory) {
         ASSERT_EQ(inventory.facts.pending_updates.size(), 2u);
         EXPECT_EQ(inventory.facts.pending_updates[0].title, "");
         EXPECT_EQ(inventory.facts.pending_updates[0].severity, "Critical");
       }},
      {"update classification list",
       [](Json& d) { d["pending_updates"][0]["classification"] = Json{"Security Updates"}; },
       "/pending_updates/0/classification",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.pending_updates[0].classification, "");
       }},
      {"update severity number", [](Json& d) { d["pending_updates"][0]["severity"] = 4; },
       "/pending_updates/0/severity",
       [](const WindowsInventory& inventory) {
         EXPECT_EQ(inventory.facts.pending_updates[0].severity, "");
       }},
      {"update restart as text",
       [](Json& d) { d["pending_updates"][0]["restart_required"] = "true"; },
       "/pending_updates/0/restart_required",
       [](const WindowsInventory& inventory) {
         EXPECT_FALSE(inventory.facts.pending_updates[0].restart_required);
         EXPECT_EQ(inventory.facts.pending_updates[0].cve_ids.size(), 2u);
       }},
      {"program not an object", [](Json& d) { d["programs"][0] = "7-Zip"; }, "/programs/0",
       [](const WindowsInventory& inventory) {
         ASSERT_EQ(inventory.programs.size(), 1u);
         EXPECT_EQ(inventory.programs[0].publisher, "Mozilla");
       }},
      {"program name missing", [](Json& d) { d["programs"][1].erase("name"); }, "/programs/1/name",
       [](const WindowsInventory& inventory) {
         ASSERT_EQ(inventory.programs.size(), 1u);
         EXPECT_EQ(inventory.programs[0].publisher, "Igor Pavlov");
       }},
      {"program name empty", [](Json& d) { d["programs"][1]["name"] = ""; }, "/programs/1/name",
       [](const WindowsInventory& inventory) { EXPECT_EQ(inventory.programs.size(), 1u); }},
      {"program name number", [](Json& d) { d["programs"][0]["name"] = 7; }, "/programs/0/name",
       [](const WindowsInventory& inventory) { EXPECT_EQ(inventory.programs.size(), 1u); }},
      {"program version number", [](Json& d) { d["programs"][0]["version"] = 24.09; },
       "/programs/0/version",
       [](const WindowsInventory& inventory) {
         ASSERT_EQ(inventory.programs.size(), 2u);
         EXPECT_EQ(inventory.programs[0], (WindowsProgram{"7-Zip 24.09 (x64)", "", "Igor Pavlov"}));
       }},
      {"program publisher object", [](Json& d) { d["programs"][1]["publisher"] = Json::object(); },
       "/programs/1/publisher",
       [](const WindowsInventory& inventory) {
         ASSERT_EQ(inventory.programs.size(), 2u);
         EXPECT_EQ(inventory.programs[1].publisher, "");
         EXPECT_EQ(inventory.programs[1].version, "139.0.4");
       }},
      {"restart not an object", [](Json& d) { d["restart"] = true; }, "/restart",
       [](const WindowsInventory& inventory) {
         EXPECT_FALSE(inventory.restart.required);
         EXPECT_EQ(inventory.programs.size(), 2u);
       }},
      {"restart pending as text", [](Json& d) { d["restart"]["pending"] = "yes"; },
       "/restart/pending",
       [](const WindowsInventory& inventory) {
         EXPECT_FALSE(inventory.restart.required);
         EXPECT_EQ(inventory.restart.reason, "");
       }},
      {"restart reasons not a list", [](Json& d) { d["restart"]["reasons"] = "Windows Update"; },
       "/restart/reasons",
       [](const WindowsInventory& inventory) {
         EXPECT_TRUE(inventory.restart.required);
         EXPECT_EQ(inventory.restart.reason, "");
       }},
      {"restart reason number", [](Json& d) { d["restart"]["reasons"][0] = 3010; },
       "/restart/reasons/0",
       [](const WindowsInventory& inventory) {
         EXPECT_TRUE(inventory.restart.required);
         EXPECT_EQ(inventory.restart.reason, "Component Based Servicing");
       }},
  };
  for (const SkipCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    Json document = fullJson();
    test_case.change(document);

    Parsed parsed = parseJson(document);
    ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
    ASSERT_EQ(parsed.issues.size(), 1u);
    EXPECT_EQ(parsed.issues[0].file, kOrigin);
    EXPECT_EQ(parsed.issues[0].element, test_case.element);
    EXPECT_FALSE(parsed.issues[0].message.empty());
    EXPECT_EQ(parsed.inventory->hostname, "WS-0042");
    EXPECT_EQ(parsed.inventory->facts.build, "10.0.26100.4061");
    test_case.check(*parsed.inventory);
  }
}

TEST(WindowsInventory, IssueMessagesNameTheValue) {
  Json document = fullJson();
  document["installed_kbs"] = Json{"KB50555x23"};
  document["pending_updates"][0]["kb"] = "KB12345678901";
  document["pending_updates"][1]["cve_ids"] = Json{"CVE-2025"};
  std::string long_name(100, 'x');
  document["installed_kbs"].push_back(long_name);

  Parsed parsed = parseJson(document);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  ASSERT_EQ(parsed.issues.size(), 4u);
  EXPECT_EQ(describe(parsed.issues[0]),
            "ws-0042.json: /installed_kbs/0: \"KB50555x23\" is not a KB number such as "
            "KB5058411");
  EXPECT_EQ(parsed.issues[1].element, "/installed_kbs/1");
  EXPECT_EQ(parsed.issues[1].message,
            "\"" + std::string(40, 'x') + "...\" is not a KB number such as KB5058411");
  EXPECT_EQ(describe(parsed.issues[2]),
            "ws-0042.json: /pending_updates/0/kb: \"KB12345678901\" has more than 10 digits, "
            "which no KB number has, so the update is left out");
  EXPECT_EQ(describe(parsed.issues[3]),
            "ws-0042.json: /pending_updates/1/cve_ids/0: \"CVE-2025\" is not a CVE id such as "
            "CVE-2025-33073");
}

TEST(WindowsInventory, DescribeJoinsFileElementAndMessage) {
  WindowsInventoryIssue issue{"host.json", "/programs/3/name", "is missing"};
  EXPECT_EQ(describe(issue), "host.json: /programs/3/name: is missing");
}

TEST(WindowsInventory, NormalizesSortsAndDeduplicatesKbs) {
  Json document = minimalJson();
  document["installed_kbs"] = Json{"kb5058411", "5055523",   "KB5058411", "KB890830",
                                   "Kb5055523", "KB4023057", "5058411",   "KB1234567890"};
  document["pending_updates"] = Json::array(
      {{{"kb", "kb5060842"}, {"supersedes", Json{"5058411", "kB5055523"}}}, {{"kb", "5060843"}}});
  Parsed parsed = parseJson(document);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_TRUE(parsed.issues.empty());

  EXPECT_EQ(parsed.inventory->facts.installed_kbs,
            (std::vector<std::string>{"890830", "4023057", "5055523", "5058411", "1234567890"}));
  ASSERT_EQ(parsed.inventory->facts.pending_updates.size(), 2u);
  EXPECT_EQ(parsed.inventory->facts.pending_updates[0].kb, "5060842");
  EXPECT_EQ(parsed.inventory->facts.pending_updates[0].supersedes,
            (std::vector<std::string>{"5058411", "5055523"}));
  EXPECT_EQ(parsed.inventory->facts.pending_updates[1].kb, "5060843");
}

TEST(WindowsInventory, LeadingZerosNameTheSameKb) {
  Json document = minimalJson();
  document["installed_kbs"] = Json{"KB0990", "KB1000", "KB990", "KB0005068781", "KB5068781"};
  Parsed parsed = parseJson(document);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_EQ(parsed.inventory->facts.installed_kbs,
            (std::vector<std::string>{"990", "1000", "5068781"}));
}

TEST(WindowsInventory, UpperCasesCveIds) {
  Json document = minimalJson();
  document["pending_updates"] =
      Json::array({{{"kb", "KB5060842"},
                    {"cve_ids", Json{"cve-2025-33073", "Cve-2024-1234567", "CVE-2025-0001"}}}});
  Parsed parsed = parseJson(document);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_TRUE(parsed.issues.empty());
  EXPECT_EQ(parsed.inventory->facts.pending_updates[0].cve_ids,
            (std::vector<std::string>{"CVE-2025-33073", "CVE-2024-1234567", "CVE-2025-0001"}));
}

TEST(WindowsInventory, RestartReasonOnlyWhenPending) {
  Json document = minimalJson();
  document["restart"] = {{"pending", false}, {"reasons", Json{"Windows Update"}}};
  Parsed parsed = parseJson(document);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_FALSE(parsed.inventory->restart.required);
  EXPECT_EQ(parsed.inventory->restart.reason, "");

  document["restart"] = {{"pending", true}, {"reasons", Json{"", "Pending file rename"}}};
  parsed = parseJson(document);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_TRUE(parsed.inventory->restart.required);
  EXPECT_EQ(parsed.inventory->restart.reason, "Pending file rename");
}

TEST(WindowsInventory, AcceptsListsUpToTheLimit) {
  Json document = minimalJson();
  Json kbs = Json::array();
  for (std::size_t i = 0; i < kMaxWindowsItems; ++i) kbs.push_back(std::to_string(1000000 + i));
  document["installed_kbs"] = kbs;
  Parsed parsed = parseJson(document);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_EQ(parsed.inventory->facts.installed_kbs.size(), kMaxWindowsItems);
}

TEST(WindowsInventory, RejectsListsOverTheLimit) {
  Json too_long = Json::array();
  for (std::size_t i = 0; i <= kMaxWindowsItems; ++i) too_long.push_back("KB5058411");

  const std::vector<std::pair<std::function<void(Json&)>, std::string>> cases = {
      {[&](Json& d) { d["installed_kbs"] = too_long; }, "/installed_kbs"},
      {[&](Json& d) { d["pending_updates"][0]["supersedes"] = too_long; },
       "/pending_updates/0/supersedes"},
      {[&](Json& d) { d["pending_updates"][1]["cve_ids"] = too_long; },
       "/pending_updates/1/cve_ids"},
      {[&](Json& d) { d["restart"]["reasons"] = too_long; }, "/restart/reasons"},
      {[&](Json& d) {
         Json programs = Json::array();
         for (std::size_t i = 0; i <= kMaxWindowsItems; ++i) programs.push_back("x");
         d["programs"] = programs;
       },
       "/programs"},
  };
  for (const auto& [change, element] : cases) {
    SCOPED_TRACE(element);
    Json document = fullJson();
    change(document);
    Parsed parsed = parseJson(document);
    ASSERT_FALSE(parsed.inventory);
    EXPECT_EQ(parsed.inventory.error().code, ErrorCode::kMalformedInput);
    EXPECT_EQ(parsed.inventory.error().message,
              std::string(kOrigin) + ": " + element +
                  ": has 50001 elements, more than the limit of 50000");
    EXPECT_TRUE(parsed.issues.empty());
  }
}

// Wraps `depth` lists around a number, in an unknown field that the reader
// would otherwise ignore.
std::string withNestedField(std::size_t depth) {
  std::string document = minimalJson().dump();
  document.pop_back();  // the closing brace
  return document + ", \"extra\": " + std::string(depth, '[') + "1" + std::string(depth, ']') + "}";
}

TEST(WindowsInventory, RejectsDeepNesting) {
  // The document's own object is the first level.
  Parsed at_limit = parse(withNestedField(31));
  ASSERT_TRUE(at_limit.inventory) << at_limit.inventory.error().message;

  Parsed too_deep = parse(withNestedField(32));
  ASSERT_FALSE(too_deep.inventory);
  EXPECT_EQ(too_deep.inventory.error().code, ErrorCode::kMalformedInput);
  EXPECT_EQ(too_deep.inventory.error().message,
            "ws-0042.json: the document nests objects and lists deeper than 32 levels");

  Parsed hostile = parse(std::string(1'000'000, '['));
  ASSERT_FALSE(hostile.inventory);
  EXPECT_NE(hostile.inventory.error().message.find("deeper than 32"), std::string::npos);
}

TEST(WindowsInventory, BracketsInStringsDoNotNest) {
  Json document = minimalJson();
  document["hostname"] = std::string(100, '[') + "\\\"" + std::string(100, '{');
  Parsed parsed = parseJson(document);
  ASSERT_TRUE(parsed.inventory) << parsed.inventory.error().message;
  EXPECT_EQ(parsed.inventory->hostname.size(), 202u);
}

TEST(WindowsInventory, RejectsOversizedText) {
  std::string document = minimalJson().dump();
  std::string at_limit = document + std::string(kMaxWindowsInventoryBytes - document.size(), ' ');
  Parsed accepted = parse(at_limit);
  ASSERT_TRUE(accepted.inventory) << accepted.inventory.error().message;

  Parsed rejected = parse(at_limit + " ");
  ASSERT_FALSE(rejected.inventory);
  EXPECT_EQ(rejected.inventory.error().code, ErrorCode::kMalformedInput);
  EXPECT_EQ(rejected.inventory.error().message,
            "ws-0042.json: the document is 16777217 bytes, more than the limit of 16777216");
}

TEST(WindowsInventory, WritesInvalidUtf8AsReplacement) {
  Parsed parsed = parseJson(minimalJson());
  ASSERT_TRUE(parsed.inventory);
  WindowsInventory inventory = *parsed.inventory;
  inventory.hostname = "WS-\xFF";
  Parsed reread = parse(toJsonText(inventory));
  ASSERT_TRUE(reread.inventory) << reread.inventory.error().message;
  EXPECT_EQ(reread.inventory->hostname, "WS-\xEF\xBF\xBD");
}

TEST(WindowsInventory, ConvertsToHostInventory) {
  Parsed parsed = parse(kFullDocument);
  ASSERT_TRUE(parsed.inventory);
  HostInventory host = toHostInventory(*parsed.inventory);

  EXPECT_EQ(host.scheme, version::Scheme::kWindows);
  EXPECT_EQ(host.os.id, "windows");
  EXPECT_EQ(host.os.pretty_name, "Windows 11 Enterprise");
  EXPECT_EQ(host.os.version_id, "24H2");
  EXPECT_EQ(host.os.ecosystem, "");
  EXPECT_EQ(host.os.id_like, "");

  ASSERT_EQ(host.packages.size(), 2u);
  EXPECT_EQ(host.packages[0].name, "7-Zip 24.09 (x64)");
  EXPECT_EQ(host.packages[0].version, "24.09");
  EXPECT_EQ(host.packages[1].name, "Mozilla Firefox (x64 en-US)");
  EXPECT_EQ(host.packages[1].version, "139.0.4");
  EXPECT_EQ(host.packages[1].architecture, "");

  EXPECT_TRUE(host.restart.required);
  EXPECT_EQ(host.restart.reason, "Windows Update; Component Based Servicing");
  ASSERT_TRUE(host.windows);
  EXPECT_EQ(*host.windows, parsed.inventory->facts);
}

WindowsFacts factsFor(std::string installation_type, std::string build, std::string edition = "",
                      std::string release = "") {
  WindowsFacts facts;
  facts.installation_type = std::move(installation_type);
  facts.build = std::move(build);
  facts.edition = std::move(edition);
  facts.release = std::move(release);
  return facts;
}

struct ProductCase {
  const char* build;
  const char* product;
};

TEST(WindowsProduct, MapsClientBuilds) {
  const std::vector<ProductCase> cases = {
      {"10.0.10240.21014", "Windows 10 1507"}, {"10.0.14393.8066", "Windows 10 1607"},
      {"10.0.17763.7314", "Windows 10 1809"},  {"10.0.19044.5854", "Windows 10 21H2"},
      {"10.0.19045.5854", "Windows 10 22H2"},  {"10.0.22000.3260", "Windows 11 21H2"},
      {"10.0.22621.5335", "Windows 11 22H2"},  {"10.0.22631.5335", "Windows 11 23H2"},
      {"10.0.26100.4061", "Windows 11 24H2"},  {"10.0.26200", "Windows 11 25H2"},
  };
  for (const ProductCase& test_case : cases) {
    SCOPED_TRACE(test_case.build);
    // The table wins over an edition and release that disagree with it.
    EXPECT_EQ(windowsProduct(factsFor("Client", test_case.build, "Windows 10 Pro", "99H9")),
              test_case.product);
  }
}

TEST(WindowsProduct, MapsServerBuilds) {
  const std::vector<ProductCase> cases = {
      {"6.0.6003.23317", "Windows Server 2008 SP2"},
      {"6.1.7601.27769", "Windows Server 2008 R2 SP1"},
      {"6.2.9200.25473", "Windows Server 2012"},
      {"6.3.9600.22568", "Windows Server 2012 R2"},
      {"10.0.14393.8066", "Windows Server 2016"},
      {"10.0.17763.7314", "Windows Server 2019"},
      {"10.0.20348.3692", "Windows Server 2022"},
      {"10.0.25398.1611", "Windows Server 2022 23H2"},
      {"10.0.26100.4061", "Windows Server 2025"},
  };
  for (const ProductCase& test_case : cases) {
    SCOPED_TRACE(test_case.build);
    EXPECT_EQ(windowsProduct(factsFor("Server", test_case.build, "Windows Server Datacenter")),
              test_case.product);
    EXPECT_EQ(windowsProduct(factsFor("Server Core", test_case.build)), test_case.product);
  }
}

TEST(WindowsProduct, FallsBackToEditionAndRelease) {
  EXPECT_EQ(windowsProduct(factsFor("Client", "10.0.26300.1", "Windows 11 Pro", "26h1")),
            "Windows 11 26H1");
  EXPECT_EQ(windowsProduct(factsFor("Client", "10.0.19046.1", "windows 10 enterprise", "23h2")),
            "Windows 10 23H2");
  EXPECT_EQ(windowsProduct(factsFor("Client", "10.0.18363.1", "Windows 10 Pro", "1909")),
            "Windows 10 1909");
  // Windows 11 reports "Windows 10" in ProductName, so the build decides.
  EXPECT_EQ(windowsProduct(factsFor("Client", "10.0.26300.1", "Windows 10 Pro", "26H1")),
            "Windows 11 26H1");
}

TEST(WindowsProduct, ReturnsNulloptWithoutAProduct) {
  // A client build the table does not know, without a release.
  EXPECT_EQ(windowsProduct(factsFor("Client", "10.0.26300.1", "Windows 11 Pro", "")), std::nullopt);
  // A client build the table does not know, in another family.
  EXPECT_EQ(windowsProduct(factsFor("Client", "6.3.9600.1", "Windows 8.1 Pro", "")), std::nullopt);
  EXPECT_EQ(windowsProduct(factsFor("Client", "10.0.26300.1", "Windows Server 2025", "26H1")),
            std::nullopt);
  // A server build the table does not know.
  EXPECT_EQ(windowsProduct(factsFor("Server", "10.0.26300.1", "Windows 11 Pro", "26H1")),
            std::nullopt);
  // Facts the reader would reject.
  EXPECT_EQ(windowsProduct(factsFor("Client", "10.0", "Windows 11 Pro", "24H2")), std::nullopt);
  EXPECT_EQ(windowsProduct(factsFor("", "10.0.26100.1", "Windows 11 Pro", "24H2")), std::nullopt);
  EXPECT_EQ(windowsProduct(factsFor("Nano Server", "10.0.17763.1")), std::nullopt);
}

TEST(WindowsProduct, WorksOnParsedDocument) {
  Parsed parsed = parse(kFullDocument);
  ASSERT_TRUE(parsed.inventory);
  EXPECT_EQ(windowsProduct(parsed.inventory->facts), "Windows 11 24H2");
  Parsed server = parseJson(minimalJson());
  ASSERT_TRUE(server.inventory);
  EXPECT_EQ(windowsProduct(server.inventory->facts), "Windows Server 2019");
}

}  // namespace
}  // namespace pk::inventory
