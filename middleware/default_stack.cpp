// middleware/default_stack.cpp
#include "middleware/default_stack.h"

#include "middleware/auth_middleware.h"
#include "middleware/cookie_origin_policy.h"
#include "middleware/first_message_auth.h"

namespace laurel::middleware {

asgi::ApplicationPtr default_websocket_stack(asgi::ApplicationPtr inner,
                                             auth::AuthConfigPtr config,
                                             std::vector<std::string> allowed_hosts,
                                             WebsocketStackOptions options) {
  asgi::ApplicationPtr app = std::move(inner);
  if (options.first_message_auth) {
    // Inside the guard's reach: the guard sees the user once the first message set it.
    app = std::make_shared<SocketAuthGuard>(app, config, options.guard);
    app = std::make_shared<FirstMessageAuth>(app, config, options.first_message_deadline);
  } else {
    app = std::make_shared<SocketAuthGuard>(app, config, options.guard);
  }
  app = std::make_shared<CookieOriginPolicy>(app, std::move(allowed_hosts), options.debug);
  app = std::make_shared<TokenAuthMiddleware>(app, config, options.token);
  return AuthMiddlewareStack(app, config);
}

}  // namespace laurel::middleware
