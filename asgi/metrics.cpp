// asgi/metrics.cpp
#include "asgi/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace laurel::metrics {
namespace {

// Label values may hold anything; the text format escapes backslash, quote and newline.
void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_labels(std::string& out, const Labels& labels, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    append_escaped(out, v);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  buckets_.reset(new std::atomic<std::uint64_t>[bounds_.size() + 1]);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double value) {
  std::size_t i = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double micro = value > 0 ? value * 1e6 : 0;
  sum_micro_.fetch_add(static_cast<std::uint64_t>(std::llround(micro)), std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

double Histogram::sum() const {
  return static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
}

Registry& Registry::global() {
  // Never destroyed: worker threads may still count while the process exits.
  static Registry* registry = new Registry();
  return *registry;
}

Registry::Family& Registry::family(std::string_view name, std::string_view help, Kind kind) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{kind, std::string(help), {}, {}, {}}).first;
  } else if (it->second.kind != kind) {
    throw std::logic_error("metric " + std::string(name) + " registered as another kind");
  }
  return it->second;
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::kCounter).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::kGauge).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               const std::vector<double>& bounds, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::kHistogram).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " ";
    for (char c : f.help) out += c == '\n' ? ' ' : c;
    out += "\n# TYPE " + name + " ";
    switch (f.kind) {
      case Kind::kCounter: out += "counter\n"; break;
      case Kind::kGauge: out += "gauge\n"; break;
      case Kind::kHistogram: out += "histogram\n"; break;
    }
    for (const auto& [labels, c] : f.counters) {
      out += name;
      append_labels(out, labels);
      out += ' ' + std::to_string(c->value()) + '\n';
    }
    for (const auto& [labels, g] : f.gauges) {
      out += name;
      append_labels(out, labels);
      out += ' ' + std::to_string(g->value()) + '\n';
    }
    for (const auto& [labels, h] : f.histograms) {
      std::vector<std::uint64_t> counts = h->bucket_counts();
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        double le = i < h->bounds().size() ? h->bounds()[i] : INFINITY;
        out += name + "_bucket";
        append_labels(out, labels, "le", format_double(le));
        out += ' ' + std::to_string(cumulative) + '\n';
      }
      out += name + "_sum";
      append_labels(out, labels);
      out += ' ' + format_double(h->sum()) + '\n';
      // The count is the buckets' total, so a scrape is self-consistent even mid-update.
      out += name + "_count";
      append_labels(out, labels);
      out += ' ' + std::to_string(cumulative) + '\n';
    }
  }
  return out;
}

void count_group_send() {
  static Counter& c = Registry::global().counter(
      "laurel_group_send_total", "Messages sent to groups through the channel layer");
  c.inc();
}

void observe_channel_layer_latency(std::string_view operation, double seconds) {
  Registry::global()
      .histogram("laurel_channel_layer_seconds", "Channel-layer call latency in seconds",
                 {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
                 {{"operation", std::string(operation)}})
      .observe(seconds);
}

void count_auth_failure(std::string_view reason) {
  Registry::global()
      .counter("laurel_auth_failures_total", "Authentication failures by reason",
               {{"reason", std::string(reason)}})
      .inc();
}

}  // namespace laurel::metrics
