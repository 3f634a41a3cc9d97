// server/listener.cpp
#include "server/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace laurel::server {
namespace {

constexpr int kBacklog = 1024;

void set_nonblocking_cloexec(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  flags = fcntl(fd, F_GETFD);
  if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

bool resolve(const Endpoint& ep, sockaddr_storage& addr, socklen_t& len) {
  std::string host = ep.host == "localhost" ? "127.0.0.1" : ep.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::memset(&addr, 0, sizeof addr);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(ep.port));
    len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(ep.port));
    len = sizeof *v6;
    return true;
  }
  // A host name: take the first address it resolves to (start-up only, blocking is fine).
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return false;
  std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
  len = res->ai_addrlen;
  freeaddrinfo(res);
  if (addr.ss_family == AF_INET) v4->sin_port = htons(static_cast<uint16_t>(ep.port));
  if (addr.ss_family == AF_INET6) v6->sin6_port = htons(static_cast<uint16_t>(ep.port));
  return true;
}

int bind_tcp(const Endpoint& ep, const sockaddr_storage& addr, socklen_t len, bool reuseport) {
  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (addr.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0 || listen(fd, kBacklog) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  set_nonblocking_cloexec(fd);
  return fd;
}

int bound_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

bool open_tcp(const Endpoint& ep, int workers, ListenSocket& out) {
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!resolve(ep, addr, len)) {
    std::fprintf(stderr, "laurel: cannot resolve listen address %s\n", ep.describe().c_str());
    return false;
  }
  bool reuseport = workers > 1;
  for (int i = 0; i < std::max(1, workers); ++i) {
    int fd = bind_tcp(ep, addr, len, reuseport);
    if (fd < 0) {
      std::fprintf(stderr, "laurel: cannot listen on %s: %s\n", out.endpoint.describe().c_str(),
                   std::strerror(errno));
      return false;
    }
    out.fds.push_back(fd);
    if (i == 0) {
      // Port 0: the kernel picked one; the other workers' sockets join that same port.
      out.endpoint.port = bound_port(fd);
      if (addr.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(out.endpoint.port);
      } else {
        reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(out.endpoint.port);
      }
    }
    if (!reuseport) break;
  }
  return true;
}

bool open_unix(const Endpoint& ep, ListenSocket& out) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (ep.path.empty() || ep.path.size() >= sizeof addr.sun_path) {
    std::fprintf(stderr, "laurel: unix socket path too long or empty: %s\n",
                 ep.describe().c_str());
    return false;
  }
  std::memcpy(addr.sun_path, ep.path.data(), ep.path.size());
  // A socket file left by a crashed run makes bind fail with EADDRINUSE. Remove it only if it is
  // a socket nobody answers on, so a second server cannot steal a live one's path.
  struct stat st{};
  if (lstat(ep.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    int probe = socket(AF_UNIX, SOCK_STREAM, 0);
    bool live = probe >= 0 &&
                connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) close(probe);
    if (live) {
      std::fprintf(stderr, "laurel: cannot listen on %s: another server is listening there\n",
                   ep.describe().c_str());
      return false;
    }
    unlink(ep.path.c_str());
  }
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, kBacklog) != 0) {
    std::fprintf(stderr, "laurel: cannot listen on %s: %s\n", ep.describe().c_str(),
                 std::strerror(errno));
    if (fd >= 0) close(fd);
    return false;
  }
  set_nonblocking_cloexec(fd);
  out.is_unix = true;
  out.fds.push_back(fd);
  return true;
}

bool open_fd(const Endpoint& ep, ListenSocket& out) {
  int type = 0;
  socklen_t len = sizeof type;
  if (ep.fd < 0 || getsockopt(ep.fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      type != SOCK_STREAM) {
    std::fprintf(stderr, "laurel: %s is not a stream socket\n", ep.describe().c_str());
    return false;
  }
  sockaddr_storage addr{};
  len = sizeof addr;
  getsockname(ep.fd, reinterpret_cast<sockaddr*>(&addr), &len);
  out.is_unix = addr.ss_family == AF_UNIX;
  // Listening is idempotent; an inherited socket may not have been put into listen state yet.
  if (listen(ep.fd, kBacklog) != 0) {
    std::fprintf(stderr, "laurel: cannot listen on %s: %s\n", ep.describe().c_str(),
                 std::strerror(errno));
    return false;
  }
  set_nonblocking_cloexec(ep.fd);
  out.fds.push_back(ep.fd);
  if (!out.is_unix) out.endpoint.port = bound_port(ep.fd);
  return true;
}

}  // namespace

bool open_listeners(const std::vector<Endpoint>& endpoints, int workers,
                    std::vector<ListenSocket>& out) {
  for (const Endpoint& ep : endpoints) {
    ListenSocket ls;
    ls.endpoint = ep;
    bool ok = false;
    switch (ep.kind) {
      case Endpoint::Kind::kTcp: ok = open_tcp(ep, workers, ls); break;
      case Endpoint::Kind::kUnix: ok = open_unix(ep, ls); break;
      case Endpoint::Kind::kFd: ok = open_fd(ep, ls); break;
    }
    if (!ok) {
      for (int fd : ls.fds) close(fd);
      close_listeners(out);
      return false;
    }
    out.push_back(std::move(ls));
  }
  return true;
}

void close_listeners(std::vector<ListenSocket>& sockets) {
  for (ListenSocket& ls : sockets) {
    for (int fd : ls.fds) {
      if (fd >= 0) close(fd);
    }
    ls.fds.clear();
    if (ls.endpoint.kind == Endpoint::Kind::kUnix) unlink(ls.endpoint.path.c_str());
  }
  sockets.clear();
}

std::string Endpoint::describe() const {
  switch (kind) {
    case Kind::kTcp:
      if (host.find(':') != std::string::npos && host.front() != '[') {
        return "tcp:[" + host + "]:" + std::to_string(port);
      }
      return "tcp:" + host + ":" + std::to_string(port);
    case Kind::kUnix: return "unix:" + path;
    case Kind::kFd: return "fd:" + std::to_string(fd);
  }
  return "?";
}

}  // namespace laurel::server
