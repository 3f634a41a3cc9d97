// middleware/cookie_middleware.h
#pragma once

// Parses the Cookie header into scope["cookies"] (a dict of str), exactly as Django builds
// request.COOKIES, for the session and CSRF middleware further in.

#include <string_view>

#include "middleware/middleware.h"

namespace laurel::middleware {

class CookieMiddleware final : public ScopeMiddleware {
 public:
  using ScopeMiddleware::ScopeMiddleware;
  std::string name() const override { return "CookieMiddleware"; }

 protected:
  std::optional<Denial> process(asgi::Scope& scope) const override;
};

// Django's parse_cookie: `a=1; b="x y"` → {"a": "1", "b": "x y"}; later duplicates win.
asgi::Dict parse_cookie_header(std::string_view header);

}  // namespace laurel::middleware
