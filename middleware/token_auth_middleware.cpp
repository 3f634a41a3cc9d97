// middleware/token_auth_middleware.cpp
#include "middleware/token_auth_middleware.h"

#include <cctype>
#include <vector>

#include "asgi/metrics.h"
#include "auth/encoding.h"
#include "auth/jwt.h"
#include "auth/model_backend.h"

namespace laurel::middleware {
namespace {

std::vector<std::string_view> split_whitespace(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) parts.push_back(s.substr(start, i - start));
  }
  return parts;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

Denial json_denial(int status, std::string www_authenticate, std::string_view error,
                   std::string_view description) {
  asgi::Value body{{"error", std::string(error)}, {"error_description", std::string(description)}};
  return Denial{status,
                {{"content-type", "application/json"},
                 {"www-authenticate", std::move(www_authenticate)},
                 {"cache-control", "no-store"}},
                body.to_json() + "\n"};
}

// A refusal that is sent, counted under a short stable reason (docs/authentication.md).
Denial counted(Denial denial, std::string_view reason) {
  metrics::count_auth_failure(reason);
  return denial;
}

std::optional<Denial> counted(std::optional<Denial> denial, std::string_view reason) {
  if (denial) metrics::count_auth_failure(reason);
  return denial;
}

Denial scheme_denial(std::string_view scheme, std::string_view realm) {
  return json_denial(401, std::string(scheme) + " realm=\"" + std::string(realm) + "\"",
                     "invalid_token", "The credentials are not valid");
}

}  // namespace

Denial invalid_token_denial(std::string_view realm, bool expired) {
  std::string description = expired ? "The access token expired" : "The access token is invalid";
  return json_denial(401,
                     "Bearer realm=\"" + std::string(realm) +
                         "\", error=\"invalid_token\", error_description=\"" + description + "\"",
                     "invalid_token", description);
}

std::optional<std::string> header_of(const asgi::Scope& scope, std::string_view name) {
  const asgi::Value* headers = scope.find("headers");
  if (headers == nullptr || !headers->is_list()) return std::nullopt;
  for (const auto& pair : headers->as_list()) {
    if (pair[0].as_bytes() == name) return std::string(pair[1].as_bytes());
  }
  return std::nullopt;
}

std::optional<std::string> query_param(const asgi::Scope& scope, std::string_view name) {
  const asgi::Value* query = scope.find("query_string");
  if (query == nullptr) return std::nullopt;
  std::string_view rest = query->is_bytes() ? std::string_view(query->as_bytes())
                          : query->is_string() ? std::string_view(query->as_string())
                                               : std::string_view();
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    auto eq = pair.find('=');
    if (auth::form_decode(pair.substr(0, eq)) != name) continue;
    return eq == std::string_view::npos ? std::string() : auth::form_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

TokenAuthMiddleware::TokenAuthMiddleware(asgi::ApplicationPtr inner, auth::AuthConfigPtr config,
                                         TokenAuthOptions options)
    : AsyncMiddleware(std::move(inner)), config_(std::move(config)), options_(std::move(options)) {}

Task<std::optional<Denial>> TokenAuthMiddleware::from_user_id(
    asgi::Scope& scope, asgi::EventLoop& loop, std::optional<std::int64_t> user_id,
    std::string method, Denial refusal) const {
  if (!user_id) co_return refusal;
  auth::UserPtr user = co_await config_->users->find_by_id(loop, *user_id);
  if (!user || !user->is_active) co_return refusal;
  scope["user"] = asgi::ObjectPtr(std::const_pointer_cast<auth::User>(user));
  scope["auth"] = asgi::Value{{"method", std::move(method)}, {"user_id", user->id}};
  co_return std::nullopt;
}

Task<std::optional<Denial>> TokenAuthMiddleware::from_jwt(asgi::Scope& scope,
                                                          asgi::EventLoop& loop,
                                                          std::string token,
                                                          std::string method) const {
  // HMAC over a few hundred bytes: cheap enough for the loop thread.
  auth::JwtResult result = auth::verify_jwt(token, config_->signing_key(), config_->now());
  if (!result) {
    bool expired = result.error == auth::JwtError::kExpired;
    co_return counted(invalid_token_denial(options_.realm, expired),
                      expired ? "expired_token" : "bad_token");
  }
  auto user_id = result.claims->user_pk();
  if (!user_id || !config_->revoked->token_valid(*user_id, static_cast<double>(result.claims->iat))) {
    co_return counted(invalid_token_denial(options_.realm, false),
                      user_id ? "revoked_token" : "bad_token");
  }
  auto denial = co_await from_user_id(scope, loop, user_id, method,
                                      invalid_token_denial(options_.realm, false));
  if (denial) co_return counted(std::move(denial), "unknown_user");
  scope["auth"]["expires_at"] = static_cast<double>(result.claims->exp);
  co_return std::nullopt;
}

Task<std::optional<Denial>> TokenAuthMiddleware::resolve(asgi::Scope& scope,
                                                         asgi::EventLoop& loop) const {
  // 1. The Authorization header (native apps, server-to-server).
  if (auto authorization = header_of(scope, "authorization")) {
    auto parts = split_whitespace(*authorization);
    if (!parts.empty() && options_.bearer && parts[0] == "Bearer") {  // simplejwt: case-sensitive
      if (parts.size() != 2) co_return counted(invalid_token_denial(options_.realm, false), "bad_token");
      co_return co_await from_jwt(scope, loop, std::string(parts[1]), "bearer");
    }
    if (!parts.empty() && options_.drf_token && iequals(parts[0], "token")) {  // DRF: any case
      if (parts.size() != 2) co_return counted(scheme_denial("Token", options_.realm), "bad_drf_token");
      auto user_id = co_await config_->users->find_token_user(loop, std::string(parts[1]));
      auto denial = co_await from_user_id(scope, loop, user_id, "token",
                                          scheme_denial("Token", options_.realm));
      co_return counted(std::move(denial), "bad_drf_token");
    }
    if (!parts.empty() && options_.basic && iequals(parts[0], "basic")) {
      std::string_view scheme = scope.get_string("scheme");
      Denial refusal = scheme_denial("Basic", options_.realm);
      if (scheme != "wss" && scheme != "https" && !options_.basic_without_tls) {
        co_return counted(std::move(refusal), "basic_without_tls");
      }
      auto decoded = parts.size() == 2 ? auth::base64_decode(parts[1]) : std::nullopt;
      auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) co_return counted(std::move(refusal), "bad_basic");
      auth::UserPtr user = co_await config_->users->authenticate(
          loop, decoded->substr(0, colon), decoded->substr(colon + 1), config_->policy);
      if (!user) co_return refusal;  // counted by authenticate() (bad_password, unknown_user)
      scope["user"] = asgi::ObjectPtr(std::const_pointer_cast<auth::User>(user));
      scope["auth"] = asgi::Value{{"method", "basic"}, {"user_id", user->id}};
      co_return std::nullopt;
    }
    // Another scheme: not ours to judge (DRF and simplejwt ignore it too).
  }

  // 2. The access token as a subprotocol: ["bearer", "<jwt>"] (browsers cannot set headers).
  if (options_.subprotocol && scope.get_string("type") == "websocket") {
    if (asgi::Value* offered = scope.find("subprotocols") ? &scope["subprotocols"] : nullptr;
        offered != nullptr && offered->is_list()) {
      asgi::List& list = offered->as_list();
      for (std::size_t i = 0; i + 1 < list.size(); ++i) {
        if (!list[i].is_string() || list[i].as_string() != "bearer") continue;
        std::string token = list[i + 1].is_string() ? std::string(list[i + 1].as_string()) : std::string();
        list.erase(list.begin() + static_cast<long>(i) + 1);
        // The header copy in the scope loses the token as well: consumers log scopes. (Looked
        // up first: an inserting scope["headers"] would move `list` under the flat dict.)
        if (scope.contains("headers")) {
          for (auto& pair : scope["headers"].as_list()) {
            if (pair[0].as_bytes() == "sec-websocket-protocol") {
              pair[1] = asgi::Bytes{"bearer"};
            }
          }
        }
        auto denial = co_await from_jwt(scope, loop, std::move(token), "subprotocol");
        if (denial) co_return denial;
        scope["auth"]["subprotocol"] = "bearer";
        co_return std::nullopt;
      }
    }
  }

  // 3. A one-time ticket in the query string.
  if (options_.ticket) {
    if (auto ticket = query_param(scope, "ticket")) {
      auto user_id = config_->tickets->redeem(*ticket, config_->now());
      auto denial = co_await from_user_id(scope, loop, user_id, "ticket",
                                          invalid_token_denial(options_.realm, false));
      co_return counted(std::move(denial), "bad_ticket");
    }
  }
  co_return std::nullopt;
}

}  // namespace laurel::middleware
