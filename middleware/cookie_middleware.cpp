#include "middleware/cookie_middleware.h"

#include <stdexcept>
#include <string>

namespace laurel::middleware {
namespace {

std::string_view strip(std::string_view s) {
  const auto* space = " \t\r\n\f\v";
  auto begin = s.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  auto end = s.find_last_not_of(space);
  return s.substr(begin, end - begin + 1);
}

// The quoted-string rule of RFC 2109 cookies as Python's http.cookies unquotes it: surrounding
// quotes removed, `\"` and `\\` unescaped, `\ooo` octal escapes decoded.
std::string unquote(std::string_view v) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  v = v.substr(1, v.size() - 2);
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\' || i + 1 >= v.size()) {
      out.push_back(v[i]);
      continue;
    }
    if (i + 3 < v.size() && v[i + 1] >= '0' && v[i + 1] <= '3' && v[i + 2] >= '0' &&
        v[i + 2] <= '7' && v[i + 3] >= '0' && v[i + 3] <= '7') {
      out.push_back(static_cast<char>((v[i + 1] - '0') * 64 + (v[i + 2] - '0') * 8 + (v[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(v[i + 1]);
      i += 1;
    }
  }
  return out;
}

}  // namespace

asgi::Dict parse_cookie_header(std::string_view header) {
  asgi::Dict cookies;
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view chunk = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    std::string_view key;
    std::string_view value;
    if (auto eq = chunk.find('='); eq != std::string_view::npos) {
      key = strip(chunk.substr(0, eq));
      value = strip(chunk.substr(eq + 1));
    } else {
      value = strip(chunk);  // Django keeps a bare value under the empty name
    }
    if (!key.empty() || !value.empty()) cookies.append_unordered(std::string(key), unquote(value));
  }
  // Ordered once: a header of thousands of cookies costs no shifting per cookie.
  cookies.restore_order(asgi::Dict::Repeated::kKeepLast);  // a repeated name: the last wins
  return cookies;
}

std::optional<Denial> CookieMiddleware::process(asgi::Scope& scope) const {
  const asgi::Value* headers = scope.find("headers");
  if (headers == nullptr) {
    throw std::invalid_argument(
        "CookieMiddleware was passed a scope without headers (use it only for HTTP and "
        "WebSocket connections)");
  }
  asgi::Dict cookies;
  for (const auto& pair : headers->as_list()) {
    if (pair[0].as_bytes() == "cookie") {
      cookies = parse_cookie_header(pair[1].as_bytes());
      break;
    }
  }
  scope["cookies"] = asgi::Value(std::move(cookies));
  return std::nullopt;
}

}  // namespace laurel::middleware
