// auth/endpoint_http.cpp
#include "auth/endpoint_http.h"

#include <cctype>
#include <ctime>

#include "asgi/metrics.h"
#include "auth/encoding.h"
#include "auth/endpoints.h"

namespace laurel::auth {
namespace endpoints {
namespace {

std::string http_date(double unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace

using asgi::Value;

Response json_response(int status, const Value& body, asgi::Headers extra) {
  Response r{status, {{"content-type", "application/json"}, {"cache-control", "no-store"}},
             body.to_json() + "\n"};
  for (auto& h : extra) r.headers.push_back(std::move(h));
  return r;
}

Response invalid_credentials() {
  return json_response(401, Value{{"error", "invalid_credentials"},
                                  {"detail", "Invalid username or password."}});
}
Response invalid_grant(std::string_view reason) {
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

std::string header(const asgi::Scope& scope, std::string_view name) {
  const Value* headers = scope.find("headers");
  if (headers == nullptr || !headers->is_list()) return {};
  for (const auto& pair : headers->as_list()) {
    if (pair[0].as_bytes() == name) return std::string(pair[1].as_bytes());
  }
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

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

std::optional<Credentials> credentials_of(const Request& request) {
  auto fields = parse_body_fields(header(request.scope, "content-type"), request.body);
  if (!fields) return std::nullopt;
  auto username = fields->find("username");
  auto password = fields->find("password");
  if (username == fields->end() || password == fields->end() || !username->second.is_string() ||
      !password->second.is_string()) {
    return std::nullopt;
  }
  return Credentials{std::string(username->second.as_string()),
                     std::string(password->second.as_string())};
}

bool is_https(const asgi::Scope& scope) {
  std::string_view scheme = scope.get_string("scheme");
  return scheme == "https" || scheme == "wss";
}

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

}  // namespace endpoints

std::optional<asgi::Dict> parse_body_fields(std::string_view content_type, std::string_view body) {
  std::string_view type = endpoints::trim(content_type.substr(0, content_type.find(';')));
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
    asgi::Value parsed = asgi::Value::from_json(body);
    if (!parsed.is_dict()) return std::nullopt;
    for (const auto& [key, value] : parsed.as_dict()) {
      if (value.is_string()) fields[key] = value;
    }
    return fields;
  } catch (const asgi::TypeError&) {
    return std::nullopt;
  }
}

}  // namespace laurel::auth
