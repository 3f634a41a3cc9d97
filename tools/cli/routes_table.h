// tools/cli/routes_table.h
#pragma once

// `laurel routes`: the application's describe() rows as an aligned text table, one route a line
// (protocol, pattern, name, target, middleware outermost first), so a reader sees what a request
// passes through without reading the code that wires it.

#include <string>
#include <vector>

#include "asgi/application.h"

namespace laurel::cli {

std::string format_routes(const std::vector<asgi::RouteDescription>& rows);

// Collects the rows of `app` (an empty context: no prefix, no middleware yet).
std::vector<asgi::RouteDescription> collect_routes(const asgi::Application& app);

}  // namespace laurel::cli
