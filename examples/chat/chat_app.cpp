// examples/chat/chat_app.cpp

#include "examples/chat/chat_app.h"

#include "asgi/routing.h"
#include "consumers/as_asgi.h"
#include "examples/chat/chat_consumer.h"
#include "examples/chat/chat_pages.h"

namespace laurel::chat {

asgi::ApplicationPtr make_application() {
  using asgi::path;
  using asgi::re_path;
  using consumers::as_asgi;

  // chat/routing.py: websocket_urlpatterns
  auto websocket_urlpatterns = std::make_shared<asgi::URLRouter>(asgi::URLRouter{
      re_path(R"(ws/chat/(?P<room_name>\w+)/$)", as_asgi<ChatConsumer>(), "chat"),
      re_path(R"(ws/echo/$)", as_asgi<EchoConsumer>(), "echo"),
  });
  // chat/urls.py: the lobby and the room page
  auto urlpatterns = std::make_shared<asgi::URLRouter>(asgi::URLRouter{
      path("", as_asgi<LobbyPage>(), "index"),
      path("chat/<str:room_name>/", as_asgi<RoomPage>(), "room"),
  });
  // mysite/asgi.py
  return std::make_shared<asgi::ProtocolTypeRouter>(asgi::ProtocolTypeRouter{
      {"http", urlpatterns},
      {"websocket", websocket_urlpatterns},
  });
}

}  // namespace laurel::chat
