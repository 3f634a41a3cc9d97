// tests/server/websocket_frame_test.cpp
//
// laurel reads and writes frames by hand (websocket_codec.cpp says why); wslay's frame layer is
// the reference these tests hold that code to, byte for byte, in both directions.

#include "server/websocket_frame.h"

#include <gtest/gtest.h>
#include <wslay/wslay.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tests/server/websocket_test_frames.h"

namespace laurel::server {
namespace {

struct WslayBuffers {
  std::string sent;
  std::string input;
  std::size_t input_pos = 0;
  std::size_t max_piece = 1 << 20;
};

ssize_t wslay_send(const std::uint8_t* data, std::size_t len, int, void* user) {
  static_cast<WslayBuffers*>(user)->sent.append(reinterpret_cast<const char*>(data), len);
  return static_cast<ssize_t>(len);
}

ssize_t wslay_recv(std::uint8_t* buf, std::size_t len, int, void* user) {
  auto* b = static_cast<WslayBuffers*>(user);
  const std::size_t n = std::min({len, b->input.size() - b->input_pos, b->max_piece});
  if (n == 0) return -1;
  std::memcpy(buf, b->input.data() + b->input_pos, n);
  b->input_pos += n;
  return static_cast<ssize_t>(n);
}

int wslay_genmask(std::uint8_t* buf, std::size_t len, void*) {
  std::memset(buf, 0, len);
  return 0;
}

class Wslay {
 public:
  Wslay() {
    wslay_frame_callbacks cb{};
    cb.send_callback = wslay_send;
    cb.recv_callback = wslay_recv;
    cb.genmask_callback = wslay_genmask;
    EXPECT_EQ(wslay_frame_context_init(&ctx_, &cb, &buffers), 0);
  }
  ~Wslay() { wslay_frame_context_free(ctx_); }
  Wslay(const Wslay&) = delete;
  Wslay& operator=(const Wslay&) = delete;

  std::string encode(std::uint8_t opcode, std::string_view payload) {
    buffers.sent.clear();
    wslay_frame_iocb iocb{};
    iocb.fin = 1;
    iocb.opcode = opcode;
    iocb.payload_length = payload.size();
    iocb.data = reinterpret_cast<const std::uint8_t*>(payload.data());
    iocb.data_length = payload.size();
    EXPECT_EQ(wslay_frame_send(ctx_, &iocb), static_cast<ssize_t>(payload.size()));
    return buffers.sent;
  }

  // Reads every frame in `wire`, in pieces of at most `piece` bytes; frames as "op/fin/rsv:data",
  // or "error" when wslay refuses the input.
  std::vector<std::string> decode(const std::string& wire, std::size_t piece) {
    buffers.input = wire;
    buffers.input_pos = 0;
    buffers.max_piece = piece;
    std::vector<std::string> frames;
    std::string current;
    std::uint64_t have = 0;
    while (true) {
      wslay_frame_iocb iocb{};
      const ssize_t r = wslay_frame_recv(ctx_, &iocb);
      if (r == WSLAY_ERR_WANT_READ) {
        if (buffers.input_pos == buffers.input.size()) break;
        continue;
      }
      if (r < 0) {
        frames.push_back("error");
        break;
      }
      current.append(reinterpret_cast<const char*>(iocb.data), iocb.data_length);
      have += iocb.data_length;
      if (have == iocb.payload_length) {
        frames.push_back(describe(iocb.opcode, iocb.fin, iocb.rsv, current));
        current.clear();
        have = 0;
      }
    }
    return frames;
  }

  static std::string describe(unsigned op, bool fin, unsigned rsv, const std::string& data) {
    return std::to_string(op) + "/" + (fin ? "1" : "0") + "/" + std::to_string(rsv) + ":" + data;
  }

  WslayBuffers buffers;

 private:
  wslay_frame_context_ptr ctx_ = nullptr;
};

std::vector<std::string> laurel_decode(std::string wire) {
  std::vector<std::string> frames;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    FrameHeader h;
    const auto r = parse_frame_header(reinterpret_cast<const std::uint8_t*>(wire.data() + pos),
                                      wire.size() - pos, h);
    if (r == HeaderParse::kBadLength) {
      frames.push_back("error");
      break;
    }
    if (r == HeaderParse::kNeedMore || wire.size() - pos - h.header_length < h.payload_length)
      break;
    pos += h.header_length;
    const auto len = static_cast<std::size_t>(h.payload_length);
    if (h.masked) unmask_payload(wire.data() + pos, len, h.mask, 0);
    frames.push_back(Wslay::describe(h.opcode, h.fin, h.rsv, wire.substr(pos, len)));
    pos += len;
  }
  return frames;
}

TEST(WebsocketFrame, WritesTheSameBytesAsWslay) {
  Wslay wslay;
  for (std::size_t n : {0, 1, 5, 125, 126, 127, 1000, 65535, 65536, 70000}) {
    const std::string payload(n, static_cast<char>('a' + n % 26));
    for (std::uint8_t op : {kOpText, kOpBinary}) {
      std::string out;
      append_frame(out, op, payload);
      EXPECT_EQ(out, wslay.encode(op, payload)) << "opcode " << int{op} << ", " << n << " bytes";
    }
    if (n <= 125) {
      for (std::uint8_t op : {kOpPing, kOpPong, kOpClose}) {
        std::string out;
        append_frame(out, op, payload);
        EXPECT_EQ(out, wslay.encode(op, payload));
      }
    }
  }
}

TEST(WebsocketFrame, ReadsRandomClientFramesAsWslayDoes) {
  std::mt19937 rng(6455);
  const std::size_t sizes[] = {0,   1,    3,    4,    7,     125,   126,  127,
                               200, 4095, 4096, 4097, 65535, 65536, 70001};
  for (int round = 0; round < 20; ++round) {
    std::string wire;
    for (int i = 0; i < 12; ++i) {
      testing::ClientFrame f;
      f.opcode = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 15)(rng));
      const bool control = (f.opcode & 0x8) != 0;
      const std::size_t n = control ? rng() % 126 : sizes[rng() % std::size(sizes)];
      f.payload.resize(n);
      for (auto& c : f.payload) c = static_cast<char>(rng());
      f.fin = control || rng() % 2;
      f.rsv = static_cast<std::uint8_t>(rng() % 8);
      for (auto& k : f.key) k = static_cast<std::uint8_t>(rng());
      wire += testing::encode(f);
    }
    const auto expected = laurel_decode(wire);
    ASSERT_EQ(expected.size(), 12u);
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{1} << 20}) {
      Wslay wslay;
      EXPECT_EQ(wslay.decode(wire, piece), expected)
          << "round " << round << ", pieces of " << piece;
    }
  }
}

TEST(WebsocketFrame, RefusesTheLengthsWslayRefuses) {
  for (const std::string& bad : {
           std::string("\x82\xfe\x00\x05"
                       "abcd"
                       "12345",
                       13),  // 5 in the 16-bit form
           std::string("\x82\xff\x00\x00\x00\x00\x00\x00\x00\xc8"
                       "abcd",
                       14),  // 200 in 64 bits
           std::string("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00"
                       "abcd",
                       14),  // high bit set
       }) {
    Wslay wslay;
    EXPECT_EQ(wslay.decode(bad, 1 << 20), std::vector<std::string>{"error"});
    EXPECT_EQ(laurel_decode(bad), std::vector<std::string>{"error"});
  }
}

TEST(WebsocketFrame, UnmasksFromAnyOffsetInThePayload) {
  const std::uint8_t key[4] = {0x11, 0x22, 0x33, 0x44};
  std::string whole(101, 'm');
  std::string masked = whole;
  unmask_payload(masked.data(), masked.size(), key, 0);
  for (std::size_t cut = 0; cut <= masked.size(); ++cut) {
    std::string copy = masked;
    unmask_payload(copy.data(), cut, key, 0);
    unmask_payload(copy.data() + cut, copy.size() - cut, key, cut);
    EXPECT_EQ(copy, whole) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace laurel::server
