// asgi/route_pattern.h
#pragma once

// One compiled URL pattern with Django's matching rules: re_path() regexes with Python `re`
// semantics (run by PCRE2 in Unicode mode), and path() routes with the converters str, int, slug,
// uuid and path. Compiled once, at construction; a bad pattern throws ImproperlyConfigured.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "asgi/routing_errors.h"
#include "asgi/value.h"

namespace laurel::asgi {

class RoutePattern {
 public:
  enum class Syntax {
    kRegex,  // re_path(): a Python regular expression, searched (not anchored unless it says ^)
    kPath,   // path(): literal text with <converter:name> parameters, anchored at the start
  };

  // `is_endpoint` is false for a prefix that a nested URLRouter continues: Django then neither
  // anchors a path() route at the end nor full-matches a regex ending in `$`.
  RoutePattern(std::string pattern, Syntax syntax, bool is_endpoint);

  struct Match {
    std::size_t end = 0;  // bytes of the path the match consumed (path_remaining starts here)
    Value args = Value::list();    // unnamed groups, only when the regex has no named groups
    Value kwargs = Value::dict();  // named groups; path() converters give ints for <int:...>
  };
  // Matches `path` (leading '/' already stripped, as URLRouter does). A path() int that does not
  // fit in 64 bits does not match (Python would accept it; laurel's ints are 64-bit).
  std::optional<Match> match(std::string_view path) const;

  // For diagnostics (`laurel routes --match`): true when `text` (leading '/' stripped) is the
  // start of some path this pattern would match from its first character, or already is one
  // (PCRE2 partial matching, anchored). An empty `text` counts only if it matches already, since
  // PCRE2 reports a partial match only once it has read a character. Routing never uses this.
  bool is_viable_prefix(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }
  Syntax syntax() const { return syntax_; }
  bool is_endpoint() const { return is_endpoint_; }

 private:
  struct Compiled;

  std::string pattern_;
  Syntax syntax_;
  bool is_endpoint_;
  std::shared_ptr<const Compiled> compiled_;  // immutable, so copies of a route share it
};

}  // namespace laurel::asgi
