// asgi/protocol_type_router.cpp

#include "asgi/protocol_type_router.h"

namespace laurel::asgi {

namespace {
void check_apps(const std::map<std::string, ApplicationPtr>& mapping) {
  for (const auto& [type, app] : mapping) {
    if (!app)
      throw ImproperlyConfigured("ProtocolTypeRouter: no application given for '" + type + "'");
  }
}
}  // namespace

ProtocolTypeRouter::ProtocolTypeRouter(
    std::initializer_list<std::pair<std::string, ApplicationPtr>> mapping)
    : mapping_(mapping.begin(), mapping.end()) {
  check_apps(mapping_);
}

ProtocolTypeRouter::ProtocolTypeRouter(std::map<std::string, ApplicationPtr> mapping)
    : mapping_(std::move(mapping)) {
  check_apps(mapping_);
}

const ApplicationPtr& ProtocolTypeRouter::app_for(const Scope& scope) const {
  std::string_view type = scope.get_string("type");
  auto it = mapping_.find(std::string(type));
  if (it == mapping_.end()) {
    std::string known;
    for (const auto& [name, app] : mapping_) known += (known.empty() ? "" : ", ") + name;
    throw RoutingError("No application configured for scope type " + Value(type).repr() +
                       " (ProtocolTypeRouter has: " + known + ")");
  }
  return it->second;
}

std::unique_ptr<Instance> ProtocolTypeRouter::start(Scope scope, Peer& peer) {
  const ApplicationPtr& app = app_for(scope);
  return app->start(std::move(scope), peer);
}

void ProtocolTypeRouter::describe(std::vector<RouteDescription>& out,
                                  const RouteDescription& context) const {
  for (const auto& [type, app] : mapping_) {
    RouteDescription inner = context;
    inner.protocol = type;
    app->describe(out, inner);
  }
}

bool ProtocolTypeRouter::match(const Scope& scope, const RouteDescription& context,
                               RouteMatch& out) const {
  auto it = mapping_.find(std::string(scope.get_string("type")));
  if (it == mapping_.end()) return false;
  RouteDescription inner = context;
  inner.protocol = it->first;
  return it->second->match(scope, inner, out);
}

}  // namespace laurel::asgi
