// tools/cli/main.h
#pragma once

// The `laurel` command line, shared by every program that links an application into laurel:
// `serve` (the default) takes Daphne's flags plus laurel's own and runs the protocol server;
// the other commands (routes, users, tokens, check) are listed in tools/cli/subcommands.cpp. A
// program's main() is one call to laurel::main.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "asgi/application.h"
#include "server/server.h"

namespace laurel {

// Everything the command line says, for the server and for the application it serves. The
// application factory reads the application-level settings (--redis, --database, ...).
struct CliOptions {
  std::string command = "serve";  // "serve" or a subcommand's name
  server::ServerConfig server;     // what run_server gets

  // Daphne's --log-fmt, kept for Daphne parity; laurel's own log lines are not formatted by it.
  std::string log_fmt = "%(asctime)-15s %(levelname)-8s %(message)s";

  // Application settings. The flags are parsed here; what they do is up to the application
  // (the chat demo switches channel layer and user database with them).
  // --redis redis://host:port/db, repeatable: the shards of a Redis channel layer, in
  // channels_redis's `hosts` order. laurel::main gives each worker loop its own RedisChannelLayer
  // on them (tools/cli/redis_layers.h); empty: the application's default layer.
  std::vector<std::string> redis_urls;
  // --redis-key-file: channels_redis's symmetric_encryption_keys, one per line; empty: none.
  std::string redis_key_file;
  std::string database;                    // --database path/to/db.sqlite3; empty: the app's default
  std::string secret_key_file;             // --secret-key-file; empty: the app's default
  std::vector<std::string> allowed_hosts;  // --allowed-hosts a,b (Django's ALLOWED_HOSTS)
  // --access-token-lifetime seconds for the access tokens /auth/token and /auth/refresh issue;
  // 0: the application's default (simplejwt's 300).
  std::int64_t access_token_lifetime = 0;
  std::string metrics;                     // --metrics host:port or path; empty: off
  std::string config_file;                 // --config file; empty: none
};

// Builds the application once the command line is parsed. May throw std::exception at start-up;
// the message is printed and the program exits 1.
using AppFactory = std::function<asgi::ApplicationPtr(const CliOptions&)>;

// How a program presents itself.
struct ProgramInfo {
  std::string description = "laurel: a Django-Channels-compatible protocol server";
  // Appended to the "serving ..." line once the server listens, e.g. "(ws /ws/echo/)".
  std::string ready_note;

  // Where the application keeps its users and signing key when --database / --secret-key-file
  // are not given, so createuser, changepassword, token and check act on what `serve` uses.
  std::string default_database;        // empty: those commands need --database
  std::string secret_key_env;          // environment variable holding the key (read second)
  std::string secret_key_file_suffix;  // key file beside the database, <database><suffix> (third)
};

// Parses argv, then serves or runs the subcommand. Returns the process exit status: 0 on a clean
// stop, 1 on a start-up failure, 2 on a command-line error (one line on stderr naming the flag).
int main(int argc, char** argv, AppFactory make_app, ProgramInfo info = {});
int main(int argc, char** argv, asgi::ApplicationPtr app, ProgramInfo info = {});

}  // namespace laurel
