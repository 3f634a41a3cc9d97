// tools/cli/redis_ping.cpp
#include "tools/cli/redis_ping.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "channel_layer/redis_address.h"

namespace laurel::cli {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Non-blocking connect finished within the deadline: "" or the reason.
std::string connect_within(int fd, const sockaddr* addr, socklen_t len,
                           Clock::time_point deadline) {
  if (::connect(fd, addr, len) == 0) return "";
  if (errno != EINPROGRESS) return std::strerror(errno);
  pollfd p{fd, POLLOUT, 0};
  int n = ::poll(&p, 1, ms_left(deadline));
  if (n == 0) return "no connection within the deadline";
  if (n < 0) return std::strerror(errno);
  int err = 0;
  socklen_t err_len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
  return err == 0 ? "" : std::strerror(err);
}

std::string resp_command(std::initializer_list<std::string> words) {
  std::string out = "*" + std::to_string(words.size()) + "\r\n";
  for (const auto& w : words) out += "$" + std::to_string(w.size()) + "\r\n" + w + "\r\n";
  return out;
}

// Sends `command` and reads one reply line ("+OK", "+PONG", "-ERR ...").
std::string exchange(int fd, const std::string& command, Clock::time_point deadline,
                     std::string* error) {
  std::size_t sent = 0;
  while (sent < command.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, ms_left(deadline)) <= 0) {
      *error = "no answer within the deadline";
      return "";
    }
    ssize_t n = ::send(fd, command.data() + sent, command.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) {
      *error = std::strerror(errno);
      return "";
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string line;
  while (line.size() < 512) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms_left(deadline)) <= 0) {
      *error = "no answer within the deadline";
      return "";
    }
    char c = 0;
    ssize_t n = ::recv(fd, &c, 1, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {
      *error = n == 0 ? "the server closed the connection" : std::strerror(errno);
      return "";
    }
    if (c == '\n') break;
    if (c != '\r') line.push_back(c);
  }
  return line;
}

}  // namespace

std::string redis_ping(const std::string& url, std::chrono::milliseconds timeout) {
  channel_layer::RedisAddress address;
  try {
    address = channel_layer::RedisAddress::parse(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  const auto deadline = Clock::now() + timeout;
  Fd fd;
  std::string failure;
  if (address.is_unix()) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (address.path.size() >= sizeof sun.sun_path) return "socket path too long";
    std::memcpy(sun.sun_path, address.path.data(), address.path.size());
    fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return std::strerror(errno);
    failure = connect_within(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun, deadline);
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string port = std::to_string(address.port);
    if (int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      return std::string("cannot resolve ") + address.host + ": " + gai_strerror(rc);
    }
    failure = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      fd.reset(::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (fd.get() < 0) continue;
      failure = connect_within(fd.get(), a->ai_addr, a->ai_addrlen, deadline);
      if (failure.empty()) break;
    }
    freeaddrinfo(found);
  }
  if (!failure.empty()) return failure;

  std::string error;
  if (!address.password.empty()) {
    std::string reply =
        address.username.empty()
            ? exchange(fd.get(), resp_command({"AUTH", address.password}), deadline, &error)
            : exchange(fd.get(), resp_command({"AUTH", address.username, address.password}),
                       deadline, &error);
    if (!error.empty()) return error;
    if (reply != "+OK") return "AUTH refused: " + reply;
  }
  if (address.db != 0) {
    std::string reply =
        exchange(fd.get(), resp_command({"SELECT", std::to_string(address.db)}), deadline, &error);
    if (!error.empty()) return error;
    if (reply != "+OK") return "SELECT " + std::to_string(address.db) + " refused: " + reply;
  }
  std::string reply = exchange(fd.get(), resp_command({"PING"}), deadline, &error);
  if (!error.empty()) return error;
  if (reply != "+PONG") return "unexpected answer to PING: " + reply;
  return "";
}

}  // namespace laurel::cli
