// tools/cli/route_match_report.h
#pragma once

// `laurel routes --match`: where one request would go. On a hit, the route, the url_route args and
// kwargs the consumer would see and the middleware the connection passes, outermost first. On a
// miss, the routes that came closest, how far each got along the path and what it wanted next,
// and hints for the usual mistakes (a missing or extra trailing slash, the wrong protocol).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "asgi/application.h"
#include "asgi/value.h"

namespace laurel::cli {

struct MatchQuery {
  std::string protocol;  // "http", "websocket" or "channel" (already normalised)
  std::string method;    // HTTP only, for the report; routing looks at the path alone
  std::string path;      // as the scope would carry it ("/ws/chat/lobby/"), or a channel name
};

// One route that did not match, and why.
struct NearestRoute {
  asgi::RouteDescription route;
  std::string matched_prefix;  // the part of the path the route accounts for
  std::string rest;            // the part it does not ("" when the path ended too early)
  std::size_t column = 0;      // characters of the path before the point of divergence
  std::string expected;        // what the route wanted there, in words
  std::string hint;            // a fix that makes the path match this route, if one is known
};

struct MatchReport {
  MatchQuery query;
  std::optional<asgi::RouteMatch> match;
  std::vector<NearestRoute> nearest;  // misses only: best first, at most kMaxNearest
  std::vector<std::string> hints;     // misses only: fixes found by trying variants of the path
  static constexpr std::size_t kMaxNearest = 3;
};

// Normalises a protocol word ("ws" and "websocket" are the same); nullopt for an unknown word.
std::optional<std::string> normalize_protocol(std::string_view word);

MatchReport match_request(const asgi::Application& app, const MatchQuery& query);

std::string format_match_report(const MatchReport& report);
asgi::Value match_report_json(const MatchReport& report);

}  // namespace laurel::cli
