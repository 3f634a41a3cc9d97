// tools/fuzz/protocol_fuzz.cpp — libFuzzer target for what a client's bytes reach before any
// application code: the HTTP/1.1 parser (small limits, so 431/413 paths run), the WebSocket
// handshake check and scope building for each request head, and, after an upgrade, the RFC 6455
// codec. The first input byte splits the rest into chunks (as TCP may), so state carried between
// reads is exercised too. Built and run by tools/fuzz/run.sh (clang, ASan + UBSan).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "server/http_parser.h"
#include "server/scope_builder.h"
#include "server/websocket_codec.h"
#include "server/websocket_handshake.h"

namespace {

using namespace laurel::server;

struct Requests : HttpParser::Handler {
  void on_request_head(RequestHead& head) override {
    HandshakeCheck check = check_handshake(head.method, head.http_major, head.http_minor, head.headers);
    ConnectionInfo conn{"10.0.0.1", 4321, "127.0.0.1", 8000, false};
    ProxyPolicy proxies{true, "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", {"10.0.0.1"}};
    ClientView client = apply_proxy_headers(conn, head.headers, proxies);
    laurel::asgi::Value scope =
        check.is_upgrade && check.error_status == 0
            ? build_websocket_scope(head, conn, client, "/root", check.subprotocols)
            : build_http_scope(head, conn, client, "");
    if (!scope.is_dict() || !scope["path"].is_string()) __builtin_trap();
    if (check.error_status == 0 && check.is_upgrade) {
      (void)switching_protocols_response(check.key, std::nullopt, {}, "laurel");
    }
  }
  void on_body(std::string_view chunk) override { body += chunk.size(); }
  void on_request_complete() override {}
  std::size_t body = 0;
};

struct Frames : WebsocketCodec::Handler {
  void on_message(std::string_view data, bool) override { bytes += data.size(); }
  void on_pong(std::string_view) override {}
  void on_close(int, std::string_view) override { closed = true; }
  void on_protocol_error(int code, std::string_view) override {
    if (code != kCloseProtocolError && code != kCloseInvalidPayload && code != kCloseMessageTooBig)
      __builtin_trap();
    closed = true;
  }
  std::size_t bytes = 0;
  bool closed = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t chunk = 1 + data[0] % 64;
  std::vector<char> input(data + 1, data + size);
  Requests requests;
  HttpParser parser(requests, {.max_header_bytes = 512, .max_body_size = 256});
  std::size_t at = 0;
  bool upgraded = false;
  while (at < input.size()) {
    std::size_t n = std::min(chunk, input.size() - at);
    HttpParser::Result r = parser.feed(std::string_view(input.data() + at, n));
    if (r.status == HttpParser::Status::kError) return 0;
    at += r.consumed;
    if (r.status == HttpParser::Status::kUpgrade) {
      upgraded = true;
      break;
    }
    if (r.status == HttpParser::Status::kPaused) parser.resume();
    else if (r.consumed < n) return 0;  // should not happen: kNeedMore consumes everything
  }
  if (!upgraded) {
    (void)parser.finish();
    return 0;
  }
  Frames frames;
  WebsocketCodec codec(frames, {.max_message_size = 4096});
  std::string out;
  while (at < input.size() && !frames.closed) {
    std::size_t n = std::min(chunk, input.size() - at);
    codec.feed(std::span<char>(input.data() + at, n), out);
    at += n;
  }
  return 0;
}
