// tests/auth/auth_failure_counts.h
#pragma once

// Reads laurel_auth_failures_total{reason} back from the global registry, for the tests that
// check which refusals are counted (tests/auth, tests/middleware).

#include <cstdint>
#include <string>
#include <string_view>

#include "asgi/metrics.h"

namespace laurel::test {

inline std::uint64_t auth_failures(std::string_view reason) {
  return metrics::Registry::global()
      .counter("laurel_auth_failures_total", "Authentication failures by reason",
               {{"reason", std::string(reason)}})
      .value();
}

}  // namespace laurel::test
