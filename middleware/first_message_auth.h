// middleware/first_message_auth.h
#pragma once

// Opt-in first-message authentication, for clients that can neither set headers nor use a
// subprotocol or a ticket: the handshake is accepted unauthenticated, and the first frame
// must be `{"type": "authenticate", "token": "<access token>"}` within `deadline`, else the
// socket is closed with 4401. On success the client gets `{"type": "authenticated",
// "expires_in": N}` and only then does the inner application start, with scope["user"] set
// and a websocket.connect whose accept is already done. Off by default: an unauthenticated
// socket costs the server a connection slot until the deadline, and the application cannot
// refuse at the handshake with a status a client library can read.
// A scope that is already authenticated (header, cookie) passes straight through.

#include <chrono>

#include "auth/auth_config.h"
#include "middleware/middleware.h"

namespace laurel::middleware {

class FirstMessageAuth final : public Middleware {
 public:
  FirstMessageAuth(asgi::ApplicationPtr inner, auth::AuthConfigPtr config,
                   std::chrono::milliseconds deadline = std::chrono::seconds(5));
  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) override;
  std::string name() const override { return "FirstMessageAuth"; }

 private:
  auth::AuthConfigPtr config_;
  std::chrono::milliseconds deadline_;
};

}  // namespace laurel::middleware
