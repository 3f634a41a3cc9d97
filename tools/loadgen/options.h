// tools/loadgen/options.h
#pragma once

// The load generator's command line: which load to apply (a mode), to which server, for how long.
// Every run is bounded twice, by --duration and by --messages, so a stuck server cannot hang it.

#include <cstdint>
#include <string>
#include <vector>

namespace laurel::loadgen {

enum class Mode {
  kEcho,       // N connections, K messages in flight on each, round-trip latency
  kRate,       // echo at a fixed total message rate: latency when the server is not saturated
  kBroadcast,  // N receivers plus one sender in a room: deliveries/s and publish-to-delivery latency
  kHandshake,  // open and close connections, C at a time: handshakes/s
  kIdle,       // open N connections and hold them: the server's memory per idle socket
};

enum class Format {
  kRaw,       // the payload is the stamp itself (echo servers, the Node ws broadcaster)
  kChatJson,  // {"message": "<stamp>"} out, {"message": "<stamp>", "user": ...} back (chat consumers)
};

struct Options {
  Mode mode = Mode::kEcho;
  std::string mode_name = "echo";
  std::string host = "127.0.0.1";
  uint16_t port = 8000;
  // --ports: several servers (processes) on one host; connection i goes to ports[i % n].
  std::vector<uint16_t> ports;
  std::string path;  // empty: /ws/echo/, or /ws/chat/bench/ in broadcast mode
  int connections = 100;
  int inflight = 16;
  int size = 32;
  bool binary = false;
  double duration = 10;
  double warmup = 1;
  uint64_t messages = 100'000'000;
  double rate = 0;  // messages/s over all connections; 0 means as fast as the server answers
  int concurrency = 100;
  double open_timeout = 30;
  Format format = Format::kRaw;
  std::vector<std::string> headers;
};

// Parses argv; prints help or an error and exits on bad input (start-up only).
Options parse_options(int argc, char** argv);

}  // namespace laurel::loadgen
