// testing/scope_for_test.cpp

#include "testing/scope_for_test.h"

#include <cctype>

namespace laurel::testing {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Channels' communicator unquotes the path as the server does.
std::string unquote(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
      out += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
      i += 2;
    } else {
      out += raw[i];
    }
  }
  return out;
}

}  // namespace

asgi::Scope make_scope(std::string_view type, std::string_view target, const asgi::Headers& headers,
                       std::string_view method) {
  auto question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  asgi::List header_list;
  for (const auto& [name, value] : headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    header_list.push_back(asgi::Value::list({asgi::Bytes{lower}, asgi::Bytes{value}}));
  }
  asgi::Value scope{
      {"type", std::string(type)},
      {"asgi", {{"version", "3.0"}, {"spec_version", "2.3"}}},
      {"http_version", "1.1"},
      {"scheme", type == "http" ? "http" : "ws"},
      {"path", unquote(raw_path)},
      {"raw_path", asgi::Bytes{std::string(raw_path)}},
      {"query_string", asgi::Bytes{std::string(query)}},
      {"root_path", ""},
      {"headers", asgi::Value(std::move(header_list))},
      {"client", asgi::Value::list({"127.0.0.1", 0})},
      {"server", asgi::Value::list({"testserver", 80})},
  };
  if (type == "http") scope["method"] = std::string(method);
  return scope;
}

}  // namespace laurel::testing
