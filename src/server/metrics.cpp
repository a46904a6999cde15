#include "server/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace pk::server {
namespace {

// Upper bounds of the histogram buckets, in seconds; +Inf is implicit.
constexpr std::array<double, 9> kBucketBounds = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

std::string_view typeName(Metrics::Type type) {
  switch (type) {
    case Metrics::Type::kCounter:
      return "counter";
    case Metrics::Type::kGauge:
      return "gauge";
    case Metrics::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Sample values as the exposition format writes them: shortest round-trip
// decimal, and NaN, +Inf, -Inf spelt as Prometheus reads them.
std::string formatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

// HELP text escapes backslash and line feed; label values also escape the
// double quote.
std::string escape(std::string_view text, bool quote) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else if (c == '"' && quote) {
      escaped += "\\\"";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

// `{a="1",b="2"}` with an optional trailing le label, or "" without labels.
std::string formatLabels(const Labels& labels, std::string_view le = {}) {
  if (labels.empty() && le.empty()) return "";
  std::string text = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) text += ',';
    first = false;
    text += fmt::format("{}=\"{}\"", name, escape(value, true));
  }
  if (!le.empty()) {
    if (!first) text += ',';
    text += fmt::format("le=\"{}\"", le);
  }
  text += '}';
  return text;
}

}  // namespace

Metrics::Family* Metrics::familyFor(std::string_view name, Type type) {
  auto found = families_.find(name);
  if (found == families_.end()) {
    found = families_.emplace(std::string(name), Family{type, "", {}}).first;
  }
  if (found->second.type != type) {
    // A wrong-typed update is a programming error. Dropping it keeps the
    // exposition valid, and the warning names the metric to fix.
    spdlog::warn("metric {} is a {}, not a {}; the update is ignored", name,
                 typeName(found->second.type), typeName(type));
    return nullptr;
  }
  return &found->second;
}

void Metrics::describe(std::string_view name, Type type, std::string_view help) {
  std::lock_guard lock(mutex_);
  auto found = families_.find(name);
  if (found == families_.end()) {
    families_.emplace(std::string(name), Family{type, std::string(help), {}});
    return;
  }
  found->second.help = std::string(help);
}

void Metrics::increment(std::string_view name, const Labels& labels, double by) {
  std::lock_guard lock(mutex_);
  if (auto* family = familyFor(name, Type::kCounter)) family->series[labels].value += by;
}

void Metrics::set(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  if (auto* family = familyFor(name, Type::kGauge)) family->series[labels].value = value;
}

void Metrics::observe(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  auto* family = familyFor(name, Type::kHistogram);
  if (family == nullptr) return;

  auto& series = family->series[labels];
  if (series.bucket_counts.empty()) series.bucket_counts.assign(kBucketBounds.size() + 1, 0);
  // Buckets are counted one by one here and made cumulative in render().
  const auto bucket = std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), value);
  series.bucket_counts[static_cast<std::size_t>(std::distance(kBucketBounds.begin(), bucket))] += 1;
  series.sum += value;
  series.count += 1;
}

void Metrics::clear(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto found = families_.find(name); found != families_.end()) found->second.series.clear();
}

void Metrics::addCollector(std::function<void(Metrics&)> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::render() {
  // Collectors call set(), which takes the lock, so they run before it is
  // held here.
  std::vector<std::function<void(Metrics&)>> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  for (const auto& collector : collectors) {
    try {
      collector(*this);
    } catch (const std::exception& error) {
      spdlog::error("a metrics collector failed: {}", error.what());
    }
  }

  std::lock_guard lock(mutex_);
  std::string text;
  for (const auto& [name, family] : families_) {
    if (!family.help.empty())
      text += fmt::format("# HELP {} {}\n", name, escape(family.help, false));
    text += fmt::format("# TYPE {} {}\n", name, typeName(family.type));

    for (const auto& [labels, series] : family.series) {
      if (family.type != Type::kHistogram) {
        text += fmt::format("{}{} {}\n", name, formatLabels(labels), formatValue(series.value));
        continue;
      }
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < kBucketBounds.size(); ++i) {
        cumulative += series.bucket_counts[i];
        text += fmt::format("{}_bucket{} {}\n", name,
                            formatLabels(labels, formatValue(kBucketBounds[i])), cumulative);
      }
      text += fmt::format("{}_bucket{} {}\n", name, formatLabels(labels, "+Inf"), series.count);
      text += fmt::format("{}_sum{} {}\n", name, formatLabels(labels), formatValue(series.sum));
      text += fmt::format("{}_count{} {}\n", name, formatLabels(labels), series.count);
    }
  }
  return text;
}

}  // namespace pk::server
