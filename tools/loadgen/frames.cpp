// tools/loadgen/frames.cpp
#include "frames.h"

namespace laurel::loadgen {

namespace {

// Lookup tables: a stamp is written and read once per message, so no per-nibble branches.
struct HexTables {
  std::array<char, 512> pair{};   // byte -> its two hex characters
  std::array<int8_t, 256> value{};  // character -> nibble, or -1
  HexTables() {
    constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) {
      pair[2 * i] = kHex[i >> 4];
      pair[2 * i + 1] = kHex[i & 15];
      value[i] = -1;
    }
    for (int i = 0; i < 16; ++i) value[static_cast<unsigned char>(kHex[i])] = static_cast<int8_t>(i);
  }
};
const HexTables kTables;

void write_hex64(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    std::memcpy(out + 2 * i, &kTables.pair[2 * (v & 0xFF)], 2);
    v >>= 8;
  }
}

bool read_hex64(const char* in, uint64_t* v) {
  uint64_t r = 0;
  int bad = 0;
  for (int i = 0; i < 16; ++i) {
    const int d = kTables.value[static_cast<unsigned char>(in[i])];
    bad |= d;  // any -1 sets the sign bit
    r = (r << 4) | static_cast<uint64_t>(d & 15);
  }
  *v = r;
  return bad >= 0;
}

size_t write_header(char* out, uint8_t opcode, uint64_t n, const std::array<uint8_t, 4>& mask) {
  size_t i = 0;
  out[i++] = static_cast<char>(0x80 | opcode);
  if (n < 126) {
    out[i++] = static_cast<char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    out[i++] = static_cast<char>(0x80 | 126);
    out[i++] = static_cast<char>(n >> 8);
    out[i++] = static_cast<char>(n);
  } else {
    out[i++] = static_cast<char>(0x80 | 127);
    for (int s = 56; s >= 0; s -= 8) out[i++] = static_cast<char>(n >> s);
  }
  for (uint8_t m : mask) out[i++] = static_cast<char>(m);
  return i;
}

// A benchmark needs masks only because RFC 6455 §5.3 requires clients to mask; they guard
// against proxy cache poisoning, not eavesdropping, so a cheap mixing function is enough.
std::array<uint8_t, 4> mask_from(uint32_t seed) {
  uint32_t x = seed * 2654435761u + 0x9E3779B9u;
  x ^= x >> 15;
  x *= 0x2C1B3C6Du;
  x ^= x >> 12;
  return {static_cast<uint8_t>(x), static_cast<uint8_t>(x >> 8), static_cast<uint8_t>(x >> 16),
          static_cast<uint8_t>(x >> 24 | 1)};
}

}  // namespace

void write_stamp(char* out, uint64_t sent_ns, uint64_t seq) {
  write_hex64(out, sent_ns);
  write_hex64(out + 16, seq);
}

bool read_stamp(const char* in, uint64_t* sent_ns, uint64_t* seq) {
  return read_hex64(in, sent_ns) && read_hex64(in + 16, seq);
}

FrameTemplate::FrameTemplate(uint8_t opcode, std::string_view payload, size_t stamp_at,
                             uint32_t mask_seed)
    : stamp_at_(stamp_at), mask_(mask_from(mask_seed)) {
  bytes_.resize(14 + payload.size());
  header_ = write_header(bytes_.data(), opcode, payload.size(), mask_);
  bytes_.resize(header_ + payload.size());
  for (size_t i = 0; i < payload.size(); ++i) {
    bytes_[header_ + i] = static_cast<char>(payload[i] ^ mask_[i & 3]);
  }
}

void FrameTemplate::append(std::vector<char>& out, uint64_t sent_ns, uint64_t seq) const {
  const size_t at = out.size();
  out.insert(out.end(), bytes_.data(), bytes_.data() + bytes_.size());
  char stamp[kStampChars];
  write_stamp(stamp, sent_ns, seq);
  // XOR four bytes at a time with the mask rotated to the stamp's offset.
  uint8_t m[4];
  for (size_t i = 0; i < 4; ++i) m[i] = mask_[(stamp_at_ + i) & 3];
  uint32_t mask32;
  std::memcpy(&mask32, m, 4);
  char* dst = out.data() + at + header_ + stamp_at_;
  for (size_t i = 0; i < kStampChars; i += 4) {
    uint32_t w;
    std::memcpy(&w, stamp + i, 4);
    w ^= mask32;
    std::memcpy(dst + i, &w, 4);
  }
}

void append_frame(std::vector<char>& out, uint8_t opcode, const char* payload, size_t n) {
  const auto mask = mask_from(static_cast<uint32_t>(out.size() + n));
  char header[14];
  const size_t h = write_header(header, opcode, n, mask);
  out.insert(out.end(), header, header + h);
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
}

}  // namespace laurel::loadgen
