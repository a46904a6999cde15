#pragma once

// Counters, gauges and histograms, rendered in the Prometheus text
// exposition format for /metrics. Thread-safe.

#include <functional>
#include <cstdint>
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
  // 0.001 .. 10 s and +Inf.
  void observe(std::string_view name, const Labels& labels, double value);

  // Registers a function run at each render() that sets gauges computed
  // from the database (hosts by status, findings by severity).
  void addCollector(std::function<void(Metrics&)> collector);

  // The exposition text: HELP and TYPE lines, then samples, names sorted.
  std::string render();

 private:
  struct Series {
    double value = 0;
    std::vector<double> bucket_counts;
    double sum = 0;
    std::uint64_t count = 0;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::map<Labels, Series> series;
  };
  std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<std::function<void(Metrics&)>> collectors_;
};

}  // namespace pk::server
