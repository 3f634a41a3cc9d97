// server/connection.cpp
#include "server/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>

#include "server/http_session.h"
#include "server/listener.h"
#include "server/metrics.h"
#include "server/worker.h"

namespace laurel::server {
namespace {

// Drained output buffers up to this size go back to the worker's spares (no allocation per
// echoed frame); larger ones are freed.
constexpr std::size_t kKeepCapacity = 1024;
// How many spares a worker keeps: enough for the connections that write in one iteration.
constexpr std::size_t kMaxSpareBuffers = 128;
const std::size_t kInlineCapacity = std::string().capacity();
// How long a closing connection waits for the peer's EOF after our half-close.
constexpr std::chrono::milliseconds kLinger{2000};

template <class Address>
void keep_address(const sockaddr_storage& addr, Address& out) {
  if (addr.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    std::memcpy(out.bytes.data(), &a->sin_addr, sizeof a->sin_addr);
    out.port = ntohs(a->sin_port);
    out.family = AF_INET;
  } else if (addr.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    std::memcpy(out.bytes.data(), &a->sin6_addr, sizeof a->sin6_addr);
    out.port = ntohs(a->sin6_port);
    out.family = AF_INET6;
  }
}

template <class Address>
void format_address(const Address& addr, std::string& host, int& port) {
  if (addr.family == 0) return;
  char buf[INET6_ADDRSTRLEN] = {0};
  inet_ntop(addr.family, addr.bytes.data(), buf, sizeof buf);
  host = buf;
  port = addr.port;
}

}  // namespace

struct Connection::WriteOp {
  uv_write_t req;
  Connection* conn;
  std::string data;
  std::size_t offset;
};

Connection::Connection(WorkerContext& ctx, bool is_unix) : ctx_(ctx), is_unix_(is_unix) {
  uv_loop_t* loop = ctx_.loop.uv();
  if (is_unix_) {
    uv_pipe_init(loop, &h_.pipe, 0);
  } else {
    uv_tcp_init(loop, &h_.tcp);
  }
  h_.handle.data = this;
  // Link into the worker's list of live connections.
  all_next_ = ctx_.all_head;
  if (all_next_) all_next_->all_prev_ = this;
  ctx_.all_head = this;
  ++ctx_.connection_count;
}

Connection::~Connection() {
  unschedule();
  if (all_prev_) all_prev_->all_next_ = all_next_;
  if (all_next_) all_next_->all_prev_ = all_prev_;
  if (ctx_.all_head == this) ctx_.all_head = all_next_;
  --ctx_.connection_count;
}

void Connection::accept_from(WorkerContext& ctx, uv_stream_t* server, const ListenSocket& socket) {
  bool is_unix = socket.is_unix;
  auto* conn = new Connection(ctx, is_unix);
  if (uv_accept(server, &conn->h_.stream) != 0) {
    conn->close();  // another worker took it, or EMFILE; freed in the close callback
    return;
  }
  conn->metrics_only_ = socket.metrics_only;
  if (socket.tls) {
    SSL* ssl = socket.tls->new_ssl();
    if (!ssl) {
      conn->close();
      return;
    }
    conn->tls_ = std::make_unique<Tls>(ssl);
  }
  if (!is_unix) {
    uv_tcp_nodelay(&conn->h_.tcp, 1);
    sockaddr_storage addr{};
    int len = sizeof addr;
    if (uv_tcp_getpeername(&conn->h_.tcp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      keep_address(addr, conn->client_addr_);
    }
  }
  conn->session_ = std::make_unique<HttpSession>(*conn);
  conn->session_->on_start();
  conn->after_session_call();
  if (!conn->closed()) conn->start_reading();
}

ConnectionInfo Connection::peer() const {
  ConnectionInfo info;
  format_address(client_addr_, info.client_host, info.client_port);
  info.tls = tls_ != nullptr;
  return info;
}

ConnectionInfo Connection::info() const {
  ConnectionInfo info = peer();
  if (!is_unix_) {
    // Asked for when a request needs it, not kept: one syscall per request costs less than
    // twenty bytes on every idle connection.
    sockaddr_storage addr{};
    int len = sizeof addr;
    Address server;
    if (uv_tcp_getsockname(&h_.tcp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      keep_address(addr, server);
      format_address(server, info.server_host, info.server_port);
    }
  }
  return info;
}

std::size_t Connection::buffered() const {
  return out_.size() + (tls_ ? tls_->wire_out.size() : 0) +
         (inflight_ ? inflight_->data.size() - inflight_->offset : 0);
}

void Connection::schedule() {
  if (scheduled_ || closing_) return;
  scheduled_ = true;
  sched_prev_ = nullptr;
  sched_next_ = ctx_.scheduled_head;
  if (sched_next_) sched_next_->sched_prev_ = this;
  ctx_.scheduled_head = this;
}

void Connection::unschedule() {
  if (!scheduled_) return;
  if (sched_prev_) sched_prev_->sched_next_ = sched_next_;
  if (sched_next_) sched_next_->sched_prev_ = sched_prev_;
  if (ctx_.scheduled_head == this) ctx_.scheduled_head = sched_next_;
  sched_next_ = sched_prev_ = nullptr;
  scheduled_ = false;
}

void Connection::tick() {
  if (closing_) return;
  if (has_pending() && !read_paused_ && !shut_down_ && session_) {
    std::string bytes = std::move(*pending_in_);
    pending_in_.reset();
    session_->on_data(std::span<char>(bytes.data(), bytes.size()));
    after_session_call();
    if (closing_) return;
  }
  if (session_) {
    session_->on_tick();
    after_session_call();
  }
  if (!closing_) flush();
}

void Connection::after_session_call() {
  if (next_session_ && !closing_) {
    session_ = std::move(next_session_);
    session_->on_start();
    after_session_call();
  }
}

void Connection::set_timer(std::chrono::milliseconds delay) {
  if (closing_ || shut_down_) return;
  ctx_.timers.start(*this, delay);
}

void Connection::clear_timer() {
  if (!closing_ && !shut_down_) ctx_.timers.stop(*this);
}

void Connection::start_reading() {
  if (reading_ || closing_) return;
  if (uv_read_start(&h_.stream, on_alloc, on_read) == 0) reading_ = true;
}

void Connection::pause_reading() {
  read_paused_ = true;
  if (reading_ && !shut_down_) {
    uv_read_stop(&h_.stream);
    reading_ = false;
  }
}

void Connection::resume_reading() {
  if (closing_) return;
  if (has_pending()) schedule();  // replay what was read but not consumed
  if (!read_paused_) return;
  read_paused_ = false;
  start_reading();
}

void Connection::keep_pending(std::string_view bytes) {
  if (bytes.empty()) return;
  if (!pending_in_) pending_in_ = std::make_unique<std::string>();
  pending_in_->append(bytes);
}

void Connection::replace_session(std::unique_ptr<Session> next) { next_session_ = std::move(next); }

void Connection::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<Connection*>(h->data);
  WorkerContext& ctx = self->ctx_;
  *buf = uv_buf_init(ctx.read_buffer.get(), static_cast<unsigned>(WorkerContext::kReadBufferSize));
}

void Connection::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept {
  static_cast<Connection*>(s->data)->handle_read(nread, buf);
}

void Connection::handle_read(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0 || closing_) return;
  if (shut_down_) {
    // Lingering after our half-close: discard input, close on the peer's EOF.
    if (nread < 0) close();
    return;
  }
  if (nread < 0) {
    reading_ = false;  // libuv stops reading by itself after EOF
    if (session_) session_->on_eof();
    after_session_call();
    if (nread != UV_EOF) close();  // reset or error: nothing more can be written
    return;
  }
  ServerMetrics::get().socket_bytes_in.inc(static_cast<std::uint64_t>(nread));
  if (tls_) {
    tls_read(std::string_view(buf->base, static_cast<std::size_t>(nread)));
    return;
  }
  deliver_plain(std::span<char>(buf->base, static_cast<std::size_t>(nread)));
}

void Connection::deliver_plain(std::span<char> bytes) {
  if (closing_ || bytes.empty()) return;
  if (read_paused_ || has_pending() || !session_) {
    // A read that raced with pause_reading(), or older bytes still wait: keep the order.
    keep_pending(std::string_view(bytes.data(), bytes.size()));
    if (!read_paused_) schedule();
    return;
  }
  session_->on_data(bytes);
  after_session_call();
}

void Connection::tls_read(std::string_view cipher) {
  bool was_done = tls_->layer.handshake_done();
  // Decrypt into the worker's scratch buffer (taken, so a nested use could not clobber it).
  std::string plain = std::move(ctx_.tls_plain);
  plain.clear();
  TlsLayer::Status st = tls_->layer.receive(cipher, plain, tls_->wire_out);
  if (!was_done && tls_->layer.handshake_done()) ServerMetrics::get().tls_handshake_ok.inc();
  if (!tls_->wire_out.empty()) schedule();
  if (st == TlsLayer::Status::kError) {
    if (!was_done) ServerMetrics::get().tls_handshake_failed.inc();
    if (ctx_.config.verbosity >= 2) {
      std::fprintf(stderr, "laurel: TLS error from %s: %s\n", peer().client_host.c_str(),
                   tls_->layer.error().c_str());
    }
    flush();  // the alert, if the kernel takes it now
    close();
  } else {
    deliver_plain(std::span<char>(plain.data(), plain.size()));
    if (st == TlsLayer::Status::kClosed && !closing_) {
      // close_notify: the peer will send nothing more, as with EOF.
      if (session_) session_->on_eof();
      after_session_call();
    }
  }
  if (plain.capacity() > WorkerContext::kReadBufferSize * 2) std::string().swap(plain);
  ctx_.tls_plain = std::move(plain);
}

bool Connection::discard_unsent() {
  if (tls_) return false;
  // Without TLS, out_ only ever holds whole frames: a partial write moves the rest of the
  // buffer into the in-flight write, which is left alone.
  out_.clear();
  return_out();
  return true;
}

void Connection::borrow_out() {
  if (out_.capacity() > kInlineCapacity || ctx_.spare_out.empty() || closing_) return;
  out_.swap(ctx_.spare_out.back());
  ctx_.spare_out.pop_back();
  // The flush gives it back, also when nothing was appended after all.
  schedule();
}

void Connection::return_out() {
  if (!out_.empty() || out_.capacity() <= kInlineCapacity) return;
  if (out_.capacity() <= kKeepCapacity && ctx_.spare_out.size() < kMaxSpareBuffers) {
    ctx_.spare_out.push_back(std::move(out_));
  }
  std::string().swap(out_);
}

void Connection::flush() {
  if (closing_) return;
  if (tls_ && !tls_->layer.handshake_done() && graceful_close_) {
    close();  // nothing can be said to a peer that never finished its handshake
    return;
  }
  if (tls_ && !out_.empty()) {
    // Encrypt what the session queued (nothing moves before the handshake is complete).
    TlsLayer::Status st;
    std::size_t taken = tls_->layer.send(out_, tls_->wire_out, st);
    if (st == TlsLayer::Status::kError) {
      close();
      return;
    }
    if (taken == out_.size()) {
      out_.clear();
      return_out();
    } else {
      out_.erase(0, taken);
    }
  }
  std::string& wire = tls_ ? tls_->wire_out : out_;
  if (inflight_ || wire.empty()) {
    return_out();  // lent but not used
    if (!inflight_ && wire.empty() && out_.empty()) drained();
    return;
  }
  ServerMetrics::get().socket_bytes_out.inc(wire.size());
  uv_buf_t buf = uv_buf_init(wire.data(), static_cast<unsigned>(wire.size()));
  int n = uv_try_write(&h_.stream, &buf, 1);
  if (n == UV_EAGAIN || n == UV_ENOSYS) n = 0;
  if (n < 0) {
    close();  // EPIPE, ECONNRESET: the peer is gone
    return;
  }
  if (static_cast<std::size_t>(n) == wire.size()) {
    wire.clear();
    if (tls_) {
      if (wire.capacity() > kKeepCapacity) std::string().swap(wire);
    } else {
      return_out();
    }
    if (out_.empty()) drained();
    return;
  }
  // The kernel took part of it: hand the rest to uv_write, which owns it until the callback.
  auto* op = new WriteOp{};
  op->conn = this;
  op->data = std::move(wire);
  op->offset = static_cast<std::size_t>(n);
  wire = std::string();
  uv_buf_t rest = uv_buf_init(op->data.data() + op->offset,
                              static_cast<unsigned>(op->data.size() - op->offset));
  inflight_ = op;
  op->req.data = op;
  if (uv_write(&op->req, &h_.stream, &rest, 1, on_write) != 0) {
    inflight_ = nullptr;
    delete op;
    close();
  }
}

void Connection::on_write(uv_write_t* req, int status) noexcept {
  auto* op = static_cast<WriteOp*>(req->data);
  Connection* self = op->conn;
  self->inflight_ = nullptr;
  delete op;
  if (status < 0) {
    self->close();
    return;
  }
  if (self->closing_) return;
  self->flush();
}

void Connection::drained() {
  if (graceful_close_ && tls_ && !tls_closed_) {
    // Say goodbye at the TLS level before the TCP half-close (RFC 8446 §6.1).
    tls_closed_ = true;
    tls_->layer.close_notify(tls_->wire_out);
    if (!tls_->wire_out.empty()) {
      flush();
      return;
    }
  }
  if (graceful_close_ && !linger_) {
    close();
    return;
  }
  if (graceful_close_ && !shut_down_) {
    shut_down_ = true;
    ctx_.timers.start(*this, kLinger);
    auto* req = new uv_shutdown_t{};
    req->data = this;
    if (uv_shutdown(req, &h_.stream, on_shutdown) != 0) {
      delete req;
      close();
      return;
    }
    // Keep reading so that the peer's EOF (or late input) is seen and discarded.
    read_paused_ = false;
    start_reading();
    return;
  }
  if (session_ && !graceful_close_) session_->on_drained();
}

void Connection::on_shutdown(uv_shutdown_t* req, int status) noexcept {
  auto* self = static_cast<Connection*>(req->data);
  delete req;
  if (status < 0 && status != UV_ECANCELED) self->close();
}

void Connection::close_after_flush(bool linger) {
  if (closing_ || graceful_close_) return;
  graceful_close_ = true;
  linger_ = linger;
  pause_reading();
  schedule();
}

void Connection::close() {
  if (closing_) return;
  unschedule();
  closing_ = true;
  if (reading_) uv_read_stop(&h_.stream);
  reading_ = false;
  ctx_.timers.stop(*this);
  uv_close(&h_.handle, on_closed);
}

void Connection::on_deadline(TimerHeap::Entry& entry) {
  auto* self = static_cast<Connection*>(&entry);
  if (self->closing_) return;
  if (self->shut_down_) {
    self->close();  // the peer did not close within the linger time
    return;
  }
  if (self->session_) {
    self->session_->on_timer();
    self->after_session_call();
  }
}

void Connection::on_closed(uv_handle_t* h) noexcept {
  auto* self = static_cast<Connection*>(h->data);
  // The handle is closed: the session delivers its final event, then everything goes.
  if (self->session_) self->session_->on_closed();
  self->session_.reset();
  self->next_session_.reset();
  WorkerContext& ctx = self->ctx_;
  delete self;
  if (ctx.on_connection_closed) ctx.on_connection_closed();
}

}  // namespace laurel::server
