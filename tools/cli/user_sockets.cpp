// tools/cli/user_sockets.cpp
#include "tools/cli/user_sockets.h"

#include <exception>
#include <memory>
#include <optional>

#include "asgi/task.h"
#include "auth/revocation.h"
#include "channel_layer/redis_layer.h"
#include "server/uv_loop.h"

namespace laurel::cli {
namespace {

// Shared with the sending coroutine, which may finish after the timeout has stopped the loop.
struct Outcome {
  std::optional<std::string> error;  // set once: "" sent, else the reason
  server::UvLoop* loop = nullptr;
  void finish(std::string why) {
    if (error) return;
    error = std::move(why);
    if (loop) loop->stop();
  }
};

Task<void> send_revocation(std::shared_ptr<channel_layer::RedisChannelLayer> layer,
                           std::int64_t user_id, std::string reason,
                           std::shared_ptr<Outcome> outcome) {
  try {
    co_await auth::revoke_user_sockets(*layer, user_id, std::move(reason));
    outcome->finish("");
  } catch (const std::exception& e) {
    outcome->finish(e.what());
  }
}

}  // namespace

std::string close_user_sockets(const std::vector<std::string>& redis_urls, std::int64_t user_id,
                               const std::string& reason, std::chrono::milliseconds timeout) {
  if (redis_urls.empty()) return "no --redis: the server's in-memory layer is out of reach";
  server::UvLoop loop;
  auto outcome = std::make_shared<Outcome>();
  outcome->loop = &loop;
  std::shared_ptr<channel_layer::RedisChannelLayer> layer;
  loop.post([&] {
    try {
      layer = std::make_shared<channel_layer::RedisChannelLayer>(channel_layer::LayerConfig{},
                                                                 redis_urls, "asgi", &loop);
      spawn(send_revocation(layer, user_id, reason, outcome));
    } catch (const std::exception& e) {
      outcome->finish(e.what());
    }
  });
  asgi::TimerPtr timer = loop.call_later(timeout, [outcome, timeout] {
    outcome->finish("Redis did not answer within " + std::to_string(timeout.count()) + " ms");
  });
  loop.keep_alive(true);
  loop.run();
  loop.keep_alive(false);
  outcome->loop = nullptr;
  if (timer) timer->cancel();
  timer.reset();
  {
    asgi::EventLoop* previous = asgi::EventLoop::current();
    asgi::EventLoop::set_current(&loop);
    layer.reset();  // pending work fails and its coroutines end on this loop
    for (int i = 0; i < 100 && loop.run_once(false); ++i) {
    }
    asgi::EventLoop::set_current(previous);
  }
  return outcome->error.value_or("interrupted");
}

}  // namespace laurel::cli
