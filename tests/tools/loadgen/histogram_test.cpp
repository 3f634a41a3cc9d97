// tests/tools/loadgen/histogram_test.cpp
#include "histogram.h"

#include <gtest/gtest.h>

namespace laurel::loadgen {
namespace {

TEST(LatencyHistogram, ReportsNothingWhenEmpty) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile_us(99), 0);
}

TEST(LatencyHistogram, PercentilesAreWithinTheBucketError) {
  LatencyHistogram h;
  // 1..100,000 µs, one sample each: the p-th percentile is p * 1,000 µs.
  for (uint64_t us = 1; us <= 100000; ++us) h.record(us * 1000);
  EXPECT_EQ(h.count(), 100000u);
  for (double p : {50.0, 99.0, 99.9}) {
    const double expect = p * 1000;
    EXPECT_NEAR(h.percentile_us(p), expect, expect * 0.016) << p;
  }
}

TEST(LatencyHistogram, KeepsSmallValuesExact) {
  LatencyHistogram h;
  for (int i = 0; i < 99; ++i) h.record(100);  // 0.1 µs
  h.record(5'000'000'000ULL);                  // one 5 s outlier
  EXPECT_DOUBLE_EQ(h.percentile_us(50), 0.1);
  EXPECT_NEAR(h.percentile_us(100), 5e6, 5e6 * 0.016);
}

}  // namespace
}  // namespace laurel::loadgen
