// tools/loadgen/main.cpp
// laurel-loadgen: drives one WebSocket load pattern against one server from one thread and
// prints exactly one JSON line on stdout (progress and problems go to stderr).
#include <netdb.h>
#include <signal.h>
#include <sys/resource.h>
#include <uv.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "options.h"
#include "run.h"

using namespace laurel::loadgen;

namespace {

// Thousands of sockets need thousands of descriptors: take the hard limit.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

bool resolve_one(const std::string& host, uint16_t port_number, sockaddr_storage* addr,
                 std::string* host_header) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_number);
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) return false;
  std::memcpy(addr, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  const bool v6 = host.find(':') != std::string::npos;
  *host_header = (v6 ? "[" + host + "]" : host) + ":" + port;
  return true;
}

bool resolve(const Options& o, Target* t) {
  if (!resolve_one(o.host, o.ports.empty() ? o.port : o.ports.front(), &t->addr, &t->host_header)) {
    return false;
  }
  for (uint16_t port : o.ports) {
    t->spread.emplace_back();
    t->spread_host_headers.emplace_back();
    if (!resolve_one(o.host, port, &t->spread.back(), &t->spread_host_headers.back())) return false;
  }
  t->path = o.path;
  t->headers = o.headers;
  return true;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  signal(SIGPIPE, SIG_IGN);  // a peer that vanishes is an error to count, not a reason to die
  raise_fd_limit();
  Target target;
  if (!resolve(o, &target)) {
    fprintf(stderr, "laurel-loadgen: cannot resolve %s\n", o.host.c_str());
    return 2;
  }
  uv_loop_t* loop = uv_default_loop();
  std::unique_ptr<Run> run;
  switch (o.mode) {
    case Mode::kEcho:
    case Mode::kRate: run = make_echo_run(loop, o, target); break;
    case Mode::kBroadcast: run = make_broadcast_run(loop, o, target); break;
    case Mode::kHandshake: run = make_handshake_run(loop, o, target); break;
    case Mode::kIdle: run = make_idle_run(loop, o, target); break;
  }
  const uint64_t wall0 = uv_hrtime();
  const double cpu0 = cpu_seconds();
  run->begin();
  uv_run(loop, UV_RUN_DEFAULT);
  const double wall = static_cast<double>(uv_hrtime() - wall0) / 1e9;
  const double cpu = cpu_seconds() - cpu0;

  const Result& r = run->result();
  const int connections = o.mode == Mode::kHandshake ? o.concurrency : r.connections;
  const double rate = r.seconds > 0 ? static_cast<double>(r.messages) / r.seconds : 0;
  std::string extra;
  char buf[128];
  for (const auto& [k, v] : r.extra) {
    snprintf(buf, sizeof buf, ",\"%s\":%.6g", k.c_str(), v);
    extra += buf;
  }
  // client_cpu: the generator's own share of a core, to show it was not the bottleneck.
  printf("{\"mode\":\"%s\",\"connections\":%d,\"messages\":%llu,\"seconds\":%.3f,"
         "\"msgs_per_sec\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"errors\":%llu,"
         "\"size\":%d,\"inflight\":%d,\"rate\":%.0f,\"binary\":%s,\"format\":\"%s\","
         "\"path\":\"%s\",\"client_cpu\":%.3f%s}\n",
         o.mode_name.c_str(), connections, static_cast<unsigned long long>(r.messages), r.seconds,
         rate, r.latency.percentile_us(50), r.latency.percentile_us(99),
         r.latency.percentile_us(99.9), static_cast<unsigned long long>(r.errors), o.size,
         o.inflight, o.rate, o.binary ? "true" : "false",
         o.format == Format::kChatJson ? "chat-json" : "raw", o.path.c_str(),
         wall > 0 ? cpu / wall : 0, extra.c_str());
  uv_loop_close(loop);
  return 0;
}
