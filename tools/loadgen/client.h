// tools/loadgen/client.h
#pragma once

// One benchmark WebSocket client on a libuv loop: connect, upgrade (llhttp reads the 101 and the
// Sec-WebSocket-Accept is checked), then frames both ways. Writes are batched: callers append
// frames to out() and flush() once per batch, which costs one send() for many messages.
// A Client frees itself in its close callback, after telling its owner through Events::on_closed.

#include <llhttp.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

#include "frames.h"

namespace laurel::loadgen {

// Where and how to connect; shared by every client of a run.
struct Target {
  sockaddr_storage addr{};
  std::string host_header;  // host:port
  // With --ports, one address per server process; client i connects to spread[i % size].
  std::vector<sockaddr_storage> spread;
  std::vector<std::string> spread_host_headers;
  const sockaddr_storage& addr_for(uint32_t i) const {
    return spread.empty() ? addr : spread[i % spread.size()];
  }
  const std::string& host_for(uint32_t i) const {
    return spread.empty() ? host_header : spread_host_headers[i % spread.size()];
  }
  std::string path;
  std::vector<std::string> headers;  // extra handshake headers, "Name: value"
};

class Client {
 public:
  class Events {
   public:
    virtual ~Events() = default;
    virtual void on_open(Client& c) = 0;                        // 101 received and checked
    virtual void on_message(Client& c, const Message& m) = 0;   // text or binary message
    virtual void on_closed(Client& c, bool was_open, bool error) = 0;  // last call; c then dies
  };

  Client(uv_loop_t* loop, const Target& target, Events& events, uint32_t index);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void start();  // connect and send the upgrade request
  std::vector<char>& out() { return out_; }
  void flush();
  // Sends a close frame and waits for the server's close frame or EOF (graceful), or sends it
  // and closes the socket right away (abort). Idempotent.
  void close(bool graceful);

  uint32_t index() const { return index_; }
  bool is_open() const { return state_ == State::kOpen; }
  uint64_t started_ns() const { return started_ns_; }
  uint64_t opened_ns() const { return opened_ns_; }
  uint64_t outstanding = 0;  // owner's bookkeeping: messages sent and not yet answered

 private:
  enum class State { kConnecting, kUpgrading, kOpen, kClosing, kClosed };

  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void on_write(uv_write_t* req, int status) noexcept;
  static void on_handle_closed(uv_handle_t* h) noexcept;
  static const llhttp_settings_t& settings();
  static int on_header_field(llhttp_t* p, const char* at, size_t n) noexcept;
  static int on_header_value(llhttp_t* p, const char* at, size_t n) noexcept;
  static int on_header_value_complete(llhttp_t* p) noexcept;
  static int on_headers_complete(llhttp_t* p) noexcept;

  void handle_bytes(const char* p, size_t n);
  void handle_upgrade_bytes(const char* p, size_t n);
  void handle_frame_bytes(const char* p, size_t n);
  void fail();
  void shut();

  uv_loop_t* loop_;
  const Target& target_;
  Events& events_;
  uint32_t index_;
  State state_ = State::kConnecting;
  bool error_ = false;
  bool was_open_ = false;
  bool writing_ = false;
  uint64_t started_ns_ = 0;
  uint64_t opened_ns_ = 0;

  uv_tcp_t tcp_{};
  uv_connect_t connect_req_{};
  uv_write_t write_req_{};
  std::vector<char> out_;      // frames appended since the last flush
  std::vector<char> writing_buf_;  // bytes handed to uv_write, owned until its callback

  // Upgrade response parsing; released once the socket is open.
  llhttp_t parser_{};
  std::string expected_accept_;
  std::string field_, value_;
  bool accept_ok_ = false;

  FrameReader reader_;
};

}  // namespace laurel::loadgen
