// middleware/token_auth_middleware.h
#pragma once

// Authenticates a connection by a credential it carries, before routing, for clients that are
// not (only) browsers: `Authorization: Bearer <jwt>` (simplejwt-compatible HS256 access tokens),
// `Authorization: Token <key>` (DRF authtoken_token), the access token as a WebSocket
// subprotocol (`new WebSocket(url, ["bearer", token])`), a one-time `?ticket=` from
// POST /auth/ticket, and, opt-in, HTTP Basic.
//
// Precedence: the Authorization header, then the subprotocol, then the ticket; the first
// credential present decides, and a bad one is refused even if a later one would pass. With
// no credential the scope is left as it is (scope["user"] from the session stack, if any,
// else anonymous). A token credential replaces a session user: put this middleware inside
// AuthMiddlewareStack (middleware/default_stack.h does), and the origin policy after both.
//
// Refusal is HTTP 401 at the handshake, no upgrade, with `WWW-Authenticate: Bearer
// realm="laurel", error="invalid_token", error_description="..."`; the description says
// "expired" when the client should refresh rather than log in again.
//
// On success scope["user"] is the user and scope["auth"] says how:
//   {"method": "bearer"|"token"|"subprotocol"|"ticket"|"basic", "user_id": id,
//    "expires_at": exp (JWTs only), "subprotocol": "bearer" (subprotocol only)}.
// For the subprotocol the token is removed from scope["subprotocols"] (and from the
// Sec-WebSocket-Protocol header in the scope); SocketAuthGuard then answers the handshake with
// the plain "bearer" protocol, so the token is never echoed back.

#include <optional>
#include <string>

#include "auth/auth_config.h"
#include "middleware/async_middleware.h"

namespace laurel::middleware {

struct TokenAuthOptions {
  bool bearer = true;       // Authorization: Bearer <jwt>
  bool drf_token = true;    // Authorization: Token <key>, when authtoken_token exists
  bool subprotocol = true;  // Sec-WebSocket-Protocol: bearer, <jwt>
  bool ticket = true;       // ?ticket=<one-time ticket>
  // HTTP Basic (username:password on every handshake). Off: passwords on every connection
  // cost a slow hash each and end up in proxies' hands; on only over TLS unless
  // basic_without_tls is set too (tests, a TLS-terminating proxy on loopback).
  bool basic = false;
  bool basic_without_tls = false;
  std::string realm = "laurel";
};

class TokenAuthMiddleware final : public AsyncMiddleware {
 public:
  TokenAuthMiddleware(asgi::ApplicationPtr inner, auth::AuthConfigPtr config,
                      TokenAuthOptions options = {});
  std::string name() const override { return "TokenAuthMiddleware"; }

 protected:
  Task<std::optional<Denial>> resolve(asgi::Scope& scope, asgi::EventLoop& loop) const override;

 private:
  Task<std::optional<Denial>> from_jwt(asgi::Scope& scope, asgi::EventLoop& loop,
                                       std::string token, std::string method) const;
  Task<std::optional<Denial>> from_user_id(asgi::Scope& scope, asgi::EventLoop& loop,
                                           std::optional<std::int64_t> user_id,
                                           std::string method, Denial refusal) const;

  auth::AuthConfigPtr config_;
  TokenAuthOptions options_;
};

// The 401 a bad bearer credential gets: `error_description` tells expired apart.
Denial invalid_token_denial(std::string_view realm, bool expired);

// The value of the first header `name` (lower-case) in the scope, if any.
std::optional<std::string> header_of(const asgi::Scope& scope, std::string_view name);
// A query-string parameter, percent- and plus-decoded; nullopt when absent.
std::optional<std::string> query_param(const asgi::Scope& scope, std::string_view name);

}  // namespace laurel::middleware
