// examples/chat/chat_app.h
#pragma once

// The chat demo's application, the Channels tutorial's asgi.py and routing.py in one function:
// HTTP serves the lobby page at / and the room page at /chat/<room_name>/; WebSocket serves
// ws/chat/<room_name>/ (ChatConsumer) and ws/echo/ (EchoConsumer). The channel layer is the
// process default (channel_layer::set_default_layer), which main() chooses.

#include "asgi/application.h"

namespace laurel::chat {

asgi::ApplicationPtr make_application();

}  // namespace laurel::chat
