// tools/cli/route_json.h
#pragma once

// The JSON shapes of `laurel routes --json`, shared by the table, the warnings and --match, so a
// route looks the same wherever a tool meets it: {"protocol", "pattern", "name", "target",
// "middleware": [outermost first]}.

#include <vector>

#include "asgi/application.h"
#include "asgi/value.h"

namespace laurel::cli {

asgi::Value route_json(const asgi::RouteDescription& route);
asgi::Value routes_json(const std::vector<asgi::RouteDescription>& routes);

}  // namespace laurel::cli
