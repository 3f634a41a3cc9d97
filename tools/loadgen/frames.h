// tools/loadgen/frames.h
#pragma once

// WebSocket framing for the client side of a benchmark (RFC 6455 §5): masked frames built once and
// copied per message, an incremental reader for the server's frames that keeps only the first
// bytes of each message (all a benchmark reads), and the 32-character stamp carried in payloads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace laurel::loadgen {

constexpr uint8_t kOpContinuation = 0x0, kOpText = 0x1, kOpBinary = 0x2, kOpClose = 0x8,
                  kOpPing = 0x9, kOpPong = 0xA;

// A stamp is 32 lowercase hex characters: the send time (uv_hrtime ns), then a sequence number.
// Text keeps it valid UTF-8 and a JSON string needs no escaping.
constexpr size_t kStampChars = 32;
void write_stamp(char* out, uint64_t sent_ns, uint64_t seq);
// Reads a stamp; false when the 32 characters are not hex.
bool read_stamp(const char* in, uint64_t* sent_ns, uint64_t* seq);

// A client frame prepared once: header, mask key and masked payload. Per message the frame is
// copied to the output and only the stamp is re-masked in place, so no per-message masking pass
// over the whole payload and no allocation once the output buffer has grown.
class FrameTemplate {
 public:
  FrameTemplate() = default;
  // `stamp_at` is the payload offset where write_stamp's 32 characters go.
  FrameTemplate(uint8_t opcode, std::string_view payload, size_t stamp_at, uint32_t mask_seed);
  // Appends one frame carrying the stamp to `out`.
  void append(std::vector<char>& out, uint64_t sent_ns, uint64_t seq) const;
  size_t size() const { return bytes_.size(); }

 private:
  std::vector<char> bytes_;
  size_t header_ = 0;
  size_t stamp_at_ = 0;
  std::array<uint8_t, 4> mask_{};
};

// Appends a masked frame built on the spot (close, pong: rare, so no template).
void append_frame(std::vector<char>& out, uint8_t opcode, const char* payload, size_t n);

// One message (or control frame) as the reader hands it over. `prefix` holds its first
// min(length, kPrefixBytes) bytes and stays valid only during the callback.
struct Message {
  uint8_t opcode;
  uint64_t length;
  const char* prefix;
  size_t prefix_len;
};

// Incremental reader for server-to-client frames: unmasked, possibly fragmented, split anywhere
// across reads. Payload bytes past the prefix are counted and dropped, so a 64 KiB echo costs no
// copy beyond the read itself.
class FrameReader {
 public:
  static constexpr size_t kPrefixBytes = 256;

  // Feeds bytes; calls sink(const Message&) for each complete message and control frame.
  // Returns false on a protocol error (masked server frame, bad continuation, oversized control).
  template <class Sink>
  bool feed(const char* p, size_t n, Sink&& sink);

 private:
  bool begin_frame(const uint8_t* h, size_t header_len);
  template <class Sink>
  void end_frame(Sink& sink);

  std::array<uint8_t, 14> hdr_{};
  size_t hdr_len_ = 0;
  bool in_payload_ = false;
  uint64_t remaining_ = 0;
  bool frame_fin_ = false;
  bool frame_control_ = false;
  uint8_t control_opcode_ = 0;
  std::array<char, 125> control_{};
  size_t control_len_ = 0;
  bool fragmented_ = false;  // a data message has started and awaits its FIN frame
  uint8_t msg_opcode_ = 0;
  uint64_t msg_len_ = 0;
  std::array<char, kPrefixBytes> prefix_{};
  size_t prefix_len_ = 0;
};

// --- inline: the reader sits on the per-message path ---

inline size_t frame_header_length(const uint8_t* h) {
  const uint8_t len7 = h[1] & 0x7F;
  return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((h[1] & 0x80) ? 4 : 0);
}

template <class Sink>
bool FrameReader::feed(const char* p, size_t n, Sink&& sink) {
  while (n > 0) {
    if (in_payload_) {
      const size_t take = remaining_ < n ? static_cast<size_t>(remaining_) : n;
      if (frame_control_) {
        std::memcpy(control_.data() + control_len_, p, take);
        control_len_ += take;
      } else {
        const size_t room = kPrefixBytes - prefix_len_;
        const size_t copy = take < room ? take : room;
        if (copy) std::memcpy(prefix_.data() + prefix_len_, p, copy);
        prefix_len_ += copy;
        msg_len_ += take;
      }
      p += take;
      n -= take;
      remaining_ -= take;
      if (remaining_ == 0) end_frame(sink);
      continue;
    }
    // Fast path: the whole header is in this read, no copy into hdr_.
    if (hdr_len_ == 0 && n >= 2) {
      const auto* h = reinterpret_cast<const uint8_t*>(p);
      const size_t need = frame_header_length(h);
      if (n >= need) {
        if (!begin_frame(h, need)) return false;
        p += need;
        n -= need;
        if (remaining_ == 0) end_frame(sink);
        continue;
      }
    }
    // Slow path: the header is split across reads.
    const size_t need = hdr_len_ < 2 ? 2 : frame_header_length(hdr_.data());
    const size_t take = need - hdr_len_ < n ? need - hdr_len_ : n;
    std::memcpy(hdr_.data() + hdr_len_, p, take);
    hdr_len_ += take;
    p += take;
    n -= take;
    if (hdr_len_ < 2 || hdr_len_ < frame_header_length(hdr_.data())) continue;
    if (!begin_frame(hdr_.data(), hdr_len_)) return false;
    hdr_len_ = 0;
    if (remaining_ == 0) end_frame(sink);
  }
  return true;
}

inline bool FrameReader::begin_frame(const uint8_t* h, size_t header_len) {
  if (h[1] & 0x80) return false;  // RFC 6455 §5.1: a server never masks its frames
  const uint8_t len7 = h[1] & 0x7F;
  uint64_t len = len7;
  if (len7 == 126) {
    len = (uint64_t{h[2]} << 8) | h[3];
  } else if (len7 == 127) {
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | h[i];
  }
  (void)header_len;
  const uint8_t opcode = h[0] & 0x0F;
  frame_fin_ = (h[0] & 0x80) != 0;
  frame_control_ = (opcode & 0x8) != 0;
  if (frame_control_) {
    // RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented.
    if (len > 125 || !frame_fin_) return false;
    control_opcode_ = opcode;
    control_len_ = 0;
  } else if (opcode == kOpContinuation) {
    if (!fragmented_) return false;
  } else {
    if (fragmented_) return false;
    msg_opcode_ = opcode;
    msg_len_ = 0;
    prefix_len_ = 0;
  }
  remaining_ = len;
  in_payload_ = true;
  return true;
}

template <class Sink>
void FrameReader::end_frame(Sink& sink) {
  in_payload_ = false;
  if (frame_control_) {
    sink(Message{control_opcode_, control_len_, control_.data(), control_len_});
    return;
  }
  fragmented_ = !frame_fin_;
  if (frame_fin_) sink(Message{msg_opcode_, msg_len_, prefix_.data(), prefix_len_});
}

}  // namespace laurel::loadgen
