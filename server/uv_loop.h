// server/uv_loop.h
#pragma once

// The libuv implementation of asgi::EventLoop: one per worker thread, and the loop tests run on.
// Owns its uv_loop_t; work from other threads arrives through one uv_async_t and a locked queue.

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "asgi/loop.h"

struct uv_loop_s;
struct uv_async_s;

namespace laurel::server {

class UvLoop final : public asgi::EventLoop {
 public:
  UvLoop();
  ~UvLoop() override;  // closes every handle still open on the loop, then the loop
  UvLoop(const UvLoop&) = delete;
  UvLoop& operator=(const UvLoop&) = delete;

  void post(std::function<void()> fn) override;
  asgi::TimerPtr call_later(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void run_blocking(std::function<void()> work, std::function<void()> done) override;
  void* native_handle() override;
  int worker_index() const override { return worker_index_; }
  void set_worker_index(int index) { worker_index_ = index; }

  uv_loop_s* uv() { return loop_; }

  // Runs until stop() or until nothing keeps the loop alive. Sets EventLoop::current().
  void run();
  // Runs one iteration; with `block` false it only processes what is ready. Returns whether
  // anything still keeps the loop alive.
  bool run_once(bool block = false);
  // Makes run() return; callable from any thread.
  void stop();
  // While kept alive, run() waits for posts from other threads even with no other work.
  void keep_alive(bool on);

 private:
  static void on_async(uv_async_s* handle) noexcept;
  void drain_posted();

  uv_loop_s* loop_;
  uv_async_s* async_;
  std::mutex mutex_;
  std::vector<std::function<void()>> posted_;
  int worker_index_ = 0;
};

}  // namespace laurel::server
