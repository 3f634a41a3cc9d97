// tools/loadgen/histogram.cpp
#include "histogram.h"

#include <cmath>

namespace laurel::loadgen {

double LatencyHistogram::percentile_us(double p) const {
  if (total_ == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen < rank || counts_[i] == 0) continue;
    if (i < (1 << kSubBits)) return i / 1000.0;
    // Invert index_of: the bucket [sub << shift, (sub + 1) << shift); report its middle.
    const int shift = i / kHalf - 1;
    const uint64_t sub = static_cast<uint64_t>(i - shift * kHalf);
    const double low = static_cast<double>(sub << shift);
    const double width = static_cast<double>(uint64_t{1} << shift);
    return (low + width / 2) / 1000.0;
  }
  return 0;
}

}  // namespace laurel::loadgen
