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
std::optional<Endpoint> g_metrics_bound;

struct MainLoop {
  uv_loop_t loop{};
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
  uv_signal_t sighup{};  // reload TLS certificates
  uv_async_t stop{};      // request_stop
  uv_async_t finished{};  // a worker finished its shutdown
  std::vector<std::unique_ptr<Worker>>* workers = nullptr;
  std::vector<ListenSocket>* sockets = nullptr;
  int verbosity = 1;
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
  uv_close(reinterpret_cast<uv_handle_t*>(&m.sighup), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&m.stop), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&m.finished), nullptr);
}

// SIGHUP: every TLS endpoint reads its certificate and key again. New connections use the new
// ones; a failure keeps the old ones serving. Either way the outcome is logged.
void reload_certificates(const std::vector<ListenSocket>& sockets, int verbosity) {
  for (const ListenSocket& ls : sockets) {
    if (!ls.tls) continue;
    std::string error;
    if (ls.tls->reload(error)) {
      if (verbosity >= 1) {
        std::fprintf(stderr, "laurel: reloaded TLS certificate %s for %s\n",
                     ls.tls->cert_file().c_str(), ls.endpoint.describe().c_str());
      }
    } else {
      std::fprintf(stderr, "laurel: TLS reload failed for %s, keeping the old certificate: %s\n",
                   ls.endpoint.describe().c_str(), error.c_str());
    }
  }
}

// "--metrics host:port" → the endpoint of the dedicated listener; "/path" and "" → none.
bool metrics_endpoint(const std::string& spec, std::optional<Endpoint>& out) {
  if (spec.empty() || spec.front() == '/') return true;
  auto colon = spec.rfind(':');
  if (colon == std::string::npos) return false;
  Endpoint ep;
  ep.host = spec.substr(0, colon);
  if (ep.host.empty()) ep.host = "127.0.0.1";
  try {
    std::size_t used = 0;
    ep.port = std::stoi(spec.substr(colon + 1), &used);
    if (used != spec.size() - colon - 1 || ep.port < 0 || ep.port > 65535) return false;
  } catch (const std::exception&) {
    return false;
  }
  out = ep;
  return true;
}

}  // namespace

std::vector<Endpoint> bound_endpoints() {
  std::lock_guard lock(g_mutex);
  return g_bound;
}

std::optional<Endpoint> bound_metrics_endpoint() {
  std::lock_guard lock(g_mutex);
  return g_metrics_bound;
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
  // TLS contexts first: a bad certificate is a start-up error, before anything listens.
  std::vector<std::shared_ptr<TlsContext>> tls_contexts;
  for (const Endpoint& ep : config.endpoints) {
    if (ep.tls_cert_file.empty() && ep.tls_key_file.empty()) {
      tls_contexts.push_back(nullptr);
      continue;
    }
    if (ep.tls_cert_file.empty() || ep.tls_key_file.empty()) {
      std::fprintf(stderr, "laurel: %s needs both a TLS certificate and a key\n",
                   ep.describe().c_str());
      return 1;
    }
    auto ctx = std::make_shared<TlsContext>(ep.tls_cert_file, ep.tls_key_file);
    std::string error;
    if (!ctx->reload(error)) {
      std::fprintf(stderr, "laurel: cannot use TLS on %s: %s\n", ep.describe().c_str(),
                   error.c_str());
      return 1;
    }
    tls_contexts.push_back(std::move(ctx));
  }
  std::optional<Endpoint> metrics_ep;
  if (!metrics_endpoint(config.metrics, metrics_ep)) {
    std::fprintf(stderr, "laurel: --metrics wants host:port or /path, not '%s'\n",
                 config.metrics.c_str());
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
  for (std::size_t i = 0; i < sockets.size(); ++i) sockets[i].tls = tls_contexts[i];
  std::size_t client_sockets = sockets.size();
  if (metrics_ep) {
    std::vector<ListenSocket> extra;
    if (!open_listeners({*metrics_ep}, config.workers, extra)) {
      close_listeners(sockets);
      return 1;
    }
    extra[0].metrics_only = true;
    sockets.push_back(std::move(extra[0]));
  }

  MainLoop m;
  uv_loop_init(&m.loop);
  std::vector<std::unique_ptr<Worker>> workers;
  m.workers = &workers;
  m.sockets = &sockets;
  m.verbosity = config.verbosity;
  m.loop.data = &m;
  uv_signal_init(&m.loop, &m.sigint);
  uv_signal_init(&m.loop, &m.sigterm);
  m.sigint.data = m.sigterm.data = &m;
  auto on_signal = [](uv_signal_t* h, int) noexcept { begin_stop(*static_cast<MainLoop*>(h->data)); };
  uv_signal_start(&m.sigint, on_signal, SIGINT);
  uv_signal_start(&m.sigterm, on_signal, SIGTERM);
  uv_signal_init(&m.loop, &m.sighup);
  m.sighup.data = &m;
  bool any_tls = false;
  for (const auto& ctx : tls_contexts) any_tls |= ctx != nullptr;
  if (any_tls) {
    // Only with TLS: otherwise SIGHUP keeps its usual meaning (the process ends).
    uv_signal_start(&m.sighup, [](uv_signal_t* h, int) noexcept {
      auto& main = *static_cast<MainLoop*>(h->data);
      reload_certificates(*main.sockets, main.verbosity);
    }, SIGHUP);
  }
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
    for (std::size_t i = 0; i < client_sockets; ++i) g_bound.push_back(sockets[i].endpoint);
    if (metrics_ep) g_metrics_bound = sockets.back().endpoint;
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
    g_metrics_bound.reset();
    g_stop_requested = false;
  }
  return 0;
}

}  // namespace laurel::server
