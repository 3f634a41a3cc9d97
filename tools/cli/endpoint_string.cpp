// tools/cli/endpoint_string.cpp
#include "tools/cli/endpoint_string.h"

#include <charconv>
#include <map>
#include <vector>

namespace laurel::cli {
namespace {

// Splits on unescaped colons and unescapes `\:` and `\\`, as Twisted's endpoint parser does.
std::vector<std::string> split_fields(const std::string& text) {
  std::vector<std::string> fields(1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      fields.back() += text[++i];
    } else if (c == ':') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

int parse_int(const std::string& value, const std::string& what, const std::string& text,
              int low, int high) {
  int n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < low || n > high) {
    throw std::invalid_argument("endpoint '" + text + "': " + what + " must be a number from " +
                                std::to_string(low) + " to " + std::to_string(high) +
                                ", got '" + value + "'");
  }
  return n;
}

// The positional and keyword arguments of one endpoint description.
struct Fields {
  std::vector<std::string> positional;
  std::map<std::string, std::string> named;
};

Fields classify(const std::vector<std::string>& parts, const std::string& text) {
  Fields f;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    auto eq = parts[i].find('=');
    if (eq == std::string::npos) {
      f.positional.push_back(parts[i]);
    } else {
      std::string key = parts[i].substr(0, eq);
      if (f.named.count(key)) {
        throw std::invalid_argument("endpoint '" + text + "': '" + key + "' given twice");
      }
      f.named[key] = parts[i].substr(eq + 1);
    }
  }
  return f;
}

void reject_unknown(const Fields& f, std::initializer_list<const char*> known,
                    const std::string& text) {
  for (const auto& [key, value] : f.named) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    // Twisted's accepted-but-irrelevant knobs: laurel has its own backlog and no unix mode bits.
    ok = ok || key == "backlog" || key == "mode" || key == "lockfile";
    if (!ok) throw std::invalid_argument("endpoint '" + text + "': unknown option '" + key + "'");
  }
}

std::string take(Fields& f, const std::string& key, std::size_t position) {
  if (auto it = f.named.find(key); it != f.named.end()) return it->second;
  if (position < f.positional.size()) return f.positional[position];
  return {};
}

}  // namespace

server::Endpoint parse_endpoint(const std::string& text) {
  auto parts = split_fields(text);
  const std::string kind = parts[0];
  Fields f = classify(parts, text);
  server::Endpoint ep;
  if (kind == "tcp" || kind == "tcp6" || kind == "ssl") {
    reject_unknown(f, {"port", "interface", "privateKey", "certKey", "extraCertChain", "dhParameters"},
                   text);
    std::string port = take(f, "port", 0);
    if (port.empty()) throw std::invalid_argument("endpoint '" + text + "': needs a port");
    ep.kind = server::Endpoint::Kind::kTcp;
    ep.port = parse_int(port, "port", text, 0, 65535);
    // Twisted listens on every interface when none is named; tcp6 on every IPv6 one.
    std::string iface = take(f, "interface", 1);
    ep.host = !iface.empty() ? iface : (kind == "tcp6" ? "::" : "0.0.0.0");
    if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']') {
      ep.host = ep.host.substr(1, ep.host.size() - 2);
    }
    if (kind == "ssl") {
      ep.tls_key_file = take(f, "privateKey", 99);
      ep.tls_cert_file = f.named.count("certKey") ? f.named["certKey"] : ep.tls_key_file;
      if (ep.tls_key_file.empty()) {
        throw std::invalid_argument("endpoint '" + text + "': ssl needs privateKey=<file>");
      }
    } else if (f.named.count("privateKey") || f.named.count("certKey")) {
      throw std::invalid_argument("endpoint '" + text + "': certificates need an ssl: endpoint");
    }
    return ep;
  }
  if (kind == "unix") {
    reject_unknown(f, {"address"}, text);
    ep.kind = server::Endpoint::Kind::kUnix;
    ep.path = take(f, "address", 0);
    if (ep.path.empty()) throw std::invalid_argument("endpoint '" + text + "': needs a path");
    return ep;
  }
  if (kind == "fd") {
    reject_unknown(f, {"fileno", "domain"}, text);
    ep.kind = server::Endpoint::Kind::kFd;
    std::string fd = take(f, "fileno", 0);
    if (fd.empty()) throw std::invalid_argument("endpoint '" + text + "': needs a file descriptor");
    ep.fd = parse_int(fd, "fileno", text, 0, 1 << 20);
    return ep;
  }
  throw std::invalid_argument("endpoint '" + text +
                              "': unknown kind '" + kind + "' (use tcp:, ssl:, unix: or fd:)");
}

std::string endpoint_url(const server::Endpoint& endpoint) {
  switch (endpoint.kind) {
    case server::Endpoint::Kind::kUnix:
      return "unix:" + endpoint.path;
    case server::Endpoint::Kind::kFd:
      return "fd:" + std::to_string(endpoint.fd);
    case server::Endpoint::Kind::kTcp:
      break;
  }
  std::string host = endpoint.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string scheme = endpoint.tls_cert_file.empty() ? "http" : "https";
  return scheme + "://" + host + ":" + std::to_string(endpoint.port) + "/";
}

}  // namespace laurel::cli
