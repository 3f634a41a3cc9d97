// tools/cli/serve_options.h
#pragma once

// The flags of `serve`: Daphne's (-b/-p/-u/--fd, -e, timeouts in seconds, proxy headers) and
// laurel's (workers, size limits, TLS), plus the application flags every command shares
// (--redis, --database, ...). Declares them on a CLI11 command and turns what CLI11 checked into
// a ServerConfig, applying the rules that need more than one flag.

#include <string>
#include <vector>

#include "tools/cli/main.h"

namespace CLI {
class App;
}

namespace laurel::cli {

// Daphne's binding when no binding flag is given.
inline constexpr const char* kDefaultHost = "127.0.0.1";
inline constexpr int kDefaultPort = 8000;

// The raw words of the serve flags, converted into ServerConfig after CLI11 has checked them.
struct ServeWords {
  std::string bind;
  int port = kDefaultPort;
  std::string unix_socket;
  int fd = -1;
  std::vector<std::string> endpoints;
  int verbosity = 1;
  std::string http_timeout;
  std::string access_log;
  std::string ping_interval = "20";
  std::string ping_timeout = "30";
  std::string application_close_timeout = "10";
  std::string websocket_timeout = "86400";
  std::string websocket_connect_timeout = "5";
  std::string proxy_headers_host;
  std::string proxy_headers_port;
  bool proxy_headers = false;
  std::string server_name = "laurel";
  bool no_server_name = false;
  int workers = 1;
  std::string max_message_size = "1M";
  std::string max_body_size = "0";
  std::string max_header_size = "16K";
  std::string max_outbound_bytes = "4M";
  std::string shutdown_timeout = "10";
  std::string header_timeout = "30";
  std::string keepalive_timeout = "60";
  std::vector<std::string> trusted_proxies;
  std::string tls_cert;
  std::string tls_key;
  std::vector<std::string> allowed_hosts;
};

// The options every command that builds the application takes, in the group "Application" (the
// only flags of the other commands that the environment and the config file may set).
void add_app_options(CLI::App& cmd, CliOptions& o, ServeWords& w);

// Every flag of `serve`, the application options included.
void add_serve_options(CLI::App& cmd, CliOptions& o, ServeWords& w);

// Thrown for checks that need more than one flag; `flag` names the culprit.
struct FlagError {
  std::string flag;
  std::string message;
};

// Fills o.server from the words of a parsed `serve` (cmd says which flags were given): Daphne's
// binding defaults, seconds and sizes converted, the cross-flag rules. Throws FlagError.
void apply_serve_words(CliOptions& o, const ServeWords& w, const CLI::App& cmd);

// "a,b", "c" → a, b, c: the values of a comma-separated flag, empty items dropped.
std::vector<std::string> split_list(const std::vector<std::string>& items);

}  // namespace laurel::cli
