// middleware/middleware.h
#pragma once

// The base of every middleware: an Application that wraps an inner Application, may add keys to
// the scope, and may refuse the connection before the inner application sees it. Synchronous
// middleware (cookies, origin checks) derive from ScopeMiddleware; middleware that must wait for
// a database or a token check derive from AsyncMiddleware (middleware/async_middleware.h).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asgi/application.h"

namespace laurel::middleware {

// A refusal: for a WebSocket handshake, the HTTP response sent instead of the upgrade (403, or
// 401 with WWW-Authenticate); for an HTTP request, the response.
struct Denial {
  int status = 403;
  asgi::Headers headers;
  std::string body;

  static Denial forbidden(std::string body = "Forbidden\n");
  static Denial unauthorized(std::string www_authenticate, std::string body = "Unauthorized\n");
};

// Sends `denial` through `peer` in the form the scope's protocol needs.
void send_denial(asgi::Peer& peer, const asgi::Scope& scope, const Denial& denial);

class Middleware : public asgi::Application {
 public:
  explicit Middleware(asgi::ApplicationPtr inner);
  // Adds this middleware to the stack in `context` and describes the inner application.
  void describe(std::vector<asgi::RouteDescription>& out,
                const asgi::RouteDescription& context) const override;
  // Adds this middleware to the stack in `context` and follows the inner application.
  bool match(const asgi::Scope& scope, const asgi::RouteDescription& context,
             asgi::RouteMatch& out) const override;
  const asgi::ApplicationPtr& inner() const { return inner_; }

 protected:
  asgi::ApplicationPtr inner_;
};

// Middleware that decides at once: `process` edits the scope, or returns a Denial.
class ScopeMiddleware : public Middleware {
 public:
  using Middleware::Middleware;
  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) final;

 protected:
  virtual std::optional<Denial> process(asgi::Scope& scope) const = 0;
};

}  // namespace laurel::middleware
