// tools/cli/route_walk.h
#pragma once

// The application's routes as chains of URL patterns, outermost URLRouter first, for the parts of
// `laurel routes` that need the compiled patterns and not only their text: why a path misses, and
// which route hides another. It walks the tree as describe() does and yields the same rows.

#include <cstddef>
#include <vector>

#include "asgi/application.h"
#include "asgi/url_router.h"

namespace laurel::cli {

// One URLRouter on the way to a route.
struct RouteLevel {
  const asgi::URLRouter* router = nullptr;  // the router that holds the route
  std::size_t index = 0;                    // its position in router->routes()
  const asgi::Route* route = nullptr;
};

struct RouteChain {
  asgi::RouteDescription row;      // the route-table row, as describe() gives it
  std::vector<RouteLevel> levels;  // outermost first; empty when no URLRouter leads there
};

// Routers and middleware are followed; anything else (a consumer, a ChannelNameRouter, an
// application laurel does not know) describes itself and ends its chains.
std::vector<RouteChain> walk_routes(const asgi::Application& app);

}  // namespace laurel::cli
