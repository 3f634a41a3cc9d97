// auth/endpoints.cpp
#include "auth/endpoints.h"

#include <cctype>
#include <ctime>
#include <cstdio>

#include "asgi/metrics.h"
#include "asgi/task.h"
#include "auth/encoding.h"
#include "auth/jwt.h"
#include "auth/revocation.h"
#include "channel_layer/default_layer.h"

namespace laurel::auth {
namespace {

using asgi::Value;

// Django's CSRF_ALLOWED_CHARS: string.ascii_letters + string.digits.
constexpr std::string_view kCsrfChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::size_t kCsrfSecretLength = 32;

struct Response {
  int status = 200;
  asgi::Headers headers;
  std::string body;
};

Response json_response(int status, const Value& body, asgi::Headers extra = {}) {
  Response r{status, {{"content-type", "application/json"}, {"cache-control", "no-store"}},
             body.to_json() + "\n"};
  for (auto& h : extra) r.headers.push_back(std::move(h));
  return r;
}

// One body for every failed login, whatever failed: nothing tells a username exists.
Response invalid_credentials() {
  return json_response(401, Value{{"error", "invalid_credentials"},
                                  {"detail", "Invalid username or password."}});
}
Response invalid_grant(std::string_view reason = "bad_refresh_token") {
  metrics::count_auth_failure(reason);
  return json_response(401, Value{{"error", "invalid_grant"},
                                  {"detail", "The refresh token is invalid or expired."}});
}
Response not_authenticated() {
  metrics::count_auth_failure("not_authenticated");
  return json_response(401,
                       Value{{"error", "not_authenticated"},
                             {"detail", "Authentication credentials were not provided or are "
                                        "not valid."}},
                       {{"www-authenticate", "Bearer realm=\"laurel\""}});
}
Response bad_request(std::string detail) {
  return json_response(400, Value{{"error", "invalid_request"}, {"detail", std::move(detail)}});
}
Response csrf_failed(std::string reason) {
  metrics::count_auth_failure("csrf");
  return json_response(403, Value{{"error", "csrf_failed"},
                                  {"detail", "CSRF Failed: " + std::move(reason)}});
}

std::string header(const asgi::Scope& scope, std::string_view name) {
  const Value* headers = scope.find("headers");
  if (headers == nullptr || !headers->is_list()) return {};
  for (const auto& pair : headers->as_list()) {
    if (pair[0].as_bytes().data == name) return pair[1].as_bytes().data;
  }
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The value of one cookie (Django's parse_cookie: later duplicates win).
std::string cookie(const asgi::Scope& scope, std::string_view name) {
  std::string all = header(scope, "cookie");
  std::string found;
  std::string_view rest = all;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view chunk = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    auto eq = chunk.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(chunk.substr(0, eq)) == name) found = std::string(trim(chunk.substr(eq + 1)));
  }
  return found;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string form_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string http_date(double unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

bool is_https(const asgi::Scope& scope) {
  std::string_view scheme = scope.get_string("scheme");
  return scheme == "https" || scheme == "wss";
}

// Set-Cookie as Django writes it for the session (HttpOnly) and CSRF (readable by the page's
// script, which must copy it into X-CSRFToken) cookies; Secure under https.
std::string set_cookie(std::string_view name, std::string_view value, double now, int max_age,
                       bool http_only, bool secure) {
  std::string c = std::string(name) + "=" + std::string(value);
  c += "; expires=" + http_date(now + max_age);
  if (http_only) c += "; HttpOnly";
  c += "; Max-Age=" + std::to_string(max_age) + "; Path=/; SameSite=Lax";
  if (secure) c += "; Secure";
  return c;
}

std::string delete_cookie(std::string_view name, bool secure) {
  std::string c = std::string(name) +
                  "=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax";
  if (secure) c += "; Secure";
  return c;
}

std::string csrf_unmask(std::string_view token) {
  std::string_view mask = token.substr(0, kCsrfSecretLength);
  std::string_view masked = token.substr(kCsrfSecretLength);
  std::string secret;
  for (std::size_t i = 0; i < masked.size(); ++i) {
    auto a = kCsrfChars.find(masked[i]);
    auto b = kCsrfChars.find(mask[i]);
    if (a == std::string_view::npos || b == std::string_view::npos) return {};
    secret += kCsrfChars[(a + kCsrfChars.size() - b) % kCsrfChars.size()];
  }
  return secret;
}

std::optional<std::string> csrf_secret_of(std::string_view token) {
  if (token.size() != kCsrfSecretLength && token.size() != 2 * kCsrfSecretLength) return {};
  for (char c : token) {
    if (kCsrfChars.find(c) == std::string_view::npos) return {};
  }
  if (token.size() == kCsrfSecretLength) return std::string(token);
  return csrf_unmask(token);
}

// Django's CsrfViewMiddleware for an unsafe method: with an Origin header, it must name this
// host; then the csrftoken cookie and the X-CSRFToken header must carry the same secret.
std::optional<Response> check_csrf(const asgi::Scope& scope) {
  std::string origin = header(scope, "origin");
  if (!origin.empty()) {
    std::string host = header(scope, "host");
    std::string expected = (is_https(scope) ? "https://" : "http://") + host;
    if (host.empty() || origin != expected) {
      return csrf_failed("Origin checking failed - " + origin + " does not match any trusted "
                         "origins.");
    }
  }
  std::string cookie_value = cookie(scope, kCsrfCookieName);
  if (cookie_value.empty()) return csrf_failed("CSRF cookie not set.");
  std::string header_value = header(scope, "x-csrftoken");
  if (header_value.empty()) return csrf_failed("CSRF token missing.");
  if (!csrf_tokens_match(cookie_value, header_value)) return csrf_failed("CSRF token incorrect.");
  return std::nullopt;
}

struct Request {
  asgi::Scope scope;
  std::string body;
  asgi::EventLoop* loop;
};

// The user behind a Bearer access token, if the request carries a valid one.
Task<UserPtr> bearer_user(const AuthConfig& config, const Request& request, bool* present) {
  std::string authorization = header(request.scope, "authorization");
  *present = authorization.rfind("Bearer ", 0) == 0;
  if (!*present) co_return nullptr;
  std::string token(trim(std::string_view(authorization).substr(7)));
  JwtResult result = verify_jwt(token, config.signing_key(), config.now());
  if (!result) co_return nullptr;
  auto uid = result.claims->user_pk();
  if (!uid || !config.revoked->token_valid(*uid, static_cast<double>(result.claims->iat))) {
    co_return nullptr;
  }
  UserPtr user = co_await config.users->find_by_id(*request.loop, *uid);
  co_return user && user->is_active ? user : nullptr;
}

// The user of the request's session cookie (auth hash checked), and its session key.
Task<std::pair<UserPtr, std::string>> session_user(const AuthConfig& config,
                                                   const Request& request) {
  std::string key = cookie(request.scope, kSessionCookieName);
  if (!is_valid_session_key(key)) co_return std::pair<UserPtr, std::string>{nullptr, {}};
  auto stored = co_await config.users->load_session(*request.loop, key,
                                                    timestamp_from_unix(config.now()));
  if (!stored) co_return std::pair<UserPtr, std::string>{nullptr, {}};
  auto data = decode_session(stored->session_data, config.keys);
  auto uid = data ? session_user_id(*data) : std::nullopt;
  if (!uid) co_return std::pair<UserPtr, std::string>{nullptr, key};
  UserPtr user = co_await config.users->find_by_id(*request.loop, *uid);
  if (!user || !user->is_active || !session_hash_matches(*data, user->password, config.keys)) {
    co_return std::pair<UserPtr, std::string>{nullptr, key};
  }
  co_return std::pair<UserPtr, std::string>{user, key};
}

Value user_json(const User& user) {
  return Value{{"id", user.id}, {"username", user.username}};
}

// A new refresh token (in `family`, stored hashed) and the access token made from it.
Response token_pair(const AuthConfig& config, const User& user, const std::string& family) {
  auto now = static_cast<std::int64_t>(config.now());
  std::string refresh = make_token("refresh", Json(user.id), now,
                                   config.refresh_lifetime_seconds, config.signing_key());
  JwtResult claims = verify_jwt(refresh, config.signing_key(), static_cast<double>(now),
                                JwtVerifyOptions{.expected_type = "refresh"});
  std::string access =
      access_token_for(*claims.claims, now, config.signing_key(), config.access_lifetime_seconds);
  if (config.refresh_tokens) {
    config.refresh_tokens->add(refresh, family, user.id, static_cast<double>(now),
                               static_cast<double>(now + config.refresh_lifetime_seconds));
  }
  return json_response(200, Value{{"access", access},
                                  {"refresh", refresh},
                                  {"expires_in", config.access_lifetime_seconds},
                                  {"token_type", "Bearer"}});
}

Task<void> notify_sockets(std::int64_t user_id, std::string reason) {
  if (auto layer = channel_layer::get_channel_layer()) {
    try {
      co_await revoke_user_sockets(*layer, user_id, std::move(reason));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "laurel: closing the sockets of user %lld failed: %s\n",
                   static_cast<long long>(user_id), e.what());
    }
  }
}

Task<Response> login(const AuthConfig& config, Request request) {
  std::string_view method = request.scope.get_string("method");
  bool secure = is_https(request.scope);
  double now = config.now();
  if (method == "GET") {
    // Hands a browser form the CSRF cookie it must echo in X-CSRFToken.
    std::string secret = cookie(request.scope, kCsrfCookieName);
    if (!csrf_secret_of(secret)) secret = new_csrf_secret();
    co_return json_response(
        200, Value{{"csrftoken", secret}},
        {{"set-cookie", set_cookie(kCsrfCookieName, secret, now, kCsrfCookieAgeSeconds, false,
                                   secure)}});
  }
  if (auto failed = check_csrf(request.scope)) co_return *failed;
  auto fields = parse_body_fields(header(request.scope, "content-type"), request.body);
  if (!fields || !fields->contains("username") || !fields->contains("password")) {
    co_return bad_request("Send username and password in the request body.");
  }
  UserPtr user = co_await config.users->authenticate(
      *request.loop, (*fields)["username"].as_string(), (*fields)["password"].as_string(),
      config.policy);
  if (!user) co_return invalid_credentials();

  // Django's login(): a new session key (no fixation), the three auth keys, last_login.
  std::string old_key = cookie(request.scope, kSessionCookieName);
  SessionData data = SessionData::object();
  set_session_user(data, user->id, user->password, config.keys);
  std::string encoded = encode_session(data, config.keys, now);
  Timestamp expire = timestamp_from_unix(now + config.session_cookie_age_seconds);
  std::string key;
  for (int attempt = 0; attempt < 8 && key.empty(); ++attempt) {
    std::string candidate = new_session_key();
    if (co_await config.users->create_session(*request.loop, candidate, encoded, expire)) {
      key = std::move(candidate);
    }
  }
  if (key.empty()) throw StoreError("could not create a unique session key");
  if (is_valid_session_key(old_key)) co_await config.users->delete_session(*request.loop, old_key);
  co_await config.users->update_last_login(*request.loop, user->id, timestamp_from_unix(now));

  std::string csrf = new_csrf_secret();  // Django rotates the CSRF token on login
  co_return json_response(
      200, Value{{"user", user_json(*user)}, {"csrftoken", csrf}},
      {{"set-cookie", set_cookie(kSessionCookieName, key, now, config.session_cookie_age_seconds,
                                 true, secure)},
       {"set-cookie", set_cookie(kCsrfCookieName, csrf, now, kCsrfCookieAgeSeconds, false,
                                 secure)}});
}

Task<Response> logout(const AuthConfig& config, Request request) {
  bool bearer_present = false;
  UserPtr user = co_await bearer_user(config, request, &bearer_present);
  std::string session_key;
  if (!bearer_present) {
    if (auto failed = check_csrf(request.scope)) co_return *failed;
    auto [session_owner, key] = co_await session_user(config, request);
    user = session_owner;
    session_key = key;
  }
  if (!session_key.empty()) co_await config.users->delete_session(*request.loop, session_key);
  asgi::Headers cookies = {{"set-cookie", delete_cookie(kSessionCookieName, is_https(request.scope))}};
  if (!user) {
    // Logging out twice is not an error, and says nothing about the session.
    co_return json_response(200, Value{{"detail", "Logged out."}}, std::move(cookies));
  }
  // Logout is global: every access token issued until now, every refresh token and every live
  // socket of the user end, so a stolen device's credentials die with it.
  config.revoked->revoke(user->id, config.now());
  if (config.refresh_tokens) {
    RefreshTokenStore* store = config.refresh_tokens.get();
    std::int64_t id = user->id;
    co_await run_blocking(*request.loop, [store, id] { store->revoke_user(id); });
  }
  co_await notify_sockets(user->id, "logout");
  co_return json_response(200, Value{{"detail", "Logged out."}}, std::move(cookies));
}

Task<Response> token(const AuthConfig& config, Request request) {
  auto fields = parse_body_fields(header(request.scope, "content-type"), request.body);
  if (!fields || !fields->contains("username") || !fields->contains("password")) {
    co_return bad_request("Send username and password in the request body.");
  }
  UserPtr user = co_await config.users->authenticate(
      *request.loop, (*fields)["username"].as_string(), (*fields)["password"].as_string(),
      config.policy);
  if (!user) co_return invalid_credentials();
  co_await config.users->update_last_login(*request.loop, user->id,
                                           timestamp_from_unix(config.now()));
  // A login starts a new family. (Kept in a local: GCC 12 mishandles a lambda's captures in
  // `co_return co_await`.)
  const AuthConfig* cfg = &config;
  const User* who = user.get();
  Response pair = co_await run_blocking(*request.loop, [cfg, who] {
    return token_pair(*cfg, *who, new_jti());
  });
  co_return pair;
}

Task<Response> refresh(const AuthConfig& config, Request request) {
  if (!config.refresh_tokens) {
    co_return json_response(501, Value{{"error", "unsupported"},
                                       {"detail", "Refresh tokens are not enabled."}});
  }
  auto fields = parse_body_fields(header(request.scope, "content-type"), request.body);
  if (!fields || !fields->contains("refresh")) {
    co_return bad_request("Send the refresh token in the request body.");
  }
  std::string presented = (*fields)["refresh"].as_string();
  JwtResult result = verify_jwt(presented, config.signing_key(), config.now(),
                                JwtVerifyOptions{.expected_type = "refresh"});
  if (!result) co_return invalid_grant();
  const AuthConfig* cfg = &config;
  const std::string* token_text = &presented;
  auto consumed = co_await run_blocking(*request.loop, [cfg, token_text] {
    return cfg->refresh_tokens->consume(*token_text, cfg->now());
  });
  if (consumed.status == RefreshTokenStore::Status::kReused) {
    // Two parties hold this token: the family is revoked (by consume), and so are the sockets
    // its access tokens opened.
    config.revoked->revoke(consumed.user_id, config.now());
    co_await notify_sockets(consumed.user_id, "revoked");
    co_return invalid_grant("refresh_token_reused");
  }
  if (consumed.status != RefreshTokenStore::Status::kOk) co_return invalid_grant();
  UserPtr user = co_await config.users->find_by_id(*request.loop, consumed.user_id);
  if (!user || !user->is_active) co_return invalid_grant();
  const User* who = user.get();
  const std::string* family = &consumed.family;
  Response pair = co_await run_blocking(*request.loop, [cfg, who, family] {
    return token_pair(*cfg, *who, *family);
  });
  co_return pair;
}

Task<Response> ticket(const AuthConfig& config, Request request) {
  bool bearer_present = false;
  UserPtr user = co_await bearer_user(config, request, &bearer_present);
  if (!bearer_present) {
    if (auto failed = check_csrf(request.scope)) co_return *failed;
    user = (co_await session_user(config, request)).first;
  }
  if (!user) co_return not_authenticated();
  std::string value = config.tickets->issue(user->id, config.now(), config.ticket_lifetime_seconds);
  if (value.empty()) {
    co_return json_response(503, Value{{"error", "unavailable"}, {"detail", "Try again later."}});
  }
  co_return json_response(200, Value{{"ticket", value},
                                     {"expires_in", static_cast<std::int64_t>(
                                                        config.ticket_lifetime_seconds)}});
}

// Shared between the server's instance and the coroutine answering, so either may end first.
struct Exchange {
  asgi::Peer* peer = nullptr;
  bool responded = false;
};

void send(Exchange& exchange, const Response& response) {
  if (exchange.peer == nullptr || exchange.responded) return;
  exchange.responded = true;
  asgi::Headers headers = response.headers;
  headers.emplace_back("content-length", std::to_string(response.body.size()));
  exchange.peer->send(asgi::HttpResponseStart{response.status, std::move(headers)});
  exchange.peer->send(asgi::HttpResponseBody{response.body, false});
}

Task<void> answer(Endpoint which, AuthConfigPtr config, std::shared_ptr<Exchange> exchange,
                  Request request) {
  Response response;
  try {
    std::string_view method = request.scope.get_string("method");
    if (method != "POST" && !(which == Endpoint::kLogin && method == "GET")) {
      response = json_response(405, Value{{"error", "method_not_allowed"}},
                               {{"allow", which == Endpoint::kLogin ? "GET, POST" : "POST"}});
    } else {
      switch (which) {
        case Endpoint::kLogin: response = co_await login(*config, std::move(request)); break;
        case Endpoint::kLogout: response = co_await logout(*config, std::move(request)); break;
        case Endpoint::kToken: response = co_await token(*config, std::move(request)); break;
        case Endpoint::kRefresh: response = co_await refresh(*config, std::move(request)); break;
        case Endpoint::kTicket: response = co_await ticket(*config, std::move(request)); break;
      }
    }
  } catch (const std::exception& e) {
    // The message names the failure (a database error); never a credential.
    std::fprintf(stderr, "laurel: auth endpoint failed: %s\n", e.what());
    response = json_response(500, Value{{"error", "server_error"}});
  }
  send(*exchange, response);
}

class EndpointInstance final : public asgi::Instance {
 public:
  EndpointInstance(Endpoint which, AuthConfigPtr config, asgi::Scope scope, asgi::Peer& peer)
      : which_(which), config_(std::move(config)), scope_(std::move(scope)),
        exchange_(std::make_shared<Exchange>()) {
    exchange_->peer = &peer;
    loop_ = &peer.loop();
  }
  ~EndpointInstance() override { exchange_->peer = nullptr; }

  void receive(const asgi::ReceiveEvent& event) override {
    if (std::holds_alternative<asgi::HttpDisconnect>(event)) {
      exchange_->peer = nullptr;
      return;
    }
    const auto* chunk = std::get_if<asgi::HttpRequest>(&event);
    if (chunk == nullptr || started_) return;
    if (body_.size() + chunk->body.size() > kMaxAuthBodyBytes) {
      started_ = true;
      send(*exchange_, json_response(413, Value{{"error", "request_too_large"}}));
      return;
    }
    body_.append(chunk->body);
    if (chunk->more_body) return;
    started_ = true;
    spawn(answer(which_, config_, exchange_, Request{std::move(scope_), std::move(body_), loop_}));
  }

 private:
  Endpoint which_;
  AuthConfigPtr config_;
  asgi::Scope scope_;
  std::shared_ptr<Exchange> exchange_;
  asgi::EventLoop* loop_ = nullptr;
  std::string body_;
  bool started_ = false;
};

class EndpointApplication final : public asgi::Application {
 public:
  EndpointApplication(Endpoint which, AuthConfigPtr config)
      : which_(which), config_(std::move(config)) {}
  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) override {
    return std::make_unique<EndpointInstance>(which_, config_, std::move(scope), peer);
  }
  std::string name() const override {
    switch (which_) {
      case Endpoint::kLogin: return "LoginEndpoint";
      case Endpoint::kLogout: return "LogoutEndpoint";
      case Endpoint::kToken: return "TokenEndpoint";
      case Endpoint::kRefresh: return "RefreshEndpoint";
      case Endpoint::kTicket: return "TicketEndpoint";
    }
    return "AuthEndpoint";
  }

 private:
  Endpoint which_;
  AuthConfigPtr config_;
};

}  // namespace

asgi::ApplicationPtr auth_endpoint(Endpoint which, AuthConfigPtr config) {
  return std::make_shared<EndpointApplication>(which, std::move(config));
}

std::vector<asgi::Route> auth_urlpatterns(AuthConfigPtr config) {
  return {
      asgi::path("auth/login", auth_endpoint(Endpoint::kLogin, config), "auth-login"),
      asgi::path("auth/logout", auth_endpoint(Endpoint::kLogout, config), "auth-logout"),
      asgi::path("auth/token", auth_endpoint(Endpoint::kToken, config), "auth-token"),
      asgi::path("auth/refresh", auth_endpoint(Endpoint::kRefresh, config), "auth-refresh"),
      asgi::path("auth/ticket", auth_endpoint(Endpoint::kTicket, config), "auth-ticket"),
  };
}

std::optional<asgi::Dict> parse_body_fields(std::string_view content_type, std::string_view body) {
  std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  asgi::Dict fields;
  if (type == "application/x-www-form-urlencoded") {
    std::string_view rest = body;
    while (!rest.empty()) {
      auto amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      fields.append_unordered(form_decode(pair.substr(0, eq)), form_decode(pair.substr(eq + 1)));
    }
    // Ordered once: a body of many fields costs no shifting per field.
    fields.restore_order(asgi::Dict::Repeated::kKeepLast);  // a repeated name: the last wins
    return fields;
  }
  // JSON is the default: native clients often send no content type at all.
  try {
    Value parsed = Value::from_json(body);
    if (!parsed.is_dict()) return std::nullopt;
    for (const auto& [key, value] : parsed.as_dict()) {
      if (value.is_string()) fields[key] = value;
    }
    return fields;
  } catch (const asgi::TypeError&) {
    return std::nullopt;
  }
}

bool csrf_tokens_match(std::string_view cookie_value, std::string_view header_value) {
  auto a = csrf_secret_of(cookie_value);
  auto b = csrf_secret_of(header_value);
  return a && b && constant_time_equals(*a, *b);
}

std::string new_csrf_secret() { return random_string(kCsrfSecretLength, kCsrfChars); }

}  // namespace laurel::auth
