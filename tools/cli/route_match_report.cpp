// tools/cli/route_match_report.cpp — `laurel routes --match`, hit or miss.

#include "tools/cli/route_match_report.h"

#include <algorithm>

#include "asgi/routing.h"
#include "tools/cli/route_json.h"
#include "tools/cli/route_near_miss.h"
#include "tools/cli/route_walk.h"

namespace laurel::cli {
namespace {

std::size_t display_width(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool serves(const asgi::RouteDescription& route, std::string_view protocol) {
  return route.protocol.empty() || route.protocol == "*" || route.protocol == protocol;
}

std::string shown_protocol(std::string_view protocol) {
  return protocol == "websocket" ? "ws" : std::string(protocol);
}

std::string request_line(const MatchQuery& q) {
  std::string out = q.protocol;
  if (!q.method.empty()) out += " " + q.method;
  return out + " " + q.path;
}

// The path as URLRouter matches it: leading slashes gone (patterns are written without them).
std::size_t leading_slashes(const MatchQuery& q) {
  if (q.protocol == "channel") return 0;
  std::size_t n = q.path.find_first_not_of('/');
  return n == std::string::npos ? q.path.size() : n;
}

// Variants of a path that are the usual slips, each with the words for its fix.
std::vector<std::pair<std::string, std::string>> path_variants(const MatchQuery& q) {
  std::vector<std::pair<std::string, std::string>> out;
  if (q.protocol == "channel" || q.path.empty()) return out;
  if (q.path.back() != '/') {
    out.emplace_back(q.path + "/", "add the trailing slash");
  } else if (q.path.size() > 1) {
    out.emplace_back(q.path.substr(0, q.path.size() - 1), "drop the trailing slash");
  }
  return out;
}

std::string route_label(const asgi::RouteDescription& r) {
  std::string out = r.name.empty() ? "unnamed route" : "route \"" + r.name + "\"";
  return out + ", " + (r.target.empty() ? "-" : r.target);
}

}  // namespace

std::optional<std::string> normalize_protocol(std::string_view word) {
  if (word == "ws" || word == "websocket") return "websocket";
  if (word == "http" || word == "channel") return std::string(word);
  return std::nullopt;
}

MatchReport match_request(const asgi::Application& app, const MatchQuery& query) {
  MatchReport report;
  report.query = query;
  report.match = asgi::match_route(app, query.protocol, query.path);
  if (report.match) return report;

  const std::size_t skip = leading_slashes(query);
  const std::string_view routing_path = std::string_view(query.path).substr(skip);
  struct Candidate {
    NearMiss miss;
    const RouteChain* chain;
  };
  std::vector<RouteChain> chains = walk_routes(app);
  std::vector<Candidate> candidates;
  for (const RouteChain& chain : chains) {
    if (serves(chain.row, query.protocol)) {
      candidates.push_back({explain_miss(chain, routing_path), &chain});
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return a.miss.matched > b.miss.matched;
  });
  if (candidates.size() > MatchReport::kMaxNearest) candidates.resize(MatchReport::kMaxNearest);

  const auto variants = path_variants(query);
  for (const Candidate& c : candidates) {
    NearestRoute near;
    near.route = c.chain->row;
    near.matched_prefix = query.path.substr(0, skip + c.miss.matched);
    near.rest = query.path.substr(skip + c.miss.matched);
    near.column = display_width(near.matched_prefix);
    near.expected = c.miss.expected;
    for (const auto& [variant, fix] : variants) {
      if (chain_matches(*c.chain, std::string_view(variant).substr(leading_slashes(query)))) {
        near.hint = fix + ": " + variant + " matches this route";
      }
    }
    report.nearest.push_back(std::move(near));
  }

  if (candidates.empty()) {
    report.hints.push_back("the application has no " + query.protocol + " routes");
  }
  for (const auto& [variant, fix] : variants) {
    if (auto hit = asgi::match_route(app, query.protocol, variant)) {
      report.hints.push_back(fix + ": " + variant + " goes to " + route_label(hit->route));
    }
  }
  for (std::string other : {"http", "websocket"}) {
    if (other == query.protocol || query.protocol == "channel") continue;
    if (auto hit = asgi::match_route(app, other, query.path)) {
      const char* article = other == "http" ? "an " : "a ";
      report.hints.push_back(article + other + " route takes this path (" + route_label(hit->route) +
                             "): try --match " + shown_protocol(other) + " " + query.path);
    }
  }
  return report;
}

std::string format_match_report(const MatchReport& report) {
  std::string out;
  if (report.match) {
    const asgi::RouteMatch& m = *report.match;
    out += request_line(report.query) + "\n";
    out += "  route       " + (m.route.pattern.empty() ? "-" : m.route.pattern) + "\n";
    out += "  name        " + (m.route.name.empty() ? "-" : m.route.name) + "\n";
    out += "  consumer    " + m.route.target + "\n";
    out += "  args        " + m.args.repr() + "\n";
    out += "  kwargs      " + m.kwargs.repr() + "\n";
    out += "  passes, outermost first:\n";
    std::size_t step = 0;
    for (const auto& middleware : m.route.middleware) {
      out += "    " + std::to_string(++step) + ". " + middleware + "\n";
    }
    out += "    -> " + m.route.target + "\n";
    return out;
  }
  out += request_line(report.query) + ": no route matches\n";
  if (!report.nearest.empty()) out += "nearest routes:\n";
  for (const NearestRoute& near : report.nearest) {
    std::string pattern = near.route.pattern.empty() ? "(empty pattern)" : near.route.pattern;
    out += "  " + pattern + "  (" + route_label(near.route) + ")\n";
    out += "    " + report.query.path + "\n";
    out += "    " + std::string(near.column, ' ') + "^ ";
    if (near.rest.empty()) {
      out += "the path ends here; the route expects " + near.expected + "\n";
    } else {
      out += "the route expects " + near.expected + ", the path has '" + near.rest + "'\n";
    }
    if (!near.hint.empty()) out += "    hint: " + near.hint + "\n";
  }
  for (const auto& hint : report.hints) out += "hint: " + hint + "\n";
  return out;
}

asgi::Value match_report_json(const MatchReport& report) {
  asgi::Value query{{"protocol", report.query.protocol}, {"path", report.query.path}};
  if (!report.query.method.empty()) query["method"] = report.query.method;
  asgi::Value out{{"query", std::move(query)}, {"matched", report.match.has_value()}};
  if (report.match) {
    out["route"] = route_json(report.match->route);
    out["args"] = report.match->args;
    out["kwargs"] = report.match->kwargs;
    return out;
  }
  asgi::Value nearest = asgi::Value::list();
  for (const NearestRoute& near : report.nearest) {
    asgi::Value row{{"route", route_json(near.route)},
                    {"matched_prefix", near.matched_prefix},
                    {"rest", near.rest},
                    {"expected", near.expected}};
    if (!near.hint.empty()) row["hint"] = near.hint;
    nearest.push_back(std::move(row));
  }
  out["nearest"] = std::move(nearest);
  asgi::Value hints = asgi::Value::list();
  for (const auto& hint : report.hints) hints.push_back(hint);
  out["hints"] = std::move(hints);
  return out;
}

}  // namespace laurel::cli
