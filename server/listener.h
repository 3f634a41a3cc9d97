// server/listener.h
#pragma once

// Listening sockets for the configured endpoints, made before the workers start: TCP (IPv4 or
// IPv6) with SO_REUSEPORT so that every worker gets its own accept queue, unix sockets (a stale
// socket file from a crashed run is removed first), and inherited descriptors (systemd, a
// supervisor). Workers take the descriptors and wrap them in libuv handles on their own loops.

#include <memory>
#include <string>
#include <vector>

#include "server/server.h"
#include "server/tls_context.h"

namespace laurel::server {

struct ListenSocket {
  Endpoint endpoint;     // with the bound port filled in (port 0 → the real one)
  bool is_unix = false;  // accepted connections are uv_pipe_t rather than uv_tcp_t
  // One descriptor per worker for TCP (SO_REUSEPORT); a single shared one otherwise.
  std::vector<int> fds;
  // TLS endpoints: the context every worker's connections start from (swapped on SIGHUP).
  std::shared_ptr<TlsContext> tls;
  // The --metrics listener: answers the built-in metrics and health paths only.
  bool metrics_only = false;
  int fd_for_worker(int worker) const {
    return fds.size() == 1 ? fds[0] : fds[static_cast<std::size_t>(worker) % fds.size()];
  }
};

// Binds and listens on every endpoint. On failure prints one line naming the address on stderr,
// closes whatever it opened and returns false.
bool open_listeners(const std::vector<Endpoint>& endpoints, int workers,
                    std::vector<ListenSocket>& out);
// Closes the descriptors and removes unix socket files this process created.
void close_listeners(std::vector<ListenSocket>& sockets);

}  // namespace laurel::server
