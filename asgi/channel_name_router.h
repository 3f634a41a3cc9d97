// asgi/channel_name_router.h
#pragma once

// ChannelNameRouter: for background workers, picks an application by scope["channel"] (the
// channel-layer channel a "channel"-type scope was started for), as Channels' does.

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "asgi/application.h"
#include "asgi/routing_errors.h"

namespace laurel::asgi {

class ChannelNameRouter final : public Application {
 public:
  ChannelNameRouter(std::initializer_list<std::pair<std::string, ApplicationPtr>> mapping);
  explicit ChannelNameRouter(std::map<std::string, ApplicationPtr> mapping);

  // Throws RoutingError when the scope has no "channel" or no application is configured for it.
  std::unique_ptr<Instance> start(Scope scope, Peer& peer) override;
  void describe(std::vector<RouteDescription>& out, const RouteDescription& context) const override;
  bool match(const Scope& scope, const RouteDescription& context, RouteMatch& out) const override;
  std::string name() const override { return "ChannelNameRouter"; }

  // The channel names this router serves: what a worker process listens on.
  std::vector<std::string> channels() const;

 private:
  std::map<std::string, ApplicationPtr> mapping_;
};

}  // namespace laurel::asgi
