// server/websocket_frame.h
#pragma once

// The RFC 6455 §5.2 base framing that WebsocketCodec is made of: reading a frame header,
// unmasking a payload in place, and writing an unmasked server frame. No protocol policy here
// (which opcodes or lengths are allowed is the codec's business), except what the wire format
// itself forbids.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace laurel::server {

// RFC 6455 §5.2 opcodes.
enum WebsocketOpcode : std::uint8_t {
  kOpContinuation = 0x0,
  kOpText = 0x1,
  kOpBinary = 0x2,
  kOpClose = 0x8,
  kOpPing = 0x9,
  kOpPong = 0xA,
};

// Opcodes 8..15 are control frames (§5.5).
inline bool is_control_opcode(std::uint8_t op) { return (op & 0x8) != 0; }
// 3..7 and 11..15 are reserved for future use (§5.2).
inline bool is_reserved_opcode(std::uint8_t op) { return (op > 0x2 && op < 0x8) || op > 0xA; }

struct FrameHeader {
  bool fin = false;
  std::uint8_t rsv = 0;  // RSV1..3 as a 3-bit number
  std::uint8_t opcode = 0;
  bool masked = false;
  std::uint8_t mask[4] = {};
  std::uint64_t payload_length = 0;
  std::uint8_t header_length = 0;  // 2..14 bytes on the wire
};

// The longest header: 2 + 8 (64-bit length) + 4 (masking key).
inline constexpr std::size_t kMaxFrameHeader = 14;

enum class HeaderParse {
  kComplete,   // `header` is filled in
  kNeedMore,   // fewer bytes than the header needs; `header_length` says how many if known
  kBadLength,  // 64-bit length with the high bit set, or a length not in its shortest form
};

// Reads the frame header at the start of `bytes`.
HeaderParse parse_frame_header(const std::uint8_t* bytes, std::size_t size, FrameHeader& header);

// Bytes a header needs once its first two bytes are known.
std::size_t frame_header_length(std::uint8_t byte0, std::uint8_t byte1);

// XORs `size` payload bytes with `key`, where `offset` is the position of data[0] within the
// frame's payload (the key repeats every 4 bytes from the payload's start).
void unmask_payload(char* data, std::size_t size, const std::uint8_t key[4], std::uint64_t offset);

// Appends one unfragmented, unmasked frame (FIN set, no RSV bits).
void append_frame(std::string& out, std::uint8_t opcode, std::string_view payload);

}  // namespace laurel::server
