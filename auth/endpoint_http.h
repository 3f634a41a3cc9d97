// auth/endpoint_http.h
#pragma once

// The HTTP plumbing the auth endpoints share: a buffered request, a JSON response and the
// error bodies they answer with, header and cookie reading, and Set-Cookie as Django writes it.
// Internal to auth/; applications use auth/endpoints.h.

#include <optional>
#include <string>
#include <string_view>

#include "asgi/application.h"

namespace laurel::auth::endpoints {

// A request whose body has been read whole (at most kMaxAuthBodyBytes).
struct Request {
  asgi::Scope scope;
  std::string body;
  asgi::EventLoop* loop;
};

struct Response {
  int status = 200;
  asgi::Headers headers;
  std::string body;
};

// JSON body, never cached; `extra` headers follow the content type.
Response json_response(int status, const asgi::Value& body, asgi::Headers extra = {});

// One body for every failed login, whatever failed: nothing tells a username exists.
Response invalid_credentials();
Response invalid_grant(std::string_view reason = "bad_refresh_token");
Response not_authenticated();
Response bad_request(std::string detail);

// The username and password of a login (JSON or form body); nullopt when either is missing.
struct Credentials {
  std::string username;
  std::string password;
};
std::optional<Credentials> credentials_of(const Request& request);

// The value of a request header (lower-case name); empty when absent.
std::string header(const asgi::Scope& scope, std::string_view name);
std::string_view trim(std::string_view s);
// The value of one cookie (Django's parse_cookie: later duplicates win).
std::string cookie(const asgi::Scope& scope, std::string_view name);
bool is_https(const asgi::Scope& scope);

// Set-Cookie as Django writes it for the session (HttpOnly) and CSRF (readable by the page's
// script, which must copy it into X-CSRFToken) cookies; Secure under https.
std::string set_cookie(std::string_view name, std::string_view value, double now, int max_age,
                       bool http_only, bool secure);
std::string delete_cookie(std::string_view name, bool secure);

}  // namespace laurel::auth::endpoints
