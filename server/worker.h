// server/worker.h
#pragma once

// One worker: a thread running its own UvLoop, accepting on its share of the listening sockets
// and owning every connection it accepted. Per-loop resources that connections share (the read
// buffer, the flush list) live here, so an idle connection holds none of them.

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <uv.h>

#include "asgi/application.h"
#include "server/access_log.h"
#include "server/connection.h"
#include "server/listener.h"
#include "server/scope_builder.h"
#include "server/server.h"
#include "server/timer_heap.h"
#include "server/uv_loop.h"

namespace laurel::server {


// What every connection on one loop shares.
struct WorkerContext {
  const ServerConfig& config;
  asgi::Application& app;
  UvLoop& loop;
  AccessLog& log;
  ProxyPolicy proxy;
  bool stopping = false;  // graceful shutdown began
  // One read buffer for the whole loop: libuv reads into it and the session consumes the bytes
  // before the next read, so idle connections carry no read buffer.
  static constexpr std::size_t kReadBufferSize = 64 * 1024;
  std::unique_ptr<char[]> read_buffer{new char[kReadBufferSize]};
  // TLS connections decrypt into this, shared for the same reason.
  std::string tls_plain;
  // Output buffers lent to connections while they have output (Connection::out()), so a
  // connection that writes often allocates none and an idle one holds none.
  std::vector<std::string> spare_out;
  // Every connection's deadline, on one uv_timer_t.
  TimerHeap timers{loop.uv(), &Connection::on_deadline};
  // Connections with output or deferred work, handled once per iteration (uv_prepare).
  Connection* scheduled_head = nullptr;
  // Every live connection (for shutdown), and how many there are.
  Connection* all_head = nullptr;
  std::size_t connection_count = 0;
  // Called after a connection was freed (the worker finishes a shutdown when none are left).
  std::function<void()> on_connection_closed;
};

class Worker {
 public:
  Worker(int index, const ServerConfig& config, asgi::ApplicationPtr app, AccessLog& log,
         const std::vector<ListenSocket>& sockets);
  ~Worker();  // joins the thread
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Graceful shutdown, from any thread: stop accepting, close WebSockets with 1001, let HTTP
  // responses finish; the thread ends when the last connection is gone or at the deadline.
  void begin_shutdown();
  // From any thread: close every connection now.
  void force_close();
  void join();
  // Called on the worker's thread once its last connection is gone after a shutdown.
  void set_on_finished(std::function<void()> fn) { on_finished_ = std::move(fn); }

 private:
  struct Listener;
  static void on_connection(uv_stream_t* server, int status) noexcept;
  static void on_prepare(uv_prepare_t* handle) noexcept;
  void process_scheduled();
  void run();
  void accept_one(Listener& listener);
  void shutdown_on_loop();
  void maybe_finish();
  void finish();

  int index_;
  const ServerConfig& config_;
  asgi::ApplicationPtr app_;
  AccessLog& log_;
  std::vector<ListenSocket> sockets_;
  std::unique_ptr<UvLoop> loop_;
  std::unique_ptr<WorkerContext> ctx_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  uv_prepare_t prepare_{};
  uv_check_t check_{};
  uv_idle_t idle_{};
  std::function<void()> on_finished_;
  asgi::TimerPtr deadline_;
  asgi::TimerPtr recheck_;  // while spawned tasks finish after the last connection closed
  bool finished_ = false;
  bool out_of_time_ = false;
  std::thread thread_;
};

}  // namespace laurel::server
