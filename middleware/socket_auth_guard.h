// middleware/socket_auth_guard.h
#pragma once

// Keeps an authenticated WebSocket honest after the handshake, for any inner application
// (consumer or not), by standing between it and the server:
// - answers the handshake with the plain "bearer" subprotocol when the token came as one
//   (scope["auth"]["subprotocol"]) and the application chose none, so the token is never echoed;
// - joins the socket to its user's group (auth/revocation.h) once accepted, and closes it with
//   4401 when `laurel.session.revoked` arrives (logout, password change, revocation);
// - optionally closes it with 4408 when its access token expires (scope["auth"]["expires_at"]),
//   unless the client sends `{"type": "authenticate", "token": "<new access token>"}` first,
//   which extends it and is answered `{"type": "authenticated", "expires_in": N}` (the frame
//   never reaches the application).
// Unauthenticated sockets pass through untouched, at no cost.

#include "auth/auth_config.h"
#include "middleware/middleware.h"

namespace laurel::middleware {

struct SocketGuardOptions {
  bool enforce_token_expiry = true;  // close 4408 when the access token expires
};

class SocketAuthGuard final : public Middleware {
 public:
  SocketAuthGuard(asgi::ApplicationPtr inner, auth::AuthConfigPtr config,
                  SocketGuardOptions options = {});
  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) override;
  std::string name() const override { return "SocketAuthGuard"; }

 private:
  auth::AuthConfigPtr config_;
  SocketGuardOptions options_;
};

// Parses a client frame as an in-band `authenticate` message; the token, or nullopt when the
// frame is something else (cheap: only frames mentioning "authenticate" are parsed).
std::optional<std::string> authenticate_message_token(std::string_view frame);

}  // namespace laurel::middleware
