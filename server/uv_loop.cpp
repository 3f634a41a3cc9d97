#include "server/uv_loop.h"

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace laurel::server {
namespace {

// A timer's libuv state lives apart from the Timer handle given to the caller: libuv may still
// own it (pending close) after the caller dropped the handle, or the caller may drop the handle
// from inside the callback. Freed only in the close callback.
struct TimerState {
  uv_timer_t handle{};
  std::function<void()> fn;
  class UvTimer* owner = nullptr;
};

void close_timer_state(TimerState* state) {
  uv_timer_stop(&state->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&state->handle),
           [](uv_handle_t* h) { delete static_cast<TimerState*>(h->data); });
}

class UvTimer final : public asgi::Timer {
 public:
  explicit UvTimer(TimerState* state) : state_(state) { state_->owner = this; }
  ~UvTimer() override { cancel(); }
  void cancel() override {
    if (state_ == nullptr) return;
    state_->owner = nullptr;
    close_timer_state(std::exchange(state_, nullptr));
  }
  void detach() { state_ = nullptr; }

 private:
  TimerState* state_;
};

void on_timer(uv_timer_t* handle) noexcept {
  auto* state = static_cast<TimerState*>(handle->data);
  auto fn = std::move(state->fn);
  if (state->owner != nullptr) state->owner->detach();
  state->owner = nullptr;
  close_timer_state(state);
  if (fn) fn();
}

struct Work {
  uv_work_t req{};
  std::function<void()> work;
  std::function<void()> done;
};

}  // namespace

UvLoop::UvLoop() : loop_(new uv_loop_t), async_(new uv_async_t) {
  if (int rc = uv_loop_init(loop_); rc != 0) {
    std::fprintf(stderr, "laurel: cannot create an event loop: %s\n", uv_strerror(rc));
    std::abort();
  }
  loop_->data = this;
  uv_async_init(loop_, async_, &UvLoop::on_async);
  async_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(async_));
}

UvLoop::~UvLoop() {
  drain_posted();
  uv_walk(
      loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  // Close callbacks of handles owned by others (timers, connections) free their memory here.
  while (uv_run(loop_, UV_RUN_DEFAULT) != 0) {
  }
  if (uv_loop_close(loop_) != 0) {
    std::fprintf(stderr, "laurel: event loop closed with handles still open\n");
  }
  delete async_;
  delete loop_;
}

void UvLoop::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(fn));
  }
  uv_async_send(async_);
}

void UvLoop::on_async(uv_async_s* handle) noexcept {
  static_cast<UvLoop*>(handle->data)->drain_posted();
}

void UvLoop::drain_posted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

asgi::TimerPtr UvLoop::call_later(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto* state = new TimerState;
  state->fn = std::move(fn);
  uv_timer_init(loop_, &state->handle);
  state->handle.data = state;
  auto timer = std::make_unique<UvTimer>(state);
  uv_timer_start(&state->handle, on_timer, static_cast<uint64_t>(std::max<int64_t>(0, delay.count())),
                 0);
  return timer;
}

void UvLoop::run_blocking(std::function<void()> work, std::function<void()> done) {
  auto* w = new Work;
  w->req.data = w;
  w->work = std::move(work);
  w->done = std::move(done);
  int rc = uv_queue_work(
      loop_, &w->req, [](uv_work_t* req) { static_cast<Work*>(req->data)->work(); },
      [](uv_work_t* req, int) {
        std::unique_ptr<Work> owned(static_cast<Work*>(req->data));
        if (owned->done) owned->done();
      });
  if (rc != 0) {  // only fails for invalid arguments; run inline rather than lose the work
    std::unique_ptr<Work> owned(w);
    owned->work();
    if (owned->done) owned->done();
  }
}

void* UvLoop::native_handle() { return loop_; }

void UvLoop::run() {
  asgi::EventLoop* previous = asgi::EventLoop::current();
  asgi::EventLoop::set_current(this);
  uv_run(loop_, UV_RUN_DEFAULT);
  asgi::EventLoop::set_current(previous);
}

bool UvLoop::run_once(bool block) {
  asgi::EventLoop* previous = asgi::EventLoop::current();
  asgi::EventLoop::set_current(this);
  bool alive = uv_run(loop_, block ? UV_RUN_ONCE : UV_RUN_NOWAIT) != 0;
  asgi::EventLoop::set_current(previous);
  return alive;
}

void UvLoop::stop() {
  post([this] { uv_stop(loop_); });
}

void UvLoop::keep_alive(bool on) {
  if (on) {
    uv_ref(reinterpret_cast<uv_handle_t*>(async_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(async_));
  }
}

}  // namespace laurel::server
