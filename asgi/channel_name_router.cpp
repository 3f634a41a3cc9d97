// asgi/channel_name_router.cpp

#include "asgi/channel_name_router.h"

namespace laurel::asgi {

ChannelNameRouter::ChannelNameRouter(
    std::initializer_list<std::pair<std::string, ApplicationPtr>> mapping)
    : ChannelNameRouter(std::map<std::string, ApplicationPtr>(mapping.begin(), mapping.end())) {}

ChannelNameRouter::ChannelNameRouter(std::map<std::string, ApplicationPtr> mapping)
    : mapping_(std::move(mapping)) {
  for (const auto& [channel, app] : mapping_) {
    if (!app)
      throw ImproperlyConfigured("ChannelNameRouter: no application given for '" + channel + "'");
  }
}

std::unique_ptr<Instance> ChannelNameRouter::start(Scope scope, Peer& peer) {
  const Value* channel = scope.find("channel");
  if (channel == nullptr || !channel->is_string()) {
    throw RoutingError(
        "ChannelNameRouter got a scope without a 'channel' key. Did you make sure it's only "
        "being used for 'channel' type messages?");
  }
  auto it = mapping_.find(std::string(channel->as_string()));
  if (it == mapping_.end()) {
    throw RoutingError("No application configured for channel name " + channel->repr());
  }
  return it->second->start(std::move(scope), peer);
}

void ChannelNameRouter::describe(std::vector<RouteDescription>& out,
                                 const RouteDescription& context) const {
  for (const auto& [channel, app] : mapping_) {
    RouteDescription inner = context;
    inner.protocol = "channel";
    inner.pattern += channel;
    app->describe(out, inner);
  }
}

bool ChannelNameRouter::match(const Scope& scope, const RouteDescription& context,
                              RouteMatch& out) const {
  std::string_view channel = scope.get_string("channel");
  auto it = mapping_.find(std::string(channel));
  if (it == mapping_.end()) return false;
  RouteDescription inner = context;
  inner.protocol = "channel";
  inner.pattern += it->first;
  return it->second->match(scope, inner, out);
}

std::vector<std::string> ChannelNameRouter::channels() const {
  std::vector<std::string> out;
  for (const auto& [channel, app] : mapping_) out.push_back(channel);
  return out;
}

}  // namespace laurel::asgi
