// server/connection.h
#pragma once

// One accepted socket. Owns the libuv stream handle and one deadline on the worker's timer
// heap (the connection's only timer), reads into
// the loop's shared buffer, and keeps a bounded outbound buffer that is written once per loop
// iteration (uv_try_write first, uv_write for the rest). close() is idempotent; the object is
// freed only in the close callback, after the session delivered its final event.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <uv.h>

#include "server/scope_builder.h"
#include "server/session.h"
#include "server/timer_heap.h"
#include "server/tls_layer.h"

namespace laurel::server {

struct WorkerContext;
struct ListenSocket;

class Connection : private TimerHeap::Entry {
 public:
  // Accepts one pending connection from `server` (listening on `socket`) and starts its HTTP
  // session, behind TLS when the socket has a TLS context.
  static void accept_from(WorkerContext& ctx, uv_stream_t* server, const ListenSocket& socket);

  WorkerContext& ctx() { return ctx_; }
  // The two ends, formatted on each call: the connection keeps the client's binary and asks the
  // kernel for its own end (a system call: for building a scope, not for logging).
  ConnectionInfo info() const;
  // The client's end only, without the system call (access log, error messages).
  ConnectionInfo peer() const;
  // Accepted on the --metrics listener: only the built-in endpoints are served.
  bool metrics_only() const { return metrics_only_; }

  // Output: append to out() and call schedule(); the bytes go out before the loop next waits.
  // An idle connection holds no output buffer: out() lends it one of the worker's spares.
  std::string& out() {
    if (out_.empty()) borrow_out();
    return out_;
  }
  std::size_t buffered() const;  // bytes queued and not yet taken by the kernel
  // Drops queued output that no write has started on (whole frames only), so a close frame can
  // go next. Not possible under TLS, where queued plaintext may begin mid-frame: returns false.
  bool discard_unsent();
  // Asks for Session::on_tick and a flush in this loop iteration. Cheap when already asked.
  void schedule();

  void set_timer(std::chrono::milliseconds delay);
  void clear_timer();

  // Reading stops while paused; bytes already read but not consumed go to keep_pending() and
  // are handed to the session again (on_data) when reading resumes.
  void pause_reading();
  void resume_reading();
  bool reading_paused() const { return read_paused_; }
  void keep_pending(std::string_view bytes);
  std::size_t pending_bytes() const { return pending_in_ ? pending_in_->size() : 0; }

  // Makes `next` the connection's session once the current session call returns (an upgrade).
  void replace_session(std::unique_ptr<Session> next);

  // Writes what is queued, half-closes, waits briefly for the peer to close, then closes. Bytes
  // read meanwhile are discarded (closing with unread input would reset the connection and
  // could destroy the response before the client read it).
  // `linger` false: close as soon as the output is written (a finished WebSocket closing
  // handshake, where nothing more is expected from the peer).
  void close_after_flush(bool linger = true);
  // Half-closed and waiting for the peer's EOF; a shutdown does not wait for these.
  bool lingering() const { return shut_down_; }
  // Closes now; queued output is dropped. Idempotent.
  void close();
  bool closing() const { return closing_ || graceful_close_; }
  bool closed() const { return closing_; }

  // Intrusive lists on the worker (scheduled connections, all connections).
  Connection* sched_next_ = nullptr;
  Connection* sched_prev_ = nullptr;
  Connection* all_next_ = nullptr;
  Connection* all_prev_ = nullptr;

  // Called by the worker once per iteration for scheduled connections.
  void tick();
  // The worker's timer heap calls this when the connection's deadline passed.
  static void on_deadline(TimerHeap::Entry& entry);
  Session* session() { return session_.get(); }

 private:
  struct WriteOp;
  Connection(WorkerContext& ctx, bool is_unix);
  ~Connection();

  static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void on_write(uv_write_t* req, int status) noexcept;
  static void on_shutdown(uv_shutdown_t* req, int status) noexcept;
  static void on_closed(uv_handle_t* h) noexcept;

  void handle_read(ssize_t nread, const uv_buf_t* buf);
  void deliver_plain(std::span<char> bytes);
  void tls_read(std::string_view cipher);
  void after_session_call();
  void flush();
  void drained();
  void borrow_out();
  void return_out();
  void start_reading();
  void unschedule();
  bool has_pending() const { return pending_in_ && !pending_in_->empty(); }

  WorkerContext& ctx_;
  union Stream {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h_;
  // An address as the kernel gave it; its text is made when a scope or log line needs it.
  struct Address {
    std::array<std::uint8_t, 16> bytes{};
    std::uint16_t port = 0;
    std::uint8_t family = 0;  // AF_INET, AF_INET6; 0 for none (a unix socket)
  };
  std::unique_ptr<Session> session_;
  std::unique_ptr<Session> next_session_;
  std::string out_;         // not yet handed to the kernel; no heap buffer when idle
  // Read but not yet consumed (rare: a paused read, or frames before the accept).
  std::unique_ptr<std::string> pending_in_;
  // TLS: out_ holds plaintext until the flush encrypts it into wire_out (ciphertext).
  struct Tls {
    explicit Tls(SSL* ssl) : layer(ssl) {}
    TlsLayer layer;
    std::string wire_out;
  };
  std::unique_ptr<Tls> tls_;
  WriteOp* inflight_ = nullptr;
  // The address and the flags share the tail of the object: no padding on every connection.
  Address client_addr_;
  bool is_unix_;
  bool read_paused_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool graceful_close_ = false;
  bool shut_down_ = false;
  bool linger_ = true;  // write side shut down, lingering for the peer's EOF
  bool metrics_only_ = false;
  bool tls_closed_ = false;  // close_notify queued

 public:
  bool scheduled_ = false;  // on the worker's scheduled list (above)
};

}  // namespace laurel::server
