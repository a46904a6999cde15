// Loading advisories: every AlmaLinux 8 and 9 OSV record (5,020 files,
// 41 MB), read from the folder as the server's feed sync does, and parsed
// from memory by the simdjson On-Demand parser in osv.cpp and by a
// nlohmann::json variant kept here for comparison. Counters: records per
// second and the process's peak resident memory (VmHWM) after the run.
//   build/bench/bench/advisory_load_bench --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "advisory/ecosystem.h"
#include "advisory/osv.h"
#include "advisory/osv_files.h"
#include "version/version.h"

namespace {

using namespace pk::advisory;
namespace fs = std::filesystem;

const fs::path kAlmaLinux = fs::path(PK_SHARED_DATA_DIR) / "osv" / "almalinux" / "advisories";

// Peak resident set size of this process in kB, from /proc/self/status.
double peakResidentKilobytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6));
  }
  return 0.0;
}

const std::vector<std::string>& recordTexts() {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> result;
    for (const char* release : {"almalinux8", "almalinux9"}) {
      for (const auto& entry : fs::directory_iterator(kAlmaLinux / release)) {
        std::ifstream stream(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << stream.rdbuf();
        result.push_back(std::move(text).str());
      }
    }
    return result;
  }();
  return texts;
}

// The same mapping as parseOsvRecord for the fields AlmaLinux uses, on a
// nlohmann::json DOM, with the same version validation.
std::optional<Advisory> parseWithNlohmann(const std::string& text) {
  nlohmann::json record = nlohmann::json::parse(text, nullptr, false);
  if (record.is_discarded() || !record.is_object()) return std::nullopt;
  Advisory advisory;
  advisory.id = record.value("id", "");
  if (advisory.id.rfind("ALBA-", 0) == 0 || advisory.id.rfind("ALEA-", 0) == 0) {
    return std::nullopt;
  }
  advisory.source = "osv";
  advisory.summary = record.value("summary", "");
  advisory.published = record.value("published", "");
  advisory.modified = record.value("modified", "");
  for (const char* key : {"aliases", "related", "upstream"}) {
    for (const auto& id : record.value(key, nlohmann::json::array())) {
      advisory.aliases.push_back(id.get<std::string>());
    }
  }
  advisory.severity = parseSeverityWord(advisory.summary.substr(0, advisory.summary.find(':')));
  for (const auto& affected : record.value("affected", nlohmann::json::array())) {
    AffectedPackage package;
    package.ecosystem = affected["package"]["ecosystem"].get<std::string>();
    package.name = affected["package"]["name"].get<std::string>();
    auto scheme = schemeForEcosystem(package.ecosystem);
    for (const auto& range : affected.value("ranges", nlohmann::json::array())) {
      std::vector<RangeEvent> events;
      for (const auto& event : range["events"]) {
        for (const auto& [key, value] : event.items()) {
          RangeEvent parsed;
          parsed.type =
              key == "introduced" ? RangeEvent::Type::kIntroduced : RangeEvent::Type::kFixed;
          parsed.version = value.get<std::string>();
          if (scheme && parsed.version != "0" && !pk::version::validate(*scheme, parsed.version)) {
            return std::nullopt;
          }
          events.push_back(std::move(parsed));
        }
      }
      package.ranges.push_back(std::move(events));
    }
    advisory.affected.push_back(std::move(package));
  }
  return advisory;
}

// Registered first, so that VmHWM reflects the folder reader alone.
void BM_ReadAlmaLinuxFolders(benchmark::State& state) {
  std::size_t records = 0;
  for (auto _ : state) {
    LoadReport report;
    for (const char* release : {"almalinux8", "almalinux9"}) {
      auto result = readOsv(
          kAlmaLinux / release, [](Advisory&& advisory) { benchmark::DoNotOptimize(advisory); },
          report);
      if (!result) state.SkipWithError(result.error().message.c_str());
    }
    records = report.records_loaded + report.records_withdrawn + report.records_skipped;
  }
  state.counters["records_per_s"] = benchmark::Counter(
      static_cast<double>(records), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_rss_kB"] = peakResidentKilobytes();
}
BENCHMARK(BM_ReadAlmaLinuxFolders)->Unit(benchmark::kMillisecond);

void BM_ParseSimdjson(benchmark::State& state) {
  const auto& texts = recordTexts();
  for (auto _ : state) {
    LoadReport report;
    for (const auto& text : texts) benchmark::DoNotOptimize(parseOsvRecord(text, "", report));
  }
  state.counters["records_per_s"] = benchmark::Counter(
      static_cast<double>(texts.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_rss_kB"] = peakResidentKilobytes();
}
BENCHMARK(BM_ParseSimdjson)->Unit(benchmark::kMillisecond);

void BM_ParseNlohmann(benchmark::State& state) {
  const auto& texts = recordTexts();
  for (auto _ : state) {
    for (const auto& text : texts) benchmark::DoNotOptimize(parseWithNlohmann(text));
  }
  state.counters["records_per_s"] = benchmark::Counter(
      static_cast<double>(texts.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_rss_kB"] = peakResidentKilobytes();
}
BENCHMARK(BM_ParseNlohmann)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
