// tools/cli/route_json.cpp

#include "tools/cli/route_json.h"

namespace laurel::cli {

asgi::Value route_json(const asgi::RouteDescription& route) {
  asgi::Value middleware = asgi::Value::list();
  for (const auto& name : route.middleware) middleware.push_back(name);
  // A route outside any ProtocolTypeRouter serves every protocol; the table prints it as "*".
  return asgi::Value{{"protocol", route.protocol.empty() ? "*" : route.protocol},
                     {"pattern", route.pattern},
                     {"name", route.name},
                     {"target", route.target},
                     {"middleware", std::move(middleware)}};
}

asgi::Value routes_json(const std::vector<asgi::RouteDescription>& routes) {
  asgi::Value out = asgi::Value::list();
  for (const auto& route : routes) out.push_back(route_json(route));
  return out;
}

}  // namespace laurel::cli
