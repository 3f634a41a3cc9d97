// tests/server/worker_hooks_test.cpp
// ServerConfig's per-worker hooks: each worker calls on_worker_start and, at shutdown,
// on_worker_stop on its own thread with its own loop current (where a Redis layer is made).

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "asgi/application.h"
#include "asgi/loop.h"
#include "server/server.h"

namespace laurel::server {
namespace {

using namespace std::chrono_literals;

class NoApp : public asgi::Application {
 public:
  std::unique_ptr<asgi::Instance> start(asgi::Scope, asgi::Peer&) override { return nullptr; }
};

struct Seen {
  std::thread::id thread;
  asgi::EventLoop* loop = nullptr;
  int calls = 0;
};

TEST(WorkerHooks, EachWorkerStartsAndStopsOnItsOwnThreadAndLoop) {
  std::mutex mutex;
  std::map<int, Seen> started, stopped;
  ServerConfig config;
  config.endpoints = {Endpoint{}};
  config.endpoints[0].port = 0;
  config.access_log = false;
  config.workers = 3;
  config.on_worker_start = [&](int worker) {
    std::lock_guard lock(mutex);
    Seen& s = started[worker];
    s.thread = std::this_thread::get_id();
    s.loop = asgi::EventLoop::current();
    ++s.calls;
    ASSERT_NE(s.loop, nullptr);
    EXPECT_EQ(s.loop->worker_index(), worker);
  };
  config.on_worker_stop = [&](int worker) {
    std::lock_guard lock(mutex);
    Seen& s = stopped[worker];
    s.thread = std::this_thread::get_id();
    s.loop = asgi::EventLoop::current();
    ++s.calls;
  };

  std::promise<void> ready;
  int rc = -1;
  std::thread server([&] {
    rc = run_server(config, std::make_shared<NoApp>(), [&] { ready.set_value(); });
  });
  ASSERT_EQ(ready.get_future().wait_for(10s), std::future_status::ready);
  request_stop();
  server.join();
  EXPECT_EQ(rc, 0);

  ASSERT_EQ(started.size(), 3u);
  ASSERT_EQ(stopped.size(), 3u);
  for (int w = 0; w < 3; ++w) {
    EXPECT_EQ(started[w].calls, 1);
    EXPECT_EQ(stopped[w].calls, 1);
    EXPECT_EQ(started[w].thread, stopped[w].thread) << "worker " << w;
    EXPECT_EQ(started[w].loop, stopped[w].loop) << "worker " << w;
    EXPECT_NE(started[w].thread, std::this_thread::get_id());
  }
  EXPECT_NE(started[0].thread, started[1].thread);
  EXPECT_NE(started[0].loop, started[1].loop);
}

}  // namespace
}  // namespace laurel::server
