// tests/tools/redis_layers_test.cpp
// What --redis does to a running server: each worker gets its own RedisChannelLayer as its
// thread's layer while it runs, over the process default, and drops it when it stops.

#include "tools/cli/redis_layers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "asgi/application.h"
#include "channel_layer/default_layer.h"
#include "channel_layer/in_memory_layer.h"
#include "channel_layer/redis_layer.h"
#include "server/server.h"
#include "tests/channel_layer/redis_test_support.h"

namespace laurel::cli {
namespace {

using namespace std::chrono_literals;

class NoApp : public asgi::Application {
 public:
  std::unique_ptr<asgi::Instance> start(asgi::Scope, asgi::Peer&) override { return nullptr; }
};

TEST(RedisLayers, EachWorkerHasItsOwnRedisLayerWhileItRuns) {
  std::string binary = testing_redis::find_redis_server();
  if (binary.empty()) GTEST_SKIP() << "redis-server not installed";
  testing_redis::RedisServer redis(binary);
  redis.start();

  auto process_default = std::make_shared<channel_layer::InMemoryChannelLayer>();
  channel_layer::ChannelLayerPtr saved = channel_layer::set_default_layer(process_default);

  server::ServerConfig config;
  config.endpoints = {server::Endpoint{}};
  config.endpoints[0].port = 0;
  config.access_log = false;
  config.workers = 2;
  int earlier_hook_calls = 0;
  config.on_worker_start = [&](int) { ++earlier_hook_calls; };  // hooks already set still run
  use_redis_layers(config, {redis.url()});

  std::mutex mutex;
  std::map<int, std::string> prefixes;  // worker → its layer's client prefix
  std::map<int, bool> cleared;          // worker → back on the process default at stop
  auto redis_start = config.on_worker_start;
  config.on_worker_start = [&, redis_start](int worker) {
    redis_start(worker);
    auto* layer = dynamic_cast<channel_layer::RedisChannelLayer*>(
        channel_layer::get_channel_layer().get());
    std::lock_guard lock(mutex);
    prefixes[worker] = layer ? layer->client_prefix() : "";
  };
  auto redis_stop = config.on_worker_stop;
  config.on_worker_stop = [&, redis_stop](int worker) {
    redis_stop(worker);
    std::lock_guard lock(mutex);
    cleared[worker] = channel_layer::get_channel_layer() == process_default;
  };

  std::promise<void> ready;
  int rc = -1;
  std::thread server([&] {
    rc = server::run_server(config, std::make_shared<NoApp>(), [&] { ready.set_value(); });
  });
  ASSERT_EQ(ready.get_future().wait_for(10s), std::future_status::ready);
  server::request_stop();
  server.join();
  EXPECT_EQ(rc, 0);

  EXPECT_EQ(earlier_hook_calls, 2);
  ASSERT_EQ(prefixes.size(), 2u);
  EXPECT_FALSE(prefixes[0].empty()) << "worker 0 has no Redis layer";
  EXPECT_FALSE(prefixes[1].empty()) << "worker 1 has no Redis layer";
  EXPECT_NE(prefixes[0], prefixes[1]) << "the workers share one layer";
  EXPECT_TRUE(cleared[0]);
  EXPECT_TRUE(cleared[1]);
  EXPECT_EQ(channel_layer::get_channel_layer(), process_default);  // never replaced here
  channel_layer::set_default_layer(saved);
}

}  // namespace
}  // namespace laurel::cli
