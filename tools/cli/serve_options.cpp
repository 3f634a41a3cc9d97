// tools/cli/serve_options.cpp
#include "tools/cli/serve_options.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "channel_layer/redis_address.h"
#include "tools/cli/endpoint_string.h"

namespace laurel::cli {
namespace {

using std::chrono::milliseconds;

// "1048576", "64K", "64KiB", "1M", "1MiB", "2G": byte counts with binary suffixes.
std::optional<std::size_t> parse_size(const std::string& text) {
  std::size_t n = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || p == text.data()) return std::nullopt;
  std::string suffix(p, end);
  for (auto& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::size_t mult = 1;
  if (suffix.empty() || suffix == "B") {
    mult = 1;
  } else if (suffix == "K" || suffix == "KB" || suffix == "KIB") {
    mult = std::size_t{1} << 10;
  } else if (suffix == "M" || suffix == "MB" || suffix == "MIB") {
    mult = std::size_t{1} << 20;
  } else if (suffix == "G" || suffix == "GB" || suffix == "GIB") {
    mult = std::size_t{1} << 30;
  } else {
    return std::nullopt;
  }
  if (n > SIZE_MAX / mult) return std::nullopt;
  return n * mult;
}

// Seconds as Daphne takes them (whole numbers), also accepting fractions ("0.5").
// `allow_infinite`: -1 means "no limit" (Daphne's websocket timeouts), mapped to 0.
std::optional<milliseconds> parse_seconds(const std::string& text, bool allow_infinite) {
  if (allow_infinite && text == "-1") return milliseconds{0};
  double s = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), s);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(s) || s < 0 ||
      s > 365.0 * 86400) {
    return std::nullopt;
  }
  return milliseconds{static_cast<long long>(std::llround(s * 1000))};
}

CLI::Validator size_validator() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        return parse_size(v) ? "" : "'" + v + "' is not a size (bytes, or with K/M/G suffix)";
      },
      "SIZE");
}

CLI::Validator seconds_validator(bool allow_infinite) {
  return CLI::Validator(
      [allow_infinite](std::string& v) -> std::string {
        if (parse_seconds(v, allow_infinite)) return "";
        return "'" + v + "' is not a number of seconds" +
               std::string(allow_infinite ? " (or -1 for no limit)" : "");
      },
      allow_infinite ? "SECONDS|-1" : "SECONDS");
}

std::string strip_brackets(std::string host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

// Daphne's binding rules: with no binding flag, 127.0.0.1:8000; -b alone gets port 8000, -p alone
// gets host 127.0.0.1; -u, --fd and -e add listeners.
void build_endpoints(CliOptions& o, const ServeWords& w, const CLI::App& cmd) {
  const bool has_bind = cmd.count("--bind") > 0;
  const bool has_port = cmd.count("--port") > 0;
  const bool has_unix = cmd.count("--unix-socket") > 0;
  const bool has_fd = cmd.count("--fd") > 0;
  auto& eps = o.server.endpoints;
  eps.clear();
  for (const auto& text : w.endpoints) {
    try {
      eps.push_back(parse_endpoint(text));
    } catch (const std::invalid_argument& e) {
      throw FlagError{"--endpoint", e.what()};
    }
  }
  if (has_bind || has_port || !(has_unix || has_fd || !w.endpoints.empty())) {
    server::Endpoint tcp;
    tcp.kind = server::Endpoint::Kind::kTcp;
    tcp.host = has_bind ? strip_brackets(w.bind) : kDefaultHost;
    tcp.port = w.port;
    if (tcp.host.empty()) throw FlagError{"--bind", "needs an address"};
    tcp.tls_cert_file = w.tls_cert;
    tcp.tls_key_file = w.tls_key;
    eps.push_back(tcp);
  }
  if (w.tls_cert.empty() != w.tls_key.empty()) {
    throw FlagError{w.tls_cert.empty() ? "--tls-cert" : "--tls-key",
                    "--tls-cert and --tls-key go together"};
  }
  if (has_unix) {
    if (w.unix_socket.empty()) throw FlagError{"--unix-socket", "needs a path"};
    server::Endpoint u;
    u.kind = server::Endpoint::Kind::kUnix;
    u.path = w.unix_socket;
    eps.push_back(u);
  }
  if (has_fd) {
    server::Endpoint f;
    f.kind = server::Endpoint::Kind::kFd;
    f.fd = w.fd;
    eps.push_back(f);
  }
}

}  // namespace

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::stringstream ss(item);
    std::string part;
    while (std::getline(ss, part, ',')) {
      if (!part.empty()) out.push_back(part);
    }
  }
  return out;
}

void add_app_options(CLI::App& cmd, CliOptions& o, ServeWords& w) {
  cmd.add_option("--redis", o.redis_urls,
                 "Redis URL for the channel layer (redis://host:6379/0); repeat it to shard over "
                 "several Redis servers; default: in-memory layer")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check([](const std::string& url) -> std::string {
        try {
          laurel::channel_layer::RedisAddress::parse(url);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      })
      ->group("Application");
  cmd.add_option("--redis-key-file", o.redis_key_file,
                 "File of channels_redis symmetric_encryption_keys, one per line (the first "
                 "encrypts); default: messages in Redis are not encrypted")
      ->check(CLI::ExistingFile)
      ->group("Application");
  cmd.add_option("--database", o.database,
                 "User database (a SQLite file; a Django project's db.sqlite3 works)")
      ->group("Application");
  cmd.add_option("--secret-key-file", o.secret_key_file,
                 "File holding the signing key (Django's SECRET_KEY)")
      ->group("Application");
  cmd.add_option("--allowed-hosts", w.allowed_hosts,
                 "Comma-separated Host/Origin names allowed (Django's ALLOWED_HOSTS)")
      ->expected(1)
      ->group("Application");
  cmd.add_option("--access-token-lifetime", o.access_token_lifetime,
                 "Seconds an access token from /auth/token or /auth/refresh is valid (default "
                 "300); sockets opened with it are closed with 4408 when it expires")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400}))
      ->group("Application");
  cmd.add_option("--metrics", o.metrics,
                 "Prometheus metrics and /healthz: host:port (own listener) or /path; default: off")
      ->group("Application");
  cmd.add_option("--config", o.config_file,
                 "TOML file setting any of these flags (keys: the long flag names; also "
                 "LAUREL_CONFIG); see docs/configuration.md")
      ->group("Application");
}

void add_serve_options(CLI::App& cmd, CliOptions& o, ServeWords& w) {
  const char* bind = "Binding (Daphne)";
  const char* daphne = "Protocol (Daphne)";
  const char* limits = "Limits and shutdown (laurel)";
  cmd.add_option("-b,--bind", w.bind, "The host/address to bind to (default 127.0.0.1)")
      ->group(bind);
  cmd.add_option("-p,--port", w.port, "Port number to listen on (default 8000)")
      ->check(CLI::Range(0, 65535))
      ->group(bind);
  cmd.add_option("-u,--unix-socket", w.unix_socket,
                 "Bind to a UNIX socket rather than a TCP host/port")
      ->group(bind);
  cmd.add_option("--fd", w.fd,
                 "Bind to an inherited listening file descriptor rather than a TCP host/port")
      ->check(CLI::Range(0, 1 << 20))
      ->group(bind);
  cmd.add_option("-e,--endpoint", w.endpoints,
                 "Endpoint string, repeatable: tcp:port=8000:interface=127.0.0.1, unix:/path, "
                 "fd:fileno=3, ssl:8443:privateKey=key.pem:certKey=cert.pem")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group(bind);
  cmd.add_option("--tls-cert", w.tls_cert, "Certificate (PEM) for the -b/-p listener: serve TLS")
      ->group(bind);
  cmd.add_option("--tls-key", w.tls_key, "Private key (PEM) for the -b/-p listener")->group(bind);

  cmd.add_option("-v,--verbosity", w.verbosity, "How verbose to make the output (0-3, default 1)")
      ->check(CLI::Range(0, 3))
      ->group(daphne);
  cmd.add_option("-t,--http-timeout", w.http_timeout,
                 "Seconds to wait for the application before answering an HTTP request with 504 "
                 "(default: no limit)")
      ->check(seconds_validator(false))
      ->group(daphne);
  cmd.add_option("--access-log", w.access_log,
                 "Where to write the access log (- for stdout, the default for verbosity>=1)")
      ->group(daphne);
  cmd.add_option("--log-fmt", o.log_fmt, "Log format to use (kept for Daphne parity)")
      ->group(daphne);
  cmd.add_option("--ping-interval", w.ping_interval,
                 "Seconds a WebSocket must be idle before a keepalive ping is sent (default 20)")
      ->check(seconds_validator(false))
      ->group(daphne);
  cmd.add_option("--ping-timeout", w.ping_timeout,
                 "Seconds before a WebSocket is closed if no response to a keepalive ping "
                 "(default 30)")
      ->check(seconds_validator(false))
      ->group(daphne);
  cmd.add_option("--application-close-timeout", w.application_close_timeout,
                 "Seconds an application has to finish after the client disconnects (default 10)")
      ->check(seconds_validator(false))
      ->group(daphne);
  cmd.add_option("--root-path", o.server.root_path, "The ASGI root_path for every scope")
      ->group(daphne);
  cmd.add_flag("--proxy-headers", w.proxy_headers,
               "Use X-Forwarded-For/-Port/-Proto from trusted proxies as the client address")
      ->group(daphne);
  cmd.add_option("--proxy-headers-host", w.proxy_headers_host,
                 "Header carrying the client host (needs --proxy-headers; e.g. X-Real-IP)")
      ->group(daphne);
  cmd.add_option("--proxy-headers-port", w.proxy_headers_port,
                 "Header carrying the client port (needs --proxy-headers)")
      ->group(daphne);
  cmd.add_option("-s,--server-name", w.server_name,
                 "Value of the Server response header (default laurel)")
      ->group(daphne);
  cmd.add_flag("--no-server-name", w.no_server_name, "Send no Server header")->group(daphne);
  cmd.add_option("--websocket_timeout", w.websocket_timeout,
                 "Maximum seconds a WebSocket may stay connected, -1 for no limit (default 86400)")
      ->check(seconds_validator(true))
      ->group(daphne);
  cmd.add_option("--websocket_connect_timeout", w.websocket_connect_timeout,
                 "Seconds the application has to accept or deny a handshake, -1 for no limit "
                 "(default 5)")
      ->check(seconds_validator(true))
      ->group(daphne);

  cmd.add_option("--workers", w.workers, "Event loops (threads) sharing the listeners (default 1)")
      ->check(CLI::Range(1, 256))
      ->group(limits);
  cmd.add_option("--max-message-size", w.max_message_size,
                 "Largest WebSocket message accepted; bigger closes with 1009 (default 1M)")
      ->check(size_validator())
      ->group(limits);
  cmd.add_option("--max-body-size", w.max_body_size,
                 "Largest HTTP request body; bigger gets 413 (default 0: no limit)")
      ->check(size_validator())
      ->group(limits);
  cmd.add_option("--max-header-size", w.max_header_size,
                 "Largest HTTP request head; bigger gets 431 (default 16K)")
      ->check(size_validator())
      ->group(limits);
  cmd.add_option("--max-outbound-bytes", w.max_outbound_bytes,
                 "Unsent bytes a WebSocket may queue before it is closed with 1008 (default 4M)")
      ->check(size_validator())
      ->group(limits);
  cmd.add_option("--header-timeout", w.header_timeout,
                 "Seconds a client has to send a whole request head (slowloris guard, default 30)")
      ->check(seconds_validator(false))
      ->group(limits);
  cmd.add_option("--keepalive-timeout", w.keepalive_timeout,
                 "Seconds an idle keep-alive HTTP connection stays open (default 60)")
      ->check(seconds_validator(false))
      ->group(limits);
  cmd.add_option("--shutdown-timeout", w.shutdown_timeout,
                 "Seconds to let connections finish after SIGTERM before closing them (default 10)")
      ->check(seconds_validator(false))
      ->group(limits);
  cmd.add_option("--trusted-proxies", w.trusted_proxies,
                 "Comma-separated peers whose proxy headers are believed (default 127.0.0.1,::1)")
      ->expected(1)
      ->group(limits);
  add_app_options(cmd, o, w);
}

void apply_serve_words(CliOptions& o, const ServeWords& w, const CLI::App& cmd) {
  build_endpoints(o, w, cmd);
  auto& s = o.server;
  s.workers = w.workers;
  s.verbosity = w.verbosity;
  s.http_timeout = w.http_timeout.empty() ? milliseconds{0} : *parse_seconds(w.http_timeout, false);
  s.ping_interval = *parse_seconds(w.ping_interval, false);
  s.ping_timeout = *parse_seconds(w.ping_timeout, false);
  s.application_close_timeout = *parse_seconds(w.application_close_timeout, false);
  s.websocket_timeout = *parse_seconds(w.websocket_timeout, true);
  s.websocket_connect_timeout = *parse_seconds(w.websocket_connect_timeout, true);
  s.shutdown_timeout = *parse_seconds(w.shutdown_timeout, false);
  s.header_timeout = *parse_seconds(w.header_timeout, false);
  s.keepalive_timeout = *parse_seconds(w.keepalive_timeout, false);
  s.max_message_size = *parse_size(w.max_message_size);
  s.max_body_size = *parse_size(w.max_body_size);
  s.max_header_bytes = *parse_size(w.max_header_size);
  s.max_outbound_bytes = *parse_size(w.max_outbound_bytes);
  if (s.max_message_size == 0) throw FlagError{"--max-message-size", "must be above 0"};
  if (s.max_header_bytes < 256) throw FlagError{"--max-header-size", "must be at least 256 bytes"};
  if (s.max_outbound_bytes == 0) throw FlagError{"--max-outbound-bytes", "must be above 0"};
  s.server_name = w.no_server_name ? "" : w.server_name;
  s.metrics = o.metrics;  // host:port (own listener) or /path (main port); server/server.h

  // Daphne: the access log goes where --access-log says, else to stdout from verbosity 1 up.
  if (cmd.count("--access-log") > 0) {
    s.access_log = w.access_log != "none";
    s.access_log_path = w.access_log;
  } else {
    s.access_log = w.verbosity >= 1;
    s.access_log_path = "-";
  }

  // Daphne refuses the header-name flags without --proxy-headers; so does laurel.
  if (!w.proxy_headers && cmd.count("--proxy-headers-host") > 0) {
    throw FlagError{"--proxy-headers-host", "--proxy-headers has to be passed for this parameter"};
  }
  if (!w.proxy_headers && cmd.count("--proxy-headers-port") > 0) {
    throw FlagError{"--proxy-headers-port", "--proxy-headers has to be passed for this parameter"};
  }
  s.proxy_headers = w.proxy_headers;
  if (!w.proxy_headers_host.empty()) s.proxy_headers_host = w.proxy_headers_host;
  if (!w.proxy_headers_port.empty()) s.proxy_headers_port = w.proxy_headers_port;
  if (cmd.count("--trusted-proxies") > 0) {
    s.trusted_proxies = split_list(w.trusted_proxies);
    if (s.trusted_proxies.empty()) {
      throw FlagError{"--trusted-proxies", "needs at least one address"};
    }
  }
  if (!s.root_path.empty() && (s.root_path.front() != '/' || s.root_path.back() == '/')) {
    throw FlagError{"--root-path", "must start with '/' and not end with one (e.g. /chat)"};
  }
}

}  // namespace laurel::cli
