// server/http_parser.h
#pragma once

// The llhttp adapter: HTTP/1.1 request bytes in, request heads, body chunks and message ends out,
// with laurel's limits (header block size → 431, body size → 413) enforced while parsing. No
// sockets: the HTTP session feeds it, tests feed it strings. It pauses after every request so
// pipelined requests are answered one at a time, in order.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "asgi/events.h"

struct llhttp__internal_s;  // llhttp_t, kept out of this header

namespace laurel::server {

// One parsed request line and header block. Header names are lower-cased; order and duplicates
// are kept, as ASGI wants them.
struct RequestHead {
  std::string method;  // "GET"
  std::string target;  // the raw request-target ("/a%20b?x=1")
  int http_major = 1;
  int http_minor = 1;
  asgi::Headers headers;
  bool keep_alive = true;        // the connection may carry another request after this one
  bool upgrade = false;          // Connection: upgrade + Upgrade: ... (bytes after it are not HTTP)
  bool expect_continue = false;  // Expect: 100-continue
  bool has_body = false;         // Content-Length > 0 or chunked
  bool chunked = false;
};

struct HttpParserLimits {
  std::size_t max_header_bytes = 16 * 1024;  // request line + headers; over it → 431
  std::size_t max_body_size = 0;             // 0: unlimited; over it → 413
};

class HttpParser {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // The head of a request is complete. The head may be moved from.
    virtual void on_request_head(RequestHead& head) = 0;
    // A piece of the body (chunked framing already removed); valid only during the call.
    virtual void on_body(std::string_view chunk) = 0;
    // The request (and its body) is complete; the parser pauses until resume().
    virtual void on_request_complete() = 0;
  };

  enum class Status {
    kNeedMore,  // all bytes consumed; waiting for more
    kPaused,    // a request completed; `consumed` bytes used, call resume() before feeding more
    kUpgrade,   // an upgrade request completed; bytes after `consumed` belong to the new protocol
    kError,     // bad input: answer `error_status` and close
  };
  struct Result {
    Status status = Status::kNeedMore;
    std::size_t consumed = 0;
    int error_status = 0;  // 400, 413, 431 on kError
    const char* reason = "";
  };

  HttpParser(Handler& handler, HttpParserLimits limits);
  ~HttpParser();
  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  Result feed(std::string_view data);
  // The peer closed its side: completes a body delimited by EOF, or reports a truncated request.
  Result finish();
  void resume();
  // True between the first byte of a request and its head being complete (slowloris guard).
  bool in_head() const { return in_head_; }
  // True when no request is partly parsed.
  bool idle() const { return !in_message_; }

 private:
  struct Callbacks;
  Result make_result(int err, const char* data, std::size_t len);

  Handler& handler_;
  HttpParserLimits limits_;
  std::unique_ptr<::llhttp__internal_s> parser_;
  RequestHead head_;
  std::size_t head_bytes_ = 0;
  std::uint64_t body_bytes_ = 0;
  bool value_done_ = true;  // the last header callback finished a value; a field starts a pair
  bool in_head_ = false;
  bool in_message_ = false;
  int error_status_ = 0;
  const char* error_reason_ = "";
};

}  // namespace laurel::server
