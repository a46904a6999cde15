// Fleet evaluation against every AlmaLinux 9 advisory.
//
// The fleet: 10,000 AlmaLinux 9 hosts built from 20 base images. Each base
// image installs 600 package names drawn from the advisories, each at one of
// the versions the advisories name as fixed (mostly the newest, sometimes an
// older one) or just below the oldest fix. Each host then drifts from its
// image on 5% of its packages, as hosts patched at different times do.
//
//   cmake --workflow --preset bench && build/bench/bench/matching_bench

#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "advisory/osv_files.h"
#include "matching/fleet.h"
#include "matching/index.h"

namespace {

using pk::inventory::HostInventory;
using pk::inventory::Package;

constexpr std::size_t kHosts = 10'000;
constexpr std::size_t kImages = 20;
constexpr std::size_t kPackagesPerImage = 600;
constexpr double kDriftShare = 0.05;

struct Fixture {
  pk::matching::AdvisoryIndex index;
  std::vector<HostInventory> hosts;
  std::size_t advisories = 0;
};

// Versions below every fix: the oldest fixed version with its release
// lowered, so that it sorts just under the fix.
std::string belowOldest(const std::string& fixed) {
  auto hyphen = fixed.rfind('-');
  if (hyphen == std::string::npos) return fixed + "~old";
  return fixed.substr(0, hyphen) + "-0.el9";
}

const Fixture& fixture() {
  static const Fixture* built = [] {
    auto* result = new Fixture;
    std::map<std::string, std::set<std::string>> fixed_versions;  // name -> versions
    pk::advisory::LoadReport report;
    auto loaded = pk::advisory::readOsv(
        std::string(PK_SHARED_DATA_DIR) + "/osv/almalinux/advisories/almalinux9",
        [&](pk::advisory::Advisory&& advisory) {
          for (const auto& affected : advisory.affected) {
            for (const auto& range : affected.ranges) {
              for (const auto& event : range) {
                if (event.type == pk::advisory::RangeEvent::Type::kFixed) {
                  fixed_versions[affected.name].insert(event.version);
                }
              }
            }
          }
          result->index.add(std::move(advisory), report);
        },
        report);
    if (!loaded) {
      std::fprintf(stderr, "matching_bench: %s\n", loaded.error().message.c_str());
      std::exit(1);
    }
    result->advisories = result->index.advisoryCount();

    std::vector<std::string> names;
    for (const auto& [name, versions] : fixed_versions) names.push_back(name);
    std::mt19937_64 random(20261204);

    // Picks a version for `name`: the newest fix 60% of the time, an older
    // fix or a version below every fix otherwise.
    auto pick_version = [&](const std::string& name) {
      const auto& versions = fixed_versions[name];
      std::vector<std::string> sorted(versions.begin(), versions.end());
      std::sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
        return pk::version::compareUnchecked(pk::version::Scheme::kRpm, a, b) < 0;
      });
      std::uniform_real_distribution<double> share(0.0, 1.0);
      double roll = share(random);
      if (roll < 0.6) return sorted.back();
      if (roll < 0.8) return belowOldest(sorted.front());
      return sorted[std::uniform_int_distribution<std::size_t>(0, sorted.size() - 1)(random)];
    };

    std::vector<HostInventory> images;
    for (std::size_t i = 0; i < kImages; ++i) {
      HostInventory image;
      image.os.ecosystem = "AlmaLinux:9";
      image.os.pretty_name = "AlmaLinux 9";
      image.scheme = pk::version::Scheme::kRpm;
      std::vector<std::string> chosen;
      std::sample(names.begin(), names.end(), std::back_inserter(chosen),
                  std::min(kPackagesPerImage, names.size()), random);
      for (const auto& name : chosen) {
        Package package;
        package.name = name;
        package.version = pick_version(name);
        package.architecture = "x86_64";
        image.packages.push_back(std::move(package));
      }
      images.push_back(std::move(image));
    }

    std::uniform_real_distribution<double> share(0.0, 1.0);
    for (std::size_t i = 0; i < kHosts; ++i) {
      HostInventory host = images[i % kImages];
      for (auto& package : host.packages) {
        if (share(random) < kDriftShare) package.version = pick_version(package.name);
      }
      result->hosts.push_back(std::move(host));
    }
    return result;
  }();
  return *built;
}

// Baseline: every host matched on its own, with no work shared.
void BM_FleetEachHostAlone(benchmark::State& state) {
  const auto& data = fixture();
  std::size_t findings = 0;
  for (auto _ : state) {
    findings = 0;
    for (const auto& host : data.hosts) findings += data.index.match(host).size();
    benchmark::DoNotOptimize(findings);
  }
  state.counters["hosts"] = static_cast<double>(data.hosts.size());
  state.counters["findings"] = static_cast<double>(findings);
  state.counters["advisories"] = static_cast<double>(data.advisories);
}
BENCHMARK(BM_FleetEachHostAlone)->Unit(benchmark::kMillisecond)->Iterations(1);

// The fleet matcher from a cold cache, on `threads` threads.
void BM_FleetShared(benchmark::State& state) {
  const auto& data = fixture();
  auto threads = static_cast<std::size_t>(state.range(0));
  std::size_t affected_packages = 0;
  for (auto _ : state) {
    pk::matching::FleetMatcher matcher(data.index);
    std::vector<std::size_t> counts(threads, 0);
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (std::size_t i = t; i < data.hosts.size(); i += threads) {
          for (const auto& package : matcher.evaluate(data.hosts[i])) {
            counts[t] += package.verdicts->size();
          }
        }
      });
    }
    for (auto& worker : workers) worker.join();
    affected_packages = 0;
    for (auto count : counts) affected_packages += count;
    state.counters["distinct_versions"] = static_cast<double>(matcher.cachedVersions());
  }
  state.counters["hosts"] = static_cast<double>(data.hosts.size());
  state.counters["hits"] = static_cast<double>(affected_packages);
}
BENCHMARK(BM_FleetShared)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// One host whose inventory changed (10 packages upgraded), re-evaluated with
// the fleet's cache warm, and expanded into full findings.
void BM_ReevaluateChangedHost(benchmark::State& state) {
  const auto& data = fixture();
  pk::matching::FleetMatcher matcher(data.index);
  for (const auto& host : data.hosts) matcher.evaluate(host);

  HostInventory changed = data.hosts.front();
  for (std::size_t i = 0; i < 10 && i < changed.packages.size(); ++i) {
    changed.packages[i].version += ".1";
  }
  for (auto _ : state) {
    auto affected = matcher.evaluate(changed);
    auto findings = matcher.expand(changed, affected);
    benchmark::DoNotOptimize(findings);
    state.PauseTiming();
    for (std::size_t i = 0; i < 10 && i < changed.packages.size(); ++i) {
      changed.packages[i].version += "1";  // a new version every time: never a cache hit
    }
    state.ResumeTiming();
  }
}
BENCHMARK(BM_ReevaluateChangedHost)->Unit(benchmark::kMicrosecond);

// One host matched from scratch, with no cache at all.
void BM_MatchOneHostCold(benchmark::State& state) {
  const auto& data = fixture();
  for (auto _ : state) {
    auto findings = data.index.match(data.hosts.front());
    benchmark::DoNotOptimize(findings);
  }
}
BENCHMARK(BM_MatchOneHostCold)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
