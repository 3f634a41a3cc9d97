// server/websocket_frame.cpp
//
// Frames are read and written here by hand; websocket_codec.cpp explains why not with wslay.
// tests/server/websocket_frame_test.cpp checks both directions against wslay's frame layer.

#include "server/websocket_frame.h"

#include <cstring>

namespace laurel::server {

std::size_t frame_header_length(std::uint8_t byte0, std::uint8_t byte1) {
  (void)byte0;
  std::size_t n = 2;
  const std::uint8_t len7 = byte1 & 0x7F;
  if (len7 == 126)
    n += 2;
  else if (len7 == 127)
    n += 8;
  if (byte1 & 0x80) n += 4;
  return n;
}

HeaderParse parse_frame_header(const std::uint8_t* b, std::size_t size, FrameHeader& h) {
  if (size < 2) {
    h.header_length = 0;
    return HeaderParse::kNeedMore;
  }
  const std::size_t need = frame_header_length(b[0], b[1]);
  h.header_length = static_cast<std::uint8_t>(need);
  if (size < need) return HeaderParse::kNeedMore;
  h.fin = (b[0] & 0x80) != 0;
  h.rsv = (b[0] >> 4) & 0x7;
  h.opcode = b[0] & 0x0F;
  h.masked = (b[1] & 0x80) != 0;
  const std::uint8_t len7 = b[1] & 0x7F;
  std::size_t pos = 2;
  if (len7 == 126) {
    h.payload_length = (std::uint64_t{b[2]} << 8) | b[3];
    pos = 4;
    // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
    if (h.payload_length < 126) return HeaderParse::kBadLength;
  } else if (len7 == 127) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | b[2 + i];
    pos = 10;
    // §5.2: "the most significant bit MUST be 0"; and the shortest form again.
    if (v >> 63) return HeaderParse::kBadLength;
    if (v <= 0xFFFF) return HeaderParse::kBadLength;
    h.payload_length = v;
  } else {
    h.payload_length = len7;
  }
  if (h.masked)
    std::memcpy(h.mask, b + pos, 4);
  else
    std::memset(h.mask, 0, 4);
  return HeaderParse::kComplete;
}

void unmask_payload(char* data, std::size_t size, const std::uint8_t key[4], std::uint64_t offset) {
  std::uint8_t k[4];
  for (int i = 0; i < 4; ++i) k[i] = key[(offset + static_cast<unsigned>(i)) & 3];
  // Eight bytes per step: the key laid twice in memory order, so byte order does not matter.
  std::uint32_t k32;
  std::memcpy(&k32, k, 4);
  const std::uint64_t k64 = (std::uint64_t{k32} << 32) | k32;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= k64;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ k[i & 3]);
}

void append_frame(std::string& out, std::uint8_t opcode, std::string_view payload) {
  // §5.2, server side: FIN, no RSV, no mask, the length in its shortest form.
  char header[10];
  std::size_t n = 2;
  header[0] = static_cast<char>(0x80 | (opcode & 0x0F));
  const std::uint64_t len = payload.size();
  if (len < 126) {
    header[1] = static_cast<char>(len);
  } else if (len <= 0xFFFF) {
    header[1] = 126;
    header[2] = static_cast<char>((len >> 8) & 0xFF);
    header[3] = static_cast<char>(len & 0xFF);
    n = 4;
  } else {
    header[1] = 127;
    for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<char>((len >> (56 - 8 * i)) & 0xFF);
    n = 10;
  }
  out.reserve(out.size() + n + payload.size());
  out.append(header, n);
  out.append(payload);
}

}  // namespace laurel::server
