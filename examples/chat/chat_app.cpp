// examples/chat/chat_app.cpp

#include "examples/chat/chat_app.h"

#include "asgi/routing.h"
#include "auth/endpoints.h"
#include "consumers/as_asgi.h"
#include "examples/chat/chat_consumer.h"
#include "examples/chat/chat_pages.h"
#include "middleware/default_stack.h"
#include "middleware/login_required.h"
#include "middleware/rate_limit.h"

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

asgi::ApplicationPtr make_application(auth::AuthConfigPtr config,
                                      std::vector<std::string> allowed_hosts) {
  using asgi::path;
  using asgi::re_path;
  using consumers::as_asgi;

  auto chat = std::make_shared<middleware::LoginRequired>(as_asgi<ChatConsumer>());
  auto websocket_urlpatterns = std::make_shared<asgi::URLRouter>(asgi::URLRouter{
      re_path(R"(ws/chat/(?P<room_name>\w+)/$)", chat, "chat"),
      re_path(R"(ws/echo/$)", as_asgi<EchoConsumer>(), "echo"),
  });
  std::vector<asgi::Route> http_routes = {
      path("", as_asgi<LobbyPage>(), "index"),
      path("chat/<str:room_name>/", as_asgi<RoomPage>(), "room"),
  };
  for (auto& route : auth::auth_urlpatterns(config)) {
    // Password guessing is throttled where passwords are checked.
    if (route.name == "auth-login" || route.name == "auth-token") {
      route.app = std::make_shared<middleware::LoginRateLimit>(route.app);
    }
    http_routes.push_back(std::move(route));
  }
  bool debug = allowed_hosts.empty();  // the demo on localhost: Django's DEBUG default hosts
  return std::make_shared<asgi::ProtocolTypeRouter>(asgi::ProtocolTypeRouter{
      {"http", std::make_shared<asgi::URLRouter>(std::move(http_routes))},
      {"websocket", middleware::default_websocket_stack(websocket_urlpatterns, config,
                                                        std::move(allowed_hosts),
                                                        {.debug = debug})},
  });
}

}  // namespace laurel::chat
