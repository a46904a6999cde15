#include "server/metrics.h"

#include <limits>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace pk::server {
namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(Metrics, CounterWithHelpAndType) {
  Metrics metrics;
  metrics.describe("patchkeeper_checkins_total", Metrics::Type::kCounter, "Agent check-ins.");
  metrics.increment("patchkeeper_checkins_total");
  metrics.increment("patchkeeper_checkins_total", {}, 2);
  EXPECT_EQ(metrics.render(),
            "# HELP patchkeeper_checkins_total Agent check-ins.\n"
            "# TYPE patchkeeper_checkins_total counter\n"
            "patchkeeper_checkins_total 3\n");
}

TEST(Metrics, LabelsSortedAndEscaped) {
  Metrics metrics;
  metrics.describe("requests_total", Metrics::Type::kCounter, "Requests.");
  metrics.increment("requests_total", {{"route", "/a\\b"}, {"method", "GET"}});
  metrics.increment("requests_total", {{"route", "say \"hi\"\nnow"}, {"method", "POST"}});
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text, "requests_total{method=\"GET\",route=\"/a\\\\b\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "requests_total{method=\"POST\",route=\"say \\\"hi\\\"\\nnow\"} 1\n"))
      << text;
}

TEST(Metrics, HelpEscapesBackslashAndNewline) {
  Metrics metrics;
  metrics.describe("g", Metrics::Type::kGauge, "Line one\nline \\two \"quoted\"");
  metrics.set("g", {}, 1);
  EXPECT_TRUE(contains(metrics.render(), "# HELP g Line one\\nline \\\\two \"quoted\"\n"));
}

TEST(Metrics, GaugeValues) {
  const struct {
    double value;
    const char* text;
  } cases[] = {
      {0, "0"},
      {42, "42"},
      {-3, "-3"},
      {0.25, "0.25"},
      {1e21, "1e+21"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const auto& test_case : cases) {
    Metrics metrics;
    metrics.set("g", {}, test_case.value);
    EXPECT_EQ(metrics.render(), std::string("# TYPE g gauge\ng ") + test_case.text + "\n")
        << test_case.text;
  }
}

TEST(Metrics, GaugeSetReplacesValue) {
  Metrics metrics;
  metrics.set("hosts", {{"status", "compliant"}}, 5);
  metrics.set("hosts", {{"status", "compliant"}}, 3);
  EXPECT_TRUE(contains(metrics.render(), "hosts{status=\"compliant\"} 3\n"));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics metrics;
  metrics.describe("latency_seconds", Metrics::Type::kHistogram, "Latency.");
  const Labels labels = {{"route", "/x"}};
  for (const double value : {0.0005, 0.001, 0.003, 0.2, 0.2, 7.0, 12.0}) {
    metrics.observe("latency_seconds", labels, value);
  }
  EXPECT_EQ(metrics.render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.001\"} 2\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.005\"} 3\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.01\"} 3\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.05\"} 3\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 3\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.5\"} 5\n"
            "latency_seconds_bucket{route=\"/x\",le=\"1\"} 5\n"
            "latency_seconds_bucket{route=\"/x\",le=\"5\"} 5\n"
            "latency_seconds_bucket{route=\"/x\",le=\"10\"} 6\n"
            "latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 7\n"
            "latency_seconds_sum{route=\"/x\"} 19.4045\n"
            "latency_seconds_count{route=\"/x\"} 7\n");
}

TEST(Metrics, HistogramWithoutLabels) {
  Metrics metrics;
  metrics.observe("h", {}, 0.02);
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text, "# TYPE h histogram\n")) << text;
  EXPECT_TRUE(contains(text, "h_bucket{le=\"0.01\"} 0\n")) << text;
  EXPECT_TRUE(contains(text, "h_bucket{le=\"0.05\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "h_sum 0.02\n")) << text;
  EXPECT_TRUE(contains(text, "h_count 1\n")) << text;
}

TEST(Metrics, NamesRenderSorted) {
  Metrics metrics;
  metrics.set("zeta", {}, 1);
  metrics.set("alpha", {}, 1);
  metrics.describe("middle", Metrics::Type::kCounter, "Declared, never incremented.");
  const auto text = metrics.render();
  const auto alpha = text.find("# TYPE alpha");
  const auto middle = text.find("# TYPE middle");
  const auto zeta = text.find("# TYPE zeta");
  ASSERT_NE(alpha, std::string::npos);
  ASSERT_NE(middle, std::string::npos);
  ASSERT_NE(zeta, std::string::npos);
  EXPECT_LT(alpha, middle);
  EXPECT_LT(middle, zeta);
}

TEST(Metrics, WrongTypeUpdateIgnored) {
  Metrics metrics;
  metrics.describe("c_total", Metrics::Type::kCounter, "A counter.");
  metrics.increment("c_total");
  metrics.observe("c_total", {}, 1);
  metrics.set("c_total", {}, 100);
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text, "c_total 1\n")) << text;
  EXPECT_FALSE(contains(text, "c_total_bucket")) << text;
  EXPECT_FALSE(contains(text, "100")) << text;
}

TEST(Metrics, CollectorsRunAtRender) {
  Metrics metrics;
  int runs = 0;
  metrics.addCollector([&runs](Metrics& target) {
    ++runs;
    target.clear("hosts");
    if (runs == 1) target.set("hosts", {{"status", "unknown"}}, 2);
    target.set("hosts", {{"status", "compliant"}}, runs);
  });
  const auto first = metrics.render();
  EXPECT_TRUE(contains(first, "hosts{status=\"compliant\"} 1\n")) << first;
  EXPECT_TRUE(contains(first, "hosts{status=\"unknown\"} 2\n")) << first;
  const auto second = metrics.render();
  EXPECT_TRUE(contains(second, "hosts{status=\"compliant\"} 2\n")) << second;
  EXPECT_FALSE(contains(second, "unknown")) << second;
  EXPECT_EQ(runs, 2);
}

TEST(Metrics, FailingCollectorDoesNotStopRender) {
  Metrics metrics;
  metrics.addCollector([](Metrics&) { throw std::runtime_error("database is locked"); });
  metrics.addCollector([](Metrics& target) { target.set("after", {}, 1); });
  EXPECT_TRUE(contains(metrics.render(), "after 1\n"));
}

TEST(Metrics, ConcurrentIncrementsAllCount) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 1000; ++i) {
        metrics.increment("n_total", {{"k", "v"}});
        metrics.observe("d", {}, 0.002);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text, "n_total{k=\"v\"} 4000\n")) << text;
  EXPECT_TRUE(contains(text, "d_count 4000\n")) << text;
}

}  // namespace
}  // namespace pk::server
