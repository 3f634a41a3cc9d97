// tools/cli/route_walk.cpp — the routing tree, flattened into one chain per route-table row.

#include "tools/cli/route_walk.h"

#include "asgi/protocol_type_router.h"
#include "middleware/middleware.h"

namespace laurel::cli {
namespace {

void walk(const asgi::Application& app, const asgi::RouteDescription& context,
          const std::vector<RouteLevel>& levels, std::vector<RouteChain>& out) {
  if (const auto* types = dynamic_cast<const asgi::ProtocolTypeRouter*>(&app)) {
    for (const auto& [type, inner] : types->mapping()) {
      asgi::RouteDescription next = context;
      next.protocol = type;
      walk(*inner, next, levels, out);
    }
    return;
  }
  if (const auto* router = dynamic_cast<const asgi::URLRouter*>(&app)) {
    const std::vector<asgi::Route>& routes = router->routes();
    for (std::size_t i = 0; i < routes.size(); ++i) {
      asgi::RouteDescription next = context;
      next.pattern += routes[i].pattern.pattern();
      next.name = routes[i].name;
      std::vector<RouteLevel> deeper = levels;
      deeper.push_back(RouteLevel{router, i, &routes[i]});
      walk(*routes[i].app, next, deeper, out);
    }
    return;
  }
  if (const auto* middleware = dynamic_cast<const middleware::Middleware*>(&app)) {
    asgi::RouteDescription next = context;
    next.middleware.push_back(middleware->name());
    walk(*middleware->inner(), next, levels, out);
    return;
  }
  std::vector<asgi::RouteDescription> rows;
  app.describe(rows, context);
  for (auto& row : rows) out.push_back(RouteChain{std::move(row), levels});
}

}  // namespace

std::vector<RouteChain> walk_routes(const asgi::Application& app) {
  std::vector<RouteChain> out;
  walk(app, asgi::RouteDescription{}, {}, out);
  return out;
}

}  // namespace laurel::cli
