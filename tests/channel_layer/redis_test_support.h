// tests/channel_layer/redis_test_support.h
#pragma once

// For the Redis layer tests: a private redis-server on a free loopback port (no persistence),
// stopped by pid, and a small driver that runs a Task on a UvLoop until it finishes or a
// deadline passes (a hung operation fails the test instead of hanging it).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "asgi/task.h"
#include "server/uv_loop.h"

namespace laurel::testing_redis {

inline std::string find_redis_server() {
  if (const char* env = std::getenv("LAUREL_REDIS_SERVER")) return env;
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/usr/sbin"}) {
    std::string path = std::string(dir) + "/redis-server";
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

inline int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

inline bool port_accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// One redis-server child process. start() waits (bounded) until it accepts connections.
class RedisServer {
 public:
  explicit RedisServer(std::string binary) : binary_(std::move(binary)), port_(free_loopback_port()) {}
  ~RedisServer() { stop(); }

  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      std::string port = std::to_string(port_);
      freopen("/dev/null", "w", stdout);
      execl(binary_.c_str(), binary_.c_str(), "--port", port.c_str(), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 500; ++i) {  // readiness poll, at most ~5 s
      if (port_accepts(port_)) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start");
      }
      timespec ts{0, 10'000'000};
      nanosleep(&ts, nullptr);
    }
    throw std::runtime_error("redis-server did not start listening");
  }
  // SIGKILL: Redis vanishes without closing anything politely, like a crash.
  void kill_hard() { signal_and_wait(SIGKILL); }
  void stop() { signal_and_wait(SIGTERM); }
  // SIGSTOP / SIGCONT: Redis keeps its sockets but stops answering (a hung server).
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

 private:
  void signal_and_wait(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    ::kill(pid_, SIGCONT);  // a paused server must run to handle SIGTERM
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string binary_;
  int port_;
  pid_t pid_ = -1;
};

// Shared with the spawned coroutine, so a test that gives up at its deadline leaves nothing
// dangling behind.
template <class T>
struct Outcome {
  bool done = false;
  std::exception_ptr error;
  std::optional<T> value;
};
struct Unit {};

template <class T>
Task<void> capture(Task<T> task, std::shared_ptr<Outcome<T>> outcome) {
  try {
    outcome->value.emplace(co_await std::move(task));
  } catch (...) {
    outcome->error = std::current_exception();
  }
  outcome->done = true;
}

inline Task<void> capture_void(Task<void> task, std::shared_ptr<Outcome<Unit>> outcome) {
  try {
    co_await std::move(task);
  } catch (...) {
    outcome->error = std::current_exception();
  }
  outcome->done = true;
}

// Runs the loop until `pred` holds or `deadline` passes; returns pred().
template <class Pred>
bool run_until(server::UvLoop& loop, Pred pred,
               std::chrono::milliseconds deadline = std::chrono::milliseconds(10000)) {
  bool expired = false;
  auto timer = loop.call_later(deadline, [&] { expired = true; });
  while (!pred() && !expired) loop.run_once(true);
  return pred();
}

class DeadlineExceeded : public std::runtime_error {
 public:
  DeadlineExceeded() : std::runtime_error("operation did not finish before the deadline") {}
};

template <class T>
T run(server::UvLoop& loop, Task<T> task,
      std::chrono::milliseconds deadline = std::chrono::milliseconds(10000)) {
  auto outcome = std::make_shared<Outcome<T>>();
  spawn(capture(std::move(task), outcome));
  if (!run_until(loop, [&] { return outcome->done; }, deadline)) throw DeadlineExceeded();
  if (outcome->error) std::rethrow_exception(outcome->error);
  return std::move(*outcome->value);
}

inline void run(server::UvLoop& loop, Task<void> task,
                std::chrono::milliseconds deadline = std::chrono::milliseconds(10000)) {
  auto outcome = std::make_shared<Outcome<Unit>>();
  spawn(capture_void(std::move(task), outcome));
  if (!run_until(loop, [&] { return outcome->done; }, deadline)) throw DeadlineExceeded();
  if (outcome->error) std::rethrow_exception(outcome->error);
}

}  // namespace laurel::testing_redis
