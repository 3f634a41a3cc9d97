// server/worker.cpp
#include "server/worker.h"

#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <cstring>

#include "asgi/task.h"
#include "server/connection.h"

namespace laurel::server {
namespace {

// Rounds of deferred work per prepare/check callback before handing over to an idle handle
// (work that keeps scheduling more work must not starve I/O or block the poll).
constexpr int kMaxTickRounds = 8;

}  // namespace

struct Worker::Listener {
  Worker* worker = nullptr;
  bool is_unix = false;
  bool closed = false;
  const ListenSocket* socket = nullptr;
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
};

Worker::Worker(int index, const ServerConfig& config, asgi::ApplicationPtr app, AccessLog& log,
               const std::vector<ListenSocket>& sockets)
    : index_(index), config_(config), app_(std::move(app)), log_(log), sockets_(sockets) {}

Worker::~Worker() { join(); }

void Worker::start() {
  loop_ = std::make_unique<UvLoop>();
  loop_->set_worker_index(index_);
  ctx_.reset(new WorkerContext{config_, *app_, *loop_, log_, {}});
  ctx_->proxy.enabled = config_.proxy_headers;
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  ctx_->proxy.host_header = lower(config_.proxy_headers_host);
  ctx_->proxy.port_header = lower(config_.proxy_headers_port);
  ctx_->proxy.trusted = config_.trusted_proxies;
  ctx_->on_connection_closed = [this] { maybe_finish(); };

  uv_loop_t* loop = loop_->uv();
  uv_prepare_init(loop, &prepare_);
  uv_check_init(loop, &check_);
  uv_idle_init(loop, &idle_);
  prepare_.data = check_.data = idle_.data = this;
  uv_prepare_start(&prepare_, on_prepare);
  uv_check_start(&check_, [](uv_check_t* h) noexcept {
    static_cast<Worker*>(h->data)->process_scheduled();
  });
  // These run every iteration but must not keep the loop alive on their own.
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_));

  for (const ListenSocket& ls : sockets_) {
    // Each worker owns its own descriptor (libuv closes it with the handle).
    int fd = dup(ls.fd_for_worker(index_));
    if (fd < 0) continue;
    auto l = std::make_unique<Listener>();
    l->worker = this;
    l->is_unix = ls.is_unix;
    l->socket = &ls;
    int rc = ls.is_unix ? uv_pipe_init(loop, &l->h.pipe, 0) : uv_tcp_init(loop, &l->h.tcp);
    if (rc == 0) rc = ls.is_unix ? uv_pipe_open(&l->h.pipe, fd) : uv_tcp_open(&l->h.tcp, fd);
    l->h.handle.data = l.get();
    if (rc == 0) rc = uv_listen(&l->h.stream, 1024, on_connection);
    if (rc != 0) {
      std::fprintf(stderr, "laurel: worker %d cannot listen on %s: %s\n", index_,
                   ls.endpoint.describe().c_str(), uv_strerror(rc));
      uv_close(&l->h.handle, [](uv_handle_t* h) noexcept {
        delete static_cast<Listener*>(h->data);
      });
      l.release();
      continue;
    }
    listeners_.push_back(std::move(l));
  }
  thread_ = std::thread([this] { run(); });
}

void Worker::run() {
  if (config_.on_worker_start) {
    // The loop is not running yet, so nothing is accepted before the hook returns.
    asgi::EventLoop::set_current(loop_.get());
    config_.on_worker_start(index_);
  }
  loop_->run();
  // Close callbacks of the handles closed last.
  loop_->run_once(false);
}

void Worker::on_connection(uv_stream_t* server, int status) noexcept {
  auto* l = static_cast<Listener*>(server->data);
  Worker* self = l->worker;
  if (status < 0) {
    std::fprintf(stderr, "laurel: accept failed: %s\n", uv_strerror(status));
    return;
  }
  if (self->ctx_->stopping) return;
  Connection::accept_from(*self->ctx_, server, *l->socket);
}

void Worker::on_prepare(uv_prepare_t* handle) noexcept {
  static_cast<Worker*>(handle->data)->process_scheduled();
}

void Worker::process_scheduled() {
  WorkerContext& ctx = *ctx_;
  for (int round = 0; round < kMaxTickRounds && ctx.scheduled_head; ++round) {
    // Take the list: connections scheduled during these ticks wait for the next round.
    Connection* list = ctx.scheduled_head;
    ctx.scheduled_head = nullptr;
    for (Connection* c = list; c; c = c->sched_next_) c->scheduled_ = false;
    while (list) {
      Connection* c = list;
      list = c->sched_next_;
      if (list) list->sched_prev_ = nullptr;
      c->sched_next_ = c->sched_prev_ = nullptr;
      c->tick();
    }
  }
  ctx.log.flush();
  if (ctx.scheduled_head) {
    uv_idle_start(&idle_, [](uv_idle_t* h) noexcept {
      static_cast<Worker*>(h->data)->process_scheduled();
    });
  } else {
    uv_idle_stop(&idle_);
  }
}

void Worker::begin_shutdown() {
  if (!loop_) return;
  loop_->post([this] { shutdown_on_loop(); });
}

void Worker::force_close() {
  if (!loop_) return;
  loop_->post([this] {
    for (Connection* c = ctx_->all_head; c; c = c->all_next_) c->close();
  });
}

void Worker::shutdown_on_loop() {
  if (ctx_->stopping) return;
  ctx_->stopping = true;
  for (auto& l : listeners_) {
    uv_close(&l->h.handle, nullptr);
    l->closed = true;
  }
  for (Connection* c = ctx_->all_head; c; c = c->all_next_) {
    if (c->lingering()) {
      c->close();  // answered already; only waiting for the peer's EOF
      continue;
    }
    if (c->session() && !c->closing()) {
      c->session()->on_shutdown();
      c->schedule();
    }
  }
  // Instances get application_close_timeout to finish (ASGI), within the shutdown budget.
  deadline_ = loop_->call_later(std::min(config_.shutdown_timeout,
                                         config_.application_close_timeout), [this] {
    // Out of time: whatever is still open is dropped (applications get their disconnect), and
    // tasks still running are not waited for.
    out_of_time_ = true;
    for (Connection* c = ctx_->all_head; c; c = c->all_next_) c->close();
    maybe_finish();
  });
  maybe_finish();
}

void Worker::maybe_finish() {
  if (!ctx_->stopping || ctx_->connection_count != 0 || finished_) return;
  if (laurel::spawned_tasks_in_flight() > 0 && !out_of_time_) {
    // Consumers may still be finishing (leaving their groups over Redis): look again shortly.
    recheck_ = loop_->call_later(std::chrono::milliseconds(5), [this] { maybe_finish(); });
    return;
  }
  finish();
}

void Worker::finish() {
  finished_ = true;
  deadline_.reset();
  recheck_.reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
  // Handles the hook closes are released by run()'s last iteration.
  if (config_.on_worker_stop) config_.on_worker_stop(index_);
  loop_->stop();
  if (on_finished_) on_finished_();
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
  if (loop_) {
    // Listener handles closed during shutdown are released once their callbacks ran.
    listeners_.clear();
    ctx_.reset();
    loop_.reset();
  }
}

}  // namespace laurel::server
