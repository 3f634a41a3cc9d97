// asgi/metrics.h
#pragma once

// Process-wide counters, gauges and histograms for operators (Prometheus text format). Any layer
// may count without depending on the server: registering a series takes a lock once, counting
// is a relaxed atomic add, and the server's metrics endpoint renders the whole registry.

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace laurel::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Monotonic. Cache the reference on hot paths: it stays valid for the life of the process.
class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<std::uint64_t> value_{0};
};

// Goes up and down (open connections).
class Gauge {
 public:
  void add(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void sub(std::int64_t n = 1) { value_.fetch_sub(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<std::int64_t> value_{0};
};

// Cumulative buckets (upper bounds in the metric's unit, ascending) plus sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (non-cumulative) counts; the last one is +Inf.
  std::vector<std::uint64_t> bucket_counts() const;
  double sum() const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micro_{0};  // sum in millionths of the unit
};

class Registry {
 public:
  // The process's registry (what the metrics endpoint serves).
  static Registry& global();

  // Returns the series `name{labels}`, creating it on first use. A name keeps the kind and help
  // of its first registration; asking for it as another kind throws std::logic_error.
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help,
                       const std::vector<double>& bounds, const Labels& labels = {});

  // The Prometheus text exposition format (version 0.0.4), families sorted by name.
  std::string render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Family {
    Kind kind;
    std::string help;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(std::string_view name, std::string_view help, Kind kind);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

// Hooks for the layers around the server (names documented in docs/metrics.md).
// laurel_group_send_total
void count_group_send();
// laurel_channel_layer_seconds{operation}: how long a channel-layer call took.
void observe_channel_layer_latency(std::string_view operation, double seconds);
// laurel_auth_failures_total{reason}: "bad_password", "unknown_user", "bad_token", ...
void count_auth_failure(std::string_view reason);

}  // namespace laurel::metrics
