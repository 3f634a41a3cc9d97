// server/utf8_validator.cpp
//
// A table-driven DFA in the manner of Bjoern Hoehrmann's decoder: each byte maps to one of a
// dozen classes, and (state, class) maps to the next state, so validating is one load and one
// table step per byte, with no branches on the byte's value. A run of ASCII while between code
// points is skipped eight bytes at a time, which is the common case for chat and JSON text.

#include "server/utf8_validator.h"

#include <array>
#include <cstring>

namespace laurel::server {
namespace {

// Byte classes.
enum Class : std::uint8_t {
  kAscii,   // 00..7F
  kCont80,  // 80..8F  continuation, low quarter
  kCont90,  // 90..9F  continuation
  kContA0,  // A0..BF  continuation, upper half
  kBad,     // C0, C1 (always overlong), F5..FF (beyond U+10FFFF)
  kLead2,   // C2..DF
  kLeadE0,  // E0
  kLead3,   // E1..EC, EE, EF
  kLeadED,  // ED
  kLeadF0,  // F0
  kLead4,   // F1..F3
  kLeadF4,  // F4
  kClassCount
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> c{};
  for (int b = 0; b < 256; ++b) {
    std::uint8_t k = kBad;
    if (b <= 0x7F)
      k = kAscii;
    else if (b <= 0x8F)
      k = kCont80;
    else if (b <= 0x9F)
      k = kCont90;
    else if (b <= 0xBF)
      k = kContA0;
    else if (b <= 0xC1)
      k = kBad;
    else if (b <= 0xDF)
      k = kLead2;
    else if (b == 0xE0)
      k = kLeadE0;
    else if (b == 0xED)
      k = kLeadED;
    else if (b <= 0xEF)
      k = kLead3;
    else if (b == 0xF0)
      k = kLeadF0;
    else if (b <= 0xF3)
      k = kLead4;
    else if (b == 0xF4)
      k = kLeadF4;
    c[static_cast<std::size_t>(b)] = k;
  }
  return c;
}

using S = Utf8Validator::State;
constexpr int kStateCount = 9;

constexpr std::array<std::array<std::uint8_t, kClassCount>, kStateCount> make_transitions() {
  std::array<std::array<std::uint8_t, kClassCount>, kStateCount> t{};
  for (auto& row : t) row.fill(S::kReject);
  auto& a = t[S::kAccept];
  a[kAscii] = S::kAccept;
  a[kLead2] = S::kNeed1;
  a[kLeadE0] = S::kAfterE0;
  a[kLead3] = S::kNeed2;
  a[kLeadED] = S::kAfterED;
  a[kLeadF0] = S::kAfterF0;
  a[kLead4] = S::kNeed3;
  a[kLeadF4] = S::kAfterF4;
  for (auto cls : {kCont80, kCont90, kContA0}) {
    t[S::kNeed1][cls] = S::kAccept;
    t[S::kNeed2][cls] = S::kNeed1;
    t[S::kNeed3][cls] = S::kNeed2;
  }
  t[S::kAfterE0][kContA0] = S::kNeed1;
  t[S::kAfterED][kCont80] = S::kNeed1;
  t[S::kAfterED][kCont90] = S::kNeed1;
  t[S::kAfterF0][kCont90] = S::kNeed2;
  t[S::kAfterF0][kContA0] = S::kNeed2;
  t[S::kAfterF4][kCont80] = S::kNeed2;
  return t;
}

constexpr auto kClasses = make_classes();
constexpr auto kTransitions = make_transitions();

}  // namespace

std::size_t Utf8Validator::feed(std::string_view bytes) {
  if (state_ == kReject) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::uint8_t s = state_;
  std::size_t i = 0;
  while (i < n) {
    if (s == kAccept) {
      // Skip ASCII eight bytes at a time while no code point is open.
      while (i + 8 <= n) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ULL) break;
        i += 8;
      }
      if (i == n) break;
    }
    s = kTransitions[s][kClasses[p[i]]];
    if (s == kReject) {
      state_ = kReject;
      return i;
    }
    ++i;
  }
  state_ = static_cast<State>(s);
  return n;
}

bool Utf8Validator::is_valid(std::string_view text) {
  Utf8Validator v;
  return v.feed(text) == text.size() && v.complete();
}

}  // namespace laurel::server
