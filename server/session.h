// server/session.h
#pragma once

// The protocol spoken on one connection (HTTP/1.1 first, WebSocket after an upgrade). The
// Connection owns the socket and its buffers and calls the session for bytes, timers and the
// once-per-iteration tick; the session turns them into application events and queues output.

#include <span>

namespace laurel::server {

class Session {
 public:
  virtual ~Session() = default;
  // The session became the connection's protocol (first, or after an upgrade).
  virtual void on_start() {}
  // Bytes from the socket; valid (and writable) only during the call.
  virtual void on_data(std::span<char> bytes) = 0;
  // The peer closed its side (EOF) or the read failed.
  virtual void on_eof() = 0;
  // The connection's timer fired (the session armed it with Connection::set_timer).
  virtual void on_timer() = 0;
  // Once per loop iteration when the connection asked for it (Connection::schedule): deferred
  // work that must not run inside an application's call, such as destroying a finished instance.
  virtual void on_tick() = 0;
  // The outbound buffer was fully written to the socket.
  virtual void on_drained() = 0;
  // The socket is closed: deliver the final event and release the application instance.
  virtual void on_closed() = 0;
  // Graceful shutdown began: finish what is in flight, close WebSockets with 1001.
  virtual void on_shutdown() = 0;
};

}  // namespace laurel::server
