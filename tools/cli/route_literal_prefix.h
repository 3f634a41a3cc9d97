// tools/cli/route_literal_prefix.h
#pragma once

// The literal text every match of a URL pattern starts with ("ws/chat/" for
// "ws/chat/<str:room>/" or r"^ws/chat/(?P<room>\w+)/$"), and whether the pattern is anchored
// at either end. The route warnings reason with these instead of comparing regex languages.

#include <optional>
#include <string>

#include "asgi/route_pattern.h"

namespace laurel::cli {

struct PatternShape {
  // The text any matched part of the path starts with; nullopt when the pattern does not say
  // (a top-level alternation '|').
  std::optional<std::string> literal_prefix;
  bool anchored_start = false;  // matches only at the start of the path
  bool anchored_end = false;    // matches only up to the end of the path ('$', \Z, path())
};

PatternShape pattern_shape(const asgi::RoutePattern& pattern);

}  // namespace laurel::cli
