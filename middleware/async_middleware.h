// middleware/async_middleware.h
#pragma once

// Middleware that needs to wait before the inner application may start: a session read from the
// database, a token checked against a revocation list. Events that arrive meanwhile (the
// websocket.connect, the first body chunks) are held and replayed, in order, to the inner
// instance once the scope is resolved. Then the middleware leaves the event path: the owner of
// the connection holds the inner instance itself (Peer::replace_instance), or, when resolution
// did not have to wait, start() returns the inner instance directly. An owner that cannot swap
// (an outer wrapper) keeps a stand-in that forwards. If the client leaves first, the inner
// application is never started.

#include <optional>

#include "asgi/task.h"
#include "middleware/middleware.h"

namespace laurel::middleware {

class AsyncMiddleware : public Middleware {
 public:
  using Middleware::Middleware;
  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) final;

 protected:
  // Completes `scope` (adds keys) or returns a Denial. Runs on the connection's loop; `scope`
  // stays valid across suspensions. `loop` is the connection's loop (for run_blocking).
  virtual Task<std::optional<Denial>> resolve(asgi::Scope& scope, asgi::EventLoop& loop) const = 0;
};

}  // namespace laurel::middleware
