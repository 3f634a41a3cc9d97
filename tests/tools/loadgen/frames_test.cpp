// tests/tools/loadgen/frames_test.cpp
// The load generator's framing: what it sends must be a valid masked client frame, and what it
// reads must survive any split of the server's bytes, or its figures mean nothing.
#include "frames.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace laurel::loadgen {
namespace {

// Unmasks one client frame (RFC 6455 §5.2) and returns its opcode and payload.
struct Decoded {
  uint8_t opcode = 0;
  bool fin = false;
  std::string payload;
  size_t frame_size = 0;
};

Decoded decode_client_frame(const std::vector<char>& f, size_t at = 0) {
  Decoded d;
  const auto* b = reinterpret_cast<const uint8_t*>(f.data() + at);
  d.fin = (b[0] & 0x80) != 0;
  d.opcode = b[0] & 0x0F;
  EXPECT_TRUE(b[1] & 0x80) << "client frames must be masked";
  uint64_t len = b[1] & 0x7F;
  size_t i = 2;
  if (len == 126) {
    len = (uint64_t{b[2]} << 8) | b[3];
    i = 4;
  } else if (len == 127) {
    len = 0;
    for (int k = 2; k < 10; ++k) len = (len << 8) | b[k];
    i = 10;
  }
  const uint8_t* mask = b + i;
  i += 4;
  for (uint64_t k = 0; k < len; ++k) d.payload.push_back(static_cast<char>(b[i + k] ^ mask[k & 3]));
  d.frame_size = i + len;
  return d;
}

std::string server_frame(uint8_t opcode, const std::string& payload, bool fin = true) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    f.push_back(126);
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size()));
  } else {
    f.push_back(127);
    for (int s = 56; s >= 0; s -= 8) f.push_back(static_cast<char>(payload.size() >> s));
  }
  return f + payload;
}

struct Seen {
  uint8_t opcode;
  uint64_t length;
  std::string prefix;
};

std::vector<Seen> read_in_chunks(const std::string& bytes, size_t chunk, bool* ok) {
  FrameReader r;
  std::vector<Seen> seen;
  *ok = true;
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    const size_t n = std::min(chunk, bytes.size() - at);
    *ok = *ok && r.feed(bytes.data() + at, n, [&](const Message& m) {
      seen.push_back({m.opcode, m.length, std::string(m.prefix, m.prefix_len)});
    });
  }
  return seen;
}

TEST(Stamp, RoundTripsTimeAndSequence) {
  char s[kStampChars];
  write_stamp(s, 0x0123456789abcdefULL, 42);
  uint64_t t = 0, seq = 0;
  ASSERT_TRUE(read_stamp(s, &t, &seq));
  EXPECT_EQ(t, 0x0123456789abcdefULL);
  EXPECT_EQ(seq, 42u);
}

TEST(Stamp, RefusesNonHexCharacters) {
  char s[kStampChars];
  write_stamp(s, 1, 2);
  s[20] = 'g';
  uint64_t t, seq;
  EXPECT_FALSE(read_stamp(s, &t, &seq));
}

TEST(FrameTemplate, BuildsMaskedFramesCarryingTheStamp) {
  for (size_t size : {32u, 125u, 126u, 65535u, 65536u, 70000u}) {
    const std::string payload(size, 'x');
    FrameTemplate t(kOpBinary, payload, 0, 7);
    std::vector<char> out;
    t.append(out, 123456789, 5);
    t.append(out, 987654321, 6);
    const Decoded first = decode_client_frame(out);
    const Decoded second = decode_client_frame(out, first.frame_size);
    EXPECT_EQ(first.frame_size + second.frame_size, out.size()) << size;
    EXPECT_TRUE(first.fin);
    EXPECT_EQ(first.opcode, kOpBinary);
    ASSERT_EQ(first.payload.size(), size);
    uint64_t ts, seq;
    ASSERT_TRUE(read_stamp(first.payload.data(), &ts, &seq));
    EXPECT_EQ(ts, 123456789u);
    EXPECT_EQ(seq, 5u);
    ASSERT_TRUE(read_stamp(second.payload.data(), &ts, &seq));
    EXPECT_EQ(seq, 6u);
    EXPECT_EQ(first.payload.substr(kStampChars), std::string(size - kStampChars, 'x'));
  }
}

TEST(FrameTemplate, StampsAtAnOffsetInsideChatJson) {
  const std::string head = "{\"message\": \"";
  const std::string payload = head + std::string(kStampChars, '0') + "\"}";
  FrameTemplate t(kOpText, payload, head.size(), 99);  // offset 13: not a multiple of 4
  std::vector<char> out;
  t.append(out, 555, 77);
  const Decoded d = decode_client_frame(out);
  EXPECT_EQ(d.opcode, kOpText);
  char expect[kStampChars];
  write_stamp(expect, 555, 77);
  EXPECT_EQ(d.payload, head + std::string(expect, kStampChars) + "\"}");
}

TEST(FrameReader, ReadsMessagesWhateverTheSplit) {
  const std::string big(70000, 'b');
  const std::string bytes = server_frame(kOpText, "hello") + server_frame(kOpBinary, big) +
                            server_frame(kOpText, std::string(300, 'm'));
  for (size_t chunk : {1u, 2u, 3u, 7u, 64u, 4096u, 1000000u}) {
    bool ok;
    const auto seen = read_in_chunks(bytes, chunk, &ok);
    ASSERT_TRUE(ok) << chunk;
    ASSERT_EQ(seen.size(), 3u) << chunk;
    EXPECT_EQ(seen[0].prefix, "hello");
    EXPECT_EQ(seen[1].opcode, kOpBinary);
    EXPECT_EQ(seen[1].length, big.size());
    EXPECT_EQ(seen[1].prefix, big.substr(0, FrameReader::kPrefixBytes));
    EXPECT_EQ(seen[2].length, 300u);
  }
}

TEST(FrameReader, JoinsFragmentsAndPassesControlFramesBetweenThem) {
  const std::string bytes = server_frame(kOpText, "abc", false) + server_frame(kOpPing, "p") +
                            server_frame(kOpContinuation, "def", true);
  bool ok;
  const auto seen = read_in_chunks(bytes, 2, &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].opcode, kOpPing);
  EXPECT_EQ(seen[0].prefix, "p");
  EXPECT_EQ(seen[1].opcode, kOpText);
  EXPECT_EQ(seen[1].length, 6u);
  EXPECT_EQ(seen[1].prefix, "abcdef");
}

TEST(FrameReader, RefusesMaskedServerFrames) {
  std::string f = server_frame(kOpText, "x");
  f[1] = static_cast<char>(f[1] | 0x80);
  f += std::string(5, '\0');
  bool ok;
  read_in_chunks(f, 100, &ok);
  EXPECT_FALSE(ok);
}

TEST(FrameReader, RefusesAContinuationWithoutAStart) {
  bool ok;
  read_in_chunks(server_frame(kOpContinuation, "x"), 100, &ok);
  EXPECT_FALSE(ok);
}

TEST(FrameReader, RefusesOversizedControlFrames) {
  bool ok;
  read_in_chunks(server_frame(kOpPing, std::string(126, 'p')), 100, &ok);
  EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace laurel::loadgen
