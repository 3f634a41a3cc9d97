// tools/cli/route_warnings.cpp — shadowed routes, unanchored re_path()s, duplicate names.

#include "tools/cli/route_warnings.h"

#include <map>

#include "tools/cli/route_json.h"
#include "tools/cli/route_literal_prefix.h"
#include "tools/cli/route_near_miss.h"

namespace laurel::cli {
namespace {

using Syntax = asgi::RoutePattern::Syntax;

std::string label(const asgi::RouteDescription& r) {
  std::string out = r.pattern.empty() ? "(empty pattern)" : r.pattern;
  out += " (";
  if (!r.name.empty()) out += "route \"" + r.name + "\", ";
  return out + (r.target.empty() ? "-" : r.target) + ")";
}

// A path the path() route `pattern` matches, each converter given a value it accepts; used to
// confirm what the literal start suggests.
std::optional<std::string> sample_path(const asgi::RoutePattern& pattern) {
  if (pattern.syntax() != Syntax::kPath) return std::nullopt;
  const std::string& route = pattern.pattern();
  std::string out;
  std::size_t pos = 0;
  while (pos < route.size()) {
    std::size_t open = route.find('<', pos);
    std::size_t close = open == std::string::npos ? open : route.find('>', open);
    if (close == std::string::npos) {
      out += route.substr(pos);
      break;
    }
    out += route.substr(pos, open - pos);
    std::string component = route.substr(open + 1, close - open - 1);
    std::string converter = component.substr(0, component.find(':'));
    if (converter == component) converter = "str";
    out += converter == "int"    ? "1"
           : converter == "uuid" ? "00000000-0000-0000-0000-000000000000"
                                 : "x";
    pos = close + 1;
  }
  if (!pattern.match(out)) return std::nullopt;
  return out;
}

bool same_patterns(const RouteChain& a, const RouteChain& b) {
  if (a.levels.size() != b.levels.size() || a.levels.empty()) return false;
  for (std::size_t i = 0; i < a.levels.size(); ++i) {
    const asgi::RoutePattern& pa = a.levels[i].route->pattern;
    const asgi::RoutePattern& pb = b.levels[i].route->pattern;
    if (pa.pattern() != pb.pattern() || pa.syntax() != pb.syntax()) return false;
  }
  return true;
}

// Whether the leaf pattern `earlier` matches every path `later` matches: it has no end anchor,
// so it matches any path that holds a match of it, and it matches the text every path of
// `later` starts with (or, for an unanchored `later`, contains).
bool hides(const asgi::RoutePattern& earlier, const asgi::RoutePattern& later) {
  PatternShape a = pattern_shape(earlier);
  PatternShape b = pattern_shape(later);
  if (a.anchored_end || !b.literal_prefix) return false;
  if (a.anchored_start && !b.anchored_start) return false;
  if (!earlier.match(*b.literal_prefix)) return false;
  if (auto sample = sample_path(later); sample && !earlier.match(*sample)) return false;
  return true;
}

// The first earlier route that hides `later`, with the reason.
std::optional<std::pair<const RouteChain*, std::string>> find_shadow(
    const std::vector<RouteChain>& chains, std::size_t later) {
  const RouteChain& b = chains[later];
  for (std::size_t i = 0; i < later; ++i) {
    const RouteChain& a = chains[i];
    if (a.row.protocol != b.row.protocol || a.levels.empty() || b.levels.empty()) continue;
    if (same_patterns(a, b)) {
      return std::make_pair(&a, std::string("has the same pattern; remove one of them"));
    }
    // Where the two chains part, both must sit in one router and the earlier must end there.
    std::size_t d = 0;
    while (d < a.levels.size() && d < b.levels.size() &&
           a.levels[d].route == b.levels[d].route) {
      ++d;
    }
    if (d >= b.levels.size() || d + 1 != a.levels.size()) continue;
    if (a.levels[d].router != b.levels[d].router) continue;
    if (hides(a.levels[d].route->pattern, b.levels[d].route->pattern)) {
      return std::make_pair(&a, std::string("has no end anchor and matches every path this one "
                                            "would; end it with '$' or move this route above it"));
    }
  }
  return std::nullopt;
}

std::optional<RouteWarning> unanchored(const RouteChain& chain) {
  if (chain.levels.empty()) return std::nullopt;
  const asgi::RoutePattern& leaf = chain.levels.back().route->pattern;
  if (leaf.syntax() != Syntax::kRegex || !leaf.is_endpoint()) return std::nullopt;
  PatternShape shape = pattern_shape(leaf);
  if (shape.anchored_end) return std::nullopt;
  std::string message = "re_path '" + leaf.pattern() +
                        "' has no '$' at its end: URLRouter searches it in the path instead of "
                        "matching the whole path, so it also matches longer paths";
  // Examples, each confirmed against the route itself.
  std::vector<std::string> examples;
  if (chain.levels.size() == 1 && shape.literal_prefix && leaf.match(*shape.literal_prefix)) {
    const std::string& base = *shape.literal_prefix;
    std::string longer = base + (base.empty() || base.back() == '/' ? "" : "/") + "extra/";
    if (chain_matches(chain, longer)) examples.push_back("/" + longer);
    if (!shape.anchored_start && !base.empty() && chain_matches(chain, "extra/" + base)) {
      examples.push_back("/extra/" + base);
    }
  }
  for (std::size_t i = 0; i < examples.size(); ++i) {
    message += (i == 0 ? " such as " : " and ") + examples[i];
  }
  message += "; end it with '$'";
  return RouteWarning{RouteWarning::Kind::kUnanchored, chain.row, std::nullopt, message};
}

}  // namespace

std::vector<RouteWarning> find_route_warnings(const std::vector<RouteChain>& chains) {
  std::vector<RouteWarning> out;
  for (std::size_t j = 0; j < chains.size(); ++j) {
    if (auto shadow = find_shadow(chains, j)) {
      out.push_back({RouteWarning::Kind::kShadowed, chains[j].row, shadow->first->row,
                     label(chains[j].row) + " is never reached: the earlier " +
                         label(shadow->first->row) + " " + shadow->second});
    }
  }
  for (const RouteChain& chain : chains) {
    if (auto warning = unanchored(chain)) out.push_back(std::move(*warning));
  }
  // A router shared by two protocols lists one Route twice; only distinct routes collide.
  std::map<std::string, const RouteChain*> first_with_name;
  for (const RouteChain& chain : chains) {
    if (chain.row.name.empty() || chain.levels.empty()) continue;
    auto [it, fresh] = first_with_name.emplace(chain.row.name, &chain);
    if (fresh || it->second->levels.back().route == chain.levels.back().route) continue;
    out.push_back({RouteWarning::Kind::kDuplicateName, chain.row, it->second->row,
                   "the name \"" + chain.row.name + "\" of " + label(chain.row) +
                       " is taken by the earlier " + label(it->second->row) +
                       "; give each route its own name"});
  }
  return out;
}

std::string warning_kind_name(RouteWarning::Kind kind) {
  switch (kind) {
    case RouteWarning::Kind::kShadowed:
      return "shadowed";
    case RouteWarning::Kind::kUnanchored:
      return "unanchored";
    case RouteWarning::Kind::kDuplicateName:
      return "duplicate-name";
  }
  return "unknown";
}

std::string format_warnings(const std::vector<RouteWarning>& warnings) {
  if (warnings.empty()) return {};
  std::string out = "\nwarnings:\n";
  for (const RouteWarning& w : warnings) {
    std::string protocol = w.route.protocol.empty() ? "*" : w.route.protocol;
    out += "  " + warning_kind_name(w.kind) + " [" + protocol + "]: " + w.message + "\n";
  }
  return out;
}

asgi::Value warnings_json(const std::vector<RouteWarning>& warnings) {
  asgi::Value out = asgi::Value::list();
  for (const RouteWarning& w : warnings) {
    asgi::Value row{{"kind", warning_kind_name(w.kind)},
                    {"route", route_json(w.route)},
                    {"message", w.message}};
    if (w.other) row["other"] = route_json(*w.other);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace laurel::cli
