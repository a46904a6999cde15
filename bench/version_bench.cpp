// Version comparisons per second: our dpkg and rpm comparators against the
// package managers' own libraries, on the same pairs in the same run.
//
// dpkg pairs come from this host's dpkg status file, rpm pairs from the fixed
// versions of AlmaLinux 9 advisories (both under PK_SHARED_DATA_DIR). Each
// version is paired with an unrelated version, with itself, and with a
// security update of itself, as advisory matching compares them. When the
// data is missing, generated versions of the same shape are used.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <apt-pkg/debversion.h>
#include <benchmark/benchmark.h>
#include <rpm/rpmver.h>

#include "version/dpkg.h"
#include "version/rpm.h"

namespace {

namespace fs = std::filesystem;

// Upper bound on advisory files read, to keep start-up short.
constexpr std::size_t kMaxAdvisoryFiles = 400;

struct VersionPair {
  std::string a;
  std::string b;
};

std::vector<std::string> readDebianVersions() {
  std::vector<std::string> versions;
  std::ifstream status(fs::path(PK_SHARED_DATA_DIR) / "inventories/this-host-debian12/dpkg-status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Version: ", 0) == 0) versions.push_back(line.substr(9));
  }
  return versions;
}

std::vector<std::string> readElVersions() {
  std::vector<std::string> versions;
  fs::path folder = fs::path(PK_SHARED_DATA_DIR) / "osv/almalinux/advisories/almalinux9";
  std::error_code error;
  if (!fs::is_directory(folder, error)) return versions;

  // Sorted, so every run reads the same files.
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder, error)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.size() > kMaxAdvisoryFiles) files.resize(kMaxAdvisoryFiles);

  std::regex fixed(R"re("fixed": *"([^"]+)")re");
  for (const auto& file : files) {
    std::ifstream input(file);
    std::stringstream text;
    text << input.rdbuf();
    std::string json = text.str();
    for (std::sregex_iterator match(json.begin(), json.end(), fixed), end; match != end; ++match) {
      versions.push_back((*match)[1]);
    }
  }
  std::sort(versions.begin(), versions.end());
  versions.erase(std::unique(versions.begin(), versions.end()), versions.end());
  return versions;
}

// Versions of the usual shapes, for machines without the shared data.
std::vector<std::string> generatedVersions(bool rpm_style) {
  std::vector<std::string> versions;
  for (int major = 0; major < 20; ++major) {
    for (int minor = 0; minor < 40; ++minor) {
      std::string upstream = std::to_string(major) + "." + std::to_string(minor * 7 % 13) + "." +
                             std::to_string(minor);
      if (rpm_style) {
        versions.push_back(upstream + "-" + std::to_string(minor % 5 + 1) + ".el9_" +
                           std::to_string(major % 4));
      } else {
        versions.push_back((major % 5 == 0 ? "1:" : "") + upstream + "-" +
                           std::to_string(minor % 5 + 1) + (minor % 3 == 0 ? "+deb12u1" : ""));
      }
    }
  }
  return versions;
}

// Pairs each version with its neighbour in the list, with itself and with a
// later security update of itself.
std::vector<VersionPair> makePairs(const std::vector<std::string>& versions,
                                   std::string_view update_suffix) {
  std::vector<VersionPair> pairs;
  for (std::size_t i = 0; i < versions.size(); ++i) {
    const std::string& version = versions[i];
    pairs.push_back({version, versions[(i + 1) % versions.size()]});
    pairs.push_back({version, version});
    pairs.push_back({version, version + std::string(update_suffix)});
  }
  return pairs;
}

const std::vector<VersionPair>& debianPairs() {
  static const std::vector<VersionPair> pairs = [] {
    std::vector<std::string> versions = readDebianVersions();
    if (versions.empty()) versions = generatedVersions(false);
    return makePairs(versions, "+deb12u1");
  }();
  return pairs;
}

const std::vector<VersionPair>& elPairs() {
  static const std::vector<VersionPair> pairs = [] {
    std::vector<std::string> versions = readElVersions();
    if (versions.empty()) versions = generatedVersions(true);
    return makePairs(versions, ".1");
  }();
  return pairs;
}

void reportItems(benchmark::State& state, std::size_t per_iteration) {
  state.SetItemsProcessed(state.iterations() *
                          static_cast<benchmark::IterationCount>(per_iteration));
  state.counters["pairs"] = static_cast<double>(per_iteration);
}

void DpkgOurs(benchmark::State& state) {
  const auto& pairs = debianPairs();
  for (auto _ : state) {
    for (const auto& pair : pairs) {
      benchmark::DoNotOptimize(pk::version::dpkg::compare(pair.a, pair.b));
    }
  }
  reportItems(state, pairs.size());
}

// apt's CmpVersion() overloads call DoCmpVersion(). Calling it directly
// keeps string copies out of the measurement.
void DpkgAptPkg(benchmark::State& state) {
  const auto& pairs = debianPairs();
  for (auto _ : state) {
    for (const auto& pair : pairs) {
      benchmark::DoNotOptimize(debVS.DoCmpVersion(pair.a.data(), pair.a.data() + pair.a.size(),
                                                  pair.b.data(), pair.b.data() + pair.b.size()));
    }
  }
  reportItems(state, pairs.size());
}

void RpmOurs(benchmark::State& state) {
  const auto& pairs = elPairs();
  for (auto _ : state) {
    for (const auto& pair : pairs) {
      benchmark::DoNotOptimize(pk::version::rpm::compare(pair.a, pair.b));
    }
  }
  reportItems(state, pairs.size());
}

// rpmvercmp() on the whole EVR string treats ':' and '-' as plain
// separators, so its order of epochs and releases differs from rpm.vercmp().
// It measures librpm's segment comparison alone.
void RpmLibrpmVercmp(benchmark::State& state) {
  const auto& pairs = elPairs();
  for (auto _ : state) {
    for (const auto& pair : pairs) {
      benchmark::DoNotOptimize(rpmvercmp(pair.a.c_str(), pair.b.c_str()));
    }
  }
  reportItems(state, pairs.size());
}

// The full EVR order as rpm.vercmp() computes it: parse both sides, compare,
// free. This does the same work as our compare().
void RpmLibrpmParseAndCompare(benchmark::State& state) {
  const auto& pairs = elPairs();
  for (auto _ : state) {
    for (const auto& pair : pairs) {
      rpmver a = rpmverParse(pair.a.c_str());
      rpmver b = rpmverParse(pair.b.c_str());
      benchmark::DoNotOptimize(rpmverCmp(a, b));
      rpmverFree(a);
      rpmverFree(b);
    }
  }
  reportItems(state, pairs.size());
}

BENCHMARK(DpkgOurs);
BENCHMARK(DpkgAptPkg);
BENCHMARK(RpmOurs);
BENCHMARK(RpmLibrpmVercmp);
BENCHMARK(RpmLibrpmParseAndCompare);

}  // namespace

BENCHMARK_MAIN();
