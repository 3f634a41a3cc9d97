// auth/endpoints.h
#pragma once

// The HTTP side of laurel's authentication (DESIGN.md, Authentication):
//   POST /auth/login    {"username","password"} (JSON or form) → Django session cookie
//   GET  /auth/login    → sets the csrftoken cookie a browser login form needs first
//   POST /auth/logout   → ends the session, revokes the user's tokens, closes their sockets
//   POST /auth/token    {"username","password"} → {"access","refresh","expires_in"}
//   POST /auth/refresh  {"refresh"} → a rotated pair; a reused refresh token revokes its family
//   POST /auth/ticket   (Bearer or session) → {"ticket","expires_in"} for `?ticket=`
// Credentials travel only in bodies. Wrong password, unknown user and inactive user get the
// same status, body and (through a dummy hash) about the same time. Password work runs on the
// thread pool. Cookie-authenticated requests need Django's CSRF double submit (csrftoken cookie
// + X-CSRFToken header); sessions are written to `django_session` exactly as Django writes
// them, so a Django site on the same database accepts them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asgi/application.h"
#include "asgi/url_router.h"
#include "auth/auth_config.h"

namespace laurel::auth {

inline constexpr std::string_view kCsrfCookieName = "csrftoken";
inline constexpr int kCsrfCookieAgeSeconds = 31449600;  // Django's CSRF_COOKIE_AGE (a year)
inline constexpr std::size_t kMaxAuthBodyBytes = 16384;

// One kind of endpoint; the Application answers every method/path it is mounted at.
enum class Endpoint {
  kLogin,    // /auth/login
  kLogout,   // /auth/logout
  kToken,    // /auth/token
  kRefresh,  // /auth/refresh
  kTicket,   // /auth/ticket
};

asgi::ApplicationPtr auth_endpoint(Endpoint which, AuthConfigPtr config);

// path("auth/login", ...), ... for a URLRouter (mount under the root).
std::vector<asgi::Route> auth_urlpatterns(AuthConfigPtr config);

// The fields of a JSON object body or an application/x-www-form-urlencoded body; nullopt when
// the body is neither or malformed. Only string values are kept.
std::optional<asgi::Dict> parse_body_fields(std::string_view content_type, std::string_view body);

// Django's CSRF secret check: cookie (32-char secret or 64-char masked) against the header
// (masked or not), in constant time.
bool csrf_tokens_match(std::string_view cookie, std::string_view header);
// A fresh 32-character CSRF secret (Django >= 4.1 cookie format).
std::string new_csrf_secret();

}  // namespace laurel::auth
