// asgi/routing.h
#pragma once

// Everything an application's routing file needs (ProtocolTypeRouter, URLRouter with path() and
// re_path(), ChannelNameRouter), plus the two questions `laurel routes` asks of a whole
// application: what is the route table, and where would this request go.

#include <optional>
#include <string_view>
#include <vector>

#include "asgi/application.h"
#include "asgi/channel_name_router.h"
#include "asgi/protocol_type_router.h"
#include "asgi/url_router.h"

namespace laurel::asgi {

// Every route of `app`, outermost prefixes joined; rows not under a ProtocolTypeRouter say "*".
std::vector<RouteDescription> describe_routes(const Application& app);

// Where a `protocol` ("http", "websocket" or "ws", "channel") request for `path` would go, with
// the url_route args and kwargs it would get; nullopt when nothing matches. For "channel",
// `path` is the channel name.
std::optional<RouteMatch> match_route(const Application& app, std::string_view protocol,
                                      std::string_view path, std::string_view root_path = {});

}  // namespace laurel::asgi
