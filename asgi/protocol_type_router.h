// asgi/protocol_type_router.h
#pragma once

// ProtocolTypeRouter: the top of an application, choosing by scope["type"] ("http", "websocket",
// "channel", ...) as Channels' does. A type with no entry is a configuration error, raised.

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "asgi/application.h"
#include "asgi/routing_errors.h"

namespace laurel::asgi {

class ProtocolTypeRouter final : public Application {
 public:
  ProtocolTypeRouter(std::initializer_list<std::pair<std::string, ApplicationPtr>> mapping);
  explicit ProtocolTypeRouter(std::map<std::string, ApplicationPtr> mapping);

  // Throws RoutingError naming the scope type when no application is configured for it.
  std::unique_ptr<Instance> start(Scope scope, Peer& peer) override;
  void describe(std::vector<RouteDescription>& out, const RouteDescription& context) const override;
  bool match(const Scope& scope, const RouteDescription& context, RouteMatch& out) const override;
  std::string name() const override { return "ProtocolTypeRouter"; }

  // The application for each scope type, for tools that walk the routing tree.
  const std::map<std::string, ApplicationPtr>& mapping() const { return mapping_; }

 private:
  const ApplicationPtr& app_for(const Scope& scope) const;

  std::map<std::string, ApplicationPtr> mapping_;
};

}  // namespace laurel::asgi
