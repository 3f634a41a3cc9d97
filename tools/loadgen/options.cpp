// tools/loadgen/options.cpp
#include "options.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace laurel::loadgen {

Options parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"laurel-loadgen: a single-threaded WebSocket load generator (libuv)"};
  std::string format = "raw";
  app.add_option("mode", o.mode_name, "echo | rate | broadcast | handshake | idle")->required();
  app.add_option("--host", o.host, "server address (loopback only)");
  app.add_option("--port,-p", o.port, "server port");
  std::string ports;
  app.add_option("--ports", ports,
                 "comma-separated ports of several server processes on --host: connections are "
                 "spread over them round robin (replaces --port)");
  app.add_option("--path", o.path, "request path (default /ws/echo/, broadcast: /ws/chat/bench/)");
  app.add_option("--connections,-c", o.connections, "connections (broadcast: receivers)")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--inflight,-k", o.inflight,
                 "messages in flight per connection (broadcast at max rate: published messages "
                 "not yet delivered to every receiver)")
      ->check(CLI::Range(1, 100'000));
  app.add_option("--size,-s", o.size, "message size in bytes (at least 32: the stamp)")
      ->check(CLI::Range(32, 64 * 1024 * 1024));
  app.add_flag("--binary", o.binary, "binary frames instead of text");
  app.add_option("--duration,-d", o.duration, "measured seconds")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--warmup,-w", o.warmup, "seconds before measuring")->check(CLI::Range(0.0, 600.0));
  app.add_option("--messages,-n", o.messages, "cap on messages sent (or handshakes)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000'000ULL}));
  app.add_option("--rate,-r", o.rate, "messages/s over all connections (0: max)")
      ->check(CLI::Range(0.0, 1e8));
  app.add_option("--concurrency", o.concurrency, "handshakes under way at once (handshake, idle)")
      ->check(CLI::Range(1, 100'000));
  app.add_option("--open-timeout", o.open_timeout, "seconds allowed to open all connections");
  app.add_option("--format", format, "raw | chat-json (payload shape in broadcast mode)")
      ->check(CLI::IsMember({"raw", "chat-json"}));
  app.add_option("--header,-H", o.headers, "extra handshake header, e.g. 'Authorization: Bearer x'");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  static const std::map<std::string, Mode> kModes = {{"echo", Mode::kEcho},
                                                     {"rate", Mode::kRate},
                                                     {"broadcast", Mode::kBroadcast},
                                                     {"handshake", Mode::kHandshake},
                                                     {"idle", Mode::kIdle}};
  auto it = kModes.find(o.mode_name);
  if (it == kModes.end()) {
    std::fprintf(stderr, "laurel-loadgen: unknown mode '%s' (echo, rate, broadcast, handshake, idle)\n",
                 o.mode_name.c_str());
    std::exit(2);
  }
  o.mode = it->second;
  for (size_t at = 0; !ports.empty() && at <= ports.size();) {
    size_t comma = ports.find(',', at);
    if (comma == std::string::npos) comma = ports.size();
    const int port = std::atoi(ports.substr(at, comma - at).c_str());
    if (port < 1 || port > 65535) {
      std::fprintf(stderr, "laurel-loadgen: --ports needs ports between 1 and 65535: %s\n",
                   ports.c_str());
      std::exit(2);
    }
    o.ports.push_back(static_cast<uint16_t>(port));
    at = comma + 1;
  }
  o.format = format == "chat-json" ? Format::kChatJson : Format::kRaw;
  if (o.path.empty()) o.path = o.mode == Mode::kBroadcast ? "/ws/chat/bench/" : "/ws/echo/";
  if (o.mode == Mode::kRate && o.rate <= 0) {
    std::fprintf(stderr, "laurel-loadgen: rate mode needs --rate > 0\n");
    std::exit(2);
  }
  return o;
}

}  // namespace laurel::loadgen
