// tools/loadgen/histogram.h
#pragma once

// A fixed-size log-linear latency histogram (HDR-style): recording is an index computation and an
// increment, never an allocation, so it can sit on the per-message path. Buckets are 1/64 of a
// power of two wide, so a reported percentile is within 1.6% of the true value.

#include <array>
#include <cstdint>

namespace laurel::loadgen {

class LatencyHistogram {
 public:
  void record(uint64_t ns) {
    ++counts_[index_of(ns)];
    ++total_;
  }
  uint64_t count() const { return total_; }
  // The p-th percentile (0 < p <= 100) in microseconds; 0 when nothing was recorded.
  double percentile_us(double p) const;

 private:
  static constexpr int kSubBits = 7;  // values below 128 ns have their own bucket
  static constexpr int kHalf = 1 << (kSubBits - 1);
  static constexpr int kBuckets = (64 - kSubBits + 1) * kHalf + kHalf * 2;

  static int index_of(uint64_t v) {
    if (v < (1u << kSubBits)) return static_cast<int>(v);
    const int shift = 63 - __builtin_clzll(v) - (kSubBits - 1);
    return shift * kHalf + static_cast<int>(v >> shift);
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
};

}  // namespace laurel::loadgen
