// asgi/url_router.h
#pragma once

// URLRouter: picks an application by the scope's path, with Channels' semantics. Routes are
// re_path() regexes or Django path() routes; a nested URLRouter continues from where its prefix
// stopped (scope["path_remaining"]), and scope["url_route"] collects args and kwargs on the way.
// No match: a 404 for HTTP, a denied handshake for WebSocket.

#include <concepts>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "asgi/application.h"
#include "asgi/route_pattern.h"

namespace laurel::asgi {

// One entry of a URLRouter: a pattern, the application it leads to, an optional name, and
// Django's extra kwargs (merged into url_route.kwargs after the captured ones).
struct Route {
  RoutePattern pattern;
  ApplicationPtr app;
  std::string name;
  Dict defaults;
};

// `regex` has Python `re` semantics (named groups → kwargs, else unnamed groups → args).
Route re_path(std::string regex, ApplicationPtr app, std::string name = {}, Dict defaults = {});
// `route` is a Django path() route: "ws/<int:id>/", converters str, int, slug, uuid, path.
Route path(std::string route, ApplicationPtr app, std::string name = {}, Dict defaults = {});

// So that `path("api/", URLRouter{...})` reads as it does in Python.
template <class App>
requires std::derived_from<std::remove_cvref_t<App>, Application> Route
re_path(std::string regex, App&& app, std::string name = {}, Dict defaults = {}) {
  return re_path(std::move(regex),
                 std::make_shared<std::remove_cvref_t<App>>(std::forward<App>(app)),
                 std::move(name), std::move(defaults));
}
template <class App>
requires std::derived_from<std::remove_cvref_t<App>, Application> Route path(std::string route,
                                                                             App&& app,
                                                                             std::string name = {},
                                                                             Dict defaults = {}) {
  return path(std::move(route), std::make_shared<std::remove_cvref_t<App>>(std::forward<App>(app)),
              std::move(name), std::move(defaults));
}

class URLRouter final : public Application {
 public:
  URLRouter(std::initializer_list<Route> routes) : routes_(routes) {}
  explicit URLRouter(std::vector<Route> routes) : routes_(std::move(routes)) {}

  // Throws RoutingError for a scope without "path"; a nested router (path_remaining set) that
  // matches nothing throws RouteNotFound so its parent tries the next route.
  std::unique_ptr<Instance> start(Scope scope, Peer& peer) override;
  void describe(std::vector<RouteDescription>& out, const RouteDescription& context) const override;
  bool match(const Scope& scope, const RouteDescription& context, RouteMatch& out) const override;
  std::string name() const override { return "URLRouter"; }

  const std::vector<Route>& routes() const { return routes_; }

 private:
  // The path this router matches against, root_path and leading slashes removed; nullopt when
  // the path lies outside root_path.
  static std::optional<std::string> routing_path(const Scope& scope);
  // The scope the route's application receives: path_remaining and the merged url_route.
  static Scope narrowed_scope(const Scope& scope, const Route& route,
                              const RoutePattern::Match& match, std::string_view path);

  std::vector<Route> routes_;
};

}  // namespace laurel::asgi
