// auth/csrf.cpp
#include "auth/csrf.h"

#include "asgi/metrics.h"
#include "auth/encoding.h"
#include "auth/endpoints.h"

namespace laurel::auth {
namespace {

// Django's CSRF_ALLOWED_CHARS: string.ascii_letters + string.digits.
constexpr std::string_view kCsrfChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::size_t kCsrfSecretLength = 32;

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

endpoints::Response csrf_failed(std::string reason) {
  metrics::count_auth_failure("csrf");
  return endpoints::json_response(
      403, asgi::Value{{"error", "csrf_failed"}, {"detail", "CSRF Failed: " + std::move(reason)}});
}

}  // namespace

namespace endpoints {

std::optional<std::string> csrf_secret_of(std::string_view token) {
  if (token.size() != kCsrfSecretLength && token.size() != 2 * kCsrfSecretLength) return {};
  for (char c : token) {
    if (kCsrfChars.find(c) == std::string_view::npos) return {};
  }
  if (token.size() == kCsrfSecretLength) return std::string(token);
  return csrf_unmask(token);
}

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

}  // namespace endpoints

bool csrf_tokens_match(std::string_view cookie_value, std::string_view header_value) {
  auto a = endpoints::csrf_secret_of(cookie_value);
  auto b = endpoints::csrf_secret_of(header_value);
  return a && b && constant_time_equals(*a, *b);
}

std::string new_csrf_secret() { return random_string(kCsrfSecretLength, kCsrfChars); }

}  // namespace laurel::auth
