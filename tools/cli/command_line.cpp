// tools/cli/command_line.cpp
#include "tools/cli/command_line.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "channel_layer/redis_address.h"
#include "tools/cli/config_file.h"
#include "tools/cli/endpoint_string.h"

namespace laurel::cli {
namespace {

using std::chrono::milliseconds;

constexpr const char* kDefaultHost = "127.0.0.1";
constexpr int kDefaultPort = 8000;

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

// The options every command that builds the application takes.
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
  cmd.add_option("--tls-key", w.tls_key, "Private key (PEM) for the -b/-p listener")
      ->group(bind);

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

  cmd.add_option("--workers", w.workers,
                 "Event loops (threads) sharing the listeners (default 1)")
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

// Thrown for checks that need more than one flag; `flag` names the culprit.
struct FlagError {
  std::string flag;
  std::string message;
};

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
    if (s.trusted_proxies.empty()) throw FlagError{"--trusted-proxies", "needs at least one address"};
  }
  if (!s.root_path.empty() && (s.root_path.front() != '/' || s.root_path.back() == '/')) {
    throw FlagError{"--root-path", "must start with '/' and not end with one (e.g. /chat)"};
  }
}

// CLI11's messages mostly start with the flag already; keep them on one line either way.
std::string one_line(std::string text) {
  for (auto& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// Flags whose one value is a comma-separated list: an array in the config file is joined.
bool is_comma_list(const std::string& name) {
  return name == "allowed-hosts" || name == "trusted-proxies";
}

// One CLI11 parser with every command and the variables its flags write into. Built afresh for
// each parse, since CLI11 keeps what it parsed.
struct CommandLine {
  CliOptions options;
  ServeWords words;
  CLI::App app;
  CLI::App* serve = nullptr;
  std::vector<std::pair<CLI::App*, std::shared_ptr<Subcommand>>> commands;

  CommandLine(const std::string& program, const std::string& description)
      : app{description.empty() ? "laurel protocol server" : description, program} {
    app.require_subcommand(0, 1);
    app.footer("With no command, `" + program + "` serves. See `" + program +
               " serve --help` for every flag.");
    serve = app.add_subcommand("serve", "Serve the application (the default command)");
    add_serve_options(*serve, options, words);
    serve->footer(
        "Every flag --some-flag can also be set by the environment variable LAUREL_SOME_FLAG or "
        "by the key some-flag (or some_flag) in the TOML file named by --config or "
        "LAUREL_CONFIG. A flag on the command line wins over the environment, which wins over "
        "the file. See docs/configuration.md.");
    for (auto& command : all_subcommands()) {
      CLI::App* cmd = app.add_subcommand(command->name(), command->summary());
      add_app_options(*cmd, options, words);
      command->add_options(*cmd);
      commands.emplace_back(cmd, std::move(command));
    }
  }

  // Throws what CLI11 throws (help, errors).
  void parse(const std::string& program, const std::vector<std::string>& args) {
    std::vector<std::string> storage;
    storage.reserve(args.size() + 1);
    storage.push_back(program);
    for (const auto& word : args) storage.push_back(word);
    std::vector<char*> argv;
    for (auto& s : storage) argv.push_back(s.data());
    app.parse(static_cast<int>(argv.size()), argv.data());
  }

  // The command that was parsed: `serve` unless another one was.
  CLI::App* parsed_command() const {
    for (const auto& [cmd, command] : commands) {
      if (cmd->parsed()) return cmd;
    }
    return serve;
  }
};

// The flags of `cmd` that the environment and the config file may set: all of serve's; of the
// other commands only the application flags they share with serve (a variable must not turn
// every `createuser` into a superuser). --help and --config are never among them.
CommandFlags describe(const CLI::App* cmd, bool serve) {
  CommandFlags out;
  out.command = cmd->get_name();
  for (const CLI::Option* opt : cmd->get_options()) {
    if (opt->get_lnames().empty()) continue;  // positionals
    const std::string& name = opt->get_lnames().front();
    if (name == "help" || name == "help-all" || name == "config") continue;
    if (!serve && opt->get_group() != "Application") continue;
    FlagInfo flag;
    flag.name = name;
    flag.given = opt->count() > 0;
    if (opt->get_items_expected_max() == 0) {
      flag.kind = FlagKind::kSwitch;
    } else if (is_comma_list(name)) {
      flag.kind = FlagKind::kCommaList;
    } else if (opt->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll ||
               opt->get_items_expected_max() > 1) {
      flag.kind = FlagKind::kRepeatable;
    } else {
      flag.kind = FlagKind::kValue;
    }
    out.flags.push_back(std::move(flag));
  }
  return out;
}

ParseResult exit_with(int code, std::string output) {
  ParseResult result;
  result.action = ParseResult::Action::kExit;
  result.exit_code = code;
  result.output = std::move(output);
  return result;
}

// Parses `words` (the command's name first) with the words from the environment and the file
// added right after the name, where the command's flags are parsed and before any `--`. Each
// source is first checked on its own, so a wrong value is reported with where it came from.
// Fills `line`, applying serve's rules when serve is the command; returns the exit on an error.
std::optional<ParseResult> parse_with_sources(CommandLine& line, const std::string& program,
                                              const std::string& description,
                                              const std::vector<std::string>& words,
                                              const std::vector<ConfigWords>& extra) {
  std::map<std::string, std::string> origin_of;  // "--port" → "laurel.toml:3: key 'port'"
  for (const auto& source : extra) {
    origin_of[source.flag] = source.origin;
    if (source.words.empty()) continue;
    std::vector<std::string> probe_words = words;
    probe_words.insert(probe_words.begin() + 1, source.words.begin(), source.words.end());
    CommandLine probe(program, description);
    try {
      probe.parse(program, probe_words);
    } catch (const CLI::ParseError& e) {
      return exit_with(2, program + ": error: " + source.origin + ": " + one_line(e.what()));
    }
  }
  std::vector<std::string> merged = words;
  for (auto it = extra.rbegin(); it != extra.rend(); ++it) {
    merged.insert(merged.begin() + 1, it->words.begin(), it->words.end());
  }
  try {
    line.parse(program, merged);
    line.options.allowed_hosts = split_list(line.words.allowed_hosts);
    if (line.parsed_command() == line.serve) {
      apply_serve_words(line.options, line.words, *line.serve);
    }
  } catch (const CLI::ParseError& e) {
    return exit_with(2, program + ": error: " + one_line(e.what()) + " (see " + program +
                            " serve --help)");
  } catch (const FlagError& e) {
    auto origin = origin_of.find(e.flag);
    std::string where = origin == origin_of.end() ? "" : origin->second + ": ";
    return exit_with(2, program + ": error: " + where + e.flag + ": " + e.message);
  }
  return std::nullopt;
}

}  // namespace

ParseResult parse_command_line(const std::vector<std::string>& args, const std::string& program,
                               const std::string& description) {
  return parse_command_line(args, program, description, process_environment());
}

ParseResult parse_command_line(const std::vector<std::string>& args, const std::string& program,
                               const std::string& description, const EnvLookup& env) {
  // `prog -p 9000` and `prog` alone mean `prog serve ...`, as `daphne` takes flags directly.
  std::vector<std::string> words = args;
  const bool top_level_help = !words.empty() && (words[0] == "-h" || words[0] == "--help" ||
                                                  words[0] == "--help-all");
  if (words.empty() || (words[0].size() > 1 && words[0][0] == '-' && !top_level_help)) {
    words.insert(words.begin(), "serve");
  }

  // First the command line alone: help, unknown flags and bad values are answered from it, and
  // it says which flags the environment and the file may still set.
  std::vector<ConfigWords> extra;
  std::vector<ConfigWords> serve_extra;  // another command checks serve's settings too
  std::string config_path;
  bool is_serve = true;
  {
    CommandLine first(program, description);
    try {
      first.parse(program, words);
    } catch (const CLI::CallForHelp&) {
      return exit_with(0, first.app.help());
    } catch (const CLI::CallForAllHelp&) {
      return exit_with(0, first.app.help("", CLI::AppFormatMode::All));
    } catch (const CLI::ParseError& e) {
      return exit_with(2, program + ": error: " + one_line(e.what()) + " (see " + program +
                              " serve --help)");
    }
    config_path = first.options.config_file;
    if (config_path.empty()) {
      if (auto from_env = env ? env(kConfigEnv) : std::nullopt; from_env) config_path = *from_env;
    }
    CLI::App* cmd = first.parsed_command();
    is_serve = cmd == first.serve;
    try {
      std::vector<CommandFlags> all{describe(first.serve, true)};
      for (const auto& [sub, command] : first.commands) all.push_back(describe(sub, false));
      std::optional<ConfigFile> file;
      if (!config_path.empty()) file = load_config_file(config_path, all);
      const ConfigFile* f = file ? &*file : nullptr;
      extra = resolve_config(f, describe(cmd, is_serve), env);
      if (!is_serve) serve_extra = resolve_config(f, all.front(), env);
    } catch (const ConfigError& e) {
      return exit_with(2, program + ": error: " + e.what());
    }
  }

  CommandLine line(program, description);
  if (auto error = parse_with_sources(line, program, description, words, extra)) return *error;
  // `routes --config laurel.toml` checks the whole configuration, so a deployment can test a
  // file before it restarts the server with it.
  if (!is_serve && !serve_extra.empty()) {
    CommandLine serve_check(program, description);
    if (auto error = parse_with_sources(serve_check, program, description, {"serve"}, serve_extra)) {
      return *error;
    }
  }

  ParseResult result;
  result.options = std::move(line.options);
  result.options.config_file = config_path;
  CLI::App* cmd = line.parsed_command();
  if (cmd == line.serve) {
    result.options.command = "serve";
    result.action = ParseResult::Action::kServe;
  } else {
    for (auto& [sub, command] : line.commands) {
      if (sub != cmd) continue;
      result.options.command = command->name();
      result.action = ParseResult::Action::kCommand;
      result.command = command;
    }
  }
  return result;
}

}  // namespace laurel::cli
