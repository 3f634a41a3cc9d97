// server/websocket_codec.h
#pragma once

// RFC 6455 framing for the server side of one WebSocket, without I/O: bytes from the client go
// in, whole messages and control events come out through a Handler, and frames for the client are
// appended to an output buffer the connection owns. Enforces the protocol (masking, reserved bits
// and opcodes, control-frame rules, fragmentation order, UTF-8 of text, the message size limit)
// and answers violations with the right close frame.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace laurel::server {

// Close codes laurel sends (RFC 6455 §7.4.1 and laurel's application codes in docs).
enum CloseCode : int {
  kCloseNormal = 1000,
  kCloseGoingAway = 1001,         // server shutting down
  kCloseProtocolError = 1002,     // bad framing, unmasked frame, reserved bits or opcodes
  kCloseUnsupportedData = 1003,
  kCloseNoStatus = 1005,          // never sent; reported when a close frame had no code
  kCloseAbnormal = 1006,          // never sent; reported when the TCP connection just dropped
  kCloseInvalidPayload = 1007,    // text that is not UTF-8
  kClosePolicyViolation = 1008,   // client too slow to read (outbound buffer over its bound)
  kCloseMessageTooBig = 1009,     // message over --max-message-size
  kCloseInternalError = 1011,
  kCloseServiceRestart = 1012,
  kCloseTryAgainLater = 1013,     // overloaded
};

struct WebsocketLimits {
  std::size_t max_message_size = 1 << 20;  // bytes of one (reassembled) message
};

class WebsocketCodec {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // A complete data message. `data` is valid only during the call.
    virtual void on_message(std::string_view data, bool binary) = 0;
    // A pong arrived (keepalive bookkeeping). Pings are answered by the codec itself.
    virtual void on_pong(std::string_view payload) = 0;
    // The client sent a close frame (code 1005 if it carried none). The codec has already
    // appended the echoing close frame unless one was sent before; the connection should flush
    // and close the TCP connection after the output drains.
    virtual void on_close(int code, std::string_view reason) = 0;
    // The client broke the protocol. The codec has appended a close frame with `code`
    // (1002, 1007, 1009); the connection flushes it, stops reading and closes.
    virtual void on_protocol_error(int code, std::string_view why) = 0;
  };

  WebsocketCodec(Handler& handler, WebsocketLimits limits);
  ~WebsocketCodec();
  WebsocketCodec(const WebsocketCodec&) = delete;
  WebsocketCodec& operator=(const WebsocketCodec&) = delete;

  // Consumes all of `bytes` (masked payloads are unmasked in place, so the span is mutable) and
  // calls the handler for each event, appending any automatic replies (pongs, close frames) to
  // `out`. After on_close or on_protocol_error, the remaining input is ignored.
  void feed(std::span<char> bytes, std::string& out);

  // Server-to-client frames (never masked), appended to `out`.
  static void append_message(std::string& out, std::string_view payload, bool binary);
  static void append_ping(std::string& out, std::string_view payload);
  // Appends a close frame once; later calls do nothing. `reason` is cut to fit 123 bytes.
  void append_close(std::string& out, int code, std::string_view reason);
  bool close_sent() const { return close_sent_; }

  // Bytes this codec holds while idle; part of the per-connection memory budget.
  std::size_t buffered_bytes() const;

 private:
  struct State;
  Handler& handler_;
  WebsocketLimits limits_;
  std::unique_ptr<State> state_;  // allocated while a frame or message is in progress only
  bool close_sent_ = false;
  bool failed_ = false;
};

}  // namespace laurel::server
