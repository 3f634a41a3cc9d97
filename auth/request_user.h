// auth/request_user.h
#pragma once

// Who is calling an auth endpoint: the user of a Bearer access token (signature, expiry and
// logout marks checked) or of a Django session cookie (session auth hash checked).
// Internal to auth/.

#include <string>
#include <utility>

#include "asgi/task.h"
#include "auth/auth_config.h"
#include "auth/endpoint_http.h"

namespace laurel::auth::endpoints {

// The active user behind a valid Bearer access token, or null; `*present` says whether the
// request carried a Bearer token at all (a bad one must not fall back to the session).
Task<UserPtr> bearer_user(const AuthConfig& config, const Request& request, bool* present);

// The active user of the request's session cookie (null when none or stale), and the session
// key when the cookie names a stored session.
Task<std::pair<UserPtr, std::string>> session_user(const AuthConfig& config,
                                                   const Request& request);

}  // namespace laurel::auth::endpoints
