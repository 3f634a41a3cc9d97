// tools/cli/route_warnings.h
#pragma once

// Mistakes a route table can hold that no request makes loud, found by `laurel routes`: a route
// that an earlier one hides (URLRouter takes the first match), a re_path() without '$' that
// matches longer paths than it names (Django searches such a regex, it does not full-match it),
// and two routes with one name. Shadowing is decided from the patterns (duplicates, and an
// earlier pattern with no end anchor that matches the later one's literal start), not proven.

#include <optional>
#include <string>
#include <vector>

#include "asgi/application.h"
#include "asgi/value.h"
#include "tools/cli/route_walk.h"

namespace laurel::cli {

struct RouteWarning {
  enum class Kind {
    kShadowed,       // an earlier route matches every path this one would
    kUnanchored,     // a re_path() leaf without '$' also matches longer paths
    kDuplicateName,  // another route has the same name
  };
  Kind kind;
  asgi::RouteDescription route;                 // the route the warning is about
  std::optional<asgi::RouteDescription> other;  // the earlier route (shadowing, same name)
  std::string message;                          // one sentence that names the fix
};

std::vector<RouteWarning> find_route_warnings(const std::vector<RouteChain>& chains);

// "shadowed", "unanchored", "duplicate-name": the `kind` of the JSON form.
std::string warning_kind_name(RouteWarning::Kind kind);

// "warnings:" and one line each; empty when there are none.
std::string format_warnings(const std::vector<RouteWarning>& warnings);
asgi::Value warnings_json(const std::vector<RouteWarning>& warnings);

}  // namespace laurel::cli
