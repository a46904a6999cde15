#pragma once

// Counters, gauges and histograms, rendered in the Prometheus text
// exposition format (version 0.0.4) for /metrics. Thread-safe.
//
// A metric used without describe() is created with the type of its first
// update and no HELP line. Updating a metric as another type (observe() on
// a counter) is ignored and logged as a warning. Names and label names are
// not checked: they are constants in the code, following Prometheus rules
// ([a-zA-Z_:][a-zA-Z0-9_:]*).

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pk::server {

using Labels = std::map<std::string, std::string>;

class Metrics {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Declares a metric before first use; `name` follows Prometheus rules
  // ("patchkeeper_http_requests_total"). Declaring twice is harmless.
  void describe(std::string_view name, Type type, std::string_view help);

  void increment(std::string_view name, const Labels& labels = {}, double by = 1);
  void set(std::string_view name, const Labels& labels, double value);
  // Records one observation, in seconds for latencies, into buckets
  // 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10 and +Inf (upper bounds,
  // inclusive).
  void observe(std::string_view name, const Labels& labels, double value);

  // Drops every series of `name`, keeping its description. Collectors call
  // it before setting gauges whose label sets may disappear (a status no
  // host has any more).
  void clear(std::string_view name);

  // Registers a function run at each render() that sets gauges computed
  // from the database (hosts by status, findings by severity). A collector
  // that throws is logged and the rest of the render goes on.
  void addCollector(std::function<void(Metrics&)> collector);

  // Returns the exposition text after running the collectors: for each
  // metric, names sorted, its HELP and TYPE lines, then one sample per label
  // set (histograms: cumulative _bucket lines with le, _sum and _count).
  std::string render();

 private:
  struct Series {
    double value = 0;
    std::vector<std::uint64_t> bucket_counts;  // per bucket, not cumulative
    double sum = 0;
    std::uint64_t count = 0;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::map<Labels, Series> series;
  };
  // Returns the family of `name`, created with `type` when missing, or
  // nullptr when it exists with another type. Called with mutex_ held.
  Family* familyFor(std::string_view name, Type type);

  std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<std::function<void(Metrics&)>> collectors_;
};

}  // namespace pk::server
