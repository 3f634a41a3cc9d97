// auth/endpoint_handlers.h
#pragma once

// The answer of each auth endpoint to one whole request, and the socket revocation logout and
// refresh-token reuse share; auth/endpoints.cpp dispatches to them. Internal to auth/.

#include <cstdint>
#include <string>

#include "asgi/task.h"
#include "auth/auth_config.h"
#include "auth/endpoint_http.h"

namespace laurel::auth::endpoints {

// Session endpoints (auth/session_endpoints.cpp).
Task<Response> login(const AuthConfig& config, Request request);
Task<Response> logout(const AuthConfig& config, Request request);
// Token endpoints (auth/token_endpoints.cpp).
Task<Response> token(const AuthConfig& config, Request request);
Task<Response> refresh(const AuthConfig& config, Request request);
// auth/ticket_endpoint.cpp.
Task<Response> ticket(const AuthConfig& config, Request request);

// Closes the user's live sockets through the default channel layer, if there is one; a
// failure is logged, never thrown (the HTTP answer does not depend on it).
Task<void> notify_sockets(std::int64_t user_id, std::string reason);

}  // namespace laurel::auth::endpoints
