// asgi/routing_errors.h
#pragma once

// The exceptions routers raise: a bad route table at start-up, a scope a router cannot route, and
// the internal "no route here" signal a nested URLRouter gives its enclosing one.

#include <stdexcept>
#include <string>

namespace laurel::asgi {

// A route table that cannot work (bad regex, unknown path converter): raised at construction,
// so a misconfigured application fails at start-up, not on the first connection. Django's name.
class ImproperlyConfigured : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A scope the router cannot handle at all (no "path", an unknown scope type or channel name).
class RoutingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Raised by a nested URLRouter that matched nothing, so that the enclosing URLRouter tries its
// next route, as Django's Resolver404 does in Channels. The outermost router never lets it out:
// it answers the client with a 404 or a denied handshake instead.
class RouteNotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace laurel::asgi
