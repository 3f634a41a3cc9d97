// asgi/url_router.cpp — Channels' URLRouter: routes in order, nested routers, url_route.

#include "asgi/url_router.h"

namespace laurel::asgi {

namespace {

void check_app(const std::string& pattern, const ApplicationPtr& app) {
  if (!app) throw ImproperlyConfigured("URL pattern '" + pattern + "' has no application");
}

bool routes_paths(const ApplicationPtr& app) {
  // Channels marks a path() or re_path() whose target is itself a URLRouter as a prefix, not an
  // endpoint; anything else (middleware included) keeps Django's endpoint anchoring.
  return dynamic_cast<const URLRouter*>(app.get()) != nullptr;
}

std::string quoted(std::string_view path) { return Value(path).repr(); }

// The outermost router found nothing. Channels raises here and leaves the answer to the server
// (a 500, or a dropped handshake); laurel answers the client with what the miss means.
void refuse(const Scope& scope, Peer& peer, std::string_view path) {
  std::string_view type = scope.get_string("type");
  if (type == "http") {
    peer.send(HttpResponseStart{404, {{"content-type", "text/plain; charset=utf-8"}}});
    peer.send(HttpResponseBody{"Not Found", false});
  } else if (type == "websocket") {
    peer.send(WebsocketClose{});  // before accept: the handshake is denied (HTTP 403)
  } else {
    throw RoutingError("No route found for path " + quoted(path) + ".");
  }
}

}  // namespace

Route re_path(std::string regex, ApplicationPtr app, std::string name, Dict defaults) {
  check_app(regex, app);
  bool endpoint = !routes_paths(app);
  return Route{RoutePattern(std::move(regex), RoutePattern::Syntax::kRegex, endpoint),
               std::move(app), std::move(name), std::move(defaults)};
}

Route path(std::string route, ApplicationPtr app, std::string name, Dict defaults) {
  check_app(route, app);
  bool endpoint = !routes_paths(app);
  return Route{RoutePattern(std::move(route), RoutePattern::Syntax::kPath, endpoint),
               std::move(app), std::move(name), std::move(defaults)};
}

std::optional<std::string> URLRouter::routing_path(const Scope& scope) {
  const Value* remaining = scope.find("path_remaining");
  const Value* full = remaining ? remaining : scope.find("path");
  if (full == nullptr || !full->is_string()) {
    throw RoutingError("No 'path' key in connection scope, cannot route URLs");
  }
  std::string_view path = full->as_string();
  if (remaining == nullptr) {
    // The outermost router routes below root_path (the mount point behind a proxy), as Channels
    // has done since 4.1: a path outside it matches nothing.
    std::string_view root = scope.get_string("root_path");
    if (!root.empty()) {
      if (path.substr(0, root.size()) != root) return std::nullopt;
      path.remove_prefix(root.size());
    }
  }
  // Django's patterns are written without the leading slash.
  std::size_t slashes = path.find_first_not_of('/');
  path.remove_prefix(slashes == std::string_view::npos ? path.size() : slashes);
  return std::string(path);
}

Scope URLRouter::narrowed_scope(const Scope& scope, const Route& route,
                                const RoutePattern::Match& match, std::string_view path) {
  // Arguments accumulate through nested routers: args append, kwargs merge (inner wins).
  const List* outer_args = nullptr;
  const Dict* outer_kwargs = nullptr;
  if (const Value* outer = scope.find("url_route")) {
    if (const Value* a = outer->find("args"); a && a->is_list()) outer_args = &a->as_list();
    if (const Value* k = outer->find("kwargs"); k && k->is_dict()) outer_kwargs = &k->as_dict();
  }
  Dict inner = scope.as_dict();
  inner.reserve(inner.size() + !inner.contains("path_remaining") + !inner.contains("url_route"));
  inner.insert_or_assign("path_remaining", Value(path.substr(match.end)));
  bool no_arguments = (outer_args == nullptr || outer_args->empty()) &&
                      (outer_kwargs == nullptr || outer_kwargs->empty()) &&
                      match.args.size() == 0 && match.kwargs.size() == 0 && route.defaults.empty();
  if (no_arguments) {
    // Most routes capture nothing: their connections share one empty url_route.
    static const Value empty = Value::shared({{"args", Value::list()}, {"kwargs", Value::dict()}});
    inner.insert_or_assign("url_route", empty);
    return Value(std::move(inner));
  }
  // Every connection keeps its url_route: sized exactly, no growth slack.
  List args;
  args.reserve((outer_args ? outer_args->size() : 0) + match.args.size());
  if (outer_args) args.insert(args.end(), outer_args->begin(), outer_args->end());
  for (const Value& a : match.args.as_list()) args.push_back(a);
  Dict kwargs;
  kwargs.reserve((outer_kwargs ? outer_kwargs->size() : 0) + match.kwargs.size() +
                 route.defaults.size());
  if (outer_kwargs) {
    for (const auto& [key, value] : *outer_kwargs) kwargs.emplace(key, value);
  }
  for (const auto& [key, value] : match.kwargs.as_dict()) kwargs.insert_or_assign(key, value);
  for (const auto& [key, value] : route.defaults) kwargs.insert_or_assign(key, value);
  if (kwargs.size() != kwargs.capacity()) kwargs.shrink_to_fit();  // repeated keys merged
  Dict url_route;
  url_route.reserve(2);
  url_route.emplace("args", std::move(args));
  url_route.emplace("kwargs", std::move(kwargs));
  inner.insert_or_assign("url_route", Value(std::move(url_route)));
  return Value(std::move(inner));
}

std::unique_ptr<Instance> URLRouter::start(Scope scope, Peer& peer) {
  bool nested = scope.contains("path_remaining");
  std::optional<std::string> path = routing_path(scope);
  if (path) {
    for (const Route& route : routes_) {
      auto m = route.pattern.match(*path);
      if (!m) continue;
      try {
        return route.app->start(narrowed_scope(scope, route, *m, *path), peer);
      } catch (const RouteNotFound&) {
        // A nested router had nothing: keep looking, as Channels does on Resolver404.
      }
    }
  }
  std::string shown = path ? *path : std::string(scope.get_string("path"));
  if (nested) throw RouteNotFound("No route found for path " + quoted(shown) + ".");
  refuse(scope, peer, shown);
  return nullptr;
}

void URLRouter::describe(std::vector<RouteDescription>& out,
                         const RouteDescription& context) const {
  for (const Route& route : routes_) {
    RouteDescription inner = context;
    inner.pattern += route.pattern.pattern();
    inner.name = route.name;
    route.app->describe(out, inner);
  }
}

bool URLRouter::match(const Scope& scope, const RouteDescription& context, RouteMatch& out) const {
  std::optional<std::string> path = routing_path(scope);
  if (!path) return false;
  for (const Route& route : routes_) {
    auto m = route.pattern.match(*path);
    if (!m) continue;
    RouteDescription inner = context;
    inner.pattern += route.pattern.pattern();
    inner.name = route.name;
    if (route.app->match(narrowed_scope(scope, route, *m, *path), inner, out)) return true;
  }
  return false;
}

}  // namespace laurel::asgi
