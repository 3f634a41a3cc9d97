// tests/server/websocket_test_frames.h
#pragma once

// Test helpers for the WebSocket codec: build client frames (masked, or deliberately broken),
// feed them in any chunking, and read back what the codec wrote and reported.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "server/websocket_codec.h"

namespace laurel::server::testing {

struct ClientFrame {
  std::uint8_t opcode = 0x1;
  std::string payload;
  bool fin = true;
  std::uint8_t rsv = 0;
  bool masked = true;
  std::uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  // 0: shortest length form; 2 or 8: force the 16- or 64-bit form (non-minimal on purpose).
  int length_bytes = 0;
};

inline std::string encode(const ClientFrame& f) {
  std::string w;
  w.push_back(static_cast<char>((f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0xF)));
  const std::uint64_t n = f.payload.size();
  const char mask_bit = f.masked ? static_cast<char>(0x80) : 0;
  int len_bytes = f.length_bytes;
  if (len_bytes == 0) len_bytes = n < 126 ? 0 : (n <= 0xFFFF ? 2 : 8);
  if (len_bytes == 0) {
    w.push_back(static_cast<char>(mask_bit | static_cast<char>(n)));
  } else if (len_bytes == 2) {
    w.push_back(static_cast<char>(mask_bit | 126));
    w.push_back(static_cast<char>((n >> 8) & 0xFF));
    w.push_back(static_cast<char>(n & 0xFF));
  } else {
    w.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) w.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  if (f.masked) {
    for (auto b : f.key) w.push_back(static_cast<char>(b));
    const std::size_t at = w.size();
    w.append(f.payload);
    char* d = w.data() + at;
    for (std::size_t i = 0; i < n; ++i)
      d[i] = static_cast<char>(d[i] ^ static_cast<char>(f.key[i & 3]));
  } else {
    w.append(f.payload);
  }
  return w;
}

inline std::string frame(std::uint8_t opcode, std::string_view payload, bool fin = true) {
  ClientFrame f;
  f.opcode = opcode;
  f.payload = std::string(payload);
  f.fin = fin;
  return encode(f);
}
inline std::string text(std::string_view p, bool fin = true) { return frame(0x1, p, fin); }
inline std::string binary(std::string_view p, bool fin = true) { return frame(0x2, p, fin); }
inline std::string cont(std::string_view p, bool fin = true) { return frame(0x0, p, fin); }
inline std::string ping(std::string_view p) { return frame(0x9, p); }
inline std::string pong(std::string_view p) { return frame(0xA, p); }
inline std::string close_body(int code, std::string_view reason = {}) {
  std::string b;
  b.push_back(static_cast<char>((code >> 8) & 0xFF));
  b.push_back(static_cast<char>(code & 0xFF));
  b.append(reason);
  return b;
}
inline std::string close(int code, std::string_view reason = {}) {
  return frame(0x8, close_body(code, reason));
}

// Records every handler call as one line, e.g. "text:hello", "close:1000:bye", "error:1002".
class Recorder : public WebsocketCodec::Handler {
 public:
  void on_message(std::string_view data, bool binary) override {
    events.push_back((binary ? "binary:" : "text:") + std::string(data));
    last_message_ptr = data.data();
    last_message_size = data.size();
  }
  void on_pong(std::string_view payload) override {
    events.push_back("pong:" + std::string(payload));
  }
  void on_close(int code, std::string_view reason) override {
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }
  void on_protocol_error(int code, std::string_view why) override {
    events.push_back("error:" + std::to_string(code));
    last_error = std::string(why);
  }
  std::vector<std::string> events;
  std::string last_error;
  const char* last_message_ptr = nullptr;
  std::size_t last_message_size = 0;
};

// Server frames in `out`, one line each: "text:..", "binary:..", "pong:..", "ping:..",
// "close:<code>" or "close:" for a close without a body; "bad" if a frame does not parse.
inline std::vector<std::string> decode_server_frames(std::string_view out) {
  std::vector<std::string> frames;
  std::size_t pos = 0;
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(out[i]); };
  while (pos < out.size()) {
    if (out.size() - pos < 2) return frames.push_back("bad"), frames;
    const unsigned op = byte(pos) & 0xF;
    const bool fin = byte(pos) & 0x80;
    if (!fin || (byte(pos) & 0x70) || (byte(pos + 1) & 0x80))
      return frames.push_back("bad"), frames;
    std::uint64_t len = byte(pos + 1) & 0x7F;
    std::size_t hdr = 2;
    if (len == 126) {
      len = (std::uint64_t{byte(pos + 2)} << 8) | byte(pos + 3);
      hdr = 4;
    } else if (len == 127) {
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | byte(pos + 2 + static_cast<std::size_t>(i));
      hdr = 10;
    }
    if (out.size() - pos - hdr < len) return frames.push_back("bad"), frames;
    const std::string_view payload = out.substr(pos + hdr, static_cast<std::size_t>(len));
    switch (op) {
      case 0x1:
        frames.push_back("text:" + std::string(payload));
        break;
      case 0x2:
        frames.push_back("binary:" + std::string(payload));
        break;
      case 0x9:
        frames.push_back("ping:" + std::string(payload));
        break;
      case 0xA:
        frames.push_back("pong:" + std::string(payload));
        break;
      case 0x8:
        if (payload.size() >= 2) {
          frames.push_back("close:" + std::to_string((static_cast<unsigned char>(payload[0]) << 8) |
                                                     static_cast<unsigned char>(payload[1])));
        } else {
          frames.push_back("close:");
        }
        break;
      default:
        frames.push_back("bad");
        break;
    }
    pos += hdr + static_cast<std::size_t>(len);
  }
  return frames;
}

struct RunResult {
  std::vector<std::string> events;
  std::vector<std::string> frames;
  std::size_t buffered_after = 0;
};

// Feeds `wire` in pieces: chunk 0 means all at once, -1 random sizes (seeded), else that size.
// Each piece is copied into its own buffer, as a socket read would be.
inline RunResult run(std::string_view wire, WebsocketLimits limits = {}, long chunk = 0,
                     unsigned seed = 1) {
  Recorder rec;
  WebsocketCodec codec(rec, limits);
  std::string out;
  std::mt19937 rng(seed);
  std::size_t pos = 0;
  while (pos < wire.size()) {
    std::size_t n = wire.size() - pos;
    if (chunk > 0) n = std::min<std::size_t>(n, static_cast<std::size_t>(chunk));
    if (chunk < 0) n = std::min<std::size_t>(n, 1 + rng() % 23);
    std::vector<char> piece(wire.begin() + static_cast<long>(pos),
                            wire.begin() + static_cast<long>(pos + n));
    codec.feed(piece, out);
    pos += n;
  }
  return {rec.events, decode_server_frames(out), codec.buffered_bytes()};
}

}  // namespace laurel::server::testing
