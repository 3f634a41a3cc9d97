// tests/server/metrics_test.cpp
// The metrics registry (asgi/metrics.h) and its Prometheus text rendering, parsed back.

#include "asgi/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <thread>

#include "prometheus_text.h"

namespace laurel::metrics {
namespace {

using laurel::server::testing::parse_prometheus;

TEST(MetricsRegistry, CountsAndRendersCountersAndGaugesWithLabels) {
  Registry r;
  r.counter("t_requests_total", "Requests", {{"status", "2xx"}}).inc();
  r.counter("t_requests_total", "Requests", {{"status", "2xx"}}).inc(4);
  r.counter("t_requests_total", "Requests", {{"status", "5xx"}}).inc();
  Gauge& open = r.gauge("t_open", "Open things");
  open.add(3);
  open.sub();
  auto parsed = parse_prometheus(r.render());
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_EQ(parsed.types["t_requests_total"], "counter");
  EXPECT_EQ(parsed.types["t_open"], "gauge");
  EXPECT_EQ(parsed.help["t_requests_total"], "Requests");
  EXPECT_EQ(parsed.samples["t_requests_total{status=\"2xx\"}"], 5);
  EXPECT_EQ(parsed.samples["t_requests_total{status=\"5xx\"}"], 1);
  EXPECT_EQ(parsed.samples["t_open"], 2);
}

TEST(MetricsRegistry, EscapesLabelValues) {
  Registry r;
  r.counter("t_auth_failures_total", "x", {{"reason", "a\"b\\c\nd"}}).inc();
  std::string text = r.render();
  EXPECT_NE(text.find(R"(reason="a\"b\\c\nd")"), std::string::npos) << text;
  EXPECT_TRUE(parse_prometheus(text).ok);
}

TEST(MetricsRegistry, HistogramsHaveCumulativeBucketsSumAndCount) {
  Registry r;
  Histogram& h = r.histogram("t_latency_seconds", "Latency", {0.01, 0.1, 1});
  h.observe(0.005);
  h.observe(0.05);
  h.observe(0.05);
  h.observe(5);
  auto parsed = parse_prometheus(r.render());
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_EQ(parsed.types["t_latency_seconds"], "histogram");
  EXPECT_EQ(parsed.samples["t_latency_seconds_bucket{le=\"0.01\"}"], 1);
  EXPECT_EQ(parsed.samples["t_latency_seconds_bucket{le=\"0.10000000000000001\"}"], 3);
  EXPECT_EQ(parsed.samples["t_latency_seconds_bucket{le=\"1\"}"], 3);
  EXPECT_EQ(parsed.samples["t_latency_seconds_bucket{le=\"+Inf\"}"], 4);
  EXPECT_EQ(parsed.samples["t_latency_seconds_count"], 4);
  EXPECT_NEAR(parsed.samples["t_latency_seconds_sum"], 5.105, 1e-6);
}

TEST(MetricsRegistry, RefusesOneNameAsTwoKinds) {
  Registry r;
  r.counter("t_thing", "x");
  EXPECT_THROW(r.gauge("t_thing", "x"), std::logic_error);
}

TEST(MetricsRegistry, CountsFromManyThreadsWithoutLosingUpdates) {
  Registry r;
  Counter& c = r.counter("t_concurrent_total", "x");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
}

TEST(MetricsRegistry, HooksForOtherLayersLandInTheGlobalRegistry) {
  count_group_send();
  count_group_send();
  count_auth_failure("bad_password");
  observe_channel_layer_latency("group_send", 0.002);
  auto parsed = parse_prometheus(Registry::global().render());
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_GE(parsed.samples["laurel_group_send_total"], 2);
  EXPECT_GE(parsed.samples["laurel_auth_failures_total{reason=\"bad_password\"}"], 1);
  EXPECT_GE(parsed.samples["laurel_channel_layer_seconds_count{operation=\"group_send\"}"], 1);
  EXPECT_EQ(parsed.types["laurel_channel_layer_seconds"], "histogram");
}

}  // namespace
}  // namespace laurel::metrics
