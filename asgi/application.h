// asgi/application.h
#pragma once

// The one seam between protocol code and application code. The server builds a Scope (an ASGI
// scope dict) for each connection or request, starts an Instance of the Application with it, pushes
// ReceiveEvents into the instance and carries its SendEvents back to the socket through the Peer.
// Middleware and routers are Applications that wrap other Applications.

#include <memory>
#include <string>
#include <vector>

#include "asgi/events.h"
#include "asgi/value.h"

namespace laurel::asgi {

class EventLoop;
class Instance;

// An ASGI scope: a dict with "type" ("http", "websocket", "channel", "lifespan"), "path",
// "headers", ... Middleware adds keys ("cookies", "session", "user", "url_route").
using Scope = Value;

// The server's side of one connection, as the application instance sees it. Valid until the
// instance is destroyed. Calls come on the connection's own loop thread only.
class Peer {
 public:
  virtual ~Peer() = default;
  // Queues an event for the client. Never blocks; kBackpressure asks the caller to slow down,
  // kDropped means the event was not sent (connection closing, or not valid in this state).
  virtual SendStatus send(const SendEvent& event) = 0;
  // The loop this connection lives on (timers, thread-pool work, posting from other threads).
  virtual EventLoop& loop() = 0;
  // Hands the connection over from `current` to `next`, for an instance that only stood in front
  // of another until it could start it (AsyncMiddleware, once the scope is resolved): later events
  // go straight to `next`. True when this peer's owner holds `current`: it took `next` and
  // destroys `current` once no call into it is on the stack (so it may be asked from inside
  // `current`'s own receive()). False, leaving `next` untouched, when it does not hold `current`
  // (an outer instance wraps it) or cannot swap: `current` then keeps forwarding to `next`.
  virtual bool replace_instance(Instance& current, std::unique_ptr<Instance>& next) {
    return false;
  }
};

// One running application for one connection or request (the ASGI "application called with a
// scope"). The server delivers every event on the connection's loop, never re-entrantly, and
// always ends with HttpDisconnect or WebsocketDisconnect unless the instance is destroyed because
// an HTTP response completed. The server destroys the instance after the last event; work that
// must outlive it (a coroutine awaiting Redis) keeps its own state alive and stops using the Peer.
class Instance {
 public:
  virtual ~Instance() = default;
  virtual void receive(const ReceiveEvent& event) = 0;
};

// One row of the route table, for `laurel routes` and route matching diagnostics.
struct RouteDescription {
  std::string protocol;                 // "http", "websocket", "channel", or "*" for any
  std::string pattern;                  // the full pattern, prefixes of nested routers joined
  std::string name;                     // the route's name, if it has one
  std::string target;                   // what handles it ("ChatConsumer")
  std::vector<std::string> middleware;  // the stack a connection passes, outermost first
};

// Where a scope would be routed, for `laurel routes --match`: the route-table row it ends at and
// the url_route arguments the application would see.
struct RouteMatch {
  RouteDescription route;
  Value args = Value::list();    // scope["url_route"]["args"]
  Value kwargs = Value::dict();  // scope["url_route"]["kwargs"]
};

class Application {
 public:
  virtual ~Application() = default;
  // Starts an instance for this scope. `peer` outlives the returned instance. Returning nullptr
  // is allowed only after the application already answered through `peer` (a denial or a 404).
  virtual std::unique_ptr<Instance> start(Scope scope, Peer& peer) = 0;

  // Adds this application's routes to `out`, with `context` as the enclosing middleware stack
  // and pattern prefix. Leaf applications add one row naming themselves.
  virtual void describe(std::vector<RouteDescription>& out, const RouteDescription& context) const;
  // Follows `scope` as start() would, without starting anything: routers narrow the scope and the
  // context and ask the chosen application; middleware adds its name to context.middleware and
  // forwards. A leaf fills `out` from `context` and scope["url_route"] and returns true; false
  // means no route matched.
  virtual bool match(const Scope& scope, const RouteDescription& context, RouteMatch& out) const;
  // A short name for route tables and logs ("AuthMiddleware", "URLRouter", "ChatConsumer").
  virtual std::string name() const { return "Application"; }
};

using ApplicationPtr = std::shared_ptr<Application>;

}  // namespace laurel::asgi
