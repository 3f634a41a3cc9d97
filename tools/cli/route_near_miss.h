// tools/cli/route_near_miss.h
#pragma once

// Why a path misses one route: how much of the path the route's patterns account for (the longest
// prefix that could still begin a match, found with PCRE2 partial matching) and what the route
// wanted at the point where the path went another way. `laurel routes --match` ranks routes by it.

#include <cstddef>
#include <string>
#include <string_view>

#include "tools/cli/route_walk.h"

namespace laurel::cli {

struct NearMiss {
  std::size_t matched = 0;  // bytes of the routing path the route accounts for
  bool path_ended = false;  // the path stopped where the route wanted more
  std::string expected;     // in words: "'/'", "a letter, a digit or '_'", "the end of the path"
};

// `path` is the path as URLRouter sees it: root_path and leading slashes removed. A chain with
// no URLRouter (a channel name) is compared as literal text.
NearMiss explain_miss(const RouteChain& chain, std::string_view path);

// True when every pattern of `chain` matches in turn, as the routers would follow it.
bool chain_matches(const RouteChain& chain, std::string_view path);

}  // namespace laurel::cli
