// server/websocket_codec.cpp
//
// Why laurel reads frames with its own parser and not with wslay:
//
// laurel promises at most 2 KiB of server memory per idle WebSocket and no copy of a small
// message. wslay's event API is out at once: it mallocs per message and its context holds a
// wslay_frame_context, whose 4 KiB input buffer alone is twice the budget. Its frame layer
// (wslay_frame_recv) was the candidate for borrowing a context from a per-thread pool only while
// a frame is in flight, and it fails on three counts:
//  - It cannot be returned at a frame boundary with proof. wslay_recv asks the recv callback for
//    all the free space of its 4 KiB buffer, so it swallows the bytes of following frames; the
//    context is an opaque struct in <wslay/wslay.h>, so whether bytes are still buffered
//    (ibufmark != ibuflimit) or a header is half read cannot be asked. The only way to know would
//    be to parse every header ourselves and hand wslay no byte past the frame's end, which is
//    writing the parser anyway.
//  - Every payload byte is copied into that buffer and handed out from it in pieces of at most
//    4 KiB, so a message can never be a view into the read buffer; and it unmasks one byte at a
//    time with a modulo.
//  - A pooled context that holds bytes when the connection goes idle would pin 4 KiB per
//    connection, exactly what the pool was meant to avoid.
// So frames are read here (websocket_frame.cpp, about sixty lines) with the same wire checks
// wslay makes: control frames short and unfragmented, no 64-bit length with its high bit set,
// and lengths in their shortest form, which RFC 6455 §5.2 requires ("the minimal number of bytes
// MUST be used") and which wslay and Autobahn's own frame reader also refuse.
//
// Writing was tried through wslay_frame_send with one context per thread (sound: its send
// callback always takes the whole frame, so the context is back at its initial state after each
// call and belongs to no connection). Measured in CPU time on 32-byte text echoes, 64 frames per
// read, codec alone: about 10 M messages/s through wslay against 15-18 M with the ten-line
// writer in websocket_frame.cpp, i.e. some 40 ns more per message for two callbacks, a header
// memset and a thread-local lookup, plus an abort path for errors that cannot happen. laurel
// therefore uses wslay nowhere on the server's path. It stays the reference: the tests check
// laurel's reader and writer against wslay_frame_recv and wslay_frame_send byte for byte.
//
// Memory: the codec object is a few words. State (partial header, open control frame, the
// message being assembled) is allocated only while a frame or a fragmented message is in
// progress and freed at the end of feed() once nothing is open. A message whose frames arrive
// whole in one feed() is handed to on_message as a view into the caller's buffer, unmasked in
// place: no allocation, no copy.

#include "server/websocket_codec.h"

#include <algorithm>
#include <cstring>

#include "server/utf8_validator.h"
#include "server/websocket_frame.h"

namespace laurel::server {
namespace {

// RFC 6455 §7.4 and the IANA registry: codes a peer may put on the wire.
bool is_valid_wire_close_code(int code) {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;  // 1012..1014 assigned by IANA after the RFC
  return code >= 3000 && code <= 4999;
}

// Assembly buffers bigger than this are released rather than kept for the next message.
constexpr std::size_t kKeepMessageCapacity = 16 * 1024;
// A declared frame length is trusted for up-front reservation only up to this much, so a peer
// that announces a large frame and then trickles bytes cannot make us hold the whole size.
constexpr std::size_t kMaxReserveAhead = 64 * 1024;

}  // namespace

struct WebsocketCodec::State {
  enum class Phase : std::uint8_t {
    kIdle,     // between frames
    kHeader,   // some header bytes are in `header`
    kPayload,  // `frame` is known, its payload is still arriving
  };
  Phase phase = Phase::kIdle;
  std::uint8_t header_have = 0;
  std::uint8_t header[kMaxFrameHeader] = {};
  FrameHeader frame;
  std::uint64_t frame_received = 0;  // payload bytes of `frame` seen so far

  // A control frame's payload while it arrives in pieces (§5.5: at most 125 bytes).
  std::uint8_t control_have = 0;
  char control[125] = {};

  // The data message: open from its first frame until the frame with FIN.
  bool in_message = false;
  bool message_binary = false;
  std::uint64_t message_size = 0;  // bytes accepted so far, for the size limit
  std::string message;             // assembled payload (fragmented or split messages only)
  Utf8Validator utf8;

  bool idle() const { return phase == Phase::kIdle && !in_message; }

  // The codec's steps. Static members of the nested State so that they can reach the codec's
  // private members without widening the public header.
  using Codec = WebsocketCodec;
  static State& get(Codec& c);
  static void fail(Codec& c, std::string& out, int code, std::string_view why);
  static bool check_header(Codec& c, const FrameHeader& h, std::string& out);
  static void whole_frame(Codec& c, const FrameHeader& h, std::string_view payload,
                          std::string& out);
  static void open_message(Codec& c, const FrameHeader& h);
  static bool message_bytes(Codec& c, std::string_view chunk, std::string& out);
  static void finish_message(Codec& c, std::string& out);
  static void start_payload(Codec& c, const FrameHeader& h);
  static void continue_payload(Codec& c, char*& p, std::size_t& n, std::string& out);
  static void control_frame(Codec& c, std::uint8_t opcode, std::string_view payload,
                            std::string& out);
  static void close_frame(Codec& c, std::string_view payload, std::string& out);
};

WebsocketCodec::WebsocketCodec(Handler& handler, WebsocketLimits limits)
    : handler_(handler), limits_(limits) {}

WebsocketCodec::~WebsocketCodec() = default;

std::size_t WebsocketCodec::buffered_bytes() const {
  if (!state_) return 0;
  return sizeof(State) + state_->message.capacity();
}

void WebsocketCodec::append_message(std::string& out, std::string_view payload, bool binary) {
  append_frame(out, binary ? kOpBinary : kOpText, payload);
}

void WebsocketCodec::append_ping(std::string& out, std::string_view payload) {
  // §5.5: control frames carry at most 125 bytes.
  append_frame(out, kOpPing, payload.substr(0, 125));
}

void WebsocketCodec::append_close(std::string& out, int code, std::string_view reason) {
  if (close_sent_) return;
  close_sent_ = true;
  // 1005, 1006 and 1015 mean "no code" or "no close frame" and must not be sent (§7.4.1); such a
  // close goes out without a body.
  if (!is_valid_wire_close_code(code)) {
    append_frame(out, kOpClose, {});
    return;
  }
  // 125 bytes of payload: 2 for the code, 123 for the reason, cut at a code point boundary so
  // that the peer does not fail the close for invalid UTF-8.
  if (reason.size() > 123) {
    std::size_t n = 123;
    while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
    reason = reason.substr(0, n);
  }
  char payload[125];
  payload[0] = static_cast<char>((code >> 8) & 0xFF);
  payload[1] = static_cast<char>(code & 0xFF);
  if (!reason.empty()) std::memcpy(payload + 2, reason.data(), reason.size());
  append_frame(out, kOpClose, std::string_view(payload, 2 + reason.size()));
}

WebsocketCodec::State& WebsocketCodec::State::get(Codec& c) {
  if (!c.state_) c.state_ = std::make_unique<State>();
  return *c.state_;
}

void WebsocketCodec::State::fail(Codec& c, std::string& out, int code, std::string_view why) {
  c.failed_ = true;
  c.append_close(out, code, why);
  c.handler_.on_protocol_error(code, why);
}

bool WebsocketCodec::State::check_header(Codec& c, const FrameHeader& h, std::string& out) {
  auto refuse = [&](int code, std::string_view why) {
    fail(c, out, code, why);
    return false;
  };
  // §5.2: RSV bits need a negotiated extension, and laurel negotiates none.
  if (h.rsv != 0) return refuse(kCloseProtocolError, "reserved bits set");
  if (is_reserved_opcode(h.opcode)) return refuse(kCloseProtocolError, "reserved opcode");
  // §5.1: a server MUST close the connection on an unmasked client frame.
  if (!h.masked) return refuse(kCloseProtocolError, "client frame not masked");
  const bool in_message = c.state_ && c.state_->in_message;
  if (is_control_opcode(h.opcode)) {
    // §5.5: control frames are never fragmented and carry at most 125 bytes.
    if (!h.fin) return refuse(kCloseProtocolError, "fragmented control frame");
    if (h.payload_length > 125) return refuse(kCloseProtocolError, "control frame over 125 bytes");
    return true;
  }
  // §5.4: continuation frames continue an open message; a new message waits for the last one.
  if (h.opcode == kOpContinuation && !in_message) {
    return refuse(kCloseProtocolError, "continuation frame without a message");
  }
  if (h.opcode != kOpContinuation && in_message) {
    return refuse(kCloseProtocolError, "new data frame inside a fragmented message");
  }
  // Refused on the declared length, before any of it is buffered.
  const std::uint64_t before = in_message ? c.state_->message_size : 0;
  const std::uint64_t limit = c.limits_.max_message_size;
  if (h.payload_length > limit || before > limit - h.payload_length) {
    return refuse(kCloseMessageTooBig, "message too big");
  }
  return true;
}

void WebsocketCodec::feed(std::span<char> bytes, std::string& out) {
  char* p = bytes.data();
  std::size_t n = bytes.size();
  while (n > 0 && !failed_) {
    FrameHeader h;
    if (!state_ || state_->phase == State::Phase::kIdle) {
      const auto parsed = parse_frame_header(reinterpret_cast<const std::uint8_t*>(p), n, h);
      if (parsed == HeaderParse::kNeedMore) {
        // Fewer than 14 bytes: keep them until the rest of the header comes.
        State& s = State::get(*this);
        std::memcpy(s.header, p, n);
        s.header_have = static_cast<std::uint8_t>(n);
        s.phase = State::Phase::kHeader;
        break;
      }
      if (parsed == HeaderParse::kBadLength) {
        State::fail(*this, out, kCloseProtocolError, "bad payload length");
        break;
      }
      p += h.header_length;
      n -= h.header_length;
    } else if (state_->phase == State::Phase::kHeader) {
      State& s = *state_;
      // Complete the first two bytes, then the rest, whose size those two bytes tell.
      for (int round = 0; round < 2 && n > 0; ++round) {
        const std::size_t need =
            s.header_have < 2 ? 2 : frame_header_length(s.header[0], s.header[1]);
        const std::size_t take = std::min(n, need - s.header_have);
        std::memcpy(s.header + s.header_have, p, take);
        s.header_have = static_cast<std::uint8_t>(s.header_have + take);
        p += take;
        n -= take;
      }
      const auto parsed = parse_frame_header(s.header, s.header_have, h);
      if (parsed == HeaderParse::kNeedMore) break;  // all input taken
      if (parsed == HeaderParse::kBadLength) {
        State::fail(*this, out, kCloseProtocolError, "bad payload length");
        break;
      }
      s.phase = State::Phase::kIdle;
      s.header_have = 0;
    } else {
      State::continue_payload(*this, p, n, out);
      continue;
    }

    // A complete header `h`; its payload starts at p.
    if (!State::check_header(*this, h, out)) break;
    if (h.payload_length <= n) {
      const auto len = static_cast<std::size_t>(h.payload_length);
      unmask_payload(p, len, h.mask, 0);
      const std::string_view payload(p, len);
      p += len;
      n -= len;
      State::whole_frame(*this, h, payload, out);
    } else {
      State::start_payload(*this, h);
    }
  }
  // Nothing open: give the memory back (the 2 KiB-per-idle-socket budget).
  if (state_ && (failed_ || state_->idle())) state_.reset();
}

void WebsocketCodec::State::whole_frame(Codec& c, const FrameHeader& h, std::string_view payload,
                                        std::string& out) {
  if (is_control_opcode(h.opcode)) {
    control_frame(c, h.opcode, payload, out);
    return;
  }
  if (h.opcode != kOpContinuation && h.fin) {
    // The fast path: one frame, one message, handed over where it lies.
    const bool binary = h.opcode == kOpBinary;
    if (!binary && !Utf8Validator::is_valid(payload)) {
      fail(c, out, kCloseInvalidPayload, "text is not UTF-8");
      return;
    }
    c.handler_.on_message(payload, binary);
    return;
  }
  if (h.opcode != kOpContinuation) open_message(c, h);
  if (!message_bytes(c, payload, out)) return;
  if (h.fin) finish_message(c, out);
}

void WebsocketCodec::State::open_message(Codec& c, const FrameHeader& h) {
  State& s = get(c);
  s.in_message = true;
  s.message_binary = h.opcode == kOpBinary;
  s.message_size = 0;
  s.message.clear();
  s.utf8.reset();
}

bool WebsocketCodec::State::message_bytes(Codec& c, std::string_view chunk, std::string& out) {
  State& s = *c.state_;
  if (!s.message_binary) {
    // RFC 6455 §8.1 lets an endpoint fail as soon as text stops being UTF-8; laurel does, even
    // inside a fragment or a partly received frame, so a bad message is never buffered whole.
    s.utf8.feed(chunk);
    if (!s.utf8.ok()) {
      fail(c, out, kCloseInvalidPayload, "text is not UTF-8");
      return false;
    }
  }
  s.message.append(chunk);
  s.message_size += chunk.size();
  return true;
}

void WebsocketCodec::State::finish_message(Codec& c, std::string& out) {
  State& s = *c.state_;
  if (!s.message_binary && !s.utf8.complete()) {
    fail(c, out, kCloseInvalidPayload, "text ends inside a UTF-8 sequence");
    return;
  }
  s.in_message = false;
  c.handler_.on_message(s.message, s.message_binary);
  // The view is dead now; keep a small buffer for the next message, drop a big one.
  if (c.state_) {
    State& t = *c.state_;
    if (t.message.capacity() > kKeepMessageCapacity)
      std::string().swap(t.message);
    else
      t.message.clear();
    t.message_size = 0;
  }
}

void WebsocketCodec::State::start_payload(Codec& c, const FrameHeader& h) {
  State& s = get(c);
  s.phase = Phase::kPayload;
  s.frame = h;
  s.frame_received = 0;
  s.control_have = 0;
  if (!is_control_opcode(h.opcode)) {
    if (h.opcode != kOpContinuation) open_message(c, h);
    const auto ahead = std::min<std::uint64_t>(h.payload_length, kMaxReserveAhead);
    s.message.reserve(s.message.size() + static_cast<std::size_t>(ahead));
  }
}

void WebsocketCodec::State::continue_payload(Codec& c, char*& p, std::size_t& n, std::string& out) {
  State& s = *c.state_;
  const std::uint64_t left = s.frame.payload_length - s.frame_received;
  const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left, n));
  unmask_payload(p, take, s.frame.mask, s.frame_received);
  const std::string_view chunk(p, take);
  p += take;
  n -= take;
  s.frame_received += take;
  const bool frame_done = s.frame_received == s.frame.payload_length;
  if (is_control_opcode(s.frame.opcode)) {
    std::memcpy(s.control + s.control_have, chunk.data(), chunk.size());
    s.control_have = static_cast<std::uint8_t>(s.control_have + chunk.size());
    if (frame_done) {
      s.phase = Phase::kIdle;
      control_frame(c, s.frame.opcode, std::string_view(s.control, s.control_have), out);
    }
    return;
  }
  if (!message_bytes(c, chunk, out)) return;
  if (frame_done) {
    s.phase = Phase::kIdle;
    if (s.frame.fin) finish_message(c, out);
  }
}

void WebsocketCodec::State::control_frame(Codec& c, std::uint8_t opcode, std::string_view payload,
                                          std::string& out) {
  switch (opcode) {
    case kOpPing:
      // §5.5.2: answer with a pong carrying the same data, unless we are already closing.
      if (!c.close_sent_) append_frame(out, kOpPong, payload);
      return;
    case kOpPong:
      c.handler_.on_pong(payload);
      return;
    case kOpClose:
      close_frame(c, payload, out);
      return;
    default:
      return;  // reserved control opcodes were refused in check_header
  }
}

void WebsocketCodec::State::close_frame(Codec& c, std::string_view payload, std::string& out) {
  int code = kCloseNoStatus;
  std::string_view reason;
  if (payload.size() == 1) {
    // §5.5.1: a body starts with a 2-byte code.
    fail(c, out, kCloseProtocolError, "close frame with a 1-byte body");
    return;
  }
  if (payload.size() >= 2) {
    code = (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
    if (!is_valid_wire_close_code(code)) {
      fail(c, out, kCloseProtocolError, "invalid close code");
      return;
    }
    reason = payload.substr(2);
    if (!Utf8Validator::is_valid(reason)) {
      fail(c, out, kCloseInvalidPayload, "close reason is not UTF-8");
      return;
    }
  }
  // §5.5.1: answer a close with a close, echoing the code (1000 when there was none); §1.4: then
  // read nothing more.
  c.failed_ = true;
  c.append_close(out, code == kCloseNoStatus ? kCloseNormal : code, {});
  c.handler_.on_close(code, reason);
}

}  // namespace laurel::server
