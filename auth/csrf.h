// auth/csrf.h
#pragma once

// Django's CSRF double submit for the cookie-authenticated auth endpoints: the check an unsafe
// request must pass, and reading a csrftoken cookie's secret. Internal to auth/; the public
// csrf_tokens_match and new_csrf_secret are in auth/endpoints.h.

#include <optional>
#include <string>
#include <string_view>

#include "asgi/application.h"
#include "auth/endpoint_http.h"

namespace laurel::auth::endpoints {

// The secret of a CSRF token (32-char secret or 64-char masked); nullopt when malformed.
std::optional<std::string> csrf_secret_of(std::string_view token);

// Django's CsrfViewMiddleware for an unsafe method: with an Origin header, it must name this
// host; then the csrftoken cookie and the X-CSRFToken header must carry the same secret.
// The 403 to answer with, or nullopt when the request passes.
std::optional<Response> check_csrf(const asgi::Scope& scope);

}  // namespace laurel::auth::endpoints
