// server/server.cpp
#include "server/server.h"

#include <uv.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "server/access_log.h"
#include "server/listener.h"
#include "server/worker.h"

namespace laurel::server {
namespace {

// The running server, if any: request_stop may come from any thread (or before start).
std::mutex g_mutex;
uv_async_t* g_stop_async = nullptr;
bool g_stop_requested = false;
std::vector<Endpoint> g_bound;

struct MainLoop {
  uv_loop_t loop{};
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
  uv_async_t stop{};      // request_stop
  uv_async_t finished{};  // a worker finished its shutdown
  std::vector<std::unique_ptr<Worker>>* workers = nullptr;
  std::vector<ListenSocket>* sockets = nullptr;
  std::atomic<int> running_workers{0};
  bool stopping = false;
};

void begin_stop(MainLoop& m) {
  if (m.stopping) {
    // A second signal: do not wait for in-flight work any more.
    for (auto& w : *m.workers) w->force_close();
    return;
  }
  m.stopping = true;
  for (auto& w : *m.workers) w->begin_shutdown();
  // The workers close their own copies; with these gone too the kernel stops queueing new
  // connections for us.
  close_listeners(*m.sockets);
}

void close_main_handles(MainLoop& m) {
  {
    std::lock_guard lock(g_mutex);
    g_stop_async = nullptr;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&m.sigint), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&m.sigterm), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&m.stop), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&m.finished), nullptr);
}

}  // namespace

std::vector<Endpoint> bound_endpoints() {
  std::lock_guard lock(g_mutex);
  return g_bound;
}

void request_stop() {
  std::lock_guard lock(g_mutex);
  g_stop_requested = true;
  if (g_stop_async) uv_async_send(g_stop_async);
}

int run_server(const ServerConfig& given, asgi::ApplicationPtr app,
               std::function<void()> on_ready) {
  ServerConfig config = given;
  if (config.endpoints.empty()) config.endpoints.push_back(Endpoint{});
  if (config.workers < 1) config.workers = 1;
  if (!app) {
    std::fprintf(stderr, "laurel: run_server needs an application\n");
    return 1;
  }
  // A write to a socket the peer closed must be an EPIPE error, not a process-killing signal.
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<AccessLog> log;
  try {
    log = std::make_unique<AccessLog>(config.access_log_path, config.access_log);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "laurel: %s\n", e.what());
    return 1;
  }

  std::vector<ListenSocket> sockets;
  if (!open_listeners(config.endpoints, config.workers, sockets)) return 1;

  MainLoop m;
  uv_loop_init(&m.loop);
  std::vector<std::unique_ptr<Worker>> workers;
  m.workers = &workers;
  m.sockets = &sockets;
  m.loop.data = &m;
  uv_signal_init(&m.loop, &m.sigint);
  uv_signal_init(&m.loop, &m.sigterm);
  m.sigint.data = m.sigterm.data = &m;
  auto on_signal = [](uv_signal_t* h, int) noexcept { begin_stop(*static_cast<MainLoop*>(h->data)); };
  uv_signal_start(&m.sigint, on_signal, SIGINT);
  uv_signal_start(&m.sigterm, on_signal, SIGTERM);
  uv_async_init(&m.loop, &m.stop, [](uv_async_t* h) noexcept {
    begin_stop(*static_cast<MainLoop*>(h->data));
  });
  uv_async_init(&m.loop, &m.finished, [](uv_async_t* h) noexcept {
    auto& main = *static_cast<MainLoop*>(h->data);
    if (main.running_workers.load() == 0) close_main_handles(main);
  });
  m.stop.data = m.finished.data = &m;

  m.running_workers = config.workers;
  for (int i = 0; i < config.workers; ++i) {
    auto w = std::make_unique<Worker>(i, config, app, *log, sockets);
    w->set_on_finished([&m] {
      m.running_workers.fetch_sub(1);
      uv_async_send(&m.finished);
    });
    workers.push_back(std::move(w));
  }
  for (auto& w : workers) w->start();

  bool stop_early = false;
  {
    std::lock_guard lock(g_mutex);
    g_bound.clear();
    for (const ListenSocket& ls : sockets) g_bound.push_back(ls.endpoint);
    g_stop_async = &m.stop;
    stop_early = g_stop_requested;
  }
  if (on_ready) on_ready();
  if (stop_early) begin_stop(m);

  uv_run(&m.loop, UV_RUN_DEFAULT);

  for (auto& w : workers) w->join();
  workers.clear();
  close_listeners(sockets);
  uv_loop_close(&m.loop);
  {
    std::lock_guard lock(g_mutex);
    g_bound.clear();
    g_stop_requested = false;
  }
  return 0;
}

}  // namespace laurel::server
