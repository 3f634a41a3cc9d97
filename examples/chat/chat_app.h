// examples/chat/chat_app.h
#pragma once

// The chat demo's application, the Channels tutorial's asgi.py and routing.py in one function:
// HTTP serves the lobby page at / and the room page at /chat/<room_name>/; WebSocket serves
// ws/chat/<room_name>/ (ChatConsumer) and ws/echo/ (EchoConsumer). The channel layer is the
// process default (channel_layer::set_default_layer), which main() chooses.

#include <string>
#include <vector>

#include "asgi/application.h"
#include "auth/auth_config.h"

namespace laurel::chat {

// The tutorial's routes with no authentication (consumer tests use it).
asgi::ApplicationPtr make_application();

// The demo as served: the same routes plus POST /auth/login, /auth/logout, /auth/token,
// /auth/refresh and /auth/ticket (login attempts rate-limited), and every WebSocket behind
// laurel's default stack (middleware/default_stack.h). ws/chat/<room>/ needs an authenticated
// user (401 at the handshake otherwise); ws/echo/ stays open.
asgi::ApplicationPtr make_application(auth::AuthConfigPtr config,
                                      std::vector<std::string> allowed_hosts);

}  // namespace laurel::chat
