// asgi/routing.cpp — the route table and route matching as `laurel routes` shows them.

#include "asgi/routing.h"

namespace laurel::asgi {

std::vector<RouteDescription> describe_routes(const Application& app) {
  std::vector<RouteDescription> out;
  RouteDescription context;
  context.protocol = "*";
  app.describe(out, context);
  return out;
}

std::optional<RouteMatch> match_route(const Application& app, std::string_view protocol,
                                      std::string_view path, std::string_view root_path) {
  std::string_view type = protocol == "ws" ? std::string_view("websocket") : protocol;
  Scope scope{{"type", type}};
  if (type == "channel") {
    scope["channel"] = path;
  } else {
    scope["path"] = path;
    if (!root_path.empty()) scope["root_path"] = root_path;
  }
  RouteDescription context;
  context.protocol = "*";
  RouteMatch out;
  try {
    if (app.match(scope, context, out)) return out;
  } catch (const RoutingError&) {
    // A scope the application cannot route at all is, for this question, no match.
  }
  return std::nullopt;
}

}  // namespace laurel::asgi
